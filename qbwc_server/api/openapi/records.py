"""OpenAPI operations of api/records.py (synced records and the change feed)."""

from __future__ import annotations

from qbwc_server.api.openapi.components import (
    BOOL,
    COMPANY_ID,
    OPT_STR,
    STR,
    Schema,
    error_response,
    json_response,
    page_of,
    ref,
)
from qbwc_server.records.types import TYPE_NAMES

INVALID = error_response("A parameter is malformed or unknown (named in `error.field`)")
NOT_FOUND = error_response("No such company or record type")


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "description": description, "schema": schema}


PATHS: dict[str, dict[str, Schema]] = {
    "/api/companies/{company_id}/records/{type_name}": {
        "get": {
            "operationId": "listRecords",
            "summary": "One record type, in id order, keyset-paginated",
            "parameters": [
                COMPANY_ID,
                {
                    "name": "type_name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": sorted(TYPE_NAMES)},
                },
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page size"),
                _query("cursor", STR, "next_cursor of the previous page"),
                _query("modified_since", {"type": "string", "format": "date-time"}, ""),
                _query("active", {"type": "string", "enum": ["true", "false", "all"]}, "Lists"),
                _query("include_deleted", {"type": "string", "enum": ["true", "false"]}, ""),
                _query("vendor", STR, "Transactions of this vendor ListID"),
                _query("from", {"type": "string", "format": "date"}, "TxnDate from"),
                _query("to", {"type": "string", "format": "date"}, "TxnDate to"),
            ],
            "responses": {
                "200": json_response(page_of(ref("Record"), {"next_cursor": OPT_STR})),
                "400": INVALID,
                "404": NOT_FOUND,
                "422": INVALID,
            },
        }
    },
    "/api/companies/{company_id}/changes": {
        "get": {
            "operationId": "listChanges",
            "summary": "The change feed: upserts and deletions in commit order",
            "parameters": [
                COMPANY_ID,
                _query("since", STR, "A cursor from next_cursor, or `latest`"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, ""),
            ],
            "responses": {
                "200": json_response(
                    page_of(ref("Change"), {"next_cursor": STR, "has_more": BOOL})
                ),
                "400": INVALID,
                "404": NOT_FOUND,
                "422": INVALID,
            },
        }
    },
}

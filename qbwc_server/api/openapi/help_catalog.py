"""OpenAPI operations of api/help.py (the help catalog)."""

from __future__ import annotations

from qbwc_server.api.openapi.components import (
    INT,
    STR,
    Schema,
    error_response,
    json_response,
    obj,
    page_of,
)
from qbwc_server.help.catalog import KINDS, WHO

HELP_ENTRY: Schema = obj(
    {
        "code": STR,
        "kind": {"type": "string", "enum": list(KINDS)},
        "title": STR,
        "cause": STR,
        "steps": {"type": "array", "items": STR},
        "who": {"type": "string", "enum": list(WHO)},
    }
)

PATHS: dict[str, dict[str, Schema]] = {
    "/api/help": {
        "get": {
            "operationId": "listHelp",
            "summary": "Every help entry: what an error code means and what to do",
            "parameters": [
                {
                    "name": "kind",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(KINDS)},
                },
                {"name": "q", "in": "query", "description": "Words to look for", "schema": STR},
            ],
            "responses": {
                "200": json_response(page_of(HELP_ENTRY, {"count": INT})),
                "422": error_response("Unknown parameter or kind"),
            },
        }
    },
    "/api/help/{code}": {
        "get": {
            "operationId": "getHelp",
            "summary": "One entry: QBWC1012, 0x80040408 (or 80040408), 3100, wrong_company_file",
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": STR}],
            "responses": {
                "200": json_response(HELP_ENTRY),
                "404": error_response("No entry for this code"),
            },
        }
    },
}

"""OpenAPI operations of api/setup_links.py."""

from __future__ import annotations

from qbwc_server.api.openapi.companies import INVALID, NOT_FOUND
from qbwc_server.api.openapi.components import BOOL, COMPANY_ID, TIME, Schema, json_response, obj
from qbwc_server.services.setup_links import DEFAULT_HOURS, MAX_HOURS, MIN_HOURS

PATHS: dict[str, dict[str, Schema]] = {
    "/api/companies/{company_id}/setup-link": {
        "post": {
            "operationId": "createSetupLink",
            "summary": "A link for the person at the QuickBooks PC: this company's setup page, "
            "opened without sign-in; replaces the company's previous link",
            "description": "The page (`/setup/{token}`) shows the setup steps, Download "
            "Connector, Generate Connector Key and a live checklist for this company only. The "
            "token is in the URL alone (the server keeps its SHA-256): this answer is the only "
            "time it is shown.",
            "parameters": [COMPANY_ID],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "expires_in_hours": {
                                    "type": "integer",
                                    "minimum": MIN_HOURS,
                                    "maximum": MAX_HOURS,
                                    "default": DEFAULT_HOURS,
                                    "description": "How long the link works (default 7 days)",
                                }
                            },
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "201": json_response(
                    obj({"url": {"type": "string", "format": "uri"}, "expires_at": TIME}),
                    "Created",
                ),
                "404": NOT_FOUND,
                "422": INVALID,
            },
        },
        "delete": {
            "operationId": "revokeSetupLink",
            "summary": "The company's setup link stops working at once",
            "parameters": [COMPANY_ID],
            "responses": {
                "200": json_response(
                    obj({"revoked": {**BOOL, "description": "false: there was no live link"}})
                ),
                "404": NOT_FOUND,
            },
        },
    }
}

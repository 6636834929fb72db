"""OpenAPI operations of api/companies.py (and the API's own routes)."""

from __future__ import annotations

from qbwc_server.api.openapi.components import (
    COMPANY_ID,
    INT,
    STR,
    Schema,
    error_response,
    json_response,
    nullable,
    obj,
    page_of,
    ref,
)

_HISTORY_START: Schema = {
    "description": 'A date "YYYY-MM-DD" or "all"',
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": ["all"]}],
}
_SETTINGS: dict[str, Schema] = {
    "sync_interval_minutes": {"type": "integer", "minimum": 0, "maximum": 10080},
    "history_start": _HISTORY_START,
    "confirm_binding": {
        "type": "boolean",
        "description": "Default true: the first Web Connector contact waits for Begin Sync; "
        "false binds the company file open at first contact",
    },
}
_PATCH_ONLY: dict[str, Schema] = {
    "sync_window": {**nullable(ref("SyncWindow")), "description": "null: any time"},
    "paused_until": {
        "description": "An instant with its UTC offset within a year, or null to resume",
        "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
    },
}
NOT_FOUND = error_response("No such company")
INVALID = error_response("Invalid input (the field is named in `error.field`)")

PATHS: dict[str, dict[str, Schema]] = {
    "/api/companies": {
        "get": {
            "operationId": "listCompanies",
            "summary": "Every company with its settings and status",
            "responses": {"200": json_response(page_of(ref("Company")))},
        },
        "post": {
            "operationId": "createCompany",
            "summary": "Create a company; the answer holds its Connector Key (shown only now)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            **obj({"name": {"type": "string", "minLength": 1}}, _SETTINGS),
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "201": json_response(ref("CompanyWithKey"), "Created"),
                "400": INVALID,
                "422": INVALID,
            },
        },
    },
    "/api/companies/{company_id}": {
        "get": {
            "operationId": "getCompany",
            "summary": "Settings and status: binding, last contact, sessions, errors, streams",
            "parameters": [COMPANY_ID],
            "responses": {"200": json_response(ref("CompanyStatus")), "404": NOT_FOUND},
        },
        "patch": {
            "operationId": "updateCompany",
            "summary": "Change settings",
            "parameters": [COMPANY_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string", "minLength": 1},
                                **_SETTINGS,
                                **_PATCH_ONLY,
                            },
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": json_response(ref("Company")),
                "400": INVALID,
                "404": NOT_FOUND,
                "422": INVALID,
            },
        },
    },
    "/api/companies/{company_id}/connector-key": {
        "post": {
            "operationId": "rotateConnectorKey",
            "summary": "Issue a new Connector Key; the old one and its sessions stop working",
            "parameters": [COMPANY_ID],
            "responses": {"200": json_response(ref("CompanyWithKey")), "404": NOT_FOUND},
        }
    },
    "/api/companies/{company_id}/binding": {
        "delete": {
            "operationId": "resetBinding",
            "summary": "Reject the company file waiting for confirmation, or forget the bound "
            "one; the next session reads the open file again",
            "parameters": [COMPANY_ID],
            "responses": {"200": json_response(ref("Company")), "404": NOT_FOUND},
        }
    },
    "/api/companies/{company_id}/binding/confirm": {
        "post": {
            "operationId": "confirmBinding",
            "summary": "Begin Sync: bind the company file waiting for confirmation; the next "
            "run syncs",
            "parameters": [COMPANY_ID],
            "responses": {
                "200": json_response(ref("Company")),
                "404": NOT_FOUND,
                "409": error_response("No company file is waiting, or one is bound already"),
            },
        }
    },
    "/api/companies/{company_id}/restore": {
        "post": {
            "operationId": "recordRestore",
            "summary": "The company file was restored from a backup: keep the date and "
            "reconcile every stream at the next run",
            "parameters": [COMPANY_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            **obj({"restored_on": {"type": "string", "format": "date"}}),
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "202": json_response(ref("Company"), "Accepted"),
                "400": INVALID,
                "404": NOT_FOUND,
                "422": INVALID,
            },
        }
    },
    "/api/companies/{company_id}/qwc": {
        "get": {
            "operationId": "getQwc",
            "summary": "The company's .qwc file (an attachment)",
            "parameters": [COMPANY_ID],
            "responses": {
                "200": {
                    "description": "The .qwc XML",
                    "content": {"application/x-qwc": {"schema": STR}},
                },
                "404": NOT_FOUND,
            },
        }
    },
    "/api/companies/{company_id}/sessions": {
        "get": {
            "operationId": "listSessions",
            "summary": "Recent QBWC sessions, newest first",
            "parameters": [
                COMPANY_ID,
                {
                    "name": "limit",
                    "in": "query",
                    "description": "At most this many (1-200; anything else is 422)",
                    "schema": {"type": "integer", "default": 50, "minimum": 1, "maximum": 200},
                },
            ],
            "responses": {
                "200": json_response(page_of(ref("Session"))),
                "404": NOT_FOUND,
                "422": INVALID,
            },
        }
    },
    "/api/companies/{company_id}/sessions/{session_id}": {
        "get": {
            "operationId": "getSession",
            "summary": "One QBWC session with its events and, when kept, its qbXML exchange",
            "parameters": [
                COMPANY_ID,
                {
                    "name": "session_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                {
                    "name": "bodies",
                    "in": "query",
                    "description": "false: the exchange without the qbXML texts",
                    "schema": {"type": "string", "enum": ["true", "false"], "default": "true"},
                },
            ],
            "responses": {
                "200": json_response(ref("SessionDetail")),
                "404": error_response("No such company, or no such session in it"),
                "422": INVALID,
            },
        }
    },
    "/api/companies/{company_id}/reconcile": {
        "post": {
            "operationId": "requestReconcile",
            "summary": "Compare every id with QuickBooks at the next run (after a restore)",
            "parameters": [COMPANY_ID],
            "responses": {
                "202": json_response(
                    obj({"reconcile_requested": {"type": "boolean"}, "streams": INT}), "Accepted"
                ),
                "404": NOT_FOUND,
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {"200": json_response({"type": "object"})},
        }
    },
}

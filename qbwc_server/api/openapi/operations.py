"""OpenAPI operations of api/operations.py (write-back)."""

from __future__ import annotations

from qbwc_server.api.openapi.components import (
    COMPANY_ID,
    OBJECT,
    OPERATION_STATES,
    OPERATION_TYPES,
    OPT_STR,
    Schema,
    error_response,
    json_response,
    obj,
    page_of,
    ref,
)

OP_ID: Schema = {
    "name": "op_id",
    "in": "path",
    "required": True,
    "description": "The operation's id",
    "schema": {"type": "integer", "minimum": 1},
}
NOT_FOUND = error_response("No such company or operation")
INVALID = error_response(
    "Invalid payload: every problem in `error.errors`, the first also in `error.field`"
)
CONFLICT = error_response("The operation's state does not allow this (or key reused)")

PATHS: dict[str, dict[str, Schema]] = {
    "/api/companies/{company_id}/operations": {
        "post": {
            "operationId": "queueOperation",
            "summary": "Queue a write into QuickBooks; the same idempotency_key returns the first",
            "parameters": [COMPANY_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": obj(
                            {
                                "type": {"type": "string", "enum": OPERATION_TYPES},
                                "idempotency_key": {"type": "string", "minLength": 1},
                                "payload": OBJECT,
                            }
                        )
                    }
                },
            },
            "responses": {
                "201": json_response(ref("Operation"), "Queued"),
                "200": json_response(ref("Operation"), "Already queued with this key"),
                "400": INVALID,
                "404": NOT_FOUND,
                "409": CONFLICT,
                "422": INVALID,
            },
        },
        "get": {
            "operationId": "listOperations",
            "summary": "Operations, newest first; next_cursor pages on",
            "parameters": [
                COMPANY_ID,
                {
                    "name": "state",
                    "in": "query",
                    "schema": {"type": "string", "enum": OPERATION_STATES},
                },
                {"name": "type", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                },
                {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": json_response(page_of(ref("Operation"), {"next_cursor": OPT_STR})),
                "404": NOT_FOUND,
                "422": INVALID,
            },
        },
    },
    "/api/companies/{company_id}/operations/{op_id}": {
        "get": {
            "operationId": "getOperation",
            "summary": "One operation",
            "parameters": [COMPANY_ID, OP_ID],
            "responses": {"200": json_response(ref("Operation")), "404": NOT_FOUND},
        }
    },
    "/api/companies/{company_id}/operations/{op_id}/retry": {
        "post": {
            "operationId": "retryOperation",
            "summary": "failed / needs_attention back into the queue",
            "parameters": [COMPANY_ID, OP_ID],
            "responses": {
                "200": json_response(ref("Operation")),
                "404": NOT_FOUND,
                "409": CONFLICT,
                "422": INVALID,
            },
        }
    },
    "/api/companies/{company_id}/operations/{op_id}/cancel": {
        "post": {
            "operationId": "cancelOperation",
            "summary": "queued / failed / needs_attention -> cancelled",
            "parameters": [COMPANY_ID, OP_ID],
            "responses": {
                "200": json_response(ref("Operation")),
                "404": NOT_FOUND,
                "409": CONFLICT,
            },
        }
    },
}

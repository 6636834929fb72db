"""Schemas shared by the API's operations (OpenAPI 3.1 / JSON Schema 2020-12)."""

from __future__ import annotations

from typing import Any

from qbwc_server.help.entry import KINDS, WHO
from qbwc_server.services.company_states import COMPANY_STATES

Schema = dict[str, Any]


def nullable(schema: Schema) -> Schema:
    """``schema`` or JSON null."""
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
OPT_STR = nullable(STR)
OPT_TIME = nullable(TIME)
OPT_INT = nullable(INT)
OBJECT: Schema = {"type": "object"}
ERROR_CODE: Schema = {"type": ["string", "integer", "null"]}  # a qbXML status or an HRESULT


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these properties (more may appear: clients must ignore unknown ones)."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


OPERATION_STATES = ["queued", "sent", "done", "failed", "needs_attention", "cancelled"]
OPERATION_TYPES = [
    "vendor.create",
    "vendor.update",
    "bill.create",
    "bill_payment.check.create",
    "bill_payment.credit_card.create",
]

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        {
            "error": obj(
                {"status": INT, "message": STR},
                {
                    "field": OPT_STR,
                    "errors": {
                        "type": "array",
                        "items": obj({"field": OPT_STR, "message": STR}),
                    },
                },
            )
        }
    ),
    "Company": obj(
        {
            "id": INT,
            "name": STR,
            "username": STR,
            "file_id": STR,
            "app_name": STR,
            "sync_interval_minutes": INT,
            "history_start": STR,
            "key_version": INT,
            "key_rotated_at": OPT_TIME,
            "created_at": OPT_TIME,
            "sync_window": nullable(ref("SyncWindow")),
            "paused_until": {**OPT_TIME, "description": "Sync paused until then; null: not"},
            "paused_at": OPT_TIME,
            "binding": obj(
                {
                    "bound": BOOL,
                    "bound_at": OPT_TIME,
                    "company_name": OPT_STR,
                    "file_path": OPT_STR,
                    "file_stamp": OPT_STR,
                    "product": OPT_STR,
                    "version": OPT_STR,
                    "confirm_binding": {
                        **BOOL,
                        "description": "The first contact waits for Begin Sync "
                        "(POST .../binding/confirm) instead of binding the open file",
                    },
                    "pending": nullable(ref("PendingBinding")),
                }
            ),
            "restore": nullable(
                obj(
                    {
                        "restored_on": {"type": "string", "format": "date"},
                        "recorded_at": OPT_TIME,
                        "reconcile_started_at": OPT_TIME,
                        "reconcile_pending": BOOL,
                    }
                )
            ),
            "quickbooks": obj(
                {
                    "product": OPT_STR,
                    "version": OPT_STR,
                    "country": OPT_STR,
                    "supported_qbxml_versions": {"type": "array", "items": STR},
                    "company_name": OPT_STR,
                    "file_path": OPT_STR,
                    "preferences": OBJECT,
                }
            ),
            "status": obj(
                {
                    "state": {"type": "string", "enum": list(COMPANY_STATES)},
                    "problem": nullable(ref("Problem")),
                    "connected": BOOL,
                    "last_contact_at": OPT_TIME,
                    "last_session_outcome": OPT_STR,
                    "last_error": OPT_STR,
                    "last_error_at": OPT_TIME,
                    "last_sync": OPT_TIME,
                    "last_complete_sync_at": OPT_TIME,
                    "first_sync_completed_at": OPT_TIME,
                    "next_sync": OPT_TIME,
                    "next_sync_due_at": OPT_TIME,
                    "sync_in_progress": BOOL,
                },
                {
                    "progress": nullable(ref("Progress")),
                    "connectors": {"type": "array", "items": ref("Connector")},
                },
            ),
        }
    ),
    "SyncWindow": {
        **obj(
            {
                "start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                "end": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                "timezone": {**STR, "description": 'An IANA time zone: "America/New_York"'},
            }
        ),
        "additionalProperties": False,
        "description": "Hours (end before start spans midnight) in which the historical "
        "transaction windows run; list and incremental passes and write-back run any time",
    },
    "PendingBinding": obj(
        {
            "company_name": OPT_STR,
            "file_path": OPT_STR,
            "file_stamp": OPT_STR,
            "product": OPT_STR,
            "version": OPT_STR,
            "machine_name": OPT_STR,
            "vendor_count": OPT_INT,
            "bill_count": OPT_INT,
            "seen_at": OPT_TIME,
        }
    ),
    "Problem": obj(
        {
            "code": STR,
            "kind": {"type": "string", "enum": list(KINDS)},
            "title": STR,
            "cause": STR,
            "steps": {"type": "array", "items": STR},
            "who": {"type": "string", "enum": list(WHO)},
            "since": OPT_TIME,
            "detail": OPT_STR,
            "needs_attention": BOOL,
        }
    ),
    "Progress": obj(
        {
            "stage": {**STR, "description": 'In words: "Historical bills 2019\u20132021"'},
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "eta_seconds": {**OPT_INT, "description": "Null until a rate was measured"},
            "first_sync": BOOL,
            "records_per_second": nullable({"type": "number"}),
        }
    ),
    "Connector": obj(
        {
            "id": INT,
            "remote_addr": STR,
            "machine_name": OPT_STR,
            "client_version": OPT_STR,
            "first_seen_at": TIME,
            "last_seen_at": TIME,
            "last_sync_at": OPT_TIME,
            "holds_sync": BOOL,
        }
    ),
    "CompanyWithKey": {
        "allOf": [ref("Company"), obj({"connector_key": STR})],
        "description": "The Connector Key is shown only in this answer; the server keeps a hash.",
    },
    "Session": obj(
        {
            "id": INT,
            "started_at": TIME,
            "ended_at": OPT_TIME,
            "outcome": STR,
            "calls": INT,
            "requests_sent": INT,
            "client_version": OPT_STR,
            "remote_addr": OPT_STR,
            "company_file_path": OPT_STR,
            "qbxml_version": OPT_STR,
            "progress": INT,
            "last_error": OPT_STR,
            "hresults": {"type": "array", "items": obj({"hresult": STR}, {"message": STR})},
        }
    ),
    "AuditEntry": obj(
        {
            "at": TIME,
            "method": STR,
            "duration_ms": INT,
            "request_id": OPT_STR,
            "hresult": OPT_STR,
            "message": OPT_STR,
            "result": OPT_STR,
            "error": BOOL,
            "request_bytes": INT,
            "response_bytes": INT,
        },
        {
            "request": {**OPT_STR, "description": "qbXML the server sent (redacted)"},
            "response": {**OPT_STR, "description": "What QuickBooks answered (redacted)"},
        },
    ),
    "SessionDetail": {
        "allOf": [
            ref("Session"),
            obj(
                {
                    "company_id": OPT_INT,
                    "events": {
                        "type": "array",
                        "items": obj({"at": TIME, "kind": STR, "code": OPT_STR, "message": STR}),
                    },
                    "audit": obj(
                        {
                            "mode": {"type": "string", "enum": ["off", "errors", "all"]},
                            "kept": BOOL,
                            "reason": OPT_STR,
                        }
                    ),
                    "exchange": nullable({"type": "array", "items": ref("AuditEntry")}),
                }
            ),
        ]
    },
    "SessionEvent": obj(
        {
            "at": TIME,
            "session_id": INT,
            "kind": STR,
            "code": OPT_STR,
            "message": STR,
            "request": OPT_STR,
        }
    ),
    "Stream": obj(
        {"name": STR, "mode": STR},
        {
            "records": OPT_INT,
            "watermark": OPT_STR,
            "last_page_at": OPT_TIME,
            "passes_completed": INT,
            "estimated_remaining": INT,
            "skipped_reason": OPT_STR,
            "last_error": OPT_STR,
            "retry_after": OPT_TIME,
        },
    ),
    "OperationsSummary": {
        "type": "object",
        "required": [*OPERATION_STATES, "oldest_waiting"],
        "properties": {
            **{state: INT for state in OPERATION_STATES},
            "oldest_waiting": nullable(
                obj(
                    {
                        "id": INT,
                        "type": STR,
                        "state": STR,
                        "created_at": OPT_TIME,
                        "waiting_seconds": INT,
                        "error": OPT_STR,
                    }
                )
            ),
        },
    },
    "CompanyStatus": {
        "allOf": [
            ref("Company"),
            obj(
                {
                    "recent_sessions": {"type": "array", "items": ref("Session")},
                    "recent_errors": {"type": "array", "items": ref("SessionEvent")},
                    "streams": {"type": "array", "items": ref("Stream")},
                    "record_counts": {"type": "object", "additionalProperties": INT},
                    "operations": ref("OperationsSummary"),
                }
            ),
        ]
    },
    "Operation": obj(
        {
            "id": INT,
            "company_id": INT,
            "type": {"type": "string", "enum": OPERATION_TYPES},
            "idempotency_key": STR,
            "state": {"type": "string", "enum": OPERATION_STATES},
            "attempts": INT,
            "error": nullable(
                obj({"message": OPT_STR}, {"code": {"type": ["string", "integer", "null"]}})
            ),
            "result": nullable(OBJECT),
            "payload": OBJECT,
            "depends_on": {"type": "array", "items": INT},
            "external_guid": OPT_STR,
            "created_at": OPT_TIME,
            "updated_at": OPT_TIME,
            "sent_at": OPT_TIME,
            "completed_at": OPT_TIME,
            "next_attempt_at": OPT_TIME,
        }
    ),
    "Record": {
        "type": "object",
        "description": "A synced record: its typed fields in snake_case (list_id or txn_id, "
        "edit_sequence, time_modified, ...), lines, links, and `qb`, the complete record as "
        "QuickBooks returned it.",
        "properties": {"qb": OBJECT, "deleted": BOOL},
    },
    "Change": obj(
        {
            "seq": INT,
            "type": STR,
            "id": STR,
            "op": STR,
            "edit_sequence": OPT_STR,
            "at": TIME,
        }
    ),
}

# Answers every operation may give (JSON error body).
ERROR_RESPONSES: dict[str, str] = {
    "400": "A query parameter holds a control character, or the body is not acceptable JSON "
    "(`error.field` names it)",
    "401": "Missing or wrong admin token, or the API is disabled (no QBWC_ADMIN_TOKEN)",
    "403": "Signed-in browser without the CSRF token, or from another origin (README Security)",
    "408": "The request body did not arrive within QBWC_CLIENT_TIMEOUT_SECONDS",
    "413": "Request body over 1 MiB",
    "415": "Request body that is not `application/json` (UTF-8)",
    "429": "Too many wrong admin tokens from this client; `Retry-After` says when to try again",
}


def error_response(description: str) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error")}},
    }


def json_response(schema: Schema, description: str = "OK") -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def page_of(item: Schema, extra: dict[str, Schema] | None = None) -> Schema:
    return obj({"data": {"type": "array", "items": item}, **(extra or {})})


COMPANY_ID: Schema = {
    "name": "company_id",
    "in": "path",
    "required": True,
    "description": "The company's id",
    "schema": {"type": "integer", "minimum": 1},
}

"""Operations for the API and the CLI: queue (idempotent), read, list, retry, cancel, summarise.

Idempotency: the key is unique per company. The same key again returns the first operation
when the type and payload are the same (compared as canonical JSON), and is a conflict when
they differ — never a second operation. A concurrent duplicate loses the unique constraint and
is answered with the winner.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Company, Operation, utcnow
from qbwc_server.services.errors import Conflict, Invalid, NotFound, refuse_unknown_fields
from qbwc_server.services.ids import row_id, shown
from qbwc_server.writeback import queue
from qbwc_server.writeback.catalog import (
    CANCELLED,
    DONE,
    FAILED,
    NEEDS_ATTENTION,
    QUEUED,
    SENT,
    STATES,
    STEP_LOOKUP,
    STEP_RECOVER,
)
from qbwc_server.writeback.kinds import KINDS
from qbwc_server.writeback.validation import validate_operation

MAX_KEY_LENGTH = 200
LIST_LIMIT_MAX = 500


@dataclass(frozen=True)
class Queued:
    operation: Operation
    created: bool  # False: an earlier operation with the same idempotency key


def payload_hash(op_type: str, payload: Any) -> str:
    canonical = json.dumps(
        {"type": op_type, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _by_key(session: Session, company_id: int, key: str) -> Operation | None:
    return session.scalars(
        select(Operation).where(
            Operation.company_id == company_id, Operation.idempotency_key == key
        )
    ).first()


def _same_request(existing: Operation, digest: str) -> Queued:
    if existing.payload_hash != digest:
        raise Conflict(
            f"idempotency_key {existing.idempotency_key!r} was already used for operation "
            f"{existing.id} with a different type or payload",
            field="idempotency_key",
        )
    return Queued(existing, created=False)


def queue_operation(session: Session, company: Company, body: Any) -> Queued:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    refuse_unknown_fields(body, {"type", "idempotency_key", "payload"})
    key = body.get("idempotency_key")
    if not isinstance(key, str) or not key.strip():
        raise Invalid("idempotency_key is required (a string)", field="idempotency_key")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            f"idempotency_key must be 1..{MAX_KEY_LENGTH} printable characters",
            field="idempotency_key",
        )
    op_type = body.get("type")
    payload = body.get("payload")
    digest = payload_hash(str(op_type), payload)
    existing = _by_key(session, company.id, key)
    if existing is not None:
        return _same_request(existing, digest)
    validated = validate_operation(session, company.id, op_type, payload)
    assert isinstance(op_type, str) and isinstance(payload, dict)
    now = utcnow()
    op = Operation(
        company_id=company.id,
        type=op_type,
        idempotency_key=key,
        payload=payload,
        payload_hash=digest,
        resolved=validated.resolved,
        depends_on=validated.depends_on,
        state=QUEUED,
        attempts=0,
        recovery_attempts=0,
        conflict_retries=0,
        external_guid="{" + str(uuid.uuid4()).upper() + "}",
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(op)
            session.flush()
    except IntegrityError:
        # Another request with the same key committed first.
        existing = _by_key(session, company.id, key)
        if existing is None:
            raise
        return _same_request(existing, digest)
    return Queued(op, created=True)


def get_operation(
    session: Session, op_id: Any, company_id: int | None = None, *, for_update: bool = False
) -> Operation:
    oid = row_id(op_id)
    if oid is None:
        raise NotFound(f"no operation with id {shown(op_id)}", field="op_id")
    stmt = select(Operation).where(Operation.id == oid)
    if company_id is not None:
        stmt = stmt.where(Operation.company_id == company_id)
    if for_update:
        stmt = stmt.with_for_update()
    op = session.scalars(stmt).first()
    if op is None:
        raise NotFound(
            f"no operation {oid}" + (" in this company" if company_id else ""), field="op_id"
        )
    return op


def list_operations(
    session: Session,
    company_id: int,
    *,
    state: str | None = None,
    op_type: str | None = None,
    limit: int = 100,
    before: int | None = None,
) -> list[Operation]:
    """Newest first; ``before`` (an id) pages on."""
    if state is not None and state not in STATES:
        raise Invalid(f"state must be one of {', '.join(STATES)}", field="state")
    if op_type is not None and op_type not in KINDS:
        raise Invalid(f"type must be one of {', '.join(KINDS)}", field="type")
    limit = max(1, min(LIST_LIMIT_MAX, limit))
    stmt = select(Operation).where(Operation.company_id == company_id)
    if state is not None:
        stmt = stmt.where(Operation.state == state)
    if op_type is not None:
        stmt = stmt.where(Operation.type == op_type)
    if before is not None:
        stmt = stmt.where(Operation.id < before)
    return list(session.scalars(stmt.order_by(Operation.id.desc()).limit(limit)))


def _outcome_unknown(op: Operation) -> bool:
    return op.state == SENT or (
        op.state == NEEDS_ATTENTION and op.step in (STEP_RECOVER, STEP_LOOKUP)
    )


def retry_operation(session: Session, op_id: Any) -> Operation:
    """failed / needs_attention → back in the queue with a fresh retry budget. The payload is
    validated again (a reference may have been fixed, or may be gone). An operation whose
    outcome was never found out goes back to ``sent``: the server settles it before anything
    is sent again."""
    op = get_operation(session, op_id, for_update=True)
    if op.state not in (FAILED, NEEDS_ATTENTION):
        raise Conflict(
            f"operation {op.id} is {op.state}; only failed or needs_attention operations can be "
            "retried"
        )
    for dep in queue.dependencies(session, op):
        if dep.state in (FAILED, CANCELLED):
            raise Conflict(
                f"operation {op.id} depends on operation {dep.id}, which is {dep.state}; "
                f"retry operation {dep.id} first"
            )
    unknown = _outcome_unknown(op)
    validated = validate_operation(session, op.company_id, op.type, op.payload)
    now = utcnow()
    values: dict[str, Any] = {
        "state": SENT if unknown else QUEUED,
        "step": op.step if unknown else None,
        "attempts": 0 if not unknown else op.attempts,
        "recovery_attempts": 0,
        "conflict_retries": 0,
        "not_before": None,
        "leased_by": None,
        "lease_expires_at": None,
        "completed_at": None,
        "resolved": validated.resolved,
        "depends_on": validated.depends_on,
        "updated_at": now,
    }
    changed = session.execute(
        update(Operation)
        .where(Operation.id == op.id, Operation.state == op.state)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise Conflict(f"operation {op.id} changed meanwhile; look at it again")
    session.refresh(op)
    return op


def cancel_operation(session: Session, op_id: Any) -> Operation:
    """queued / failed / needs_attention → cancelled (and what depends on it fails). Not when it
    may already be in QuickBooks (sent, or needs_attention with an unknown outcome)."""
    op = get_operation(session, op_id, for_update=True)
    if op.state in (DONE, CANCELLED):
        raise Conflict(f"operation {op.id} is already {op.state}")
    if _outcome_unknown(op):
        raise Conflict(
            f"operation {op.id} was sent to QuickBooks and its outcome is not known yet; it "
            "cannot be cancelled (it may already be in QuickBooks). Retry it so the server can "
            "find out."
        )
    now = utcnow()
    changed = session.execute(
        update(Operation)
        .where(Operation.id == op.id, Operation.state == op.state)
        .values(
            state=CANCELLED,
            step=None,
            leased_by=None,
            lease_expires_at=None,
            completed_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise Conflict(f"operation {op.id} changed meanwhile (it may have been sent); look again")
    session.refresh(op)
    queue.fail_dependents(session, op)
    return op


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def operation_view(op: Operation) -> dict[str, Any]:
    error = None
    if op.error_message or op.error_code:
        code: Any = op.error_code
        if code is not None and code.lstrip("-").isdigit():
            code = int(code)
        error = {"message": op.error_message, "code": code}
    return {
        "id": op.id,
        "company_id": op.company_id,
        "type": op.type,
        "idempotency_key": op.idempotency_key,
        "state": op.state,
        "attempts": op.attempts,
        "error": error,
        "result": op.result,
        "payload": op.payload,
        "depends_on": list(op.depends_on or []),
        "external_guid": op.external_guid,
        "created_at": _iso(op.created_at),
        "updated_at": _iso(op.updated_at),
        "sent_at": _iso(op.sent_at),
        "completed_at": _iso(op.completed_at),
        "next_attempt_at": _iso(op.not_before),
    }


def operations_summary(session: Session, company_id: int) -> dict[str, Any]:
    """Counts per state and the oldest operation still waiting (for the company status)."""
    counts = {state: 0 for state in STATES}
    rows = session.execute(
        select(Operation.state, func.count())
        .where(Operation.company_id == company_id)
        .group_by(Operation.state)
    )
    for state, n in rows:
        counts[str(state)] = int(n)
    oldest = session.scalars(
        select(Operation)
        .where(Operation.company_id == company_id, Operation.state.in_((QUEUED, SENT)))
        .order_by(Operation.created_at, Operation.id)
        .limit(1)
    ).first()
    waiting = None
    if oldest is not None:
        waiting = {
            "id": oldest.id,
            "type": oldest.type,
            "state": oldest.state,
            "created_at": _iso(oldest.created_at),
            "waiting_seconds": max(0, int((utcnow() - oldest.created_at).total_seconds())),
            "error": oldest.error_message,
        }
    return {**counts, "oldest_waiting": waiting}

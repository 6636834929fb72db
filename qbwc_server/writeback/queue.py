"""The operation queue's state machine: leases, dependencies, transitions.

Leases (architecture: "Leases (with expiry) ... on queued write-backs"): an operation is driven by
one QBWC session at a time. ``leased_by`` holds the ``qbwc_sessions.id`` and the lease lapses
``QBWC_SYNC_LEASE_SECONDS`` after its last renewal, or as soon as that session has ended. It is
taken with one conditional UPDATE (atomic on PostgreSQL and SQLite) and candidate rows are read
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two Web Connectors or two workers never drive
the same operation. The company's sync lease already lets one session at a time talk to
QuickBooks; the operation lease holds even if that lease lapses under a slow session.

Every transition a person can cause (retry, cancel) is also a conditional UPDATE on the state the
operation had, so it cannot overwrite a session that just sent it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from models import Operation, QbwcSession, utcnow
from qbwc_server.writeback.catalog import (
    CANCELLED,
    DONE,
    FAILED,
    NEEDS_ATTENTION,
    OPEN_STATES,
    QUEUED,
    SENT,
    STEP_LOOKUP,
    STEP_RECOVER,
)

BATCH = 200  # queued operations looked at per query


def sent_operations(session: Session, company_id: int) -> list[Operation]:
    """Operations whose outcome is not known yet, oldest first (creation order is a valid
    dependency order: an operation can only refer to one that existed before it)."""
    stmt = (
        select(Operation)
        .where(Operation.company_id == company_id, Operation.state == SENT)
        .order_by(Operation.id)
    )
    return list(session.scalars(stmt))


def due_queued(
    session: Session, company_id: int, now: datetime, *, lock: bool = False
) -> Iterator[Operation]:
    """Queued operations whose retry time has come, oldest first, read in batches (a queue of
    thousands of bills is never loaded whole)."""
    after = 0
    while True:
        stmt = (
            select(Operation)
            .where(
                Operation.company_id == company_id,
                Operation.state == QUEUED,
                Operation.id > after,
                or_(Operation.not_before.is_(None), Operation.not_before <= now),
            )
            .order_by(Operation.id)
            .limit(BATCH)
        )
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        batch = list(session.scalars(stmt))
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].id


def count_open(session: Session, company_id: int, exclude: Iterable[int] = ()) -> int:
    stmt = (
        select(func.count())
        .select_from(Operation)
        .where(Operation.company_id == company_id, Operation.state.in_(OPEN_STATES))
    )
    skip = sorted(set(exclude))
    if skip:
        stmt = stmt.where(Operation.id.not_in(skip))
    return int(session.scalar(stmt) or 0)


def _ended_sessions() -> Any:
    return select(QbwcSession.id).where(QbwcSession.ended_at.is_not(None))


def lease_free(session: Session, op: Operation, holder: int | None, now: datetime) -> bool:
    if op.leased_by is None or op.leased_by == holder:
        return True
    if op.lease_expires_at is None or op.lease_expires_at <= now:
        return True
    other = session.get(QbwcSession, op.leased_by)
    return other is None or other.ended_at is not None


def take_lease(session: Session, op: Operation, holder: int, seconds: int) -> bool:
    """Atomically lease ``op`` (in the state it has now) for session ``holder``."""
    now = utcnow()
    session.flush()
    result = session.execute(
        update(Operation)
        .where(Operation.id == op.id, Operation.state == op.state)
        .where(
            or_(
                Operation.leased_by.is_(None),
                Operation.leased_by == holder,
                Operation.lease_expires_at.is_(None),
                Operation.lease_expires_at <= now,
                Operation.leased_by.in_(_ended_sessions()),
            )
        )
        .values(leased_by=holder, lease_expires_at=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    session.refresh(op)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def dependencies(session: Session, op: Operation) -> list[Operation]:
    found = [session.get(Operation, dep) for dep in op.depends_on or []]
    return [d for d in found if d is not None]


def blocked_by(session: Session, op: Operation) -> Operation | None:
    """A dependency that failed or was cancelled: ``op`` can never go."""
    for dep in dependencies(session, op):
        if dep.state in (FAILED, CANCELLED):
            return dep
    return None


def dependencies_done(session: Session, op: Operation) -> bool:
    return all(dep.state == DONE for dep in dependencies(session, op))


def deliverable_now(session: Session, op: Operation, now: datetime) -> bool:
    """Something the next QBWC session can do for ``op`` right away."""
    if op.state not in (SENT, QUEUED) or not lease_free(session, op, None, now):
        return False
    if op.state == SENT:
        return True
    if op.state != QUEUED:
        return False
    if op.not_before is not None and op.not_before > now:
        return False
    return dependencies_done(session, op)


def has_pending_work(session: Session, company_id: int) -> bool:
    now = utcnow()
    if any(lease_free(session, op, None, now) for op in sent_operations(session, company_id)):
        return True
    return any(deliverable_now(session, op, now) for op in due_queued(session, company_id, now))


def set_error(op: Operation, message: str | None, code: str | int | None) -> None:
    op.error_message = message[:4000] if message else None
    op.error_code = str(code)[:40] if code is not None and code != "" else None


def finish(
    session: Session,
    op: Operation,
    state: str,
    *,
    message: str | None = None,
    code: str | int | None = None,
    result: dict[str, Any] | None = None,
    step: str | None = None,
) -> None:
    """Move ``op`` to a resting state (done/failed/needs_attention) and release its lease."""
    now = utcnow()
    op.state = state
    op.step = step
    op.leased_by = None
    op.lease_expires_at = None
    op.not_before = None
    op.updated_at = now
    if result is not None:
        op.result = result
    if state == DONE:
        set_error(op, None, None)
        op.completed_at = now
    else:
        set_error(op, message, code)
        if state == FAILED:
            op.completed_at = now
    if state in (FAILED, CANCELLED):
        fail_dependents(session, op)


def fail_dependents(session: Session, op: Operation) -> list[Operation]:
    """Operations waiting for ``op`` can never go once it failed or was cancelled."""
    failed: list[Operation] = []
    pending = [op]
    while pending:
        current = pending.pop()
        for other in _waiting_on(session, current.company_id, current.id):
            what = "was cancelled" if current.state == CANCELLED else "failed"
            finish(
                session,
                other,
                FAILED,
                message=(
                    f"Not sent: operation {current.id} ({current.type}) it depends on {what}. "
                    f"Retry operation {current.id} first, then this one."
                ),
            )
            failed.append(other)
            pending.append(other)
    return failed


def _waiting_on(session: Session, company_id: int, op_id: int) -> Iterable[Operation]:
    stmt = select(Operation).where(
        Operation.company_id == company_id, Operation.state.in_((QUEUED, NEEDS_ATTENTION))
    )
    for other in session.scalars(stmt):
        # One whose outcome is unknown (it may be in QuickBooks) is never failed from here.
        if op_id in (other.depends_on or []) and other.step not in (STEP_RECOVER, STEP_LOOKUP):
            yield other

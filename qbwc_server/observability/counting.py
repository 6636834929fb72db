"""Counting things that happen inside a database transaction only once it commits.

A SOAP call that stores a page of records and then fails rolls everything back; counting the
records as stored would make ``qbwc_records_stored_total`` lie. So the code that stores, ends a
session or meets an error registers the count on its SQLAlchemy session; it is applied to the
Prometheus counters after the commit and dropped on rollback.

Session outcomes need no call at all: a listener on ``QbwcSession.outcome`` counts each session
once, when its outcome first leaves ``in_progress`` (the engine sets it in one place per way a
session can end).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from models import QbwcSession

_KEY = "qbwc_after_commit_counts"
OPEN_OUTCOMES = frozenset({None, "", "in_progress"})


def after_commit(session: Session, apply: Callable[[], None]) -> None:
    """Run ``apply`` (a metric increment) once ``session``'s transaction has committed."""
    session.info.setdefault(_KEY, []).append(apply)


def records_stored(session: Session, type_name: str, count: int) -> None:
    """``count`` synced records of ``type_name`` were inserted or changed in this transaction."""
    if count <= 0:
        return

    def apply() -> None:
        from qbwc_server.observability.metrics import RECORDS_STORED

        RECORDS_STORED.labels(type=type_name).inc(count)

    after_commit(session, apply)


def session_ended(session: Session, outcome: str) -> None:
    """A QBWC session without a ``qbwc_sessions`` row ended (``nvu``, ``throttled``, ``none``):
    counted in ``qbwc_sessions_total{outcome}`` once the transaction commits."""
    after_commit(session, _session_ended(outcome))


def _session_ended(outcome: str) -> Callable[[], None]:
    return lambda: count_session_ended(outcome)


def count_session_ended(outcome: str) -> None:
    """``qbwc_sessions_total{outcome}`` now: for an answer made without a transaction."""
    from qbwc_server.observability.metrics import SESSIONS

    SESSIONS.labels(outcome=outcome[:40]).inc()


@event.listens_for(QbwcSession.outcome, "set", active_history=True)
def _outcome_set(target: QbwcSession, value: Any, oldvalue: Any, _initiator: Any) -> None:
    if value in OPEN_OUTCOMES or (isinstance(oldvalue, str) and oldvalue not in OPEN_OUTCOMES):
        return  # still open, or a session already counted being re-labelled
    from sqlalchemy.orm import object_session

    session = object_session(target)
    if session is not None:
        after_commit(session, _session_ended(str(value)))


@event.listens_for(Session, "after_commit")
def _apply(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    for apply in pending or ():
        apply()


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction: Any) -> None:
    # Only the outermost transaction's rollback loses the counts: a savepoint rolled back
    # inside a SOAP call (one failed record) leaves the rest of the call's work to commit.
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)

"""How much of a stream is left to fetch: what the session's progress and the status show.

Estimated from real counts: iteratorRemainingCount of the window in flight, and for a first
(historical) pass the density of what has been seen so far times the date span still ahead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, StreamCursor
from qbwc_server.records.types import DECLARED, RECORD_TYPES
from qbwc_server.sync import windows
from qbwc_server.sync.windows import Window


def history_start(company: Company) -> str | None:
    """The first TxnDate the company syncs, or None for all of its history."""
    start = company.history_start
    return None if start == "all" else start


def estimate_remaining(name: str, cursor: StreamCursor | None, history_start: str | None) -> float:
    """Records still to fetch for stream ``name`` (0 for the deletion sweeps and the other
    steps: each is one request). ``history_start``: the company's, None for "all"."""
    rt = RECORD_TYPES.get(name)
    if cursor is None or rt is None or cursor.phase == "skipped":
        return 0.0
    in_window = 0.0
    if cursor.window_total is not None:
        in_window = max(0, cursor.window_total - cursor.window_records)
    if cursor.pass_kind == "incremental" or cursor.phase == "incremental":
        return in_window
    if not rt.iterator:
        return in_window
    # Historical: density of what has been seen so far times the span still ahead.
    axis = windows.axis_of(rt.is_list)
    ahead = windows.remaining_span_seconds(
        axis, Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds)
    )
    return in_window + _density(cursor, history_start) * ahead


def _density(cursor: StreamCursor, history_start: str | None) -> float:
    """Records per second of the window axis seen so far in this first pass."""
    if cursor.window_from is None or cursor.records_seen <= 0:
        return 0.0
    start_text = history_start or cursor.window_from
    try:
        start = datetime.fromisoformat(start_text[:19])
        current = datetime.fromisoformat(cursor.window_from[:19])
    except ValueError:
        return 0.0
    covered = max(windows.DAY, (current - start).total_seconds())
    return cursor.records_seen / covered


def first_sync_finished(session: Session, company_id: int) -> bool:
    """Every declared record type has finished its first (initial / historical) pass, or the
    company file cannot serve it (skipped)."""
    phases = dict(
        session.execute(
            select(StreamCursor.stream, StreamCursor.phase).where(
                StreamCursor.company_id == company_id
            )
        ).all()
    )
    return all(phases.get(rt.name, "initial") != "initial" for rt in DECLARED)

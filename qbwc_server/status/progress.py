"""How far the sync has come, and how long it still takes: ``status.progress``.

While a company is ``Syncing``: ``stage`` (what is being read, in words), ``percent`` and
``eta_seconds``. During the first sync the percentage is records read versus records read plus
what is known to remain (the same estimate the Web Connector's progress bar uses:
``sync/progress.py``, plus one unit per stream not finished); afterwards it is the running
session's own percentage. ``eta_seconds`` is what remains divided by the measured rate: records
per second of the running session, or of the last session that read records; None until a rate
has been measured.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, QbwcSession, StreamCursor, Ticket
from qbwc_server.records.types import DECLARED
from qbwc_server.services import sync_schedule
from qbwc_server.services.company_states import SYNCING, lease_live
from qbwc_server.status.words import WRITING, stage_words
from qbwc_server.sync.progress import estimate_remaining, history_start

RATE_SESSIONS = 5  # finished sessions looked at for a measured rate
MIN_RATE_SECONDS = 1.0


def working_session(session: Session, company: Company, now: datetime) -> QbwcSession | None:
    """The QBWC session holding the company's sync lease right now."""
    if not lease_live(company, now):
        return None
    return session.scalars(
        select(QbwcSession)
        .join(Ticket, Ticket.session_id == QbwcSession.id)
        .where(Ticket.ticket == company.lease_ticket)
    ).first()


def _sync_state(row: QbwcSession) -> dict[str, Any]:
    state = row.state if isinstance(row.state, dict) else {}
    sync = state.get("sync")
    return sync if isinstance(sync, dict) else {}


def _rate(row: QbwcSession, until: datetime) -> float | None:
    """Records per second a session read, from its own count and start."""
    sync = _sync_state(row)
    processed = int(sync.get("processed") or 0)
    started = sync.get("started_at")
    if processed <= 0 or not isinstance(started, str):
        return None
    try:
        seconds = (until - datetime.fromisoformat(started)).total_seconds()
    except ValueError:
        return None
    return processed / seconds if seconds >= MIN_RATE_SECONDS else None


def measured_rate(
    session: Session, company: Company, live: QbwcSession | None, now: datetime
) -> float | None:
    if live is not None:
        rate = _rate(live, now)
        if rate is not None:
            return rate
    recent = session.scalars(
        select(QbwcSession)
        .where(QbwcSession.company_id == company.id, QbwcSession.ended_at.is_not(None))
        .where(QbwcSession.outcome.in_(("completed", "incomplete", "connection_error", "busy")))
        .order_by(QbwcSession.id.desc())
        .limit(RATE_SESSIONS)
    )
    for row in recent:
        assert row.ended_at is not None
        rate = _rate(row, row.ended_at)
        if rate is not None:
            return rate
    return None


def _first_sync_counts(
    cursors: dict[str, StreamCursor], start: str | None
) -> tuple[float, float, str | None]:
    """Records read, records (and streams) known to remain, and the first unfinished stream."""
    done = 0.0
    remaining = 0.0
    next_stream: str | None = None
    for rt in DECLARED:
        cursor = cursors.get(rt.name)
        if cursor is not None:
            done += cursor.records_seen
        if cursor is not None and cursor.phase != "initial":
            continue
        remaining += estimate_remaining(rt.name, cursor, start) + 1
        next_stream = next_stream or rt.name
    return done, remaining, next_stream


def _session_remaining(
    sync: dict[str, Any], cursors: dict[str, StreamCursor], start: str | None
) -> float:
    queue = sync.get("queue")
    names = [str(n) for n in queue] if isinstance(queue, list) else []
    return sum(estimate_remaining(n, cursors.get(n), start) for n in names) + len(names)


def sync_progress(
    session: Session,
    company: Company,
    state: str,
    cursors: dict[str, StreamCursor],
    now: datetime,
) -> dict[str, Any] | None:
    """``{stage, percent, eta_seconds, first_sync}`` while the company is Syncing, else None."""
    if state != SYNCING:
        return None
    start = history_start(company)
    live = working_session(session, company, now)
    sync = _sync_state(live) if live is not None else {}
    first_sync = company.first_sync_completed_at is None
    if first_sync:
        done, remaining, next_stream = _first_sync_counts(cursors, start)
        total = done + remaining
        percent = min(99, int(100 * done / total)) if total > 0 else 0
    else:
        remaining = _session_remaining(sync, cursors, start)
        next_stream = None
        percent = min(99, int(live.progress or 0)) if live is not None else 0
    stage = _stage(live, sync, cursors, start, next_stream, now)
    rate = measured_rate(session, company, live, now)
    eta = int(remaining / rate) if rate and remaining > 0 else (0 if remaining <= 0 else None)
    waiting = _window_wait(company, live, first_sync)
    if waiting is not None:
        stage, eta = waiting, None  # how long depends on when the window opens, not the rate
    return {
        "stage": stage,
        "percent": percent,
        "eta_seconds": eta,
        "first_sync": first_sync,
        "records_per_second": round(rate, 2) if rate else None,
    }


def _window_wait(company: Company, live: QbwcSession | None, first_sync: bool) -> str | None:
    """The stage while the first sync waits for its sync window (services/sync_schedule.py):
    no session is reading and the historical windows may not run now."""
    window = company.sync_window
    if live is not None or not first_sync or not window:
        return None
    opens = sync_schedule.next_opening(window)
    if opens is None:
        return None
    local = opens.astimezone(sync_schedule.zone(window["timezone"]))
    return (
        "Historical sync waits for the sync window: it continues at "
        f"{local:%H:%M} {window['timezone']}"
    )


def _stage(
    live: QbwcSession | None,
    sync: dict[str, Any],
    cursors: dict[str, StreamCursor],
    start: str | None,
    next_stream: str | None,
    now: datetime,
) -> str:
    if live is not None:
        state = live.state if isinstance(live.state, dict) else {}
        pending = state.get("pending")
        if isinstance(pending, dict) and pending.get("kind") == "write":
            return WRITING
        queue = sync.get("queue")
        if isinstance(queue, list) and queue:
            name = str(queue[0])
            return stage_words(name, cursors.get(name), start, now.year)
        if not state.get("verified"):
            return "Starting: checking the company file"
    if next_stream is not None:
        return stage_words(next_stream, cursors.get(next_stream), start, now.year)
    return "Finishing"

"""Per stream: where its sync stands, what it holds and what is left (``streams`` of the
company status)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import Company
from qbwc_server.records.read import record_counts
from qbwc_server.records.types import DECLARED, RECORD_TYPES
from qbwc_server.sync.cursors import load_cursors
from qbwc_server.sync.progress import estimate_remaining, history_start
from qbwc_server.sync.steps import DELETION_STREAMS


def _mode(name: str, phase: str | None) -> str:
    if phase is None:
        return "not started"
    if phase != "initial" or name in DELETION_STREAMS:
        return phase
    return "historical" if name in RECORD_TYPES and not RECORD_TYPES[name].is_list else "initial"


def stream_status(session: Session, company: Company) -> list[dict[str, Any]]:
    """Per stream: its mode, records held, watermark, window, what is left, errors."""
    cursors = load_cursors(session, company.id)
    counts = record_counts(session, company.id)
    start = history_start(company)
    out: list[dict[str, Any]] = []
    for name in [rt.name for rt in DECLARED] + list(DELETION_STREAMS):
        cursor = cursors.get(name)
        remaining = estimate_remaining(name, cursor, start) if cursor else None
        out.append(
            {
                "name": name,
                "mode": _mode(name, cursor.phase if cursor else None),
                "records": counts.get(name) if name in RECORD_TYPES else None,
                "watermark": cursor.watermark if cursor else None,
                "window": [cursor.window_from, cursor.window_to] if cursor else None,
                "last_page_at": _iso(cursor.last_page_at) if cursor else None,
                "passes_completed": cursor.passes_completed if cursor else 0,
                "estimated_remaining": int(remaining) if remaining else 0,
                "skipped_reason": cursor.skipped_reason if cursor else None,
                "last_error": cursor.last_error if cursor else None,
                "retry_after": _iso(cursor.retry_after) if cursor else None,
            }
        )
    return out


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None

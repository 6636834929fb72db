"""Reading the QBWC session log for status pages and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import QbwcSession, SessionEvent


def session_view(row: QbwcSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "started_at": row.started_at.isoformat(),
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "outcome": row.outcome,
        "calls": row.calls,
        "requests_sent": row.requests_sent,
        "client_version": row.client_version,
        "remote_addr": row.remote_addr,
        "company_file_path": row.company_file_path,
        "qbxml_version": row.qbxml_version,
        "progress": row.progress,
        "last_error": row.last_error,
        "hresults": row.hresults or [],
    }


def recent_sessions(session: Session, company_id: int, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(QbwcSession)
        .where(QbwcSession.company_id == company_id)
        .order_by(QbwcSession.id.desc())
        .limit(limit)
    )
    return [session_view(r) for r in rows]


def recent_events(session: Session, company_id: int, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SessionEvent)
        .where(SessionEvent.company_id == company_id)
        .order_by(SessionEvent.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": r.at.isoformat(),
            "session_id": r.session_id,
            "kind": r.kind,
            "code": r.code,
            "message": r.message,
            "request": r.request_summary,
        }
        for r in rows
    ]

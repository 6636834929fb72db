"""Loading and creating stream cursors."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models import StreamCursor

_LOAD = select(StreamCursor).where(StreamCursor.company_id == bindparam("company_id"))
_LOAD_ONE = _LOAD.where(StreamCursor.stream == bindparam("stream"))


def load_cursors(session: Session, company_id: int) -> dict[str, StreamCursor]:
    rows = session.scalars(_LOAD, {"company_id": company_id})
    return {row.stream: row for row in rows}


def load_cursor(session: Session, company_id: int, stream: str) -> StreamCursor | None:
    return session.scalars(_LOAD_ONE, {"company_id": company_id, "stream": stream}).first()


def get_cursor(session: Session, company_id: int, stream: str) -> StreamCursor:
    row = load_cursor(session, company_id, stream)
    return new_cursor(session, company_id, stream) if row is None else row


def new_cursor(session: Session, company_id: int, stream: str) -> StreamCursor:
    """A stream's first cursor (the caller knows it has none: no statement to look)."""
    row = StreamCursor(
        company_id=company_id,
        stream=stream,
        phase="initial",
        pass_kind="initial",
        window_span_seconds=0,
        window_pages=0,
        window_records=0,
        records_seen=0,
        pages=0,
        passes_completed=0,
        consecutive_errors=0,
        extra={},
    )
    session.add(row)
    session.flush()
    return row

"""Per-company, per-stream sync cursors: where each QuickBooks object type's sync stands.

A page of records and the cursor move commit in the same transaction, so a dropped Web
Connector session resumes from the last committed page (architecture: "The sync model").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONDoc, utcnow


class StreamCursor(Base):
    __tablename__ = "stream_cursors"
    __table_args__ = (UniqueConstraint("company_id", "stream"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    stream: Mapped[str] = mapped_column(String(64))

    # initial: first full pass, window by window (historical for transactions);
    # incremental: modified-date passes; skipped: the company file cannot serve it.
    phase: Mapped[str] = mapped_column(String(20), default="initial")
    # What the current pass is: "initial", "incremental" or "reconcile".
    pass_kind: Mapped[str] = mapped_column(String(20), default="initial")
    pass_started_at: Mapped[datetime | None] = mapped_column(default=None)

    # The window in progress (dates for TxnDate windows, naive QuickBooks-local datetimes for
    # modified-date windows); None = open-ended.
    window_from: Mapped[str | None] = mapped_column(String(32), default=None)
    window_to: Mapped[str | None] = mapped_column(String(32), default=None)
    window_span_seconds: Mapped[int] = mapped_column(Integer, default=0)
    window_pages: Mapped[int] = mapped_column(Integer, default=0)
    window_records: Mapped[int] = mapped_column(Integer, default=0)
    window_total: Mapped[int | None] = mapped_column(Integer, default=None)

    # Modified-date watermark: the greatest TimeModified seen, kept as QuickBooks wrote it.
    watermark: Mapped[str | None] = mapped_column(String(40), default=None)
    pass_max_modified: Mapped[str | None] = mapped_column(String(40), default=None)
    # Lower bound (QuickBooks-local, no offset) of the next incremental pass.
    incremental_from: Mapped[str | None] = mapped_column(String(32), default=None)

    records_seen: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    passes_completed: Mapped[int] = mapped_column(Integer, default=0)
    last_page_at: Mapped[datetime | None] = mapped_column(default=None)
    last_pass_completed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_reconciled_at: Mapped[datetime | None] = mapped_column(default=None)

    skipped_reason: Mapped[str | None] = mapped_column(Text, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    retry_after: Mapped[datetime | None] = mapped_column(default=None)

    # Small structured state that does not deserve columns (e.g. ids to re-fetch).
    extra: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReconcileMark(Base):
    """IDs QuickBooks reported during a reconciliation pass (restore / long-gap safety net).

    A reconciliation lists every ListID/TxnID with its EditSequence; ids we lack or hold in
    another version are re-fetched, and stored ids QuickBooks no longer has are marked deleted.
    """

    __tablename__ = "reconcile_marks"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    edit_sequence: Mapped[str | None] = mapped_column(String(40), default=None)
    needs_fetch: Mapped[bool] = mapped_column(default=False)

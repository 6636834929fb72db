"""Write-back operations: what the AP platform asked us to write into QuickBooks.

One row per operation (``vendor.create``, ``bill.create``, ...). The state machine, leases and
the exactly-once method live in ``qbwc_server/writeback``; this module only declares the table.

States: ``queued`` (waiting to be sent), ``sent`` (a request left the server and its outcome is
not known yet), ``done``, ``failed`` (QuickBooks refused it; a person must act),
``needs_attention`` (the retry limit was reached, or the outcome could not be found out),
``cancelled``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONDoc, utcnow


class Operation(Base):
    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("company_id", "idempotency_key", name="uq_operations_idempotency"),
        Index("ix_operations_company_state", "company_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # The payload exactly as the client sent it (answers for an idempotent repeat) and its hash.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    payload_hash: Mapped[str] = mapped_column(String(64))
    # The validated payload with every list reference resolved to a ListID; what is sent.
    resolved: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    # Ids of queued operations of the same company this one needs first (a new vendor, a bill).
    depends_on: Mapped[list[int]] = mapped_column(JSONDoc, default=list)

    state: Mapped[str] = mapped_column(String(20), default="queued")
    # A follow-up step inside a state (recover, lookup, reread, match); None = plain send.
    step: Mapped[str | None] = mapped_column(String(20), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # requests sent for it
    recovery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    conflict_retries: Mapped[int] = mapped_column(Integer, default=0)  # 3200 re-applies

    # The exactly-once marker stamped on the QuickBooks record (ExternalGUID), and the message
    # set (newMessageSetID) and requestID of the last request sent for it (error recovery).
    external_guid: Mapped[str] = mapped_column(String(38))
    message_set_id: Mapped[str | None] = mapped_column(String(23), default=None)
    request_id: Mapped[str | None] = mapped_column(String(50), default=None)

    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, default=None)

    # Lease: the QBWC session driving this operation right now, until when.
    leased_by: Mapped[int | None] = mapped_column(Integer, default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    not_before: Mapped[datetime | None] = mapped_column(default=None)  # retry later, not now

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)

"""The qbXML audit trail: what the server asked QuickBooks and what QuickBooks answered, per
QBWC session (QBWC_AUDIT). Bodies are redacted and zlib-compressed before they are stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEntry(Base):
    """One SOAP call of a QBWC session: its qbXML in and out, HRESULT, answer and timing."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("qbwc_sessions.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), default=None
    )
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    method: Mapped[str] = mapped_column(String(40))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
    # The qbXML request the server sent (sendRequestXML's answer), compressed.
    request_xml: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # What QuickBooks answered: the qbXML response (receiveResponseXML) or the company file
    # information (strHCPResponse of the first sendRequestXML), compressed.
    response_xml: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    request_bytes: Mapped[int] = mapped_column(Integer, default=0)  # before compression
    response_bytes: Mapped[int] = mapped_column(Integer, default=0)
    hresult: Mapped[str | None] = mapped_column(String(40), default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)  # HRESULT text, QBWC message
    result: Mapped[str | None] = mapped_column(Text, default=None)  # our answer (not qbXML)
    # An HRESULT, a qbXML status of severity Error, or an internal error in this call.
    error: Mapped[bool] = mapped_column(Boolean, default=False)

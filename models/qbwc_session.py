"""QBWC sessions and their tickets: all conversation state lives here, not in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONDoc, utcnow


class QbwcSession(Base):
    """One Web Connector update: authenticate ... closeConnection."""

    __tablename__ = "qbwc_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True, default=None
    )
    username: Mapped[str] = mapped_column(String(200), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), default=None)
    client_version: Mapped[str | None] = mapped_column(String(40), default=None)
    # The Web Connector (PC) this session came from (models/connector.py).
    connector_id: Mapped[int | None] = mapped_column(
        ForeignKey("connectors.id", ondelete="SET NULL"), default=None
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # in_progress, completed, none, nvu, throttled, busy, wrong_file, connection_error, error,
    # abandoned (ticket expired without closeConnection)
    outcome: Mapped[str] = mapped_column(String(40), default="in_progress")
    calls: Mapped[int] = mapped_column(Integer, default=0)
    company_file_path: Mapped[str | None] = mapped_column(Text, default=None)
    qbxml_version: Mapped[str | None] = mapped_column(String(8), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # The help catalog code of what went wrong (qbwc_server/help), None when nothing did.
    problem_code: Mapped[str | None] = mapped_column(String(40), default=None)
    hresults: Mapped[list[dict[str, str]]] = mapped_column(JSONDoc, default=list)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    requests_sent: Mapped[int] = mapped_column(Integer, default=0)
    # Conversation state between calls (the request in flight, plan cursor, ...).
    state: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class Ticket(Base):
    """A session ticket handed to QBWC by authenticate.

    Bound to the company and to the Connector Key version that authenticated it; re-checked on
    every call (user-pains #1).
    """

    __tablename__ = "tickets"

    ticket: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("qbwc_sessions.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    key_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginFailure(Base):
    """One authenticate with a wrong Connector Key for a known user name, by client address;
    counted by ``services/login_throttle.py``. Kept apart from the company and its sessions: a
    stranger's wrong tries change nothing the customer sees."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_user_addr_at", "username", "client_addr", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200))
    client_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SessionEvent(Base):
    """Errors and notable events of a session, with the request that caused them."""

    __tablename__ = "session_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("qbwc_sessions.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True, default=None
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))  # hresult, qbxml_status, refused, error
    code: Mapped[str | None] = mapped_column(String(40), default=None)
    message: Mapped[str] = mapped_column(Text)
    request_summary: Mapped[str | None] = mapped_column(Text, default=None)

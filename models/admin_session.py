"""Sign-in sessions of the pages (the admin signed in with ``QBWC_ADMIN_TOKEN``) and failed
sign-ins (the throttle)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AdminSession(Base):
    """One browser's sign-in. The cookie holds a random token; only its SHA-256 is kept here, so
    a copy of the database signs no one in. Valid while not revoked, before ``expires_at``
    (absolute), seen within the idle limit, and signed in with the admin token in force now
    (``admin_token_tag``): changing ``QBWC_ADMIN_TOKEN`` signs every browser out."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_token_tag: Mapped[str] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class SigninFailure(Base):
    """One failed use of the admin token (a wrong token on ``/login`` or a wrong bearer token
    on the API), by client address; counted by ``services/signin_throttle.py``."""

    __tablename__ = "signin_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

"""Setup links: a company's link for the person at the QuickBooks PC (``/setup/{token}``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class SetupLink(Base):
    """At most one per company. The link carries a random token; only its SHA-256 is kept here,
    so a copy of the database opens no setup page. Valid while not revoked and before
    ``expires_at``; a new link replaces the company's old one."""

    __tablename__ = "setup_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the .qwc was downloaded through this link (the checklist's first step).
    connector_downloaded_at: Mapped[datetime | None] = mapped_column(default=None)

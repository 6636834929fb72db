"""Web Connectors seen for a company: one row per PC (address and, once known, machine name).

The customer guide recommends the connection on two or more PCs for redundancy; the profile
lists each of them with what it last did. A row is written when a Web Connector authenticates
(at most once a minute per row: ``services/connectors.py`` coalesces) and when a session's
company data names the machine (QBWC's AppLock stamp, docs/protocol.md §4.3).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Connector(Base):
    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("company_id", "remote_addr", "machine_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    remote_addr: Mapped[str] = mapped_column(String(64))
    # From AppLock "LOCKED:<MACHINE>:<ticks>"; "" until a session of this PC told us.
    machine_name: Mapped[str] = mapped_column(String(64), default="")
    client_version: Mapped[str | None] = mapped_column(String(40), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last session of this PC that finished its work (completed).
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)

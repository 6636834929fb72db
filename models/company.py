"""Companies: one per QuickBooks Desktop company file, with its Connector Key and binding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONDoc, utcnow


class AppSetting(Base):
    """Server-wide values generated once and kept (e.g. the product OwnerID GUID)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    # What the .qwc carries (UserName, FileID, AppName); stable for the life of the company.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    file_id: Mapped[str] = mapped_column(String(38), unique=True)
    app_name: Mapped[str] = mapped_column(String(200), unique=True)

    # Connector Key: only a SHA-256 hash is kept; the version goes up on every rotation and is
    # copied onto each ticket, so rotating invalidates live tickets at once.
    key_hash: Mapped[str] = mapped_column(String(64))
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    key_rotated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Settings.
    sync_interval_minutes: Mapped[int] = mapped_column(Integer, default=15)
    history_start: Mapped[str] = mapped_column(String(10))  # ISO date or "all"
    # {start: "HH:MM", end: "HH:MM", timezone: IANA name}: the hours the historical (first
    # pass) transaction windows may run; None = any time (services/sync_schedule.py).
    sync_window: Mapped[dict[str, str] | None] = mapped_column(JSONDoc, default=None)
    # Until then authenticate answers "none"; paused_at is when someone paused it.
    paused_until: Mapped[datetime | None] = mapped_column(default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    # "QuickBooks file restored from a backup?": the restore date the customer gave, when they
    # said so, and when a session started the reconciliation it asked for (services/restore.py).
    restored_on: Mapped[str | None] = mapped_column(String(10), default=None)
    restore_recorded_at: Mapped[datetime | None] = mapped_column(default=None)
    restore_reconcile_started_at: Mapped[datetime | None] = mapped_column(default=None)

    # Binding to one company file (engine/verification.py). With ``confirm_binding`` the first
    # contact only reads the open file's identity into ``pending_binding`` and a person binds
    # it (Begin Sync: services/binding.py); without it the first contact binds at once. New
    # companies confirm; rows older than migration 0013 keep automatic binding (server default).
    confirm_binding: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa.false())
    # {company_name, file_path, file_stamp, product, version, machine_name, vendor_count,
    #  bill_count, seen_at}: the file waiting for confirmation, None when none is.
    pending_binding: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, default=None)
    bound_at: Mapped[datetime | None] = mapped_column(default=None)
    bound_file_stamp: Mapped[str | None] = mapped_column(String(64), default=None)
    bound_company_name: Mapped[str | None] = mapped_column(String(200), default=None)
    bound_file_path: Mapped[str | None] = mapped_column(Text, default=None)

    # What QuickBooks told us in the latest strHCPResponse.
    qb_product: Mapped[str | None] = mapped_column(String(200), default=None)
    qb_version: Mapped[str | None] = mapped_column(String(40), default=None)
    qb_country: Mapped[str | None] = mapped_column(String(8), default=None)
    qb_supported_versions: Mapped[list[str] | None] = mapped_column(JSONDoc, default=None)
    qb_file_path: Mapped[str | None] = mapped_column(Text, default=None)
    qb_company_name: Mapped[str | None] = mapped_column(String(200), default=None)
    qb_preferences: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, default=None)

    # Status.
    last_contact_at: Mapped[datetime | None] = mapped_column(default=None)
    last_session_outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    last_complete_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    # Every stream has finished its first (initial / historical) pass: from then on the
    # company is "Connected to Server" while its Web Connector calls (services/company_states).
    first_sync_completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The current problem: a help catalog code (qbwc_server/help) and since when. Its
    # company-specific details (which file was open, QuickBooks' text) stay in last_error.
    problem_code: Mapped[str | None] = mapped_column(String(40), default=None)
    problem_since: Mapped[datetime | None] = mapped_column(default=None)

    # The sync lease: which QBWC session may drive QuickBooks for this company right now. A
    # second Web Connector (redundant PC) gets "none" + postpone while the lease is live; a
    # crashed one stops blocking when the lease expires (renewed on every call).
    lease_ticket: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

"""The per-company sync lease (architecture: "Leases (with expiry) on the company sync lock").

Two Web Connectors on two PCs may poll the same company (the customer guide recommends it for
redundancy). Only the holder of a live lease drives QuickBooks; the other gets "none" with a
postpone. The lease lapses no sooner than QBWC_SYNC_LEASE_SECONDS after the holder's last call,
so a connector that crashed or lost its network never blocks the company for long.

Renewing it is a write of the company row, so it is not done on every call: a renewal sets the
expiry :func:`renewal_slack` seconds beyond the lease, and a call renews only when less than
the full lease is left. Every call thus leaves at least QBWC_SYNC_LEASE_SECONDS on the lease
(what renewing on every call gave), the row is written at most once per slack of a busy
session instead of on each of its calls, and a connector that vanished holds the company at
most the slack longer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from models import Company, utcnow

MAX_SLACK_SECONDS = 30  # a busy session renews at most this often


def renewal_slack(lease_seconds: int) -> int:
    """Seconds a renewal adds beyond the lease: a quarter of it, at most MAX_SLACK_SECONDS."""
    return max(1, min(MAX_SLACK_SECONDS, lease_seconds // 4))


def _expiry(now: datetime, lease_seconds: int) -> datetime:
    return now + timedelta(seconds=lease_seconds + renewal_slack(lease_seconds))


def try_acquire(session: Session, company: Company, ticket: str, lease_seconds: int) -> bool:
    """Atomically take the lease if it is free, expired or already ours.

    A single conditional UPDATE is atomic on PostgreSQL and SQLite alike, so two connectors
    authenticating in the same instant cannot both win.
    """
    now = utcnow()
    session.flush()  # keep pending changes (e.g. last_contact_at) before reloading the row
    result = session.execute(
        update(Company)
        .where(Company.id == company.id)
        .where(
            or_(
                Company.lease_ticket.is_(None),
                Company.lease_expires_at.is_(None),
                Company.lease_expires_at <= now,
                Company.lease_ticket == ticket,
            )
        )
        .values(lease_ticket=ticket, lease_expires_at=_expiry(now, lease_seconds))
        .execution_options(synchronize_session=False)
    )
    session.refresh(company, ["lease_ticket", "lease_expires_at"])
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_locked(
    company: Company, ticket: str, lease_seconds: int, now: datetime | None = None
) -> bool:
    """Take or renew the lease on a company row the caller has locked (SELECT … FOR UPDATE on
    PostgreSQL; SQLite's BEGIN IMMEDIATE serializes writers): the loaded values are current,
    so a plain assignment is as atomic as :func:`try_acquire` and needs no extra statement.
    Our lease with the full ``lease_seconds`` still left is not touched (no write). False when
    another connector's lease is live."""
    now = now or utcnow()
    if held_by_other(company, ticket, now):
        return False
    if (
        company.lease_ticket == ticket
        and company.lease_expires_at is not None
        and company.lease_expires_at - now >= timedelta(seconds=lease_seconds)
    ):
        return True
    company.lease_ticket = ticket
    company.lease_expires_at = _expiry(now, lease_seconds)
    return True


def held_by_other(company: Company, ticket: str | None, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        company.lease_ticket is not None
        and company.lease_ticket != ticket
        and company.lease_expires_at is not None
        and company.lease_expires_at > now
    )


def seconds_left(company: Company, now: datetime | None = None) -> int:
    now = now or utcnow()
    if company.lease_expires_at is None:
        return 0
    return max(0, int((company.lease_expires_at - now).total_seconds()))


def release(company: Company, ticket: str) -> None:
    if company.lease_ticket == ticket:
        company.lease_ticket = None
        company.lease_expires_at = None

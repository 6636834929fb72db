"""Setup links: a page for the person at the QuickBooks PC, opened without any sign-in.

The accounting manager (or the AP platform) creates a link for one company
(``POST /api/companies/{id}/setup-link``) and sends it to whoever sits at the Windows PC. The
link's token is 256 bits from the OS CSPRNG; only its SHA-256 is stored (``setup_links``), so
neither a copy of the database nor a log line opens the page. A company has at most one link:
a new one replaces the old (which stops working at once), ``DELETE`` revokes it, and it expires
after its lifetime (7 days unless the creator chose 1 hour to 30 days).

What the token opens is this company's setup page and nothing else (``web/setup_page.py``):
no other company, no ``/api`` route, no admin page.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Company, LoginFailure, SetupLink, utcnow
from qbwc_server.services.errors import Invalid

TOKEN_BYTES = 32  # 256 bits
DEFAULT_HOURS = 7 * 24
MIN_HOURS = 1
MAX_HOURS = 30 * 24
PATH_PREFIX = "/setup/"
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet. Anything else is no
# token, answered without a database query.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class CreatedLink:
    token: str  # in the URL only: shown once, never stored
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def lifetime_hours(body: dict[str, Any]) -> int:
    """The link's lifetime from the request body (``expires_in_hours``, default 7 days)."""
    value = body.get("expires_in_hours", DEFAULT_HOURS)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(
            f"expires_in_hours must be a whole number of hours from {MIN_HOURS} to {MAX_HOURS}",
            field="expires_in_hours",
        )
    if not MIN_HOURS <= value <= MAX_HOURS:
        raise Invalid(
            f"expires_in_hours must be from {MIN_HOURS} to {MAX_HOURS} (30 days), got {value}",
            field="expires_in_hours",
        )
    return value


def setup_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + PATH_PREFIX + token


def _row(session: Session, company_id: int) -> SetupLink | None:
    return session.scalars(select(SetupLink).where(SetupLink.company_id == company_id)).first()


def create(
    session: Session, company: Company, hours: int = DEFAULT_HOURS, now: datetime | None = None
) -> CreatedLink:
    """A new link for the company; its previous link (if any) stops working at once. The
    caller holds the company row locked (``get_company(for_update=True)``)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + timedelta(hours=hours)
    row = _row(session, company.id)
    if row is None:
        row = SetupLink(company_id=company.id, token_hash=token_hash(token), expires_at=expires_at)
        session.add(row)
    row.token_hash = token_hash(token)
    row.created_at = now
    row.expires_at = expires_at
    row.revoked_at = None
    row.connector_downloaded_at = None  # the checklist starts again for the new link
    session.flush()
    return CreatedLink(token=token, expires_at=expires_at)


def revoke(session: Session, company: Company, now: datetime | None = None) -> bool:
    """The company's link stops working; True if there was a live one."""
    now = now or utcnow()
    row = _row(session, company.id)
    if row is None or not _live(row, now):
        return False
    row.revoked_at = now
    session.flush()
    return True


def _live(row: SetupLink, now: datetime) -> bool:
    return row.revoked_at is None and row.expires_at > now


def lookup(
    session: Session, token: str, now: datetime | None = None, *, for_update: bool = False
) -> tuple[SetupLink, Company] | None:
    """The live link of this token and its company, or None (not a token, unknown, replaced,
    revoked or expired: the caller answers all of these the same way)."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    now = now or utcnow()
    stmt = select(SetupLink).where(SetupLink.token_hash == token_hash(token))
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None or not _live(row, now):
        return None
    company = session.get(Company, row.company_id, with_for_update=for_update)
    if company is None:
        return None
    return row, company


def last_wrong_key_at(session: Session, company: Company) -> datetime | None:
    """When a Web Connector last tried this company's user name with a wrong Connector Key
    (``services/login_throttle.py`` keeps the recent ones), for the checklist."""
    return session.scalar(
        select(func.max(LoginFailure.at)).where(LoginFailure.username == company.username)
    )


def mark_downloaded(row: SetupLink, now: datetime | None = None) -> None:
    row.connector_downloaded_at = now or utcnow()


__all__ = [
    "DEFAULT_HOURS",
    "MAX_HOURS",
    "MIN_HOURS",
    "PATH_PREFIX",
    "CreatedLink",
    "create",
    "last_wrong_key_at",
    "lifetime_hours",
    "lookup",
    "mark_downloaded",
    "revoke",
    "setup_url",
    "token_hash",
]

"""The session store of the pages: who is signed in, until when.

Signing in with the admin token starts a session: a random 256-bit token goes into the
browser's cookie and only its SHA-256 into ``admin_sessions``, so neither a copy of the database
nor a log line can sign anyone in. A session ends

- at sign-out (revoked: the same cookie never works again, whoever kept a copy),
- after ``QBWC_ADMIN_SESSION_IDLE_SECONDS`` without a request (idle),
- ``QBWC_ADMIN_SESSION_MAX_SECONDS`` after sign-in whatever happens (absolute),
- when ``QBWC_ADMIN_TOKEN`` changes: each session keeps a tag of the admin token it was signed in
  with (scrypt of the token, so the column does not help anyone guess it), and a session whose
  tag is not the current token's is refused. Rotating the token signs every browser out.

State lives in the database only, so every worker and replica agrees at once.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from models import AdminSession, utcnow
from qbwc_server.config import Settings

TOKEN_BYTES = 32  # 256 bits from the OS CSPRNG
# last_seen_at is written at most this often per session, not on every request.
TOUCH_EVERY = timedelta(seconds=60)
# Ended sessions are kept this long (for an audit of who signed in), then deleted.
KEEP_ENDED = timedelta(days=7)
USER_AGENT_MAX = 200


@dataclass(frozen=True)
class StartedSession:
    token: str  # the cookie value: shown to the browser once, never stored
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@functools.lru_cache(maxsize=4)
def admin_token_tag(admin_token: str) -> str:
    """A fingerprint of the admin token, slow to invert (scrypt; ~50 ms once per process)."""
    return hashlib.scrypt(
        admin_token.encode(), salt=b"qbwc-admin-session-tag-v1", n=2**14, r=8, p=1, dklen=32
    ).hex()


def start(
    session: Session,
    settings: Settings,
    *,
    client_addr: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> StartedSession:
    if not settings.admin_token:
        raise ValueError("no admin token configured")
    now = now or utcnow()
    purge(session, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + timedelta(seconds=settings.admin_session_max_seconds)
    session.add(
        AdminSession(
            token_hash=token_hash(token),
            admin_token_tag=admin_token_tag(settings.admin_token),
            client_addr=(client_addr or None) and client_addr[:64],
            user_agent=(user_agent or None) and user_agent[:USER_AGENT_MAX],
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return StartedSession(token=token, expires_at=expires_at)


def lookup(
    session: Session, settings: Settings, token: str, now: datetime | None = None
) -> AdminSession | None:
    """The live session for a cookie value, or None (unknown, revoked, expired, idle, or signed
    in with another admin token). A live session's ``last_seen_at`` moves on."""
    if not token or not settings.admin_token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.scalars(
        select(AdminSession).where(AdminSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    idle = timedelta(seconds=settings.admin_session_idle_seconds)
    if row.last_seen_at + idle <= now:
        return None
    if not secrets.compare_digest(row.admin_token_tag, admin_token_tag(settings.admin_token)):
        # Signed in with an admin token that is no longer in force: revoked for good, so
        # switching back to the old token does not bring the session back.
        row.revoked_at = now
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def revoke(session: Session, token: str, now: datetime | None = None) -> bool:
    """End the session of this cookie value; True if there was a live one."""
    row = session.scalars(
        select(AdminSession).where(AdminSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    return True


def purge(session: Session, now: datetime | None = None) -> int:
    """Delete sessions that ended (expired or revoked) more than ``KEEP_ENDED`` ago."""
    cutoff = (now or utcnow()) - KEEP_ENDED
    result = session.execute(
        delete(AdminSession).where(
            or_(AdminSession.expires_at < cutoff, AdminSession.revoked_at < cutoff)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["StartedSession", "admin_token_tag", "lookup", "purge", "revoke", "start"]

"""The sign-in throttle: how many wrong admin tokens a client may try.

Every failed use of ``QBWC_ADMIN_TOKEN`` — a wrong token on ``/login`` or a wrong
``Authorization: Bearer`` on the API (the same secret, so the same budget) — is a row in
``signin_failures`` with the client's address (``net.client_ip``: ``X-Forwarded-For`` only from
``QBWC_TRUSTED_PROXIES``). Within ``QBWC_ADMIN_SIGNIN_WINDOW_SECONDS``:

- an address with ``QBWC_ADMIN_SIGNIN_FAILURE_LIMIT`` failures is refused (429) — even with the
  right token, or the answers would still tell a guesser when it hit — until its oldest counted
  failure leaves the window;
- once all addresses together reach ``QBWC_ADMIN_SIGNIN_GLOBAL_FAILURE_LIMIT`` (a guesser with
  many addresses), every address that has failed in the window is refused too, so each address
  gets one guess per window instead of the per-address allowance;
- an address without failures is never refused: the rightful admin signs in from their own
  machine while someone else is locked out, however many addresses that someone has.

State lives in the database, so every worker and replica counts the same failures. On
PostgreSQL a transaction-scoped advisory lock (:func:`serialize`) makes check-compare-record of
the sign-in page atomic across workers; SQLite's ``BEGIN IMMEDIATE`` already does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from models import SigninFailure, utcnow
from qbwc_server.config import Settings

PG_SIGNIN_LOCK_KEY = 0x5142_5753  # any constant, the same in every process


@dataclass(frozen=True)
class Refusal:
    retry_at: datetime
    everyone: bool  # refused because of the overall limit, not only this address's own

    def retry_after_seconds(self, now: datetime | None = None) -> int:
        seconds = (self.retry_at - (now or utcnow())).total_seconds()
        return max(1, int(seconds + 0.999))

    def message(self, now: datetime | None = None) -> str:
        wait = self.retry_after_seconds(now)
        minutes = (wait + 59) // 60
        when = self.retry_at.strftime("%H:%M:%S UTC")
        cause = (
            "Too many failed sign-ins on this server"
            if self.everyone
            else "Too many failed sign-ins from your address"
        )
        unit = "minute" if minutes == 1 else "minutes"
        return f"{cause}. Try again in {minutes} {unit} (after {when})."


def serialize(session: Session) -> None:
    """Take the sign-in lock until the end of the transaction (PostgreSQL; a no-op elsewhere)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_SIGNIN_LOCK_KEY})


def _recent(session: Session, cutoff: datetime, limit: int, client: str | None) -> list[datetime]:
    """Times of the ``limit`` newest failures after ``cutoff`` (of ``client``, or of all)."""
    stmt = select(SigninFailure.at).where(SigninFailure.at > cutoff)
    if client is not None:
        stmt = stmt.where(SigninFailure.client_addr == client)
    return list(session.scalars(stmt.order_by(SigninFailure.at.desc()).limit(limit)))


def refusal(
    session: Session, settings: Settings, client: str, now: datetime | None = None
) -> Refusal | None:
    """Why ``client`` may not try the admin token now, or None."""
    now = now or utcnow()
    window = timedelta(seconds=settings.admin_signin_window_seconds)
    cutoff = now - window
    own_limit = settings.admin_signin_failure_limit
    own = _recent(session, cutoff, own_limit, client)
    if len(own) >= own_limit:
        # Free again when the own_limit-th newest failure leaves the window.
        return Refusal(retry_at=own[-1] + window, everyone=False)
    if not own:
        return None
    overall_limit = settings.admin_signin_global_failure_limit
    overall = _recent(session, cutoff, overall_limit, None)
    if len(overall) >= overall_limit:
        return Refusal(retry_at=overall[-1] + window, everyone=True)
    return None


def record_failure(
    session: Session, settings: Settings, client: str, now: datetime | None = None
) -> None:
    now = now or utcnow()
    cutoff = now - timedelta(seconds=settings.admin_signin_window_seconds)
    session.execute(delete(SigninFailure).where(SigninFailure.at <= cutoff))
    session.add(SigninFailure(client_addr=client[:64], at=now))
    session.flush()


def clear(session: Session, client: str) -> None:
    """A correct token from ``client``: its earlier failures no longer count."""
    session.execute(delete(SigninFailure).where(SigninFailure.client_addr == client[:64]))


__all__ = ["Refusal", "clear", "record_failure", "refusal", "serialize"]

"""The QBWC login throttle: how many wrong Connector Keys a client may try for a user name.

The user name is in the .qwc (public); the Connector Key is 160 random bits. A wrong key for a
known user name is a row in ``login_failures`` with the client's address (``net.client_ip``:
``X-Forwarded-For`` only from ``QBWC_TRUSTED_PROXIES``). Within
``QBWC_LOGIN_FAILURE_WINDOW_SECONDS``, a (user name, address) pair with
``QBWC_LOGIN_FAILURE_LIMIT`` failures is throttled until its oldest counted failure leaves the
window:

- a throttled pair's tries are answered ``nvu`` without looking at the key (a guesser gets the
  same answer for the right key, so guessing beyond the limit teaches nothing) and are not
  recorded (the table holds at most the limit per pair and window);
- except from an address the company's Web Connector has authenticated from before (a row in
  ``connectors``): there the key is checked, because a rightful connector behind the same NAT
  or proxy must never be locked out, and 160 bits are not found by guessing online;
- every other address, above all the rightful connector's own, is never throttled by someone
  else's failures: the right key always gets in there.

Nothing here touches the company row or ``qbwc_sessions``: a stranger's wrong tries neither
overwrite what the customer sees nor grow the session history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from models import LoginFailure, utcnow
from qbwc_server.config import Settings


def failure_count(
    username: ColumnElement[str],
    client: ColumnElement[str],
    cutoff: ColumnElement[datetime],
    limit: ColumnElement[int],
) -> ColumnElement[int]:
    """A scalar subquery: failures of the pair since ``cutoff`` (:func:`window_start`), counted
    up to ``limit`` (an index range scan of at most that many entries, so a flood costs
    nothing more). Its parts are bound parameters, so the statement is built once."""
    recent = (
        select(LoginFailure.id)
        .where(
            LoginFailure.username == username,
            LoginFailure.client_addr == client,
            LoginFailure.at > cutoff,
        )
        .limit(limit)
        .subquery()
    )
    return select(func.count()).select_from(recent).scalar_subquery()


def window_start(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(seconds=settings.login_failure_window_seconds)


def is_throttled(failures: int, settings: Settings) -> bool:
    return failures >= settings.login_failure_limit


def record_failure(session: Session, settings: Settings, username: str, client: str) -> None:
    """A wrong key for ``username`` from ``client`` (a pair not yet throttled)."""
    now = utcnow()
    session.execute(delete(LoginFailure).where(LoginFailure.at <= window_start(settings, now)))
    session.add(LoginFailure(username=username[:200], client_addr=client[:64], at=now))


__all__ = ["failure_count", "is_throttled", "record_failure", "window_start"]

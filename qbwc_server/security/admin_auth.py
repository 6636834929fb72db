"""Who is calling the API or the pages: a bearer-token client, a signed-in browser, or no one.

Two credentials open the admin API and the pages, both from ``QBWC_ADMIN_TOKEN``:

- ``Authorization: Bearer <token>`` — for programs (the AP platform, scripts). When the header
  is there it alone decides: a wrong token is refused even if a cookie would be valid.
  A wrong one counts against the client's sign-in budget (``services/signin_throttle``); a
  client over it is refused (:class:`Throttled`, answered 429) even with the right token.
- the sign-in cookie — for a browser that signed in on ``/login`` (``services/admin_sessions``).
  Its name is ``__Host-qbwc_session`` when ``QBWC_PUBLIC_URL`` is https (the prefix makes
  browsers insist on Secure, Path=/ and no Domain, so a sibling subdomain cannot plant one), else
  ``qbwc_session``. State-changing requests made with it need a CSRF token (``security/csrf``).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime

from werkzeug.wrappers import Request, Response

from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.net import client_ip
from qbwc_server.security import csrf
from qbwc_server.services import admin_sessions, signin_throttle

log = logging.getLogger(__name__)

BEARER = "bearer"
SESSION = "session"


class Throttled(Exception):
    """Too many wrong admin tokens from this client: answer 429 with the retry time."""

    def __init__(self, refusal: signin_throttle.Refusal) -> None:
        super().__init__(refusal.message())
        self.refusal = refusal


@dataclass(frozen=True)
class Caller:
    via: str  # BEARER or SESSION
    session_token: str | None = None

    @property
    def csrf_token(self) -> str | None:
        return csrf.token_for(self.session_token) if self.session_token else None

    def csrf_refusal(self, request: Request, settings: Settings, *, form_ok: bool) -> str | None:
        """Why this state-changing request must be refused as possibly cross-site, or None.
        Only a cookie can be replayed by another site; bearer clients pass."""
        if self.via != SESSION or request.method in csrf.SAFE_METHODS:
            return None
        return csrf.refusal(request, settings, self.csrf_token, form_ok=form_ok)


def cookie_name(settings: Settings) -> str:
    return "__Host-qbwc_session" if _https(settings) else "qbwc_session"


def _https(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def presented_bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header; "" for any other Authorization."""
    header = request.headers.get("Authorization")
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def bearer_matches(token: str, settings: Settings) -> bool:
    if not settings.admin_token or not token:
        return False
    return hmac.compare_digest(
        token.encode("utf-8", "replace"), settings.admin_token.encode("utf-8")
    )


def identify(request: Request, settings: Settings, db: Database) -> Caller | None:
    if not settings.admin_token:
        return None
    token = presented_bearer(request)
    if token is not None:
        return _bearer(request, settings, db, token)
    cookie = request.cookies.get(cookie_name(settings))
    if not cookie:
        return None
    with db.transaction() as s:
        live = admin_sessions.lookup(s, settings, cookie)
    return Caller(SESSION, cookie) if live is not None else None


def _bearer(request: Request, settings: Settings, db: Database, token: str) -> Caller | None:
    client = client_ip(request.environ, settings)
    with db.transaction() as s:
        refused = signin_throttle.refusal(s, settings, client)
    if refused is not None:
        log.debug("admin token not tried: %s is throttled", client)
        raise Throttled(refused)
    if bearer_matches(token, settings):
        return Caller(BEARER)
    with db.transaction() as s:
        signin_throttle.serialize(s)
        signin_throttle.record_failure(s, settings, client)
    log.warning("wrong admin bearer token from %s on %s", client, request.path[:200])
    return None


def set_session_cookie(
    response: Response, settings: Settings, token: str, expires_at: datetime
) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        max_age=settings.admin_session_max_seconds,
        expires=expires_at,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=_https(settings),
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=_https(settings),
    )


__all__ = [
    "BEARER",
    "SESSION",
    "Caller",
    "Throttled",
    "bearer_matches",
    "clear_session_cookie",
    "cookie_name",
    "identify",
    "presented_bearer",
    "set_session_cookie",
]

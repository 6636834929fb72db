"""Sign-in sessions of the pages: random, stored hashed, expiring, revoked at sign-out and when
the admin token changes (issue 9: the cookie was a fixed HMAC of the token, logout by GET)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from models import AdminSession, utcnow
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.security.http_util import (
    SESSION_COOKIE,
    Reply,
    SignedIn,
    api_call,
    fetch,
    session_cookie_of,
    sign_in,
)

NEW_TOKEN = "rotated-admin-token-9876543210"


def signed_in(server: LiveServer, browser: SignedIn) -> bool:
    """Whether the cookie opens the pages and the API; both must agree."""
    page = fetch(server, "GET", "/", headers=browser.headers())
    api = fetch(server, "GET", "/api/companies", headers=browser.headers())
    assert (page.status == 200) == (api.status == 200), (page.status, api.status)
    if page.status != 200:
        assert page.status in (302, 303) and page.headers["location"].endswith("/login")
        assert api.status == 401 and api.json()["error"]["status"] == 401
    return page.status == 200


def cookie_attributes(reply: Reply) -> dict[str, str]:
    line = next(
        c for c in reply.headers["set-cookie"].split("\n") if c.startswith(SESSION_COOKIE + "=")
    )
    attrs: dict[str, str] = {}
    for part in line.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attrs[name.lower()] = value
    return attrs


def sessions(db: Any) -> list[AdminSession]:
    with db.transaction() as s:
        return list(s.scalars(select(AdminSession).order_by(AdminSession.id)))


def logout(server: LiveServer, browser: SignedIn, token: str | None) -> Reply:
    form = {"csrf_token": token} if token is not None else {}
    return fetch(server, "POST", "/logout", headers=browser.headers(), form=form)


def test_sign_in_issues_a_random_cookie_stored_only_hashed(server: LiveServer, db: Any) -> None:
    reply = fetch(server, "POST", "/login", form={"token": ADMIN_TOKEN})
    assert reply.status == 303 and reply.headers["location"].endswith("/")
    first = session_cookie_of(reply)
    attrs = cookie_attributes(reply)
    assert "httponly" in attrs and attrs["samesite"] == "Strict" and attrs["path"] == "/"
    assert attrs["max-age"] == str(12 * 3600) and "expires" in attrs
    assert "secure" not in attrs  # the public URL is http here
    second = sign_in(server).session
    assert first != second and len(first) >= 43  # 256 random bits, base64url
    rows = sessions(db)
    assert [r.token_hash for r in rows] == [
        hashlib.sha256(v.encode()).hexdigest() for v in (first, second)
    ]
    for row in rows:
        stored = " ".join(str(v) for v in vars(row).values())
        assert first not in stored and second not in stored and ADMIN_TOKEN not in stored
        assert row.expires_at - row.created_at == timedelta(hours=12)
        assert row.client_addr == "127.0.0.1"


def test_the_old_fixed_cookie_opens_nothing(server: LiveServer) -> None:
    """Before: ``qbwc_admin`` = HMAC(admin token, constant), the same forever."""
    fixed = hmac.new(ADMIN_TOKEN.encode(), b"qbwc-pages-session-v1", hashlib.sha256).hexdigest()
    for name in ("qbwc_admin", SESSION_COOKIE):
        reply = fetch(server, "GET", "/", headers={"Cookie": f"{name}={fixed}"})
        assert reply.status in (302, 303), name
        api = fetch(server, "GET", "/api/companies", headers={"Cookie": f"{name}={fixed}"})
        assert api.status == 401, name


def test_sign_out_revokes_the_session_for_every_copy_of_the_cookie(
    server: LiveServer, db: Any
) -> None:
    browser = sign_in(server)
    other = sign_in(server)  # another browser stays signed in
    reply = logout(server, browser, browser.csrf)
    assert reply.status == 303 and reply.headers["location"].endswith("/login")
    cleared = cookie_attributes(reply)
    assert cleared.get("max-age") == "0" or "1970" in cleared.get("expires", "")
    # A copy of the cookie kept by anyone (proxy log, stolen laptop) no longer works.
    assert not signed_in(server, browser)
    assert signed_in(server, other)
    revoked = [r for r in sessions(db) if r.revoked_at is not None]
    assert len(revoked) == 1


@pytest.mark.parametrize("token", [None, "", "0" * 64], ids=["none", "empty", "wrong"])
def test_sign_out_needs_the_csrf_token(server: LiveServer, token: str | None) -> None:
    browser = sign_in(server)
    reply = logout(server, browser, token)
    assert reply.status == 403 and "CSRF" in reply.text
    assert "set-cookie" not in reply.headers
    assert signed_in(server, browser)


def test_sign_out_with_another_sessions_token_is_refused(server: LiveServer) -> None:
    mine, theirs = sign_in(server), sign_in(server)
    assert mine.csrf != theirs.csrf
    assert logout(server, mine, theirs.csrf).status == 403
    assert signed_in(server, mine)


def test_idle_sessions_end(server: LiveServer, db: Any) -> None:
    browser = sign_in(server)
    idle = server.settings.admin_session_idle_seconds
    with db.transaction() as s:
        s.execute(update(AdminSession).values(last_seen_at=utcnow() - timedelta(seconds=idle - 5)))
    assert signed_in(server, browser)  # a request within the idle limit keeps it going
    (row,) = sessions(db)
    assert utcnow() - row.last_seen_at < timedelta(seconds=30)
    with db.transaction() as s:
        s.execute(update(AdminSession).values(last_seen_at=utcnow() - timedelta(seconds=idle + 1)))
    assert not signed_in(server, browser)


def test_sessions_end_at_their_absolute_expiry_however_busy(server: LiveServer, db: Any) -> None:
    browser = sign_in(server)
    assert signed_in(server, browser)
    with db.transaction() as s:
        s.execute(update(AdminSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not signed_in(server, browser)


def test_lifetimes_are_settings(server: LiveServer, reconfigure: Any, db: Any) -> None:
    reconfigure(QBWC_ADMIN_SESSION_MAX_SECONDS=600, QBWC_ADMIN_SESSION_IDLE_SECONDS=120)
    reply = fetch(server, "POST", "/login", form={"token": ADMIN_TOKEN})
    assert cookie_attributes(reply)["max-age"] == "600"
    (row,) = sessions(db)
    assert row.expires_at - row.created_at == timedelta(seconds=600)


def test_changing_the_admin_token_signs_every_browser_out(
    server: LiveServer, reconfigure: Any
) -> None:
    browsers = [sign_in(server), sign_in(server)]
    reconfigure(QBWC_ADMIN_TOKEN=NEW_TOKEN)
    for browser in browsers:
        assert not signed_in(server, browser)
    assert api_call(server, "GET", "/api/companies").status == 401  # the old bearer too
    fresh = sign_in(server, NEW_TOKEN)
    assert signed_in(server, fresh)
    # Back to the old token: the sessions it signed in stay revoked.
    reconfigure()
    for browser in browsers:
        assert not signed_in(server, browser)
    assert not signed_in(server, fresh)


def test_every_worker_agrees_on_sessions(server: LiveServer, server_factory: Any) -> None:
    """Two processes' worth of app over one database: sign in on one, use and end on the other."""
    other = server_factory()
    browser = sign_in(server)
    assert signed_in(other, browser)
    assert logout(other, browser, browser.csrf).status == 303
    assert not signed_in(server, browser)


def test_https_cookie_is_secure_and_host_prefixed(server: LiveServer, reconfigure: Any) -> None:
    reconfigure(QBWC_PUBLIC_URL="https://sync.example.com")
    reply = fetch(server, "POST", "/login", form={"token": ADMIN_TOKEN})
    assert reply.status == 303
    line = reply.headers["set-cookie"]
    assert line.startswith("__Host-qbwc_session=")
    flags = [p.strip().lower() for p in line.split(";")]
    assert "secure" in flags and "httponly" in flags and "path=/" in flags
    assert not any(f.startswith("domain=") for f in flags)
    value = line.split(";", 1)[0].split("=", 1)[1]
    page = fetch(server, "GET", "/", headers={"Cookie": f"__Host-qbwc_session={value}"})
    assert page.status == 200
    # The plain name is not read when the prefixed one is in force.
    page = fetch(server, "GET", "/", headers={"Cookie": f"qbwc_session={value}"})
    assert page.status in (302, 303)

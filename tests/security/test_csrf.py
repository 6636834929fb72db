"""Cookie-authenticated state changes need our origin and the session's CSRF token; JSON routes
take JSON only; bearer-token clients are unchanged; GET changes nothing (issue 9: a text/plain
cross-site POST with the pages' cookie rotated a Connector Key)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from models import AdminSession, Company, Operation
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.security.http_util import Reply, SignedIn, api_call, fetch, sign_in

EVIL = "http://evil.example"


def world(server: LiveServer) -> dict[str, Any]:
    """A company with a queued operation: every state-changing route has something to hit."""
    company = api_call(server, "POST", "/api/companies", {"name": "Victim Co"}).json()
    op = api_call(
        server,
        "POST",
        f"/api/companies/{company['id']}/operations",
        {"type": "vendor.create", "idempotency_key": "k1", "payload": {"name": "V"}},
    ).json()
    return {"cid": company["id"], "op": op["id"]}


def state_changing_routes(w: dict[str, Any]) -> list[tuple[str, str, Any]]:
    c, o = w["cid"], w["op"]
    return [
        ("POST", "/api/companies", {"name": "Planted Co"}),
        ("PATCH", f"/api/companies/{c}", {"name": "Renamed"}),
        ("POST", f"/api/companies/{c}/connector-key", None),
        ("DELETE", f"/api/companies/{c}/binding", None),
        ("POST", f"/api/companies/{c}/reconcile", None),
        (
            "POST",
            f"/api/companies/{c}/operations",
            {"type": "vendor.create", "idempotency_key": "k2", "payload": {"name": "X"}},
        ),
        ("POST", f"/api/companies/{c}/operations/{o}/retry", None),
        ("POST", f"/api/companies/{c}/operations/{o}/cancel", None),
    ]


def snapshot(db: Any) -> Any:
    with db.transaction() as s:
        companies = [
            (
                c.id,
                c.name,
                c.key_hash,
                c.key_version,
                c.bound_file_stamp,
                c.last_complete_sync_at,
                c.sync_interval_minutes,
            )
            for c in s.scalars(select(Company).order_by(Company.id))
        ]
        ops = [(o.id, o.state, o.attempts) for o in s.scalars(select(Operation))]
        live = [(a.id, a.revoked_at) for a in s.scalars(select(AdminSession))]
        return companies, ops, live


def send(server: LiveServer, method: str, path: str, body: Any, headers: dict[str, str]) -> Reply:
    raw = json.dumps(body) if body is not None else None
    return fetch(server, method, path, headers=headers, body=raw)


@pytest.mark.parametrize(
    "attack",
    [
        {"Content-Type": "text/plain", "Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "text/plain", "Origin": EVIL},  # a browser without Sec-Fetch-*
        {"Content-Type": "text/plain"},  # no Origin either (old browser, or a plain tool)
        {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-site"},
        {"Content-Type": "application/json", "Origin": "null"},  # sandboxed iframe
    ],
    ids=["cross-site", "origin-only", "no-origin", "same-site-form", "null-origin"],
)
def test_cookie_without_csrf_token_changes_nothing(
    server: LiveServer, db: Any, attack: dict[str, str]
) -> None:
    w = world(server)
    browser = sign_in(server)
    before = snapshot(db)
    for method, path, body in state_changing_routes(w):
        reply = send(server, method, path, body, browser.headers(attack))
        assert reply.status == 403, (method, path, reply.status, reply.text[:200])
        error = reply.json()["error"]
        assert error["status"] == 403 and (
            "CSRF" in error["message"] or "refused" in error["message"]
        )
    assert snapshot(db) == before


def test_cookie_with_the_token_but_from_another_site_is_refused(
    server: LiveServer, db: Any
) -> None:
    w = world(server)
    browser = sign_in(server)
    before = snapshot(db)
    for extra in (
        {"Origin": EVIL},
        {"Origin": f"{server.url}.evil.example"},
        {"Origin": server.url.replace("http://", "https://")},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling application on the same domain
    ):
        reply = send(
            server,
            "POST",
            f"/api/companies/{w['cid']}/connector-key",
            None,
            browser.writing(extra),
        )
        assert reply.status == 403, extra
    assert snapshot(db) == before


def test_another_sessions_token_is_refused(server: LiveServer, db: Any) -> None:
    w = world(server)
    mine, theirs = sign_in(server), sign_in(server)
    headers = mine.headers({"X-CSRF-Token": theirs.csrf})
    before = snapshot(db)
    reply = send(server, "POST", f"/api/companies/{w['cid']}/connector-key", None, headers)
    assert reply.status == 403 and "wrong CSRF token" in reply.json()["error"]["message"]
    assert snapshot(db) == before


def _same_origin_script(server: LiveServer, browser: SignedIn) -> dict[str, str]:
    return browser.writing(
        {"Origin": server.url, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
    )


def test_same_origin_script_with_the_token_works_on_every_route(
    server: LiveServer, db: Any
) -> None:
    w = world(server)
    browser = sign_in(server)
    expected = [201, 200, 200, 200, 202, 201, 409, 200]  # retry of a queued op: 409
    got = []
    for method, path, body in state_changing_routes(w):
        reply = send(server, method, path, body, _same_origin_script(server, browser))
        got.append(reply.status)
        assert reply.headers["content-type"].startswith("application/json")
    assert got == expected
    # The Origin may also be absent (the browser did not send one) when the token is right.
    headers = browser.writing({"Content-Type": "application/json"})
    reply = send(server, "PATCH", f"/api/companies/{w['cid']}", {"name": "Again"}, headers)
    assert reply.status == 200 and reply.json()["name"] == "Again"


def test_bearer_clients_are_unchanged(server: LiveServer) -> None:
    w = world(server)
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    # No CSRF token, no Origin, no body or Content-Type on the body-less routes.
    for method, path, body in state_changing_routes(w):
        headers = dict(bearer)
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        reply = send(server, method, path, body, headers)
        assert reply.status in (200, 201, 202, 409), (method, path, reply.text[:200])
    # A bearer header decides alone: a wrong one is refused even next to a valid cookie.
    browser = sign_in(server)
    wrong = browser.writing({"Authorization": "Bearer not-the-token-at-all"})
    assert send(server, "GET", "/api/companies", None, wrong).status == 401


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonp",
        None,
    ],
)
def test_json_routes_take_json_bodies_only(
    server: LiveServer, db: Any, content_type: str | None
) -> None:
    w = world(server)
    before = snapshot(db)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if content_type:
        headers["Content-Type"] = content_type
    for method, path, body in state_changing_routes(w):
        reply = send(server, method, path, body if body is not None else {}, headers)
        assert reply.status == 415, (method, path, content_type, reply.status)
        error = reply.json()["error"]
        assert error["field"] == "Content-Type" and "application/json" in error["message"]
    assert snapshot(db) == before
    ok = dict(headers, **{"Content-Type": "application/merge-patch+json"})
    assert send(server, "PATCH", f"/api/companies/{w['cid']}", {"name": "P"}, ok).status == 200


def test_sign_in_from_another_origin_is_refused(server: LiveServer, db: Any) -> None:
    for extra in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}):
        reply = fetch(server, "POST", "/login", headers=extra, form={"token": ADMIN_TOKEN})
        assert reply.status == 403 and "set-cookie" not in reply.headers
    with db.transaction() as s:
        assert s.scalars(select(AdminSession)).first() is None
    ok = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    assert fetch(server, "POST", "/login", headers=ok, form={"token": ADMIN_TOKEN}).status == 303


def test_get_changes_nothing_anywhere(server: LiveServer, db: Any) -> None:
    w = world(server)
    browser = sign_in(server)
    c, o = w["cid"], w["op"]
    paths = [
        "/",
        "/login",
        "/logout",
        "/support",
        f"/companies/{c}",
        "/healthz",
        "/readyz",
        "/qbwc",
        "/qbwc?wsdl",
        "/api/companies",
        f"/api/companies/{c}",
        f"/api/companies/{c}/qwc",
        f"/api/companies/{c}/sessions",
        f"/api/companies/{c}/operations",
        f"/api/companies/{c}/operations/{o}",
        f"/api/companies/{c}/changes",
        f"/api/companies/{c}/records/vendors",
        # State-changing routes asked with GET: refused, never run.
        f"/api/companies/{c}/connector-key",
        f"/api/companies/{c}/binding",
        f"/api/companies/{c}/reconcile",
        f"/api/companies/{c}/operations/{o}/retry",
        f"/api/companies/{c}/operations/{o}/cancel",
    ]
    before = snapshot(db)
    for path in paths:
        for headers in (browser.headers(), {"Authorization": f"Bearer {ADMIN_TOKEN}"}, {}):
            reply = fetch(server, "GET", path, headers=headers)
            assert reply.status < 500, (path, reply.status)
            assert "set-cookie" not in reply.headers, path
    assert snapshot(db) == before

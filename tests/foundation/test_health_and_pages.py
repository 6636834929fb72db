"""Health checks and the server-rendered pages, over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from qbwc_server.app import create_app
from qbwc_server.db import Database, upgrade
from tests.conftest import ADMIN_TOKEN, LiveServer, _fresh_postgres, make_settings
from tests.foundation.helpers import (
    QbwcSessionDriver,
    create_company,
    make_hcp,
    qwc_fields,
)

UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"


@pytest.fixture(scope="module")
def shared_server(migrated_db: Any, database_url: str) -> Iterator[LiveServer]:
    # One server per module: stopping a server costs half a second.
    server = LiveServer(migrated_db, database_url)
    yield server
    server.close()


@pytest.fixture
def server(shared_server: LiveServer) -> Iterator[LiveServer]:
    """The shared live server (app restored after the test). The database is not emptied per
    test (a TRUNCATE of every table costs most of a second on PostgreSQL); tests that need an
    empty one ask for ``db``."""
    app, settings = shared_server.app, shared_server.settings
    yield shared_server
    shared_server.app, shared_server.settings = app, settings


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database (PostgreSQL when QBWC_TEST_DATABASE_URL says so)."""
    configured = os.environ.get("QBWC_TEST_DATABASE_URL", "")
    if configured.startswith("postgres"):
        url, drop = _fresh_postgres(configured)
        yield url
        drop()
        return
    yield f"sqlite:///{tmp_path / 'fresh.db'}"


def fetch(
    server: LiveServer,
    method: str,
    path: str,
    *,
    cookie: str | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    """One request, no redirect following, no credentials unless given."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers: dict[str, str] = {}
    body = None
    if cookie:
        headers["Cookie"] = f"qbwc_session={cookie}"
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read().decode("utf-8")
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    conn.close()
    return out


def login(server: LiveServer) -> str:
    status, headers, _ = fetch(server, "POST", "/login", form={"token": ADMIN_TOKEN})
    assert status in (302, 303), status
    cookie = headers["set-cookie"]
    assert cookie.startswith("qbwc_session=")
    return cookie.split(";", 1)[0].split("=", 1)[1]


# --- health -------------------------------------------------------------------------------------


def test_healthz_and_readyz_on_a_migrated_database(server: LiveServer) -> None:
    status, headers, body = fetch(server, "GET", "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert headers["content-type"].startswith("application/json")
    status, _, body = fetch(server, "GET", "/readyz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ready"


def test_readyz_is_503_until_migrations_are_applied(fresh_database_url: str) -> None:
    db = Database(fresh_database_url)
    srv = LiveServer(db, fresh_database_url)
    try:
        assert fetch(srv, "GET", "/healthz")[0] == 200  # alive, just not ready
        status, _, body = fetch(srv, "GET", "/readyz")
        assert status == 503
        assert json.loads(body)["migrations"] == "pending"
        upgrade(db)
        status, _, body = fetch(srv, "GET", "/readyz")
        assert status == 200, body
    finally:
        srv.close()
        db.dispose()


def test_readyz_is_503_when_the_database_stops_answering(server: LiveServer) -> None:
    assert fetch(server, "GET", "/readyz")[0] == 200
    # The database behind the running app goes away.
    runtime = server.app.rt
    working, runtime.db = runtime.db, Database(UNREACHABLE_DB)
    try:
        status, headers, body = fetch(server, "GET", "/readyz")
        assert status == 503
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body)["status"] == "unavailable"
        assert fetch(server, "GET", "/healthz")[0] == 200  # liveness does not need the DB
    finally:
        runtime.db.dispose()
        runtime.db = working
    assert fetch(server, "GET", "/readyz")[0] == 200


def test_app_starts_and_reports_503_when_the_database_is_down_at_start() -> None:
    settings = make_settings(UNREACHABLE_DB, 8000)
    app = create_app(settings, Database(UNREACHABLE_DB))
    from werkzeug.test import Client

    client = Client(app)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


# --- pages --------------------------------------------------------------------------------------


def test_support_page_answers_200_without_credentials(server: LiveServer) -> None:
    for path in ("/support", "/support/"):
        status, headers, body = fetch(server, "GET", path)
        assert status == 200, path  # QBWC1003/1004 otherwise
        assert headers["content-type"].startswith("text/html")
        assert "Web Connector" in body
    assert fetch(server, "HEAD", "/support")[0] == 200


@pytest.mark.parametrize("path", ["/", "/companies/1"])
def test_pages_redirect_to_login_without_the_cookie(server: LiveServer, path: str) -> None:
    create_company(server.url, "Hidden Co")
    for cookie in (None, "not-the-token", ADMIN_TOKEN + "x"):
        status, headers, body = fetch(server, "GET", path, cookie=cookie)
        assert status in (302, 303), (path, cookie)
        assert headers["location"].endswith("/login")
        assert "Hidden Co" not in body


def test_login_with_a_wrong_token_is_refused(server: LiveServer) -> None:
    status, _, body = fetch(server, "GET", "/login")
    assert status == 200 and 'name="token"' in body
    status, headers, body = fetch(server, "POST", "/login", form={"token": "wrong-token-value"})
    assert status == 401
    assert "set-cookie" not in headers
    assert "not right" in body


def test_login_sets_a_protected_cookie_and_shows_companies(server: LiveServer, db: Any) -> None:
    create_company(server.url, "Acme & Sons")
    create_company(server.url, "Globex")
    status, headers, _ = fetch(server, "POST", "/login", form={"token": ADMIN_TOKEN})
    assert status in (302, 303) and headers["location"].endswith("/")
    flags = headers["set-cookie"].lower()
    assert "httponly" in flags and "samesite=strict" in flags
    cookie = login(server)
    status, _, body = fetch(server, "GET", "/", cookie=cookie)
    assert status == 200
    assert "Acme &amp; Sons" in body and "Globex" in body
    assert body.count(">Never connected</span>") == 2  # one badge each (the filter names it too)


def test_company_page_shows_name_and_connection_state(server: LiveServer) -> None:
    company = create_company(server.url, "Initech <Payables>")
    cookie = login(server)
    status, _, body = fetch(server, "GET", f"/companies/{company['id']}", cookie=cookie)
    assert status == 200
    assert "Initech &lt;Payables&gt;" in body and "<Payables>" not in body
    assert 'id="connection-status">Never connected<' in body
    assert company["username"] in body
    assert company["connector_key"] not in body

    # A Web Connector connects: authenticate, then the first sendRequestXML.
    qwc = qwc_fields(server.url, company["id"])
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    assert wc.send_request(make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"]))
    status, _, body = fetch(server, "GET", f"/companies/{company['id']}", cookie=cookie)
    assert status == 200
    assert 'id="connection-status">Syncing<' in body


def test_company_page_for_an_unknown_company_is_404(server: LiveServer) -> None:
    cookie = login(server)
    for path in ("/companies/999", "/companies/abc"):
        status, headers, _ = fetch(server, "GET", path, cookie=cookie)
        assert status == 404, path
        assert headers["content-type"].startswith("text/html")
    assert fetch(server, "GET", "/no/such/page")[0] == 404


def test_logout_by_get_changes_nothing(server: LiveServer) -> None:
    cookie = login(server)
    status, headers, body = fetch(server, "GET", "/logout", cookie=cookie)
    assert status == 200 and "set-cookie" not in headers
    assert 'method="post" action="/logout"' in body  # the button that signs out
    assert fetch(server, "GET", "/", cookie=cookie)[0] == 200  # still signed in
    status, headers, _ = fetch(server, "GET", "/logout")
    assert status in (302, 303) and headers["location"].endswith("/login")


def test_pages_are_closed_when_no_admin_token_is_configured(
    server: LiveServer, database_url: str, migrated_db: Any
) -> None:
    server.settings = make_settings(database_url, server.port, QBWC_ADMIN_TOKEN="")
    server.app = create_app(server.settings, migrated_db)
    assert fetch(server, "GET", "/support")[0] == 200
    assert fetch(server, "GET", "/login")[0] == 503
    status, headers, _ = fetch(server, "POST", "/login", form={"token": ""})
    assert status == 503 and "set-cookie" not in headers
    assert fetch(server, "GET", "/", cookie="")[0] in (302, 303)

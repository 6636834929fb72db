"""Issue 11 item 5: ``POST/DELETE /api/companies/{id}/setup-link`` (services/setup_links.py)."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from models import SetupLink
from tests.conftest import LiveServer
from tests.foundation.helpers import create_company
from tests.security.http_util import api_call, fetch

URL = re.compile(r"^http://localhost:(\d+)/setup/([A-Za-z0-9_-]{43})$")


def new_link(server: LiveServer, company_id: int, body: Any = None) -> tuple[str, datetime]:
    reply = api_call(server, "POST", f"/api/companies/{company_id}/setup-link", body)
    assert reply.status == 201, reply.text
    data = reply.json()
    assert set(data) == {"url", "expires_at"}
    found = URL.match(data["url"])
    assert found and int(found.group(1)) == server.port, data["url"]
    return found.group(2), datetime.fromisoformat(data["expires_at"])


def page(server: LiveServer, token: str) -> Any:
    return fetch(server, "GET", f"/setup/{token}")


def test_a_link_opens_the_page_for_seven_days_and_only_its_hash_is_stored(
    live_server: LiveServer,
) -> None:
    company = create_company(live_server.url, "Linked Co")
    before = datetime.now(UTC)
    token, expires_at = new_link(live_server, company["id"])
    assert before + timedelta(days=7) <= expires_at <= datetime.now(UTC) + timedelta(days=7)
    reply = page(live_server, token)
    assert reply.status == 200 and "Linked Co" in reply.text
    with live_server.app.rt.db.engine.connect() as conn:
        rows = [tuple(str(v) for v in r) for r in conn.execute(text("SELECT * FROM setup_links"))]
    assert len(rows) == 1
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]
    assert not any(token in value for value in rows[0])


def test_the_lifetime_can_be_chosen_within_bounds(live_server: LiveServer) -> None:
    company = create_company(live_server.url)
    path = f"/api/companies/{company['id']}/setup-link"
    _token, expires_at = new_link(live_server, company["id"], {"expires_in_hours": 1})
    assert abs(expires_at - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=1)
    _token, expires_at = new_link(live_server, company["id"], {"expires_in_hours": 720})
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
    for bad in (0, -1, 721, 10**30, "24", 1.5, True, None, [24], {"h": 1}):
        reply = api_call(live_server, "POST", path, {"expires_in_hours": bad})
        assert reply.status == 422, (bad, reply.text)
        assert reply.json()["error"]["field"] == "expires_in_hours", bad
    reply = api_call(live_server, "POST", path, {"expires_in_days": 3})
    assert reply.status == 422 and reply.json()["error"]["field"] == "expires_in_days"
    for raw in (b"[]", b"24", b"{"):
        reply = fetch(
            live_server,
            "POST",
            path,
            body=raw,
            headers={"Content-Type": "application/json"},
            bearer=live_server.settings.admin_token,
        )
        assert reply.status in (400, 422), (raw, reply.status, reply.text)
        assert "error" in reply.json()
    reply = fetch(
        live_server,
        "POST",
        path,
        body="expires_in_hours=1",
        headers={"Content-Type": "text/plain"},
        bearer=live_server.settings.admin_token,
    )
    assert reply.status == 415


def test_the_routes_need_the_admin_token_and_a_company(live_server: LiveServer) -> None:
    company = create_company(live_server.url)
    for method in ("POST", "DELETE"):
        reply = fetch(live_server, method, f"/api/companies/{company['id']}/setup-link")
        assert reply.status == 401, method
        for bad_id in ("999", "0", "abc", "1" * 23):
            reply = api_call(live_server, method, f"/api/companies/{bad_id}/setup-link")
            assert reply.status == 404, (method, bad_id, reply.text)
            assert reply.json()["error"]["field"] == "company_id"
    with live_server.app.rt.db.engine.connect() as conn:
        assert conn.execute(select(SetupLink)).first() is None


def test_a_new_link_replaces_the_old_and_delete_revokes(live_server: LiveServer) -> None:
    company = create_company(live_server.url, "Replaced Co")
    path = f"/api/companies/{company['id']}/setup-link"
    first, _ = new_link(live_server, company["id"])
    second, _ = new_link(live_server, company["id"])
    assert first != second
    assert page(live_server, first).status == 404
    assert page(live_server, second).status == 200
    reply = api_call(live_server, "DELETE", path)
    assert reply.status == 200 and reply.json() == {"revoked": True}
    assert page(live_server, second).status == 404
    reply = api_call(live_server, "DELETE", path)
    assert reply.status == 200 and reply.json() == {"revoked": False}
    third, _ = new_link(live_server, company["id"])
    assert page(live_server, third).status == 200


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown", "malformed"])
def test_a_dead_link_is_one_page_that_names_no_company(live_server: LiveServer, how: str) -> None:
    company = create_company(live_server.url, "Dead Link Co")
    token, _ = new_link(live_server, company["id"])
    if how == "expired":
        with live_server.app.rt.db.transaction() as s:
            s.execute(update(SetupLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    elif how == "revoked":
        api_call(live_server, "DELETE", f"/api/companies/{company['id']}/setup-link")
    elif how == "unknown":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    else:
        token = token + "x"
    unknown = fetch(live_server, "GET", "/setup/" + "Q" * 43)
    for method, suffix in (("GET", ""), ("GET", "/connector-key"), ("POST", "/connector")):
        reply = fetch(live_server, method, f"/setup/{token}{suffix}")
        assert reply.status == 404, (how, method, suffix)
        assert "Dead Link Co" not in reply.text
        assert reply.text == unknown.text  # nothing tells a dead link from a made-up one


def test_the_access_line_masks_the_token(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    company = create_company(live_server.url, "Logged Co")
    token, _ = new_link(live_server, company["id"])
    caplog.set_level("DEBUG")
    assert page(live_server, token).status == 200
    assert fetch(live_server, "GET", f"/setup/{token}/connector-key").status == 200
    wanted = {"GET /setup/[redacted] 200", "GET /setup/[redacted]/connector-key 200"}
    for _ in range(100):  # the access line is written once the body has gone out
        lines = [record.getMessage() for record in caplog.records]
        if wanted <= set(lines):
            break
        time.sleep(0.02)
    assert "GET /setup/[redacted] 200" in lines
    assert "GET /setup/[redacted]/connector-key 200" in lines
    assert not [line for line in lines if token in line]

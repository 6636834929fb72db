"""The pages' forms over plain HTTP: every state change is a POST that needs the session's CSRF
token; a GET of the same address changes nothing (a confirmation page, or 405)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.security.http_util import api_call, fetch, sign_in


@pytest.fixture
def company(live_server: LiveServer) -> dict[str, Any]:
    reply = api_call(live_server, "POST", "/api/companies", {"name": "Forms Inc"})
    assert reply.status == 201
    created: dict[str, Any] = reply.json()
    op = api_call(
        live_server,
        "POST",
        f"/api/companies/{created['id']}/operations",
        {"type": "vendor.create", "idempotency_key": "f1", "payload": {"name": "Queued Co"}},
    )
    assert op.status == 201
    created["op_id"] = op.json()["id"]
    return created


def _posts(company: dict[str, Any]) -> dict[str, dict[str, str]]:
    cid, op = company["id"], company["op_id"]
    return {
        "/companies": {"name": "Sneaky", "sync_interval_minutes": "15"},
        f"/companies/{cid}/connector-key": {},
        f"/companies/{cid}/binding/reset": {},
        f"/companies/{cid}/settings": {"sync_interval_minutes": "99"},
        f"/companies/{cid}/operations/{op}/cancel": {},
        f"/companies/{cid}/operations/{op}/retry": {},
    }


def _snapshot(server: LiveServer, cid: int, op: int) -> tuple[Any, ...]:
    view = api_call(server, "GET", f"/api/companies/{cid}").json()
    listed = api_call(server, "GET", "/api/companies").json()["data"]
    state = api_call(server, "GET", f"/api/companies/{cid}/operations/{op}").json()["state"]
    return (view["key_version"], view["sync_interval_minutes"], len(listed), state)


def test_a_get_changes_nothing_and_a_post_needs_the_csrf_token(
    live_server: LiveServer, company: dict[str, Any]
) -> None:
    browser = sign_in(live_server)
    cid, op = company["id"], company["op_id"]
    before = _snapshot(live_server, cid, op)
    for path in _posts(company):
        reply = fetch(live_server, "GET", path, headers=browser.headers())
        assert reply.status in (200, 405), (path, reply.status)
        if reply.status == 200:  # a confirmation page whose button posts
            assert re.search(rf'<form method="post" action="{re.escape(path)}"', reply.text)
    for path, form in _posts(company).items():
        reply = fetch(live_server, "POST", path, headers=browser.headers(), form=form)
        assert reply.status == 403 and "CSRF" in reply.text, (path, reply.status)
        wrong = fetch(
            live_server, "POST", path, headers=browser.headers(), form={**form, "csrf_token": "x"}
        )
        assert wrong.status == 403, (path, wrong.status)
    assert _snapshot(live_server, cid, op) == before

    # With the token, the same posts do their work.
    token = {"csrf_token": browser.csrf}
    posted = {
        path: fetch(live_server, "POST", path, headers=browser.headers(), form={**form, **token})
        for path, form in _posts(company).items()
    }
    assert (
        posted["/companies"].status == 200
        and "Connector Key for Sneaky" in posted["/companies"].text
    )
    assert posted[f"/companies/{cid}/connector-key"].status == 200
    assert posted[f"/companies/{cid}/settings"].status == 303
    assert posted[f"/companies/{cid}/operations/{op}/cancel"].status == 303
    refused = posted[f"/companies/{cid}/operations/{op}/retry"]  # cancelled: nothing to retry
    assert refused.status == 409 and "only failed or needs_attention" in refused.text
    key_version, interval, count, state = _snapshot(live_server, cid, op)
    assert (key_version, interval, count, state) == (before[0] + 1, 99, before[2] + 1, "cancelled")


def test_a_key_page_is_never_cached_and_a_signed_out_post_goes_to_sign_in(
    live_server: LiveServer, company: dict[str, Any]
) -> None:
    browser = sign_in(live_server)
    reply = fetch(
        live_server,
        "POST",
        f"/companies/{company['id']}/connector-key",
        headers=browser.headers(),
        form={"csrf_token": browser.csrf},
    )
    assert reply.status == 200 and "no-store" in reply.headers["cache-control"]
    key = re.search(r'id="connector-key" class="key" value="([^"]+)"', reply.text)
    assert key and key.group(1) != company["connector_key"]
    profile = fetch(live_server, "GET", f"/companies/{company['id']}", headers=browser.headers())
    assert key.group(1) not in profile.text and company["connector_key"] not in profile.text
    signed_out = fetch(live_server, "POST", f"/companies/{company['id']}/connector-key")
    assert signed_out.status in (302, 303) and signed_out.headers["location"].endswith("/login")

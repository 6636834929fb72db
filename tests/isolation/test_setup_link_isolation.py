"""A setup link opens its own company's setup page and nothing else: not another company, not
``/api``, not the admin pages (issue 9 item 3, issue 11 item 5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.isolation.conftest import SecretsWatch, World
from tests.security.http_util import fetch

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def new_link(world: World, watch: SecretsWatch, company_id: int) -> str:
    status, body = world.api.request("POST", f"/api/companies/{company_id}/setup-link")
    assert status == 201, body
    token = str(body["url"]).rsplit("/", 1)[1]
    watch.add(token)
    return token


def csrf_of(world: World, watch: SecretsWatch, token: str) -> str:
    found = _CSRF.search(fetch(world.server, "GET", f"/setup/{token}").text)
    assert found
    watch.add(found.group(1))
    return found.group(1)


def foreign_words(view: dict[str, Any]) -> list[str]:
    """What of a company no other company's setup page may show."""
    words = [view["name"], view["username"], view["file_id"], view["app_name"]]
    words += [v for v in (view["binding"]["company_name"], view["binding"]["file_path"]) if v]
    return words


@pytest.fixture
def links(world: World, secrets_watch: SecretsWatch) -> Iterator[dict[int, str]]:
    ids = (world.alpha.company_id, world.beta.company_id, world.gamma["id"])
    yield {cid: new_link(world, secrets_watch, cid) for cid in ids}
    for cid in ids:
        world.api.request("DELETE", f"/api/companies/{cid}/setup-link")


def test_a_link_shows_its_own_company_and_no_other(
    world: World, secrets_watch: SecretsWatch, links: dict[int, str]
) -> None:
    views = {cid: world.api.get(f"/api/companies/{cid}") for cid in links}
    for cid, token in links.items():
        others = [other for other in links if other != cid]
        own = views[cid]
        for path in (
            f"/setup/{token}",
            *(f"/setup/{token}?company_id={o}&id={o}&company={o}" for o in others),
        ):
            reply = fetch(world.server, "GET", path)
            assert reply.status == 200, path
            assert own["name"] in reply.text and own["app_name"] in reply.text
            for other in others:
                for word in foreign_words(views[other]):
                    assert word not in reply.text, (cid, other, word)
        if own["binding"]["company_name"]:
            assert f"QuickBooks file: {own['binding']['company_name']}" in reply.text
        # Another company's id in the path names no route of the setup page.
        for other in others:
            for path in (f"/setup/{token}/{other}", f"/setup/{token}/companies/{other}"):
                assert fetch(world.server, "GET", path).status == 404, path
        # The connector it downloads is its own company's .qwc, whatever the form adds.
        csrf = csrf_of(world, secrets_watch, token)
        reply = fetch(
            world.server,
            "POST",
            f"/setup/{token}/connector",
            form={"csrf_token": csrf, "company_id": str(others[0])},
            headers=SAME_ORIGIN,
        )
        assert reply.status == 200
        status, own_qwc = world.api.request("GET", f"/api/companies/{cid}/qwc")
        assert status == 200 and reply.text == own_qwc
        # One link's CSRF token is worthless on another link.
        other_token = links[others[0]]
        refused = fetch(
            world.server,
            "POST",
            f"/setup/{other_token}/connector",
            form={"csrf_token": csrf},
            headers=SAME_ORIGIN,
        )
        assert refused.status == 403


def test_a_key_generated_through_a_link_is_its_companys_alone(
    world: World, secrets_watch: SecretsWatch, links: dict[int, str]
) -> None:
    gamma = world.gamma["id"]
    before = {cid: world.api.get(f"/api/companies/{cid}")["key_version"] for cid in links}
    token = links[gamma]
    reply = fetch(
        world.server,
        "POST",
        f"/setup/{token}/connector-key",
        form={
            "csrf_token": csrf_of(world, secrets_watch, token),
            "key_version": str(before[gamma]),
        },
        headers=SAME_ORIGIN,
    )
    assert reply.status == 200
    key = re.search(r'id="connector-key"[^>]*value="(QBWC-[A-Z2-7-]+)"', reply.text)
    assert key
    secrets_watch.add(key.group(1))
    after = {cid: world.api.get(f"/api/companies/{cid}")["key_version"] for cid in links}
    assert after[gamma] == before[gamma] + 1
    assert {c: v for c, v in after.items() if c != gamma} == {
        c: v for c, v in before.items() if c != gamma
    }
    # The other companies' Web Connectors keep syncing with their keys.
    world.alpha.run_session()
    world.beta.run_session()


def api_routes(world: World) -> list[tuple[str, str]]:
    a, b = world.alpha.company_id, world.beta.company_id
    routes = [("GET", "/api/companies"), ("GET", "/api/help")]
    for cid in (a, b):
        routes += [
            ("GET", f"/api/companies/{cid}"),
            ("GET", f"/api/companies/{cid}/qwc"),
            ("GET", f"/api/companies/{cid}/records/vendors"),
            ("GET", f"/api/companies/{cid}/operations"),
            ("POST", f"/api/companies/{cid}/connector-key"),
            ("POST", f"/api/companies/{cid}/setup-link"),
            ("DELETE", f"/api/companies/{cid}/setup-link"),
            ("DELETE", f"/api/companies/{cid}/binding"),
        ]
    return routes


def test_a_setup_token_opens_no_api_route_and_no_admin_page(
    world: World, secrets_watch: SecretsWatch, links: dict[int, str]
) -> None:
    token = links[world.alpha.company_id]
    csrf = csrf_of(world, secrets_watch, token)
    before = {cid: world.api.get(f"/api/companies/{cid}")["key_version"] for cid in links}
    as_cookie = [
        {"Cookie": f"qbwc_session={token}", "X-CSRF-Token": csrf, **SAME_ORIGIN},
        {"Cookie": f"__Host-qbwc_session={token}; qbwc_setup={token}", **SAME_ORIGIN},
    ]
    for method, path in api_routes(world):
        for headers in as_cookie:
            reply = fetch(world.server, method, path, headers=headers)
            assert reply.status == 401, (method, path, headers.keys(), reply.status)
    try:
        # As a bearer token (each wrong one counts against this address's sign-in budget).
        for method, path in api_routes(world)[:4]:
            reply = fetch(world.server, method, path, bearer=token)
            assert reply.status == 401, (method, path, reply.status)
    finally:
        with world.server.app.rt.db.transaction() as s:
            s.execute(text("DELETE FROM signin_failures"))
    for path in (
        "/",
        f"/companies/{world.alpha.company_id}",
        f"/companies/{world.beta.company_id}",
    ):
        for headers in as_cookie:
            reply = fetch(world.server, "GET", path, headers=headers)
            assert reply.status in (302, 303) and reply.headers["location"].endswith("/login")
    # Nothing changed: no key rotated, no binding reset, every link still the one it was.
    after = {cid: world.api.get(f"/api/companies/{cid}")["key_version"] for cid in links}
    assert after == before
    for cid, own in links.items():
        assert fetch(world.server, "GET", f"/setup/{own}").status == 200, cid
    assert world.api.get(f"/api/companies/{world.alpha.company_id}")["binding"]["bound"]


def test_begin_sync_and_not_this_file_touch_no_bound_company(
    world: World, secrets_watch: SecretsWatch, links: dict[int, str]
) -> None:
    before = {cid: world.api.get(f"/api/companies/{cid}")["binding"] for cid in links}
    alpha, beta = world.alpha.company_id, world.beta.company_id
    for action in ("begin-sync", "not-this-file"):
        for token in (links[alpha], links[beta]):
            reply = fetch(
                world.server,
                "POST",
                f"/setup/{token}/{action}",
                form={"csrf_token": csrf_of(world, secrets_watch, token), "seen_at": ""},
                headers=SAME_ORIGIN,
            )
            assert reply.status == 200 and "Nothing was changed" in reply.text, action
        # Another link's CSRF token is refused before anything is looked at.
        reply = fetch(
            world.server,
            "POST",
            f"/setup/{links[alpha]}/{action}",
            form={"csrf_token": csrf_of(world, secrets_watch, links[beta]), "seen_at": ""},
            headers=SAME_ORIGIN,
        )
        assert reply.status == 403
    after = {cid: world.api.get(f"/api/companies/{cid}")["binding"] for cid in links}
    assert after == before

"""The pages' security headers as a real browser applies them (headless Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.foundation.helpers import create_company
from tests.web.attacker import AttackerSite
from tests.web.browser import browser_page, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def page() -> Iterator[Any]:
    with browser_page() as pg:
        yield pg


@pytest.fixture
def attacker() -> Iterator[AttackerSite]:
    site = AttackerSite()
    yield site
    site.close()


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=token]", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_another_site_cannot_frame_the_pages(
    live_server: Any, page: Any, attacker: AttackerSite
) -> None:
    company = create_company(live_server.url, "Framed Co")
    sign_in(page, live_server.url)
    for path in ("/login", "/", f"/companies/{company['id']}"):
        url = attacker.serve(
            "/frame", f'<h1>Win a prize</h1><iframe id="f" src="{live_server.url}{path}"></iframe>'
        )
        page.goto(url)
        page.wait_for_load_state("load")
        framed = [f for f in page.frames if f != page.main_frame]
        assert len(framed) == 1
        # Blocked by frame-ancestors: Chromium shows its error page instead of ours.
        assert not framed[0].url.startswith(live_server.url), framed[0].url
        assert "Framed Co" not in framed[0].content()
        assert framed[0].query_selector("input[name=token]") is None


def test_pages_render_under_their_policy_without_violations(live_server: Any, page: Any) -> None:
    create_company(live_server.url, "Styled Co")
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server.url + "/login")
    screenshot(page, "sign-in")
    sign_in(page, live_server.url)
    page.click("text=Styled Co")
    page.wait_for_load_state("load")
    screenshot(page, "company-profile")
    # The stylesheet loaded under style-src 'self' (the header bar has its colour).
    colour = page.eval_on_selector("header", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(29, 53, 87)"
    assert problems == []


def key_version(base: str, company_id: int) -> int:
    from tests.foundation.helpers import api

    status, body, _ = api(base, "GET", f"/api/companies/{company_id}")
    assert status == 200
    return int(body["key_version"])


def test_another_site_cannot_change_anything_with_the_signed_in_cookie(
    live_server: Any, page: Any, attacker: AttackerSite
) -> None:
    company = create_company(live_server.url, "Victim Co")
    target = f"{live_server.url}/api/companies/{company['id']}/connector-key"
    sign_in(page, live_server.url)
    # 1. An auto-submitted text/plain form (the attack that rotated a key): the browser sends
    #    the cookie (same site, other origin) and navigates to our answer.
    url = attacker.serve(
        "/form",
        f'<form id="f" method="post" action="{target}" enctype="text/plain">'
        "<input name='{\"x\":\"' value='\"}'></form>"
        "<script>document.getElementById('f').submit()</script>",
    )
    with page.expect_navigation(url=target):
        page.goto(url)
    assert '"status":403' in page.content()
    # 2. fetch() with the cookie, no-cors, text/plain. The request is sent; its (opaque)
    #    answer is then withheld from the page by Cross-Origin-Resource-Policy.
    page.goto(attacker.serve("/blank", "<p>hi</p>"))
    page.evaluate(
        """url => fetch(url, {method: 'POST', mode: 'no-cors', credentials: 'include',
                               headers: {'Content-Type': 'text/plain'}, body: '{}'})
                  .then(() => 'answered', () => 'withheld')""",
        target,
    )
    # 3. Reading our API from another origin: the browser refuses (we never send CORS headers).
    read = page.evaluate(
        """url => fetch(url, {credentials: 'include'}).then(r => 'read', e => 'blocked')""",
        f"{live_server.url}/api/companies",
    )
    assert read == "blocked"
    assert key_version(live_server.url, company["id"]) == 1
    assert attacker.hits.count("/form") == 1


def test_sign_out_button_ends_the_session_on_the_server(live_server: Any, page: Any) -> None:
    sign_in(page, live_server.url)
    saved = page.context.cookies()
    assert [c["name"] for c in saved] == ["qbwc_session"]
    assert saved[0]["httpOnly"] and saved[0]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # not readable by scripts
    page.click("header >> text=Sign out")
    page.wait_for_url(live_server.url + "/login")
    # Put the old cookie back, as someone who copied it would: it opens nothing.
    page.context.add_cookies(saved)
    page.goto(live_server.url + "/")
    assert page.url == live_server.url + "/login"


def test_a_throttled_sign_in_says_when_to_try_again(server_factory: Any, page: Any) -> None:
    server = server_factory(QBWC_ADMIN_SIGNIN_FAILURE_LIMIT=2)
    page.goto(server.url + "/login")
    for _ in range(2):
        page.fill("input[name=token]", "wrong-token-wrong-token")
        page.click("button[type=submit]")
        assert "not right" in page.inner_text("main")
    page.fill("input[name=token]", ADMIN_TOKEN)  # right, but too late for this address
    page.click("button[type=submit]")
    message = page.inner_text("main")
    assert "Too many failed sign-ins from your address" in message
    assert "Try again in 15 minutes" in message
    screenshot(page, "sign-in-throttled")
    assert page.context.cookies() == []

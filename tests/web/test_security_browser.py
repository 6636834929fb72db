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

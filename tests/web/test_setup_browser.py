"""The setup link in a real browser (headless Chromium), signed out, with the simulator as the
customer's Web Connector: download the connector, generate and copy the key, confirm the
company file with Begin Sync, watch the checklist go to Connected to Server; axe-core finds no
serious or critical problem on the way (issue 11 item 5 and Acceptance)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.qwc import parse_qwc
from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.webconnector import WebConnector
from tests.foundation.helpers import api, create_company
from tests.sync.helpers import SMALL_PAGES, MovableHttp, generate_current
from tests.web.browser import browser_page, screenshot

pytestmark = pytest.mark.browser

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
SERIOUS = ("serious", "critical")


@pytest.fixture
def page() -> Iterator[Any]:
    with browser_page() as pg:
        pg.set_viewport_size({"width": 1200, "height": 900})
        yield pg


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = axe_sync.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def look(page: Any, name: str) -> Path:
    """A screenshot for people, and the accessibility check of the same state."""
    shot = screenshot(page, name)
    assert shot.stat().st_size > 5000
    assert accessibility_problems(page) == [], name
    return shot


class GatedHttp:
    """The Web Connector's HTTP, stopping before call ``pause_at`` until released, so the test
    can look at the page while a sync is on."""

    def __init__(self, port: int, pause_at: int) -> None:
        self.http = MovableHttp(port)
        self.pause_at = pause_at
        self.calls = 0
        self.paused = threading.Event()
        self.release = threading.Event()

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        self.calls += 1
        if self.calls == self.pause_at:
            self.paused.set()
            assert self.release.wait(120), "the test never released the Web Connector"
        return self.http(path, body, headers)


def state(page: Any) -> str:
    return str(page.inner_text("#setup-state"))


def step_status(page: Any, key: str) -> str:
    classes = str(page.get_attribute(f"#step-{key}", "class"))
    return next(c for c in ("done", "current", "later") if c in classes.split())


def test_the_setup_link_takes_the_quickbooks_pc_to_connected_to_server(
    server_factory: Any, page: Any, tmp_path: Path
) -> None:
    server = server_factory(**SMALL_PAGES)
    company = create_company(
        server.url,
        "Acme Supplies",
        history_start="all",
        sync_interval_minutes=0,
        confirm_binding=True,
    )
    status, link, _ = api(server.url, "POST", f"/api/companies/{company['id']}/setup-link")
    assert status == 201
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    # Opened signed out: this company's steps, nothing of the admin pages.
    page.goto(link["url"])
    assert page.inner_text("h1") == "Connect Acme Supplies to QuickBooks"
    assert state(page) == "Never connected"
    assert step_status(page, "downloaded") == "current"
    assert page.is_visible("text=This list updates by itself")  # the script runs under the CSP
    assert page.context.cookies() == []
    look(page, "setup-link-start")

    # Download Connector: this company's .qwc, and the checklist ticks it off by itself.
    with page.expect_download() as download_info:
        page.click("#download-connector")
    download = download_info.value
    assert download.suggested_filename == f"Acme-Supplies-{company['id']}.qwc"
    qwc = parse_qwc(Path(download.path()).read_bytes())
    assert qwc.username == company["username"] and qwc.app_url == server.qbwc_url
    page.wait_for_selector("#step-downloaded.done", timeout=15_000)
    assert step_status(page, "reached") == "current"

    # Generate Connector Key: a confirmation first, then the key once, with Copy.
    page.click("#generate-key")
    page.wait_for_url("**/connector-key")
    assert "stops working at once" in page.inner_text("#key-warning")
    look(page, "setup-link-key-confirm")
    page.click("#confirm-new-key")
    page.wait_for_selector("#connector-key")
    key = str(page.input_value("#connector-key"))
    assert key.startswith("QBWC-") and key != company["connector_key"]
    page.click("button[data-copy=connector-key]")
    page.wait_for_selector("#copy-status:has-text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == key
    look(page, "setup-link-key")

    # The customer's Web Connector, with the downloaded .qwc and the pasted key.
    quickbooks = FakeQuickBooks(generate_current("tiny", seed=7, company_name="Acme QB File"))
    gate = GatedHttp(server.port, pause_at=0)
    wc = WebConnector.from_qwc(qwc, key, quickbooks, transport=gate)
    # Its first run reads which company file is open and asks the person to confirm it.
    wc.run_session()
    page.wait_for_selector("#setup-state:text-is('Waiting for confirmation')", timeout=15_000)
    assert step_status(page, "reached") == "done"
    assert step_status(page, "confirmed") == "current"
    assert "Acme QB File" in page.inner_text("#confirm-file")
    look(page, "setup-link-confirm-file")
    page.click("#begin-sync")
    page.wait_for_selector("#step-confirmed.done")
    assert page.query_selector("#begin-sync") is None

    # Update Selected once more: the sync runs (held halfway so the test can look).
    gate.pause_at = gate.calls + 25
    reports: list[SessionReport] = []
    runner = threading.Thread(target=lambda: reports.append(wc.run_session()), daemon=True)
    runner.start()
    try:
        assert gate.paused.wait(60), "the Web Connector never got that far"
        page.wait_for_selector("#setup-state:text-is('Syncing')", timeout=15_000)
        page.wait_for_selector("#first-sync-progress", timeout=15_000)
        for key_name in ("downloaded", "reached", "confirmed"):
            assert step_status(page, key_name) == "done", key_name
        assert step_status(page, "first_sync") == "current"
        detail = page.inner_text("#step-first_sync")
        assert "% done" in detail and "left" in detail, detail
        assert "QuickBooks file: Acme QB File" in page.inner_text("#step-confirmed")
        look(page, "setup-link-syncing")
    finally:
        gate.release.set()
        runner.join(120)
    assert reports and reports[0].outcome == Outcome.COMPLETED, reports

    page.wait_for_selector("#setup-state:text-is('Connected to Server')", timeout=15_000)
    for key_name in ("downloaded", "reached", "confirmed", "first_sync", "connected"):
        assert step_status(page, key_name) == "done", key_name
    assert page.is_visible("#all-set")
    look(page, "setup-link-connected")
    assert problems == []

    # The link opens nothing else in this browser.
    page.goto(f"{server.url}/companies/{company['id']}")
    assert page.url == server.url + "/login"
    response = page.goto(f"{server.url}/api/companies/{company['id']}")
    assert response is not None and response.status == 401
    # Revoked: the open page says so at its next refresh, and the link shows one plain page.
    page.goto(link["url"])
    api(server.url, "DELETE", f"/api/companies/{company['id']}/setup-link")
    page.wait_for_selector("#setup-status >> text=no longer works", timeout=15_000)
    page.reload()
    assert "does not work" in page.inner_text("#setup-message")
    assert "Acme" not in page.content()
    look(page, "setup-link-gone")
    assert not runner.is_alive()

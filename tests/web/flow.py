"""What the Company Profile browser tests share: signing in, a Web Connector (the simulator)
built from what the pages hand out, and running a session while the browser watches."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.qwc import parse_qwc
from qbwc_server.sim.report import SessionReport
from qbwc_server.sim.webconnector import WebConnector
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.web.accessibility import assert_accessible
from tests.web.browser import screenshot

WAIT_MS = 30_000


def sign_in(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=token]", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")


def look(page: Any, name: str) -> Path:
    """A screenshot for people to look at, and the page's accessibility checked (the page's
    auto-refresh stopped first: the checks take longer than it waits)."""
    page.evaluate("() => document.body.removeAttribute('data-refresh')")
    path = screenshot(page, name)
    assert_accessible(page, name)
    return path


def state_of(page: Any) -> str:
    return str(page.inner_text("#connection-status")).strip()


def download_connector(page: Any) -> bytes:
    """Click Download Connector; the .qwc file the browser saved."""
    with page.expect_download() as download:
        page.click("#download-connector")
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".qwc")
    return Path(path).read_bytes()


def copied_key(page: Any) -> str:
    """Click Copy on the Connector Key page; what landed on the clipboard."""
    page.click("#copy-key")
    page.wait_for_selector("#copy-result:has-text('Copied')", timeout=WAIT_MS)
    text = str(page.evaluate("() => navigator.clipboard.readText()"))
    assert text == page.input_value("#connector-key")
    return text


def web_connector(
    server: LiveServer, qwc_bytes: bytes, key: str, company_file: CompanyFile
) -> WebConnector:
    """The simulator as the Web Connector on the customer's PC: the downloaded .qwc, the key
    copied from the page, a QuickBooks company file."""
    qwc = parse_qwc(qwc_bytes)
    return WebConnector.from_qwc(
        qwc, key, FakeQuickBooks(company_file), url=server.qbwc_url, keep_requests=False
    )


class WatchedSession:
    """Runs one Web Connector session in a thread that stops at its first progress report
    until the test has looked (the browser is driven from the test's thread only)."""

    def __init__(self, wc: WebConnector) -> None:
        self.wc = wc
        self.reported = threading.Event()
        self.release = threading.Event()
        self.report: SessionReport | None = None
        self.error: BaseException | None = None
        wc.on_progress = self._on_progress
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _on_progress(self, report: SessionReport, value: int) -> None:
        if not self.reported.is_set() and 0 < value < 100:
            self.reported.set()
            self.release.wait(WAIT_MS / 1000)

    def _run(self) -> None:
        try:
            self.report = self.wc.run_session()
        except BaseException as exc:  # surfaced in finish()
            self.error = exc
        finally:
            self.reported.set()

    def start(self) -> WatchedSession:
        self.thread.start()
        assert self.reported.wait(WAIT_MS / 1000), "the session reported no progress"
        return self

    def finish(self) -> SessionReport:
        self.release.set()
        self.thread.join(120)
        assert not self.thread.is_alive(), "the session did not end"
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


def until(page: Any, check: Callable[[], bool], url: str, tries: int = 20) -> None:
    """Reload ``url`` until ``check()`` holds."""
    for _ in range(tries):
        page.goto(url)
        if check():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"{url}: never true; state {state_of(page)!r}")

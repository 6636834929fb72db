"""The Company Profile's controls of when and what syncs (issue 11): Pause and Resume, the sync
window, the restore date, and "Not this file" for a company file waiting for confirmation. In
headless Chromium over HTTP, the simulator as the Web Connector."""

from __future__ import annotations

from typing import Any

import pytest

from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from tests.conftest import LiveServer
from tests.sync.helpers import Api, Rig, generate_current, make_rig
from tests.web.flow import look, sign_in, state_of

pytestmark = pytest.mark.browser


def _synced(server: LiveServer, schema: Any, *, confirm: bool = False, page: Any = None) -> Rig:
    """A company the simulator synced (or, ``confirm``, one waiting for Begin Sync); with
    ``page``, signed in on its profile."""
    rig = make_rig(
        app=server.app, api=Api(base_url=server.url), qb=FakeQuickBooks(generate_current("tiny")),
        schema=schema, qbwc_url=server.qbwc_url, confirm_binding=confirm,
    )  # fmt: skip
    rig.run_session(expect=Outcome.SERVER_ERROR if confirm else Outcome.COMPLETED)
    if page is not None:
        sign_in(page, server)
        page.goto(f"{server.url}/companies/{rig.company_id}")
    return rig


def test_pause_and_resume(live_server: LiveServer, page: Any, request_schema: Any) -> None:
    acme = _synced(live_server, request_schema)
    sign_in(page, live_server)
    profile = f"{live_server.url}/companies/{acme.company_id}"
    page.goto(profile)
    assert state_of(page) == "Connected to Server"
    page.select_option("#pause-for", "4h")
    page.click("#pause")
    assert page.inner_text("#notice") == "Syncing is paused."
    assert state_of(page) == "Paused"
    assert "in 3 hours" in page.inner_text("#status") or "in 4 hours" in page.inner_text("#status")
    assert "paused until" in page.inner_text("#paused-until").lower()
    assert not page.is_visible("#problem")  # the badge, its sentence and Resume say it all
    look(page, "20-profile-paused")

    # The Web Connector is told to wait: nothing is read or written.
    queued = {"type": "vendor.create", "idempotency_key": "p1", "payload": {"name": "Paused Co"}}
    acme.api.request("POST", f"/api/companies/{acme.company_id}/operations", queued)
    report = acme.run_session(expect=None)
    assert report.outcome == Outcome.NONE and not report.requests_processed
    page.goto(profile)
    assert state_of(page) == "Paused"
    assert "1 waiting" in page.inner_text("#operations")

    page.click("#resume-now")
    assert "resumes at the next Web Connector run" in page.inner_text("#notice")
    assert state_of(page) != "Paused" and page.is_visible("#pause")
    acme.run_session()
    page.goto(profile)
    assert state_of(page) == "Connected to Server"
    assert "1 done" in page.inner_text("#operations")


def test_sync_window_is_set_refused_when_empty_and_removed(
    live_server: LiveServer, page: Any, request_schema: Any
) -> None:
    acme = _synced(live_server, request_schema, page=page)
    assert "Any time" in page.inner_text("#window-now")
    page.fill("#window-start", "19:00")
    page.fill("#window-end", "07:00")
    page.select_option("#window-zone", "America/Chicago")
    page.click("#set-window")
    assert page.inner_text("#notice") == "Sync window saved."
    window = page.inner_text("#window-now")
    assert "from 19:00 to 07:00 (America/Chicago)" in window
    assert acme.api.get(f"/api/companies/{acme.company_id}")["sync_window"] == {
        "start": "19:00", "end": "07:00", "timezone": "America/Chicago"}  # fmt: skip
    look(page, "21-sync-window")

    page.fill("#window-end", "19:00")
    page.click("#set-window")
    assert "must differ" in page.inner_text("#schedule-error")
    assert "from 19:00 to 07:00" in page.inner_text("#window-now")  # nothing changed

    page.click("#any-time")
    assert "Any time" in page.inner_text("#window-now")
    assert acme.api.get(f"/api/companies/{acme.company_id}")["sync_window"] is None


def test_restore_date_is_recorded_and_checked(
    live_server: LiveServer, page: Any, request_schema: Any
) -> None:
    acme = _synced(live_server, request_schema, page=page)
    page.fill("#restored-on", "2999-01-01")
    page.click("#record-restore")
    assert "must not be in the future" in page.inner_text("#restore-error")
    assert not page.is_visible("#restore-recorded")
    page.fill("#restored-on", "2026-11-03")
    page.click("#record-restore")
    assert "Restore date recorded" in page.inner_text("#notice")
    recorded = page.inner_text("#restore-recorded")
    assert "Restored on 3 Nov 2026" in recorded and "next Web Connector run checks" in recorded
    look(page, "22-restore-recorded")
    acme.run_session()
    page.reload()
    assert "Every record was checked against QuickBooks" in page.inner_text("#restore-recorded")


def test_not_this_file_forgets_the_file_waiting_for_confirmation(
    live_server: LiveServer, page: Any, request_schema: Any
) -> None:
    acme = _synced(live_server, request_schema, confirm=True, page=page)
    assert state_of(page) == "Waiting for confirmation"
    page.click("#not-this-file")
    assert page.inner_text("h1") == "Not the right company file?"
    assert "nothing was synced from it" in page.inner_text("main")
    look(page, "23-not-this-file-confirm")
    page.click("button:has-text('Forget this file')")
    assert "company file is forgotten" in page.inner_text("#notice")
    assert not page.is_visible("#pending")
    assert "No company file is connected yet" in page.inner_text("#binding")
    view = acme.api.get(f"/api/companies/{acme.company_id}")
    assert view["binding"]["pending"] is None and view["binding"]["bound"] is False


def test_a_setup_link_is_made_copied_opened_signed_out_and_revoked(
    live_server: LiveServer, page: Any
) -> None:
    created = Api(base_url=live_server.url).request("POST", "/api/companies", {"name": "Linked"})
    company = created[1]
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/companies/{company['id']}")
    page.click("#create-setup-link")
    assert page.inner_text("h1") == "Setup link for Linked"
    page.click("#copy-link")
    page.wait_for_selector("#copy-result:has-text('Copied')")
    url = page.input_value("#setup-link")
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    assert "/setup/" in url and "shown only on this page" in page.inner_text("#shown-once")
    look(page, "24-setup-link")

    stranger = page.context.browser.new_context()  # no sign-in cookie
    try:
        other = stranger.new_page()
        assert other.goto(url).status == 200
        assert "Linked" in other.inner_text("main")
        page.click("button:has-text('Revoke this link now')")
        assert page.inner_text("#notice") == "The setup link stopped working."
        assert other.goto(url).status == 404
    finally:
        stranger.close()

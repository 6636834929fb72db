"""The Company Profile as a customer uses it (issue 11), in headless Chromium against the server
over HTTP, with the simulator as the Web Connector on the QuickBooks PC.

Every state the customer sees is photographed under test-artifacts/screenshots/ and checked
with axe-core and the keyboard (tests/web/accessibility.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from tests.conftest import LiveServer
from tests.sync.helpers import Api, first_txn_date, generate_current, make_rig
from tests.web.flow import (
    WatchedSession,
    copied_key,
    download_connector,
    look,
    sign_in,
    state_of,
    until,
    web_connector,
)

pytestmark = pytest.mark.browser


def test_a_customer_sets_up_a_company_and_watches_the_first_sync(
    server_factory: Any, page: Any
) -> None:
    live_server = server_factory(QBWC_AUDIT="all")  # the session page shows the exchange
    books = generate_current("tiny")
    sign_in(page, live_server)
    assert "No companies yet" in page.inner_text("main")
    look(page, "01-companies-empty")

    # New company, from the page.
    page.fill("#name", "Acme Supplies")
    page.fill("#interval", "0")
    page.fill("#history", first_txn_date(books))
    page.click("#new-company button[type=submit]")
    assert page.is_visible("text=Acme Supplies is created.")
    assert "shown only on this page" in page.inner_text("#shown-once")
    first_key = copied_key(page)
    look(page, "02-connector-key-created")

    page.click("text=Go to the company profile of Acme Supplies")
    profile_url = page.url
    assert re.search(r"/companies/\d+$", profile_url)
    assert state_of(page) == "Never connected"
    assert first_key not in page.content()  # shown once, never again
    look(page, "03-profile-never-connected")

    # Generate Connector Key: a confirmation first, then the new key once.
    page.click("#generate-key")
    assert "stops working at once" in page.inner_text("main")
    look(page, "04-generate-key-confirm")
    page.click("button:has-text('Generate new Connector Key')")
    key = copied_key(page)
    assert key != first_key and "previous key no longer works" in page.inner_text("main")
    look(page, "05-connector-key-new")
    page.goto(profile_url)
    qwc = download_connector(page)
    assert b"<QBWCXML>" in qwc

    # The old key is refused. With the new key the Web Connector reads which file is open and
    # waits: a person confirms it on the profile (Begin Sync).
    stale = web_connector(live_server, qwc, first_key, books)
    assert stale.run_session().outcome == Outcome.NVU
    wc = web_connector(live_server, qwc, key, books)
    first = wc.run_session()
    assert first.outcome == Outcome.SERVER_ERROR and "Begin Sync" in first.errors[0]
    assert not first.records_by_type  # nothing read before the file is confirmed
    page.goto(profile_url)
    assert state_of(page) == "Waiting for confirmation"
    pending = page.inner_text("#pending")
    assert first.company_path is not None
    assert books.company_name in pending and " ".join(first.company_path.split()) in pending
    assert "Vendors in the file" in pending and "Bills in the file" in pending
    assert not page.is_visible("#problem")  # the box above is the one thing to do
    look(page, "06-profile-waiting-for-confirmation")
    page.click("#begin-sync")
    assert "first sync starts at the next Web Connector run" in page.inner_text("#notice")
    assert not page.is_visible("#pending")

    # The next run syncs while we watch.
    watched = WatchedSession(wc).start()
    until(page, lambda: state_of(page) == "Syncing" and page.is_visible("#percent"), profile_url)
    percent = int(page.inner_text("#percent").split("%")[0])
    assert 0 <= percent < 100
    assert page.get_attribute("#sync-progress", "value") == str(percent)
    assert "time left" in page.inner_text("#progress")
    assert "Syncing now" in page.inner_text("#connectors")
    assert page.get_attribute("body", "data-refresh") == "10"  # the page follows the sync
    look(page, "07-profile-syncing")
    report = watched.finish()
    assert report.outcome == Outcome.COMPLETED, report.errors[:3]

    page.goto(profile_url)
    assert state_of(page) == "Connected to Server"
    binding = page.inner_text("#binding")
    assert books.company_name in binding and "Connected since" in binding
    data = page.inner_text("#data")
    assert "Vendors" in data and "None" not in data
    assert "Multiple currencies is turned off in this QuickBooks file" in data  # skipped, why
    main = page.inner_text("main")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", main), "raw ISO time on the page"
    assert re.search(r"(just now|seconds? ago|minutes? ago)", page.inner_text("#status"))
    hover = page.get_attribute("#status time", "title")
    assert hover and re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d UTC", hover)
    look(page, "08-profile-connected")

    # The companies list shows it, and filters by state.
    page.goto(live_server.url + "/")
    assert "Connected to Server" in page.inner_text("#companies")
    page.select_option("#state-filter", "Needs attention")
    page.click("form.filter button")
    assert "No company is Needs attention right now" in page.inner_text("#companies")
    page.select_option("#state-filter", "Connected to Server")
    page.click("form.filter button")
    assert "Acme Supplies" in page.inner_text("#companies")
    look(page, "09-companies-connected")

    # The session page: calls, duration, records, in words.
    page.goto(profile_url)
    page.click("#sessions a >> nth=0")
    assert page.inner_text("h1").endswith("Finished")
    assert int(page.inner_text("#records")) > 0 and int(page.inner_text("#calls")) > 2
    assert "No errors in this session" in page.inner_text("#errors")
    kinds = page.inner_text("#request-kinds")
    assert re.search(r"VendorQuery \(\d+\)", kinds) and re.search(r"BillQuery \(\d+\)", kinds)
    assert "QBXMLMsgs" not in kinds
    if not page.locator("#exchange-calls").evaluate("e => e.open"):  # open when short
        page.click("#exchange-calls summary")
    assert "sendRequestXML" in page.inner_text("#exchange") and "% done" in page.inner_text(
        "#exchange"
    )
    look(page, "10-session")


def test_settings_are_saved_and_wrong_values_are_explained(
    live_server: LiveServer, page: Any
) -> None:
    sign_in(page, live_server)
    page.fill("#name", "Initech")
    page.click("#new-company button[type=submit]")
    page.click("text=Go to the company profile of Initech")
    profile_url = page.url
    page.fill("#settings #interval", "30")
    page.check("#settings input[name=history_all]")
    page.click("#settings button[type=submit]")
    assert page.inner_text("#notice") == "Settings saved."
    assert "30 minutes" in page.inner_text("#status")
    assert page.is_checked("#settings input[name=history_all]")
    page.uncheck("#settings input[name=history_all]")
    page.fill("#settings #history", "2999-01-01")
    page.click("#settings button[type=submit]")
    assert "must not be in the future" in page.inner_text("#settings-error")
    look(page, "11-settings-refused")
    page.goto(profile_url)
    assert page.is_checked("#settings input[name=history_all]")  # nothing changed

    # A new company without a name is refused with the reason, the form kept.
    page.goto(live_server.url + "/")
    page.fill("#name", " ")
    page.fill("#interval", "15")
    page.click("#new-company button[type=submit]")
    assert "name is required" in page.inner_text("#form-error")


def test_a_wrong_company_file_explains_itself_and_the_binding_can_be_reset(
    live_server: LiveServer, page: Any, request_schema: Any
) -> None:
    api = Api(base_url=live_server.url)

    def rig(name: str, seed: int) -> Any:
        return make_rig(
            app=live_server.app, api=api, qb=FakeQuickBooks(generate_current("tiny", seed=seed)),
            schema=request_schema, name=name, qbwc_url=live_server.qbwc_url,
        )  # fmt: skip

    globex = rig("Globex", 2)
    globex.run_session()
    acme = rig("Acme Supplies", 1)
    acme.run_session()
    acme.wc.quickbooks = FakeQuickBooks(globex.company)  # someone opened Globex's file
    acme.run_session(expect=Outcome.SERVER_ERROR)

    sign_in(page, live_server)
    assert "Needs attention" in page.inner_text("#companies")
    page.goto(f"{live_server.url}/companies/{acme.company_id}")
    assert state_of(page) == "Needs attention"
    problem = page.inner_text("#problem")
    assert "wrong company file is open" in problem.lower()
    assert "What to do (QuickBooks admin)" in problem
    assert len(page.locator("#problem ol.steps li").all()) >= 2
    assert "Globex" not in page.inner_text("main")  # never another company's name
    look(page, "12-profile-wrong-file")

    # The session page explains the refusal with the same entry.
    page.click("#sessions a >> nth=0")
    assert "Wrong company file" in page.inner_text("h1")
    assert "What to do" in page.inner_text("#errors")
    look(page, "13-session-wrong-file")

    # Reset binding, after a confirmation.
    page.goto(f"{live_server.url}/companies/{acme.company_id}")
    page.click("#reset-binding")
    assert "forgets that Acme Supplies syncs with" in page.inner_text("main")
    look(page, "14-reset-binding-confirm")
    page.click("button:has-text('Reset binding')")
    assert "company file is forgotten" in page.inner_text("#notice")
    assert "No company file is connected yet" in page.inner_text("#binding")


def test_retry_and_cancel_write_back_operations(
    live_server: LiveServer, page: Any, request_schema: Any
) -> None:
    api = Api(base_url=live_server.url)
    acme = make_rig(
        app=live_server.app, api=api, qb=FakeQuickBooks(generate_current("tiny")),
        schema=request_schema, qbwc_url=live_server.qbwc_url,
    )  # fmt: skip
    acme.run_session()
    base = f"/api/companies/{acme.company_id}/operations"
    customer = acme.company.records("Customer")[0]["Name"]
    status, clash = api.request(
        "POST",
        base,
        {"type": "vendor.create", "idempotency_key": "c1", "payload": {"name": customer}},
    )
    assert status == 201, clash
    acme.run_session()
    status, waiting = api.request(
        "POST",
        base,
        {"type": "vendor.create", "idempotency_key": "c2", "payload": {"name": "Later Co"}},
    )
    assert status == 201, waiting

    sign_in(page, live_server)
    page.goto(f"{live_server.url}/companies/{acme.company_id}#operations")
    failed_row = page.inner_text(f"#op-{clash['id']}")
    assert "Failed" in failed_row and "New vendor" in failed_row
    assert "Waiting to be sent" in page.inner_text(f"#op-{waiting['id']}")
    look(page, "15-operations")

    page.click(f"#op-{clash['id']} button:has-text('Retry')")
    assert "back in the queue" in page.inner_text("#notice")
    assert "Waiting to be sent" in page.inner_text(f"#op-{clash['id']}")
    page.click(f"#op-{waiting['id']} button:has-text('Cancel')")
    assert "is cancelled" in page.inner_text("#notice")
    assert "Cancelled" in page.inner_text(f"#op-{waiting['id']}")
    assert not page.is_visible(f"#op-{waiting['id']} button")
    look(page, "16-operations-after")
    assert api.get(f"{base}/{waiting['id']}")["state"] == "cancelled"
    assert api.get(f"{base}/{clash['id']}")["state"] == "queued"


def test_sign_in_error_and_sign_out_pages_are_accessible(
    live_server: LiveServer, page: Any
) -> None:
    page.goto(live_server.url + "/login")
    look(page, "00-sign-in")
    sign_in(page, live_server)
    page.goto(live_server.url + "/companies/999")
    assert page.inner_text("h1") == "Not found"
    assert "No company with id 999" in page.inner_text("#error-message")
    assert page.is_visible("text=Back to the companies")
    look(page, "17-not-found")
    page.goto(live_server.url + "/logout")
    look(page, "18-sign-out")
    page.click("main button:has-text('Sign out')")
    page.wait_for_url("**/login")


def test_quickbooks_not_running_says_what_to_do_at_the_pc(
    live_server: LiveServer, page: Any, request_schema: Any
) -> None:
    acme = make_rig(
        app=live_server.app, api=Api(base_url=live_server.url),
        qb=FakeQuickBooks(generate_current("tiny")), schema=request_schema,
        qbwc_url=live_server.qbwc_url,
    )  # fmt: skip
    acme.run_session()
    acme.qb.faults.qb_not_running = True
    acme.run_session(expect=Outcome.CONNECTION_FAILED)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/companies/{acme.company_id}")
    assert state_of(page) == "Needs attention"
    problem = page.inner_text("#problem")
    assert "QuickBooks could not be started" in problem and "0x80040408" in problem
    assert "What to do (QuickBooks admin)" in problem
    look(page, "19-profile-quickbooks-not-running")
    page.click("#sessions a >> nth=0")
    assert "Could not open QuickBooks" in page.inner_text("h1")
    assert "QuickBooks could not be started" in page.inner_text("#errors")

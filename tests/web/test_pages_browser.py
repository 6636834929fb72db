"""The company pages in a real browser (headless Chromium from Debian, driven by Playwright)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.foundation.helpers import (
    QbwcSessionDriver,
    create_company,
    make_hcp,
    qwc_fields,
    run_to_end,
)
from tests.web.browser import browser_page

pytestmark = pytest.mark.browser


@pytest.fixture
def page() -> Any:
    with browser_page() as pg:
        yield pg


def test_sign_in_list_and_company_profile(live_server: Any, page: Any, tmp_path: Path) -> None:
    company = create_company(live_server.url, "Acme & Sons <AP>")
    page.goto(live_server.url + "/")
    assert page.url.endswith("/login")

    page.fill("input[name=token]", "wrong-token-wrong-token")
    page.click("button[type=submit]")
    assert "not right" in page.content()

    page.fill("input[name=token]", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert page.is_visible("text=Acme & Sons <AP>")  # escaped in HTML, shown as typed
    page.click("text=Acme & Sons <AP>")
    page.wait_for_url(f"**/companies/{company['id']}")
    assert page.inner_text("#connection-status") == "Never connected"
    assert company["connector_key"] not in page.content()

    # A Web Connector session runs; the profile then says "Connected to Server" and shows data.
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    assert run_to_end(wc, make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"]))[-1] == 100
    wc.close()
    page.reload()
    assert page.inner_text("#connection-status") == "Connected to Server"
    assert page.is_visible("text=Recent sessions")
    assert page.is_visible("#sessions >> text=Finished")
    assert "Nothing queued yet" in page.inner_text("#operations")
    # Each session links to its details and qbXML exchange (issue 12's audit trail; a clean
    # session keeps none under the default QBWC_AUDIT=errors, and the page says why).
    page.click("#sessions a >> nth=0")
    page.wait_for_url("**/companies/*/sessions/*")
    assert page.inner_text("h1").endswith("Finished")
    assert "without errors is not kept" in page.inner_text("#exchange")
    page.go_back()

    # A write the AP platform queues shows on the page with its state.
    from tests.foundation.helpers import api

    status, op, _ = api(
        live_server.url,
        "POST",
        f"/api/companies/{company['id']}/operations",
        {"type": "vendor.create", "idempotency_key": "page-1", "payload": {"name": "Page Co"}},
    )
    assert status == 201, op
    page.reload()
    operations = page.inner_text("#operations")
    assert "1 waiting" in operations and "New vendor" in operations
    assert f"Oldest waiting: #{op['id']} New vendor" in page.inner_text("#oldest-waiting")
    shot = tmp_path / "company.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5000


def test_wrong_file_error_is_shown_in_plain_words(live_server: Any, page: Any) -> None:
    acme = create_company(live_server.url, "Acme Supplies")
    other = create_company(live_server.url, "Globex")
    acme_qwc = qwc_fields(live_server.url, acme["id"])
    other_qwc = qwc_fields(live_server.url, other["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(acme["username"], acme["connector_key"])
    run_to_end(wc, make_hcp(owner_id=acme_qwc["OwnerID"], file_id=acme_qwc["FileID"]))
    wc.close()
    from tests.foundation.helpers import api

    api(live_server.url, "PATCH", f"/api/companies/{acme['id']}", {"sync_interval_minutes": 0})
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(acme["username"], acme["connector_key"])
    hcp = make_hcp(
        owner_id=other_qwc["OwnerID"], file_id=other_qwc["FileID"], company_name="Globex"
    )
    assert wc.send_request(hcp) == ""
    wc.close()

    page.goto(live_server.url + "/login")
    page.fill("input[name=token]", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/companies/{acme['id']}")
    error = page.inner_text("#problem")
    assert "Wrong company file open" in error and "another company on this server" in error
    assert "Globex" not in error  # never another company's name (issue 9)

"""Issue 11 item 5: the setup page over HTTP, signed out (web/setup_page.py)."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import LiveServer
from tests.foundation.helpers import (
    QbwcSessionDriver,
    api,
    create_company,
    make_hcp,
    open_wrong_file,
    qwc_fields,
    run_to_end,
)
from tests.security.http_util import Reply, api_call, fetch
from tests.setup_link.test_api import new_link

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
_KEY = re.compile(r'id="connector-key"[^>]*value="(QBWC-[A-Z2-7-]+)"')
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:400]
    return found.group(1)


def post_form(
    server: LiveServer,
    path: str,
    csrf: str | None,
    fields: dict[str, str] | None = None,
    /,
    **headers: str,
) -> Reply:
    form = {"csrf_token": csrf} if csrf is not None else {}
    return fetch(
        server, "POST", path, form={**form, **(fields or {})}, headers={**SAME_ORIGIN, **headers}
    )


def step(html: str, key: str) -> str:
    found = re.search(rf'<li class="step (\w+)" id="step-{key}"', html)
    assert found, key
    return found.group(1)


def company_view(server: LiveServer, company_id: int) -> dict[str, Any]:
    status, body, _ = api(server.url, "GET", f"/api/companies/{company_id}")
    assert status == 200
    return dict(body)


def test_the_page_opens_signed_out_with_the_guide_and_the_headers_of_every_page(
    live_server: LiveServer,
) -> None:
    company = create_company(live_server.url, "Acme & Sons <AP>")
    token, _ = new_link(live_server, company["id"])
    reply = fetch(live_server, "GET", f"/setup/{token}")
    assert reply.status == 200
    html = reply.text
    assert "Acme &amp; Sons &lt;AP&gt;" in html and "<AP>" not in html
    for words in (
        "single-user mode",
        "Yes, whenever this QuickBooks company file is open",
        "Login as: Admin",
        "Allow this application to access personal data",
        "Update Selected",
        "700 MB",
        "sleep",
        "Connected to Server",
        "Download Connector",
        "Generate Connector Key",
    ):
        assert words in html, words
    assert step(html, "downloaded") == "current" and step(html, "connected") == "later"
    headers = reply.headers
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in headers  # the link is the credential; nothing is left behind
    assert company["connector_key"] not in html
    assert company["username"] not in html  # nothing the page does not need


def test_download_connector_is_a_post_with_csrf_and_ticks_the_checklist(
    live_server: LiveServer,
) -> None:
    company = create_company(live_server.url, "Download Co")
    token, _ = new_link(live_server, company["id"])
    base = f"/setup/{token}"
    csrf = csrf_of(fetch(live_server, "GET", base).text)
    assert fetch(live_server, "GET", base + "/connector").status == 405  # no download by GET
    assert post_form(live_server, base + "/connector", None).status == 403
    assert post_form(live_server, base + "/connector", "0" * 64).status == 403
    refused = post_form(live_server, base + "/connector", csrf, Origin="https://evil.example")
    assert refused.status == 403
    cross = post_form(live_server, base + "/connector", csrf, **{"Sec-Fetch-Site": "cross-site"})
    assert cross.status == 403
    assert step(fetch(live_server, "GET", base).text, "downloaded") == "current"

    reply = post_form(live_server, base + "/connector", csrf)
    assert reply.status == 200, reply.text[:300]
    assert reply.headers["content-type"].startswith("application/x-qwc")
    assert f'filename="Download-Co-{company["id"]}.qwc"' in reply.headers["content-disposition"]
    assert reply.headers["cache-control"] == "no-store"
    from_api = api_call(live_server, "GET", f"/api/companies/{company['id']}/qwc")
    assert reply.body == from_api.body
    html = fetch(live_server, "GET", base).text
    assert step(html, "downloaded") == "done" and "Downloaded just now" in html
    assert step(html, "reached") == "current"


def test_generate_connector_key_asks_first_and_shows_the_new_key_once(
    live_server: LiveServer,
) -> None:
    company = create_company(live_server.url, "Key Co")
    token, _ = new_link(live_server, company["id"])
    base = f"/setup/{token}"
    confirm = fetch(live_server, "GET", base + "/connector-key")
    assert confirm.status == 200
    assert "stops working at once" in confirm.text
    assert company_view(live_server, company["id"])["key_version"] == 1  # GET changes nothing
    seen = {"key_version": "1"}
    assert 'name="key_version" value="1"' in confirm.text
    assert post_form(live_server, base + "/connector-key", None, seen).status == 403
    assert company_view(live_server, company["id"])["key_version"] == 1

    csrf = csrf_of(confirm.text)
    reply = post_form(live_server, base + "/connector-key", csrf, seen)
    assert reply.status == 200
    found = _KEY.search(reply.text)
    assert found, reply.text[:500]
    key = found.group(1)
    assert reply.text.count(key) == 1
    assert "Shown only now" in reply.text and 'data-copy="connector-key"' in reply.text
    assert company_view(live_server, company["id"])["key_version"] == 2
    assert key not in fetch(live_server, "GET", base).text  # shown once
    # The same confirmation sent again (a double click, a reload) does not replace that key.
    again = post_form(live_server, base + "/connector-key", csrf, seen)
    assert again.status == 200 and "No new key was made" in again.text
    assert _KEY.search(again.text) is None
    assert company_view(live_server, company["id"])["key_version"] == 2
    for stale in ({}, {"key_version": "x"}, {"key_version": "1" * 30}):
        reply = post_form(live_server, base + "/connector-key", csrf, stale)
        assert reply.status == 200 and "No new key was made" in reply.text
    assert company_view(live_server, company["id"])["key_version"] == 2

    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == "nvu"
    assert wc.authenticate(company["username"], key)[0]  # the new key works at once
    wc.close()


def test_the_checklist_follows_the_web_connector_to_connected_to_server(
    live_server: LiveServer,
) -> None:
    company = create_company(live_server.url, "Checklist Co")
    token, _ = new_link(live_server, company["id"])
    base = f"/setup/{token}"
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], "QBWC-WRONG-WRONG")
    html = fetch(live_server, "GET", base).text
    assert "wrong Connector Key" in html and step(html, "reached") == "later"

    qwc = qwc_fields(live_server.url, company["id"])
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"], company_name="Checklist QB")
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    assert run_to_end(wc, hcp)[-1] == 100
    wc.close()
    html = fetch(live_server, "GET", base).text
    for key in ("downloaded", "reached", "confirmed", "first_sync", "connected"):
        assert step(html, key) == "done", key
    assert 'id="setup-state" class="state state-connected-to-server">Connected to Server<' in html
    assert "QuickBooks file: Checklist QB" in html
    assert 'id="all-set"' in html


def test_a_problem_shows_its_explanation_and_steps(live_server: LiveServer) -> None:
    acme = create_company(live_server.url, "Right File Co")
    other = create_company(live_server.url, "Other File Co")
    token, _ = new_link(live_server, acme["id"])
    open_wrong_file(live_server.url, live_server.qbwc_url, acme, other).close()
    html = fetch(live_server, "GET", f"/setup/{token}").text
    assert 'id="setup-problem"' in html and "Needs attention" in html
    assert "The wrong company file is open in QuickBooks" in html
    assert "File &gt; Close Company" in html
    assert "Other File Co" not in html  # never another company's name


def first_contact(server: LiveServer, company: dict[str, Any], name: str) -> None:
    """A Web Connector run with the company's own file open: with confirm_binding the server
    reads the file's identity and ends without syncing."""
    qwc = qwc_fields(server.url, company["id"])
    wc = QbwcSessionDriver(server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    run_to_end(wc, make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"], company_name=name))
    wc.close()


def seen_at_of(html: str) -> str:
    found = re.search(r'name="seen_at" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def test_begin_sync_confirms_the_file_the_person_saw(live_server: LiveServer) -> None:
    company = create_company(live_server.url, "Confirm Co", confirm_binding=True)
    token, _ = new_link(live_server, company["id"])
    base = f"/setup/{token}"
    html = fetch(live_server, "GET", base).text
    assert 'id="begin-sync"' not in html  # nothing to confirm before a Web Connector called
    first_contact(live_server, company, "Confirm QB File")
    html = fetch(live_server, "GET", base).text
    assert ">Waiting for confirmation<" in html
    assert step(html, "confirmed") == "current" and 'id="begin-sync"' in html
    assert "<dd>Confirm QB File</dd>" in html
    seen, csrf = seen_at_of(html), csrf_of(html)

    assert post_form(live_server, base + "/begin-sync", None, {"seen_at": seen}).status == 403
    other = post_form(live_server, base + "/begin-sync", csrf, Origin="https://evil.example")
    assert other.status == 403
    stale = post_form(live_server, base + "/begin-sync", csrf, {"seen_at": "2001-01-01"})
    assert stale.status == 200 and "Nothing was changed" in stale.text
    assert not company_view(live_server, company["id"])["binding"]["bound"]

    done = post_form(live_server, base + "/begin-sync", csrf, {"seen_at": seen})
    assert done.status == 303 and done.headers["location"].endswith(base)
    binding = company_view(live_server, company["id"])["binding"]
    assert binding["bound"] and binding["company_name"] == "Confirm QB File"
    html = fetch(live_server, "GET", base).text
    assert step(html, "confirmed") == "done" and 'id="begin-sync"' not in html
    again = post_form(live_server, base + "/begin-sync", csrf, {"seen_at": seen})
    assert again.status == 200 and "Nothing was changed" in again.text


def test_not_this_file_forgets_it_and_the_next_run_asks_again(live_server: LiveServer) -> None:
    company = create_company(live_server.url, "Reject Co", confirm_binding=True)
    token, _ = new_link(live_server, company["id"])
    base = f"/setup/{token}"
    first_contact(live_server, company, "Some Other File")
    html = fetch(live_server, "GET", base).text
    reply = post_form(
        live_server, base + "/not-this-file", csrf_of(html), {"seen_at": seen_at_of(html)}
    )
    assert reply.status == 303
    view = company_view(live_server, company["id"])
    assert not view["binding"]["bound"] and view["binding"]["pending"] is None
    html = fetch(live_server, "GET", base).text
    assert 'id="begin-sync"' not in html and step(html, "confirmed") == "current"
    first_contact(live_server, company, "Reject Co File")
    html = fetch(live_server, "GET", base).text
    assert "<dd>Reject Co File</dd>" in html and 'id="begin-sync"' in html

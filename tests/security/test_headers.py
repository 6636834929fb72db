"""Security headers on every response, per route family: pages, API, SOAP, health, errors."""

from __future__ import annotations

from typing import Any

import pytest

from qbwc_server.security.headers import DOCUMENT_CSP, PAGE_CSP
from tests.conftest import LiveServer
from tests.security.http_util import Reply, api_call, fetch, sign_in
from tests.soap_util import envelope

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def assert_secured(reply: Reply, *, page: bool, cacheable: bool = False) -> None:
    for name, value in ALWAYS.items():
        assert reply.headers.get(name) == value, (name, reply.status, reply.headers)
    csp = reply.headers.get("content-security-policy", "")
    assert "\n" not in csp, "one policy only"
    assert "frame-ancestors 'none'" in csp
    assert csp == (PAGE_CSP if page else DOCUMENT_CSP), (reply.status, reply.headers)
    if not cacheable:
        assert reply.headers.get("cache-control") == "no-store", reply.headers
    assert "strict-transport-security" not in reply.headers  # http public URL


def _company(server: LiveServer) -> dict[str, Any]:
    reply = api_call(server, "POST", "/api/companies", {"name": "Headers Co"})
    assert reply.status == 201, reply.text
    return dict(reply.json())


def test_pages(server: LiveServer) -> None:
    company = _company(server)
    for path, status in [("/login", 200), ("/support", 200), ("/", 302), ("/nope", 404)]:
        reply = fetch(server, "GET", path)
        assert reply.status == status, path
        assert_secured(reply, page=reply.headers.get("content-type", "").startswith("text/html"))
    browser = sign_in(server)
    for path, status in [("/", 200), (f"/companies/{company['id']}", 200), ("/companies/9", 404)]:
        reply = fetch(server, "GET", path, headers=browser.headers())
        assert reply.status == status, path
        assert reply.headers["content-type"].startswith("text/html")
        assert_secured(reply, page=True)
    reply = fetch(server, "DELETE", "/login")
    assert reply.status == 405
    assert_secured(reply, page=reply.headers.get("content-type", "").startswith("text/html"))
    reply = fetch(server, "POST", "/login", form={"token": "wrong-wrong-wrong-wrong"})
    assert reply.status == 401
    assert_secured(reply, page=True)


def test_static_assets_may_be_cached_but_carry_the_rest(server: LiveServer) -> None:
    reply = fetch(server, "GET", "/static/app.css")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/css")
    assert reply.headers["cache-control"] == "public, max-age=3600"
    assert_secured(reply, page=False, cacheable=True)
    missing = fetch(server, "GET", "/static/nope.css")
    assert missing.status == 404
    assert_secured(missing, page=True)


def test_api_answers_errors_and_qwc_download(server: LiveServer) -> None:
    company = _company(server)
    cid = company["id"]
    replies = [
        api_call(server, "GET", "/api/companies"),
        api_call(server, "GET", f"/api/companies/{cid}"),
        api_call(server, "GET", f"/api/companies/{cid}/qwc"),
        api_call(server, "POST", f"/api/companies/{cid}/connector-key"),
        api_call(server, "GET", "/api/companies/999"),
        api_call(server, "GET", "/api/nothing-here"),
        api_call(server, "PUT", "/api/companies"),
        fetch(server, "GET", "/api/companies"),  # no credentials: 401
    ]
    assert [r.status for r in replies] == [200, 200, 200, 200, 404, 404, 405, 401]
    assert replies[2].headers["content-disposition"].startswith("attachment")
    for reply in replies:
        assert_secured(reply, page=False)


def test_soap_endpoint_answers_faults_and_wsdl(server: LiveServer) -> None:
    action = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"x"'}
    replies = [
        fetch(server, "POST", "/qbwc", headers=action, body=envelope("serverVersion")),
        fetch(server, "POST", "/qbwc", headers=action, body=b"not xml"),
        fetch(server, "GET", "/qbwc?wsdl"),
        fetch(server, "GET", "/qbwc"),
        fetch(server, "PUT", "/qbwc", body=b"x"),
    ]
    assert [r.status for r in replies] == [200, 500, 200, 200, 405]
    for reply in replies:
        assert_secured(reply, page=False)


def test_health_checks(server: LiveServer) -> None:
    for path in ("/healthz", "/readyz"):
        reply = fetch(server, "GET", path)
        assert reply.status == 200
        assert_secured(reply, page=False)


def test_unhandled_errors_carry_them_too(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qbwc_server.api import companies as companies_api
    from qbwc_server.web import pages

    def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("broken on purpose")

    monkeypatch.setitem(companies_api.HANDLERS, "list", boom)
    reply = api_call(server, "GET", "/api/companies")
    assert reply.status == 500 and reply.json()["error"]["status"] == 500
    assert_secured(reply, page=False)
    browser = sign_in(server)
    monkeypatch.setitem(pages.HANDLERS, "page_index", boom)
    reply = fetch(server, "GET", "/", headers=browser.headers())
    assert reply.status == 500
    assert_secured(reply, page=True)


def test_https_public_url_adds_hsts(server: LiveServer, reconfigure: Any) -> None:
    reconfigure(QBWC_PUBLIC_URL="https://sync.example.com")
    for path in ("/healthz", "/login", "/qbwc"):
        reply = fetch(server, "GET", path)
        assert reply.headers["strict-transport-security"] == "max-age=31536000", path


def test_the_headers_depend_only_on_what_they_should() -> None:
    """security_headers is made once per kind of answer: still the right set for each, and a
    caller changing its list does not change the next one's."""
    from qbwc_server.security.headers import HSTS, security_headers

    soap = security_headers("/qbwc", "text/xml; charset=utf-8", False, "max-age=60")
    assert ("Cache-Control", "no-store") in soap  # only static assets keep a cache control
    assert ("Content-Security-Policy", DOCUMENT_CSP) in soap
    static = security_headers("/static/app.css", "text/css", False, "max-age=60")
    assert ("Cache-Control", "max-age=60") in static
    assert ("Cache-Control", "no-store") in security_headers(
        "/static/x.css", "text/css", False, None
    )
    page = security_headers("/login", "text/html; charset=utf-8", True, None)
    assert ("Content-Security-Policy", PAGE_CSP) in page
    assert ("Strict-Transport-Security", HSTS) in page
    assert not any(name == "Strict-Transport-Security" for name, _ in soap)
    soap.append(("X-Added", "by a caller"))
    again = security_headers("/qbwc", "text/xml; charset=utf-8", False, None)
    assert ("X-Added", "by a caller") not in again

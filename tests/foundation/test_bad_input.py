"""Hostile and broken input on the SOAP endpoint: a clear error, no crash, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from models import AppSetting, Company, LoginFailure, QbwcSession, SessionEvent, Ticket
from tests.foundation.helpers import create_company
from tests.soap_util import call, envelope, post, result

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<authenticate xmlns="http://developer.intuit.com/"><strUserName>&lol3;</strUserName>
<strPassword>x</strPassword></authenticate></soap:Body></soap:Envelope>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<authenticate xmlns="http://developer.intuit.com/"><strUserName>&xxe;</strUserName>
<strPassword>x</strPassword></authenticate></soap:Body></soap:Envelope>"""


def _counts(db: Any) -> tuple[int, ...]:
    with db.transaction() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Company, QbwcSession, Ticket, SessionEvent, LoginFailure, AppSetting)
        )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (BILLION_LAUGHS, 400),
        (XXE, 400),
        (b"this is not xml", 500),
        (b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'>", 500),
        (envelope("noSuchMethod", [("a", "b")]), 500),
        (envelope("authenticate", [("strUserName", "a"), ("bogus", "b")]), 500),
        (b'<?xml version="1.0"?><a:Envelope xmlns:a="urn:x"><a:Body/></a:Envelope>', 500),
    ],
    ids=[
        "billion-laughs",
        "xxe",
        "not-xml",
        "truncated",
        "unknown-method",
        "unknown-param",
        "not-soap",
    ],
)
def test_bad_bodies_get_a_soap_fault_and_write_nothing(
    live_server: Any, db: Any, body: bytes, code: int
) -> None:
    create_company(live_server.url)
    before = _counts(db)
    status, data = post(live_server.qbwc_url, body, "authenticate")
    assert status == code
    assert b"Fault" in data and b"<faultstring>" in data
    assert b"root:" not in data  # no file contents leaked
    assert _counts(db) == before
    # And the server still works afterwards.
    status, data = call(live_server.qbwc_url, "serverVersion")
    assert status == 200 and result(data, "serverVersion")


def test_body_over_the_limit_is_refused_before_reading(server_factory: Any, db: Any) -> None:
    server = server_factory(QBWC_MAX_BODY_BYTES=64 * 1024)
    before = _counts(db)
    big = envelope(
        "receiveResponseXML",
        [("ticket", "t"), ("response", "x" * 100_000), ("hresult", ""), ("message", "")],
    )
    status, data = post(server.qbwc_url, big, "receiveResponseXML")
    assert status == 413
    assert b"RequestTooLong" in data and b"QBWC_MAX_BODY_BYTES" in data
    assert _counts(db) == before


def test_wrong_http_method(live_server: Any) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(live_server.qbwc_url, method="PUT", data=b"x")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 405


def test_non_ascii_and_control_characters_in_fields(live_server: Any) -> None:
    status, data = call(
        live_server.qbwc_url,
        "authenticate",
        [("strUserName", "Zoë ☃ 名前"), ("strPassword", "p&<>\"'")],
    )
    assert status == 200
    assert result(data, "authenticate") == ["", "nvu"]

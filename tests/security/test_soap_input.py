"""Hostile and broken SOAP bodies over HTTP (issue 9): always a SOAP fault or a clean 4xx,
one bounded log line without request text, nothing written; pages past 10 MB still parse."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from sqlalchemy import func, select

from models import AppSetting, Company, LoginFailure, QbwcSession, SessionEvent, Ticket
from tests.foundation.helpers import create_company
from tests.soap_util import SOAP_NS, TNS, call, envelope, post, result


def counts(db: Any) -> tuple[int, ...]:
    with db.transaction() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Company, QbwcSession, Ticket, SessionEvent, LoginFailure, AppSetting)
        )


def env(inner: str, decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (
        f'{decl}<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{inner}</soap:Body>'
        "</soap:Envelope>"
    )


SERVER_VERSION = f'<serverVersion xmlns="{TNS}"/>'

# (body, expected HTTP status, expected faultcode fragment)
BAD_BODIES: dict[str, tuple[bytes, int, str]] = {
    "empty": (b"", 400, "Client.EmptyRequest"),
    "whitespace": (b"  \r\n ", 400, "Client.EmptyRequest"),
    "empty-body-element": (env("").encode(), 500, "Client.SoapError"),
    "self-closed-body": (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body/></soap:Envelope>'.encode(),
        500,
        "Client.SoapError",
    ),
    "two-calls": (env(SERVER_VERSION * 2).encode(), 500, "Client.SoapError"),
    "invalid-utf8": (
        env(
            f'<serverVersion xmlns="{TNS}"><strVersion>\xff\xfe</strVersion></serverVersion>'
        ).encode("latin-1"),
        500,
        "Client.XMLSyntaxError",
    ),
    "soap12": (
        b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>'
        + SERVER_VERSION.encode()
        + b"</e:Body></e:Envelope>",
        500,
        "VersionMismatch",
    ),
    "charref-doctype": (
        (
            '<?xml version="1.0"?><!&#1;DOCTYPE x [<!&#1;ENTITY a "b">]>' + env(SERVER_VERSION, "")
        ).encode(),
        500,
        "Client.XMLSyntaxError",
    ),
    "utf16-doctype": (
        (
            '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
            + env(f'<serverVersion xmlns="{TNS}"><strVersion>&a;</strVersion></serverVersion>', "")
        ).encode("utf-16"),
        400,
        "Client.InvalidXml",
    ),
    "utf16-external-entity": (
        (
            '<?xml version="1.0" encoding="utf-16"?>'
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + env(f'<serverVersion xmlns="{TNS}"><strVersion>&e;</strVersion></serverVersion>', "")
        ).encode("utf-16"),
        400,
        "Client.InvalidXml",
    ),
    "many-elements": (
        env(
            f'<serverVersion xmlns="{TNS}"><strVersion>{"<b/>" * 5000}</strVersion></serverVersion>'
        ).encode(),
        400,
        "Client.InvalidXml",
    ),
    "deep": (
        env(f'<serverVersion xmlns="{TNS}">{"<a>" * 300}{"</a>" * 300}</serverVersion>').encode(),
        400,
        "Client.InvalidXml",
    ),
    "many-attributes": (
        env(
            f'<serverVersion xmlns="{TNS}" ' + " ".join(f'a{i}="x"' for i in range(200)) + "/>"
        ).encode(),
        400,
        "Client.InvalidXml",
    ),
    "undefined-entity": (
        env(
            f'<serverVersion xmlns="{TNS}"><strVersion>&nope;</strVersion></serverVersion>'
        ).encode(),
        500,
        "Client.XMLSyntaxError",
    ),
    "not-xml": (b"GET / HTTP/1.0", 500, "Client.XMLSyntaxError"),
    "truncated-start": (b"<x", 500, "Client.XMLSyntaxError"),
    "envelope-wrong-namespace": (
        f'<soap:Envelope xmlns:soap="urn:x"><soap:Body>{SERVER_VERSION}</soap:Body>'
        "</soap:Envelope>".encode(),
        500,
        "Client.SoapError",
    ),
    "call-wrong-namespace": (env('<serverVersion xmlns="urn:x"/>').encode(), 500, "Client."),
    "call-without-namespace": (env("<serverVersion/>").encode(), 500, "Client."),
    "unknown-call": (env(f'<dropTables xmlns="{TNS}"/>').encode(), 500, "Client."),
    "parameter-wrong-namespace": (
        env(
            f'<authenticate xmlns="{TNS}"><x:strUserName xmlns:x="urn:x">a</x:strUserName>'
            "</authenticate>"
        ).encode(),
        500,
        "Client.",
    ),
    "huge-attribute": (
        env(f'<serverVersion xmlns="{TNS}" a="{"x" * 100_000}"/>').encode(),
        400,
        "Client.InvalidXml",
    ),
    "huge-attribute-on-envelope": (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" a="{"x" * 100_000}"><soap:Body>'
        f"{SERVER_VERSION}</soap:Body></soap:Envelope>".encode(),
        400,
        "Client.InvalidXml",
    ),
    "control-character-reference": (
        env(
            f'<authenticate xmlns="{TNS}"><strUserName>a&#1;b</strUserName></authenticate>'
        ).encode(),
        500,
        "Client.XMLSyntaxError",
    ),
    "raw-control-character": (
        env(
            f'<authenticate xmlns="{TNS}"><strUserName>a\x01b</strUserName></authenticate>'
        ).encode(),
        500,
        "Client.XMLSyntaxError",
    ),
    "integer-of-5000-digits": (
        env(
            f'<sendRequestXML xmlns="{TNS}"><ticket>t</ticket>'
            f"<qbXMLMajorVers>{'9' * 5000}</qbXMLMajorVers></sendRequestXML>"
        ).encode(),
        500,
        "Client.",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_body_gets_a_fault_and_writes_nothing(live_server: Any, db: Any, name: str) -> None:
    create_company(live_server.url)
    before = counts(db)
    body, status, code = BAD_BODIES[name]
    got, data = post(live_server.qbwc_url, body, "serverVersion")
    assert got == status, data[:300]
    assert b"<faultcode>" in data and code.encode() in data, data[:300]
    assert not data.lstrip().lower().startswith(b"<!doctype html")
    assert counts(db) == before
    assert result(call(live_server.qbwc_url, "serverVersion")[1], "serverVersion")


def test_utf16_envelope_is_understood(live_server: Any) -> None:
    body = env(SERVER_VERSION, '<?xml version="1.0" encoding="utf-16"?>').encode("utf-16")
    status, data = post(live_server.qbwc_url, body, "serverVersion")
    assert status == 200 and result(data, "serverVersion").startswith("qbwc-server")


def _raw_exchange(port: int, head: bytes, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_body_shorter_than_its_content_length(live_server: Any) -> None:
    body = envelope("serverVersion")[:40]
    head = (
        b"POST /qbwc HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    answer = _raw_exchange(live_server.port, head, body)
    assert answer.startswith(b"HTTP/1.1 500") and b"Client.XMLSyntaxError" in answer


def test_empty_post_without_content_length(live_server: Any) -> None:
    head = b"POST /qbwc HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    answer = _raw_exchange(live_server.port, head, b"")
    assert answer.startswith(b"HTTP/1.1 400") and b"Client.EmptyRequest" in answer


def test_small_calls_are_capped_and_strangers_cannot_send_large_bodies(
    live_server: Any, db: Any
) -> None:
    before = counts(db)
    big = envelope("authenticate", [("strUserName", "u"), ("strPassword", "p" * 400_000)])
    status, data = post(live_server.qbwc_url, big, "authenticate")
    assert status == 413 and b"Client.RequestTooLong" in data
    page = envelope(
        "receiveResponseXML",
        [("ticket", "not-a-ticket"), ("response", "x" * 400_000), ("hresult", ""), ("message", "")],
    )
    status, data = post(live_server.qbwc_url, page, "receiveResponseXML")
    assert status == 403 and b"Client.InvalidTicket" in data
    assert counts(db) == before


KEY_PLACES = {
    "truncated-authenticate": lambda u, k: envelope(
        "authenticate", [("strUserName", u), ("strPassword", k)]
    )[:-60],
    "key-in-typed-param": lambda u, k: envelope(
        "sendRequestXML", [("ticket", "t"), ("qbXMLMajorVers", k)]
    ),
    "key-in-unknown-param": lambda u, k: envelope("authenticate", [("strUserName", u), (k, k)]),
    "key-as-method": lambda u, k: env(f'<X{k} xmlns="{TNS}"/>').encode(),
    "key-in-attribute": lambda u, k: env(f'<serverVersion xmlns="{TNS}" k="{k}" />').encode(),
    "key-in-bad-attribute": lambda u, k: env(f'<serverVersion xmlns="{TNS}" k="{k}"k/>').encode(),
    "key-in-comment": lambda u, k: env(f"<!-- {k} -->{SERVER_VERSION}").encode()[:-30],
    "key-after-doctype": lambda u, k: (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY k "{k}">]>' + env(SERVER_VERSION, "")
    ).encode(),
    "key-in-large-body": lambda u, k: envelope(
        "authenticate", [("strUserName", u), ("strPassword", k + "x" * 300_000)]
    ),
    "key-in-soap12": lambda u, k: (
        f'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>'
        f'<authenticate xmlns="{TNS}"><strPassword>{k}</strPassword></authenticate>'
        "</e:Body></e:Envelope>"
    ).encode(),
    "key-in-wrong-namespace": lambda u, k: env(
        f'<authenticate xmlns="urn:x"><strUserName>{u}</strUserName>'
        f"<strPassword>{k}</strPassword></authenticate>"
    ).encode(),
}


def test_no_request_text_reaches_any_log(
    live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Hostile bodies carrying a real Connector Key: the key (and the user name) are in no log
    record, spyne's included, even with every logger at DEBUG."""
    company = create_company(live_server.url)
    user, key = company["username"], company["connector_key"]
    spyne_xml = logging.getLogger("spyne.protocol.xml")
    old_level = spyne_xml.level
    spyne_xml.setLevel(logging.DEBUG)  # spyne dumps whole documents at this level
    try:
        with caplog.at_level(logging.DEBUG):
            for name, make in KEY_PLACES.items():
                status, data = post(live_server.qbwc_url, make(user, key), "authenticate")
                assert status in (400, 403, 413, 500), (name, status, data[:200])
                assert b"<faultcode>" in data, name
    finally:
        spyne_xml.setLevel(old_level)
    text = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records
    )
    formatted = [logging.Formatter().format(r) for r in caplog.records]
    assert caplog.records, "expected the refusals to be logged"
    for needle in (key, key.replace("-", ""), user):
        assert needle not in text
        assert not any(needle in f for f in formatted)
    ours = [r for r in caplog.records if r.name == "qbwc_server.soap.wsgi"]
    assert ours and all(len(r.getMessage()) < 200 and "\n" not in r.getMessage() for r in ours)

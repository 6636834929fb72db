"""The idle lane (soap/idle_lane.py) answers the calls of a session (serverVersion,
clientVersion, authenticate, sendRequestXML, receiveResponseXML, getLastError, connectionError,
closeConnection) without spyne: byte for byte what spyne answers, and anything unusual is left
to spyne."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from qbwc_server.soap.calls import QbwcCalls
from qbwc_server.soap.envelope import ReadLimits, read_envelope
from qbwc_server.soap.idle_lane import parse_call
from qbwc_server.soap.wsgi import ENVELOPE_KEY, SoapEndpoint
from tests.conftest import make_settings
from tests.soap_util import SOAP_NS, TNS, envelope


def parsed(body: bytes) -> Any:
    return read_envelope(io.BytesIO(body), len(body), ReadLimits(max_body_bytes=1 << 20))


def environ(root: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/qbwc",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": "0",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        ENVELOPE_KEY: root,
    }


@pytest.fixture
def endpoint(db: Any, database_url: str) -> SoapEndpoint:
    # A client older than the minimum gets an E: message that repeats its version string.
    settings = make_settings(database_url, 8000, QBWC_MIN_CLIENT_VERSION="9.0")
    return SoapEndpoint(db, settings)


def lane_answer(endpoint: SoapEndpoint, root: Any) -> bytes:
    call = parse_call(root)
    assert call is not None
    return endpoint.idle_lane.answer(*call, environ(root))


def spyne_answer(endpoint: SoapEndpoint, root: Any) -> bytes:
    status: list[str] = []
    body = b"".join(endpoint.spyne(environ(root), lambda s, h, e=None: status.append(s)))
    assert status == ["200 OK"]
    return body


CALLS = [
    ("serverVersion", None),
    ("serverVersion", [("strVersion", "")]),
    ("clientVersion", [("strVersion", "2.3.0.215")]),
    ("clientVersion", [("strVersion", "2.1 <b>&amp; \"beta\" 'x'\r")]),
    ("clientVersion", [("strVersion", "")]),
    ("clientVersion", [("strVersion", "2.3.0.215 Ünïcødé")]),
    ("authenticate", [("strUserName", "nobody"), ("strPassword", "QBWC-WRONG")]),
    ("authenticate", [("strUserName", ""), ("strPassword", "")]),
    ("closeConnection", [("ticket", "no-such-ticket")]),
    ("closeConnection", [("ticket", "")]),
    (
        "sendRequestXML",
        [
            ("ticket", "no-such-ticket"),
            ("strHCPResponse", "<?xml version='1.0'?><QBXML/>"),
            ("strCompanyFileName", "C:\\Company.qbw"),
            ("qbXMLCountry", "US"),
            ("qbXMLMajorVers", "16"),
            ("qbXMLMinorVers", "0"),
        ],
    ),
    ("sendRequestXML", [("ticket", "t"), ("strHCPResponse", "")]),
    (
        "receiveResponseXML",
        [("ticket", "no-such-ticket"), ("response", "<QBXML/>"), ("hresult", ""), ("message", "")],
    ),
    ("receiveResponseXML", [("ticket", "")]),
    ("connectionError", [("ticket", "no-such-ticket"), ("hresult", "0x80040408")]),
    ("connectionError", [("ticket", "t"), ("hresult", ""), ("message", "m")]),
    ("getLastError", [("ticket", "no-such-ticket")]),
    ("getLastError", None),
]


@pytest.mark.parametrize(("method", "params"), CALLS)
def test_the_lane_writes_what_spyne_writes(
    endpoint: SoapEndpoint, method: str, params: Any
) -> None:
    root = parsed(envelope(method, params))
    assert parse_call(root) is not None
    ours = lane_answer(endpoint, root)
    assert ours == spyne_answer(endpoint, parsed(envelope(method, params)))


def body(inner: str, header: str = "") -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{header}<soap:Body>{inner}</soap:Body></soap:Envelope>"
    ).encode()


UNUSUAL = {
    "another method": f'<interactiveDone xmlns="{TNS}"><wcTicket>t</wcTicket></interactiveDone>',
    "empty integer": (
        f'<sendRequestXML xmlns="{TNS}"><ticket>t</ticket><qbXMLMajorVers/></sendRequestXML>'
    ),
    "signed integer": (
        f'<sendRequestXML xmlns="{TNS}"><qbXMLMajorVers>+13</qbXMLMajorVers></sendRequestXML>'
    ),
    "spaced integer": (
        f'<sendRequestXML xmlns="{TNS}"><qbXMLMinorVers> 1</qbXMLMinorVers></sendRequestXML>'
    ),
    "huge integer": (
        f'<sendRequestXML xmlns="{TNS}"><qbXMLMinorVers>{"9" * 30}</qbXMLMinorVers>'
        "</sendRequestXML>"
    ),
    "unknown parameter": f'<clientVersion xmlns="{TNS}"><strFoo>x</strFoo></clientVersion>',
    "repeated parameter": (
        f'<clientVersion xmlns="{TNS}"><strVersion>1</strVersion><strVersion>2</strVersion>'
        "</clientVersion>"
    ),
    "out of order": (
        f'<authenticate xmlns="{TNS}"><strPassword>k</strPassword><strUserName>u</strUserName>'
        "</authenticate>"
    ),
    "nested element": (
        f'<clientVersion xmlns="{TNS}"><strVersion><b>2</b></strVersion></clientVersion>'
    ),
    "nil": f'<closeConnection xmlns="{TNS}"><ticket xsi:nil="true"/></closeConnection>',
    "text in the call": f'<serverVersion xmlns="{TNS}">hello</serverVersion>',
    "other namespace": '<serverVersion xmlns="http://example.com/"/>',
    "parameter in no namespace": (
        f'<closeConnection xmlns="{TNS}"><ticket xmlns="">t</ticket></closeConnection>'
    ),
}


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_anything_unusual_is_left_to_spyne(name: str) -> None:
    assert parse_call(parsed(body(UNUSUAL[name]))) is None


def test_a_soap_header_is_left_to_spyne() -> None:
    header = "<soap:Header><x:h xmlns:x='http://example.com/'>1</x:h></soap:Header>"
    assert parse_call(parsed(body(f'<serverVersion xmlns="{TNS}"/>', header))) is None


def test_plain_calls_are_taken() -> None:
    root = parsed(envelope("authenticate", [("strUserName", "u"), ("strPassword", "")]))
    assert parse_call(root) == ("authenticate", ["u", ""])
    assert parse_call(parsed(envelope("serverVersion"))) == ("serverVersion", [None])


ANSWERS = [
    (
        "sendRequestXML",
        "send_request_xml",
        '<?xml version="1.0"?>\r\n<QBXML a="&amp;">\u00e9</QBXML>',
    ),
    ("sendRequestXML", "send_request_xml", ""),
    ("receiveResponseXML", "receive_response_xml", 100),
    ("receiveResponseXML", "receive_response_xml", 42),
    ("receiveResponseXML", "receive_response_xml", 0),
    ("receiveResponseXML", "receive_response_xml", -1),
    ("connectionError", "connection_error", "C:\\Company Files\\a & b <x>.qbw"),
    ("connectionError", "connection_error", "done"),
    ("getLastError", "get_last_error", "Sync complete: nothing more to do."),
]


@pytest.mark.parametrize(("method", "name", "answer"), ANSWERS)
def test_a_sync_call_is_written_as_spyne_writes_it(
    endpoint: SoapEndpoint, monkeypatch: pytest.MonkeyPatch, method: str, name: str, answer: Any
) -> None:
    """Whatever the engine answers (the lane and spyne's service share soap/calls.py)."""
    monkeypatch.setattr(QbwcCalls, name, lambda self, *args: answer)
    params = [("ticket", "t")]
    root = parsed(envelope(method, params))
    assert parse_call(root) is not None
    ours = lane_answer(endpoint, root)
    assert ours == spyne_answer(endpoint, parsed(envelope(method, params)))


def test_a_sync_call_gets_its_arguments_as_spyne_gives_them(
    endpoint: SoapEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, ...]] = []

    def noted(self: QbwcCalls, *args: Any) -> str:
        seen.append(args)
        return ""

    monkeypatch.setattr(QbwcCalls, "send_request_xml", noted)
    params = [
        ("ticket", "abc"),
        ("strHCPResponse", "<QBXML>\u00e9 &amp; x</QBXML>"),
        ("strCompanyFileName", ""),
        ("qbXMLMajorVers", "0016"),
        ("qbXMLMinorVers", "0"),
    ]
    root = parsed(envelope("sendRequestXML", params))
    lane_answer(endpoint, root)
    spyne_answer(endpoint, parsed(envelope("sendRequestXML", params)))
    assert len(seen) == 2
    assert seen[0] == seen[1]
    assert seen[0] == ("abc", "<QBXML>\u00e9 &amp; x</QBXML>", "", None, 16, 0)

"""SoapClient: envelope shape equals the real QBWC captures; answers and failures are parsed the
way QBWC would report them."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from qbwc_server.sim.soap_client import (
    QbwcCallError,
    SoapClient,
    build_envelope,
    parse_result_element,
)
from tests.sim.wc_fakes import RawReply, ScriptedServer, serve, soap_fault, soap_response

CAPTURES = [
    "flowlink-receiveResponseXML-item_inventory_query_rs_raw.xml",
    "flowlink-receiveResponseXML-sales_order_add_rs_raw.xml",
]


def _shape(element: etree._Element) -> list[tuple[str, dict[str | None, str]]]:
    return [(el.tag, dict(el.nsmap)) for el in element.iter() if isinstance(el.tag, str)]


@pytest.mark.parametrize("capture", CAPTURES)
def test_receive_response_envelope_matches_capture(reference_dir: Path, capture: str) -> None:
    raw = (reference_dir / "soap-captures" / capture).read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    captured = etree.fromstring(raw, parser)
    op = captured.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]  # type: ignore[index]
    params = [(etree.QName(c).localname, c.text or "") for c in op]
    assert [name for name, _ in params] == ["ticket", "response", "hresult", "message"]

    ours = build_envelope("receiveResponseXML", params)

    # Same element names, namespaces and prefix declarations, same order...
    assert _shape(etree.fromstring(ours, parser)) == _shape(captured)
    # ...and, since QBWC writes one compact line, the very same bytes.
    assert ours == raw.rstrip(b"\r\n")


def test_server_version_envelope_is_the_empty_element() -> None:
    body = build_envelope("serverVersion", []).decode()
    assert body == (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>'
        '<serverVersion xmlns="http://developer.intuit.com/" /></soap:Body></soap:Envelope>'
    )


def test_qbxml_text_and_carriage_returns_survive_the_round_trip() -> None:
    qbxml = '<?xml version="1.0" ?>\r\n<QBXML><X a="1">R&amp;D <é></X></QBXML>'
    body = build_envelope("receiveResponseXML", [("ticket", "t"), ("response", qbxml)])
    parsed = etree.fromstring(body)
    assert parsed.findtext(".//{http://developer.intuit.com/}response") == qbxml


def test_headers_and_typed_calls_over_http() -> None:
    server = ScriptedServer(
        {
            "sendRequestXML": lambda p: "<QBXML/>",
            "receiveResponseXML": lambda p: 42,
            "authenticate": lambda p: ["tkt", "", "30", "600"],
        }
    )
    with serve(server) as url:
        client = SoapClient(url, timeout=5)
        assert client.authenticate("user", "pw") == ["tkt", "", "30", "600"]
        assert client.send_request_xml("tkt", "", r"C:\a.QBW", "US", 13, 0) == "<QBXML/>"
        assert client.receive_response_xml("tkt", "<x/>", "", "") == 42
    auth, send, recv = server.received
    assert auth.soap_action == '"http://developer.intuit.com/authenticate"'
    assert auth.content_type == "text/xml; charset=utf-8"
    assert auth.params == {"strUserName": "user", "strPassword": "pw"}
    assert list(send.params) == [
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ]
    assert send.params["qbXMLMajorVers"] == "13"
    assert b"<strHCPResponse />" in send.body
    assert recv.params == {"ticket": "tkt", "response": "<x/>", "hresult": "", "message": ""}
    stats = client.stats
    assert stats.round_trips == 3
    assert stats.bytes_sent == sum(len(c.body) for c in server.received)
    assert stats.bytes_received > 0
    assert stats.wait_seconds > 0
    assert [c.method for c in stats.calls] == [
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
    ]


@pytest.mark.parametrize("prefixed", [True, False])
def test_results_parse_with_or_without_prefix(prefixed: bool) -> None:
    body = soap_response("getLastError", "NoOp", prefixed=prefixed)
    assert parse_result_element("getLastError", body).text == "NoOp"


def test_result_in_wrong_namespace_is_missing() -> None:
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<sendRequestXMLResponse xmlns="http://developer.intuit.com"><sendRequestXMLResult>x'
        b"</sendRequestXMLResult></sendRequestXMLResponse></soap:Body></soap:Envelope>"
    )
    with pytest.raises(QbwcCallError) as info:
        parse_result_element("sendRequestXML", body)
    assert info.value.kind == "missing_result"
    assert info.value.shown.startswith("QBWC1041: ")


@pytest.mark.parametrize(
    ("reply", "method", "kind", "code"),
    [
        (soap_fault("boom"), "sendRequestXML", "fault", "QBWC1041"),
        (soap_fault("boom"), "authenticate", "fault", "QBWC1012"),
        (
            RawReply(b"<html>oops</html>", "502 Bad Gateway", "text/html"),
            "receiveResponseXML",
            "http_status",
            "QBWC1042",
        ),
        (
            RawReply(b"<html>hi</html>", "200 OK", "text/html"),
            "authenticate",
            "content_type",
            "QBWC1012",
        ),
        (RawReply(b"<not-closed>"), "getLastError", "malformed", "QBWC1043"),
        (RawReply(b"<a/>"), "closeConnection", "malformed", "QBWC1044"),
        (
            RawReply(soap_response("closeConnection", "x")),
            "connectionError",
            "missing_result",
            "QBWC1045",
        ),
        (
            RawReply(soap_response("receiveResponseXML", "lots")),
            "receiveResponseXML",
            "bad_value",
            "QBWC1042",
        ),
    ],
)
def test_failures_become_qbwc_errors(reply: RawReply, method: str, kind: str, code: str) -> None:
    server = ScriptedServer({method: lambda p: reply})
    with serve(server) as url:
        client = SoapClient(url, timeout=5)
        call = {
            "sendRequestXML": lambda: client.send_request_xml("t", "", "f", "US", 13, 0),
            "authenticate": lambda: client.authenticate("u", "p"),
            "receiveResponseXML": lambda: client.receive_response_xml("t", "", "", ""),
            "getLastError": lambda: client.get_last_error("t"),
            "closeConnection": lambda: client.close_connection("t"),
            "connectionError": lambda: client.connection_error("t", "0x1", "m"),
        }[method]
        with pytest.raises(QbwcCallError) as info:
            call()
    assert info.value.kind == kind
    assert info.value.code == code
    assert info.value.shown.startswith(code)
    assert client.stats.errors == [info.value.shown]
    assert client.stats.calls[-1].error == info.value.shown


def test_nil_result_is_a_null_reference() -> None:
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>'
        b'<sendRequestXMLResponse xmlns="http://developer.intuit.com/">'
        b'<sendRequestXMLResult xsi:nil="true"/></sendRequestXMLResponse></soap:Body>'
        b"</soap:Envelope>"
    )
    with pytest.raises(QbwcCallError, match="Object reference not set"):
        parse_result_element("sendRequestXML", body)


def test_entities_are_not_resolved() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<getLastErrorResponse xmlns="http://developer.intuit.com/"><getLastErrorResult>&e;'
        b"</getLastErrorResult></getLastErrorResponse></soap:Body></soap:Envelope>"
    )
    result = parse_result_element("getLastError", body)
    assert "root:" not in (result.text or "")


def test_connection_refused_is_a_transport_error() -> None:
    with serve(ScriptedServer()) as url:
        pass  # server gone: the port is closed now
    client = SoapClient(url, timeout=2)
    with pytest.raises(QbwcCallError) as info:
        client.authenticate("u", "p")
    assert info.value.kind == "transport"
    assert info.value.is_transport
    assert client.stats.round_trips == 0

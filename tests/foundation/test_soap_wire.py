"""Wire format: golden files for all 11 responses, the WSDL, and real captured QBWC envelopes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.foundation.helpers import QbwcSessionDriver, create_company, qwc_fields
from tests.soap_util import TNS, call, envelope, post, result

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TICKET_RE = re.compile(rb"(<tns:string>)[A-Za-z0-9_\-]{40,}(</tns:string>)")


def _normalize(data: bytes) -> bytes:
    return TICKET_RE.sub(rb"\1TICKET\2", data)


Golden = Callable[[str, bytes], None]


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """``golden(name, data)``: the response must equal ``tests/golden/<name>.xml`` (tickets
    normalized). With ``pytest --update-goldens`` the file is rewritten from ``data`` instead
    (review the change with ``git diff tests/golden``)."""
    update = bool(request.config.getoption("--update-goldens"))

    def check(name: str, data: bytes) -> None:
        path = GOLDEN / f"{name}.xml"
        if update:
            path.write_bytes(_normalize(data) + b"\n")
            return
        assert path.exists(), f"missing golden file {path} (pytest --update-goldens writes it)"
        assert _normalize(data) == path.read_bytes().rstrip(b"\n"), (
            f"wire format of {name} changed (if on purpose: pytest --update-goldens):\n"
            f"{data.decode()}"
        )

    return check


CASES: list[tuple[str, str, list[tuple[str, Any]] | None]] = [
    ("serverVersion", "serverVersion", None),
    ("serverVersion_strVersion", "serverVersion", [("strVersion", "")]),
    ("clientVersion", "clientVersion", [("strVersion", "2.3.0.215")]),
    ("authenticate_nvu", "authenticate", [("strUserName", "nobody"), ("strPassword", "x")]),
    (
        "sendRequestXML_unknown_ticket",
        "sendRequestXML",
        [
            ("ticket", "unknown"),
            ("strHCPResponse", ""),
            ("strCompanyFileName", ""),
            ("qbXMLCountry", "US"),
            ("qbXMLMajorVers", 13),
            ("qbXMLMinorVers", 0),
        ],
    ),
    (
        "receiveResponseXML_unknown_ticket",
        "receiveResponseXML",
        [("ticket", "unknown"), ("response", ""), ("hresult", ""), ("message", "")],
    ),
    (
        "connectionError_unknown_ticket",
        "connectionError",
        [("ticket", "unknown"), ("hresult", "0x80040408"), ("message", "x")],
    ),
    ("getLastError_unknown_ticket", "getLastError", [("ticket", "unknown")]),
    ("closeConnection_unknown_ticket", "closeConnection", [("ticket", "unknown")]),
    ("getInteractiveURL", "getInteractiveURL", [("wcTicket", "t"), ("sessionID", "s")]),
    ("interactiveDone", "interactiveDone", [("wcTicket", "t")]),
    ("interactiveRejected", "interactiveRejected", [("wcTicket", "t"), ("reason", "no")]),
]


@pytest.mark.parametrize(("name", "op", "params"), CASES, ids=[c[0] for c in CASES])
def test_golden_responses(
    live_server: Any, name: str, op: str, params: Any, golden: Golden
) -> None:
    status, data = call(live_server.qbwc_url, op, params)
    assert status == 200
    golden(name, data)
    result(data, op)  # the Result element is always present


def test_golden_authenticate_with_work_and_none(live_server: Any, golden: Golden) -> None:
    company = create_company(live_server.url)
    params = [("strUserName", company["username"]), ("strPassword", company["connector_key"])]
    status, data = call(live_server.qbwc_url, "authenticate", params)
    assert status == 200
    golden("authenticate_work", data)
    # A second connector while the first holds the lease: none + postpone (3 elements).
    status, data = call(live_server.qbwc_url, "authenticate", params)
    golden("authenticate_none", _postpone(data))


def _postpone(data: bytes) -> bytes:
    return re.sub(
        rb"(<tns:string>none</tns:string><tns:string>)\d+(</tns:string>)", rb"\1POSTPONE\2", data
    )


def test_golden_send_and_receive_in_session(live_server: Any) -> None:
    company = create_company(live_server.url)
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    from tests.soap_util import make_hcp

    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"])
    body = envelope(
        "sendRequestXML",
        [
            ("ticket", wc.ticket),
            ("strHCPResponse", hcp),
            ("strCompanyFileName", "C:\\a.QBW"),
            ("qbXMLCountry", "US"),
            ("qbXMLMajorVers", 13),
            ("qbXMLMinorVers", 0),
        ],
    )
    status, data = post(live_server.qbwc_url, body, "sendRequestXML")
    assert status == 200
    request = result(data, "sendRequestXML")
    # The qbXML travels escaped as text inside the Result (§1.1), never as live XML.
    assert b"&lt;?xml version=&quot;1.0&quot;" in data or b'&lt;?xml version="1.0"' in data
    assert request.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert '<?qbxml version="13.0"?>' in request


def test_wsdl_lists_all_eleven_operations(live_server: Any) -> None:
    import urllib.request

    with urllib.request.urlopen(live_server.qbwc_url + "?wsdl", timeout=30) as resp:
        assert resp.status == 200
        wsdl = etree.fromstring(resp.read())
    ops = {el.get("name") for el in wsdl.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
    assert ops == {
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
        "getInteractiveURL",
        "interactiveDone",
        "interactiveRejected",
    }
    assert wsdl.get("targetNamespace") == TNS


def test_plain_get_answers_200(live_server: Any) -> None:
    import urllib.request

    with urllib.request.urlopen(live_server.qbwc_url, timeout=30) as resp:
        assert resp.status == 200


# --- real captured envelopes (reference/soap-captures) -------------------------------------


def _capture(reference_dir: Path, name: str) -> bytes:
    return (reference_dir / "soap-captures" / name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "flowlink-receiveResponseXML-item_inventory_query_rs_raw.xml",
        "flowlink-receiveResponseXML-sales_order_add_rs_raw.xml",
    ],
)
def test_captured_receive_envelopes(live_server: Any, reference_dir: Path, name: str) -> None:
    raw = _capture(reference_dir, name)
    # As captured (its ticket is unknown here): a valid answer, never a fault.
    status, data = post(live_server.qbwc_url, raw, "receiveResponseXML")
    assert status == 200, data
    assert result(data, "receiveResponseXML") == -1

    # With a live ticket in the middle of a session: handled, progress returned.
    company = create_company(live_server.url, sync_interval_minutes=0)
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    from tests.soap_util import make_hcp

    assert wc.send_request(make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"]))
    old_ticket = re.search(rb"<ticket>([^<]+)</ticket>", raw)
    assert old_ticket is not None
    live = raw.replace(old_ticket.group(1), wc.ticket.encode())
    status, data = post(live_server.qbwc_url, live, "receiveResponseXML")
    assert status == 200
    assert 0 <= result(data, "receiveResponseXML") <= 100


def test_captured_hcp_from_quickbooks_pro_2014(live_server: Any, reference_dir: Path) -> None:
    hcp = _capture(reference_dir, "qbwc-gem-strHCPResponse-QBPro2014.xml").decode()
    company = create_company(live_server.url)
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    request = wc.send_request(hcp, path=r"C:\Users\Public\Documents\Intuit\myCompany.QBW")
    assert '<?qbxml version="13.0"?>' in request  # QB 2014 supports up to 13.0
    from tests.foundation.helpers import api, empty_answer

    assert wc.receive(empty_answer(request)) >= 0
    _, view, _ = api(live_server.url, "GET", f"/api/companies/{company['id']}")
    assert view["quickbooks"]["product"] == "QuickBooks Pro 2014"
    assert view["quickbooks"]["supported_qbxml_versions"][-1] == "13.0"
    assert view["binding"]["company_name"] == "myCompany"

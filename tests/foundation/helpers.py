"""Helpers for driving the real server over HTTP in foundation tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from lxml import etree

from tests.conftest import ADMIN_TOKEN
from tests.soap_util import call, make_hcp, result


def api(
    base: str, method: str, path: str, body: Any = None, token: str | None = ADMIN_TOKEN
) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            headers = dict(resp.headers.items())
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        headers = dict(exc.headers.items())
        status = exc.code
    ctype = headers.get("Content-Type", "")
    parsed: Any = json.loads(raw) if "json" in ctype else raw.decode()
    return status, parsed, headers


def create_company(base: str, name: str = "Acme Supplies", **extra: Any) -> dict[str, Any]:
    """A company through the API; it binds the file of its first contact at once unless
    ``confirm_binding=True`` is given (the API's default is to wait for Begin Sync)."""
    extra.setdefault("confirm_binding", False)
    status, body, _ = api(base, "POST", "/api/companies", {"name": name, **extra})
    assert status == 201, body
    return dict(body)


def qwc_fields(base: str, company_id: int) -> dict[str, str]:
    status, text, headers = api(base, "GET", f"/api/companies/{company_id}/qwc")
    assert status == 200
    assert "attachment" in headers["Content-Disposition"]
    root = etree.fromstring(text.encode())
    return {el.tag: (el.text or "") for el in root.iter() if isinstance(el.tag, str)}


class QbwcSessionDriver:
    """Makes the calls a Web Connector makes, one by one, and keeps what it got back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ticket = ""
        self.calls: list[tuple[str, Any]] = []

    def _call(self, op: str, params: list[tuple[str, Any]] | None = None) -> Any:
        status, data = call(self.url, op, params)
        assert status == 200, (op, status, data[:300])
        value = result(data, op)
        self.calls.append((op, value))
        return value

    def server_version(self) -> str:
        return str(self._call("serverVersion"))

    def client_version(self, version: str = "2.3.0.215") -> str:
        return str(self._call("clientVersion", [("strVersion", version)]))

    def authenticate(self, user: str, password: str) -> list[str]:
        answer = self._call("authenticate", [("strUserName", user), ("strPassword", password)])
        self.ticket = answer[0]
        return list(answer)

    def send_request(self, hcp: str = "", path: str = r"C:\QB\Acme.QBW") -> str:
        return str(
            self._call(
                "sendRequestXML",
                [
                    ("ticket", self.ticket),
                    ("strHCPResponse", hcp),
                    ("strCompanyFileName", path),
                    ("qbXMLCountry", "US"),
                    ("qbXMLMajorVers", 13),
                    ("qbXMLMinorVers", 0),
                ],
            )
        )

    def receive(self, response: str, hresult: str = "", message: str = "") -> int:
        return int(
            self._call(
                "receiveResponseXML",
                [
                    ("ticket", self.ticket),
                    ("response", response),
                    ("hresult", hresult),
                    ("message", message),
                ],
            )
        )

    def last_error(self) -> str:
        return str(self._call("getLastError", [("ticket", self.ticket)]))

    def connection_error(self, hresult: str, message: str) -> str:
        return str(
            self._call(
                "connectionError",
                [("ticket", self.ticket), ("hresult", hresult), ("message", message)],
            )
        )

    def close(self) -> str:
        return str(self._call("closeConnection", [("ticket", self.ticket)]))


def empty_answer(request_xml: str) -> str:
    """Answer every request of a message set with "no match" (status 1), as QuickBooks does for
    an empty company file; enough to drive sessions at the protocol level."""
    root = etree.fromstring(request_xml.split("?>", 2)[-1].encode())
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None, request_xml
    parts = []
    for rq in msgs:
        name = str(rq.tag)[: -len("Rq")] + "Rs"
        rid = rq.get("requestID", "0")
        parts.append(
            f'<{name} requestID="{rid}" statusCode="1" statusSeverity="Info" '
            'statusMessage="A query request did not find a matching object in QuickBooks" />'
        )
    return '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>' + "".join(parts) + "</QBXMLMsgsRs></QBXML>"


def run_to_end(driver: QbwcSessionDriver, hcp: str, max_rounds: int = 500) -> list[int]:
    """sendRequestXML/receiveResponseXML until 100, a negative value or an empty request."""
    progress: list[int] = []
    first = True
    for _ in range(max_rounds):
        request = driver.send_request(hcp if first else "")
        first = False
        if not request:
            return progress
        value = driver.receive(empty_answer(request))
        progress.append(value)
        if value >= 100 or value < 0:
            return progress
    raise AssertionError("session did not end")


def synced_company(server: Any, name: str = "Acme Supplies") -> dict[str, Any]:
    """A company whose first session (QBWC 2.3.0.215, from 127.0.0.1) ran to the end: its next
    poll has nothing to do. The company's fields plus ``hcp``, its file's Host/Company/
    Preferences answer."""
    company = create_company(server.url, name)
    qwc = qwc_fields(server.url, company["id"])
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.client_version("2.3.0.215") == ""
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"])
    assert run_to_end(wc, hcp)[-1] == 100
    wc.close()
    return {**company, "hcp": hcp}


def open_wrong_file(
    base: str,
    qbwc_url: str,
    company: dict[str, Any],
    other: dict[str, Any],
    path: str = r"C:\QB\Acme.QBW",
) -> QbwcSessionDriver:
    """``company`` syncs once with its own file, then its Web Connector runs with ``other``'s
    file open (interval 0, so the run is due): the driver after the refused sendRequestXML,
    not closed yet."""
    own_qwc = qwc_fields(base, company["id"])
    other_qwc = qwc_fields(base, other["id"])
    wc = QbwcSessionDriver(qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    run_to_end(wc, make_hcp(owner_id=own_qwc["OwnerID"], file_id=own_qwc["FileID"]))
    wc.close()
    api(base, "PATCH", f"/api/companies/{company['id']}", {"sync_interval_minutes": 0})
    wc = QbwcSessionDriver(qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    other_file = make_hcp(
        owner_id=other_qwc["OwnerID"], file_id=other_qwc["FileID"], company_name=other["name"]
    )
    assert wc.send_request(other_file, path=path) == ""
    return wc


__all__ = [
    "QbwcSessionDriver",
    "api",
    "create_company",
    "empty_answer",
    "make_hcp",
    "open_wrong_file",
    "qwc_fields",
    "run_to_end",
]

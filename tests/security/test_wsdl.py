"""The WSDL's address comes from QBWC_PUBLIC_URL, never from a request's headers (issue 9: the
first ``?wsdl`` request's Host header was cached per worker for everyone)."""

from __future__ import annotations

import http.client
from typing import Any

from lxml import etree

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"


def get_wsdl(port: int, host: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/qbwc?wsdl", headers={"Host": host, "X-Forwarded-Host": host})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    assert resp.status == 200
    return data


def addresses(wsdl: bytes) -> list[str]:
    root = etree.fromstring(wsdl)
    return [el.get("location", "") for el in root.iter(f"{{{SOAP_BINDING_NS}}}address")]


def test_a_hostile_host_header_does_not_reach_the_wsdl(server_factory: Any) -> None:
    server = server_factory(QBWC_PUBLIC_URL="https://sync.example.com")
    first = get_wsdl(server.port, "evil.example")  # the first request of the process
    assert b"evil.example" not in first
    assert addresses(first) == ["https://sync.example.com/qbwc"]
    again = get_wsdl(server.port, "sync.example.com")
    assert again == first

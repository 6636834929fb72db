"""Raw SOAP 1.1 envelopes shaped like the real Web Connector's, for wire-level tests."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from lxml import etree

TNS = "http://developer.intuit.com/"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(op: str, params: list[tuple[str, Any]] | None = None, errors: str = "strict") -> bytes:
    """``errors="surrogatepass"``: a lone surrogate goes out as the (invalid) UTF-8 bytes that
    encode it, as a broken client would send it."""
    inner = "".join(
        f"<{k} />" if v is None or v == "" else f"<{k}>{escape(str(v))}</{k}>"
        for k, v in (params or [])
    )
    body = f'<{op} xmlns="{TNS}">{inner}</{op}>' if inner else f'<{op} xmlns="{TNS}" />'
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        f'xmlns:soap="{SOAP_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>{body}</soap:Body>'
        "</soap:Envelope>"
    ).encode("utf-8", errors)


def post(
    url: str, body: bytes, action: str = "", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=60)
    hdrs = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{TNS}{action}"',
    }
    hdrs.update(headers or {})
    conn.request("POST", parts.path or "/", body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def call(url: str, op: str, params: list[tuple[str, Any]] | None = None) -> tuple[int, bytes]:
    return post(url, envelope(op, params), action=op)


def result(data: bytes, op: str) -> Any:
    """The Result of a response: str, int for receiveResponseXML, list for authenticate."""
    root = etree.fromstring(data)
    el = root.find(f".//{{{TNS}}}{op}Result")
    if el is None:
        raise AssertionError(f"no {op}Result in {data[:500]!r}")
    if op == "authenticate":
        return [s.text or "" for s in el.findall(f"{{{TNS}}}string")]
    if op == "receiveResponseXML":
        return int(el.text or "0")
    return el.text or ""


def make_hcp(
    *,
    owner_id: str | None,
    file_id: str | None,
    company_name: str = "Acme Supplies",
    versions: tuple[str, ...] = ("12.0", "13.0"),
    product: str = "QuickBooks Pro 2014",
) -> str:
    """A Host/Company/Preferences response like QBWC's first sendRequestXML carries (§3.4)."""
    ext = ""
    if owner_id and file_id:
        ext = (
            f"<DataExtRet><OwnerID>{owner_id}</OwnerID><DataExtName>FileID</DataExtName>"
            f"<DataExtType>STR255TYPE</DataExtType><DataExtValue>{file_id}</DataExtValue>"
            "</DataExtRet>"
        )
    vers = "".join(f"<SupportedQBXMLVersion>{v}</SupportedQBXMLVersion>" for v in versions)
    return (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        '<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
        f"<HostRet><ProductName>{product}</ProductName><MajorVersion>24</MajorVersion>"
        f"<MinorVersion>0</MinorVersion><Country>US</Country>{vers}"
        "<IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>"
        "</HostQueryRs>"
        '<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" '
        'statusMessage="Status OK">'
        f"<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>{escape(company_name)}"
        f"</CompanyName>{ext}</CompanyRet></CompanyQueryRs>"
        '<PreferencesQueryRs requestID="2" statusCode="0" statusSeverity="Info" '
        'statusMessage="Status OK"><PreferencesRet><AccountingPreferences>'
        "<IsUsingAccountNumbers>false</IsUsingAccountNumbers>"
        "<IsUsingClassTracking>true</IsUsingClassTracking></AccountingPreferences>"
        "<PurchasesAndVendorsPreferences><IsUsingInventory>true</IsUsingInventory>"
        "<DaysBillsAreDue>10</DaysBillsAreDue></PurchasesAndVendorsPreferences>"
        "</PreferencesRet></PreferencesQueryRs></QBXMLMsgsRs></QBXML>"
    )

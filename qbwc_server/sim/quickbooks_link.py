"""What the fake Web Connector knows of QuickBooks: the interface it drives, and reading answers.

QuickBooks is any object with the methods of :class:`QuickBooksLike` (the simulator's
``FakeQuickBooks``); its failures are recognised by the ``hresult``/``message`` attributes of the
exception, so nothing here imports the fake.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from lxml import etree

from qbwc_server.sim.report import SessionReport

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


class QuickBooksLike(Protocol):
    """What the Web Connector needs from a (fake) QuickBooks."""

    @property
    def path(self) -> str: ...

    def open_session(
        self, *, app_name: str, owner_id: str, file_id: str, company_path: str = ""
    ) -> Any: ...

    def hcp_response(self) -> str: ...

    def process(self, request_xml: str) -> str: ...

    def close_session(self) -> Any: ...


def format_hresult(value: object) -> str:
    """HRESULTs travel as hex strings, e.g. ``0x80040408`` (§5)."""
    if isinstance(value, int):
        return f"0x{value & 0xFFFFFFFF:08X}"
    return str(value)


def qb_error_fields(exc: BaseException) -> tuple[str, str] | None:
    """(hresult, message) of a QuickBooks-side error, or None if it is not one."""
    hresult = getattr(exc, "hresult", None)
    if hresult is None:
        return None
    message = getattr(exc, "message", None)
    return format_hresult(hresult), str(message if message is not None else exc)


def strip_xml_declaration(text: str) -> str:
    # lxml refuses a str carrying an encoding declaration (§7).
    return _XML_DECL.sub("", text, count=1)


def hcp_facts(hcp_response: str) -> tuple[int, int, str]:
    """(major, minor, country) QBWC reports in sendRequestXML, read from the HostRet (§6.9)."""
    major, minor, country = 13, 0, "US"
    try:
        root = etree.fromstring(strip_xml_declaration(hcp_response).encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return major, minor, country
    versions: list[tuple[int, int]] = []
    for el in root.iter("SupportedQBXMLVersion"):
        parts = (el.text or "").strip().split(".")
        try:
            versions.append((int(parts[0]), int(parts[1]) if len(parts) > 1 else 0))
        except ValueError:
            continue
    if versions:
        major, minor = max(versions)
    found = root.find(".//HostRet/Country")
    if found is not None and (found.text or "").strip():
        country = (found.text or "").strip()
    return major, minor, country


def tally_response(response: str, report: SessionReport) -> None:
    """Count ``…Rs`` elements, their status codes and ``…Ret`` records in a qbXML response."""
    try:
        root = etree.fromstring(strip_xml_declaration(response).encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        report.warnings.append(f"QuickBooks response is not well-formed XML: {exc}")
        return
    msgs = root.find("QBXMLMsgsRs")
    if msgs is None:
        return
    for rs in msgs:
        if not isinstance(rs.tag, str):
            continue
        report.responses_by_type[rs.tag] += 1
        report.status_codes[f"{rs.tag}:{rs.get('statusCode', '?')}"] += 1
        for child in rs:
            if isinstance(child.tag, str) and child.tag.endswith("Ret"):
                report.records_by_type[child.tag] += 1

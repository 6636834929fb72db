"""Read the strHCPResponse (Host, Company, Preferences) into CompanyFileFacts (§3.4, §6.9)."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from qbwc_server.engine.verification import CompanyFileFacts

_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=recover
    )


def _text(el: etree._Element | None, path: str) -> str | None:
    if el is None:
        return None
    found = el.find(path)
    return found.text.strip() if found is not None and found.text else None


def _bool_prefs(prefs: etree._Element | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if prefs is None:
        return out
    for el in prefs.iter():
        if len(el) == 0 and el.text and isinstance(el.tag, str):
            value = el.text.strip()
            if value in ("true", "false"):
                out[el.tag] = value == "true"
            elif el.tag in ("DaysBillsAreDue",):
                out[el.tag] = value
    return out


def facts_from_hcp(
    text: str, owner_id: str, company_file_name: str | None
) -> CompanyFileFacts | None:
    """None when the text cannot be read at all.

    A real capture (QB Pro 2014) is not well-formed, so a recovering parse is the fallback; it
    still never resolves entities nor touches the network.
    """
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        return None
    body = _DECL.sub("", text, count=1).encode("utf-8")
    root: etree._Element | None = None
    for recover in (False, True):
        try:
            root = etree.fromstring(body, _parser(recover))
        except etree.XMLSyntaxError:
            continue
        if root is not None:
            break
    if root is None:
        return None
    host = root.find(".//HostRet")
    company = root.find(".//CompanyRet")
    prefs = root.find(".//PreferencesRet")
    if host is None and company is None:
        return None
    owner = owner_id.strip("{}").upper()
    stamp = None
    others: dict[str, str] = {}
    if company is not None:
        for ext in company.findall("DataExtRet"):
            if _text(ext, "DataExtName") != "FileID":
                continue
            ext_owner = (_text(ext, "OwnerID") or "").strip("{}").upper()
            value = _text(ext, "DataExtValue")
            if not value:
                continue
            if ext_owner == owner:
                stamp = value
            else:
                others[ext_owner] = value
    versions = (
        [v.text.strip() for v in host.findall("SupportedQBXMLVersion") if v.text]
        if (host is not None)
        else []
    )
    major = _text(host, "MajorVersion")
    minor = _text(host, "MinorVersion")
    return CompanyFileFacts(
        file_stamp=stamp,
        company_name=_text(company, "CompanyName"),
        file_path=company_file_name or None,
        product=_text(host, "ProductName"),
        version=f"{major}.{minor}" if major else None,
        country=_text(host, "Country"),
        supported_versions=versions,
        preferences=_bool_prefs(prefs),
        other_stamps=others,
    )

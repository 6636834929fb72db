"""Parse the ``strHCPResponse`` QBWC sends in the first ``sendRequestXML`` of a session (§6.9):
HostQueryRs + CompanyQueryRs + PreferencesQueryRs in one message set.

Real HCP text is not always well-formed: the published QuickBooks Pro 2014 capture carries
the corruption ``STR255TYPE<yzer/DataExtType>`` (reference/SOURCES.md). A session must not be
lost over that, so — for the HCP only — a failed strict parse is retried with lxml's recovering
parser (still without entities, DTDs or network), and values are looked up by element name
anywhere in the tree rather than by fixed paths, because recovery may re-nest elements.

Privacy: the company's EIN is personal/tax data. Only its presence is kept (``has_ein``); it
is removed from the ``company`` dict and never appears in this object.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from qbwc_server.qbxml.parse import (
    QbxmlParseError,
    ResponseStatus,
    hardened_parser_kwargs,
    prepare_text,
    refuse_dtd,
    sanitize_chunk,
    status_from_element,
)
from qbwc_server.qbxml.ret_dicts import ret_to_dict

# Removed from the company dict: never stored or logged (security rules, architecture.md).
SENSITIVE_COMPANY_ELEMENTS = frozenset({"EIN", "SSN"})
_PURCHASES = "PurchasesAndVendorsPreferences"


@dataclass(frozen=True)
class DataExtension:
    """A ``DataExtRet`` of the CompanyRet, e.g. QBWC's FileID or AppLock stamp (§4.3)."""

    owner_id: str
    name: str
    type: str | None
    value: str | None


@dataclass(frozen=True)
class HostCompanyPreferences:
    product_name: str | None = None
    major_version: int | None = None
    minor_version: int | None = None
    country: str | None = None
    supported_qbxml_versions: tuple[str, ...] = ()
    is_automatic_login: bool | None = None
    file_mode: str | None = None  # "SingleUser" | "MultiUser"
    company_name: str | None = None
    legal_company_name: str | None = None
    has_ein: bool = False
    data_extensions: tuple[DataExtension, ...] = ()
    is_using_class_tracking: bool | None = None
    is_using_account_numbers: bool | None = None
    is_using_inventory: bool | None = None
    days_bills_are_due: int | None = None
    is_multi_currency_on: bool | None = None
    home_currency: str | None = None
    is_automatic_login_allowed: bool | None = None
    is_personal_data_access_allowed: bool | None = None
    host: dict[str, Any] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)  # without EIN
    preferences: dict[str, Any] = field(default_factory=dict)
    host_status: ResponseStatus | None = None
    company_status: ResponseStatus | None = None
    preferences_status: ResponseStatus | None = None
    recovered: bool = False  # True when the text was not well-formed (log a warning)

    def _ext(self, owner_id: str, name: str) -> str | None:
        wanted = owner_id.strip().upper()
        for ext in self.data_extensions:
            if ext.name == name and ext.owner_id.strip().upper() == wanted:
                return ext.value
        return None

    def file_id_for(self, owner_id: str) -> str | None:
        """The FileID QBWC stamped for ``owner_id`` (compare with the one we issued, §4.3)."""
        return self._ext(owner_id, "FileID")

    def app_lock_for(self, owner_id: str) -> str | None:
        """QBWC's AppLock value (``LOCKED:<MACHINE>:<ticks>``) — informational only."""
        return self._ext(owner_id, "AppLock")


def _bool(text: str | None) -> bool | None:
    if text is None:
        return None
    low = text.strip().lower()
    if low == "true":
        return True
    if low == "false":
        return False
    return None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def _first(root: etree._Element, tag: str) -> etree._Element | None:
    return next(root.iter(tag), None)


def _text(el: etree._Element | None, path: str) -> str | None:
    """Text of the first ``path`` element below ``el`` (any depth), stripped."""
    if el is None:
        return None
    found = el.find(f".//{path}")
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _own_descendants(el: etree._Element, stop_tag: str) -> Iterator[etree._Element]:
    """Descendants of ``el`` not inside a nested ``stop_tag`` (recovery may nest them)."""
    for child in el:
        if not isinstance(child.tag, str):
            continue
        yield child
        if child.tag != stop_tag:
            yield from _own_descendants(child, stop_tag)


def _data_extensions(root: etree._Element) -> tuple[DataExtension, ...]:
    found: list[DataExtension] = []
    for ret in root.iter("DataExtRet"):
        own: dict[str, str] = {}
        for el in _own_descendants(ret, "DataExtRet"):
            if isinstance(el.tag, str) and el.tag not in own and el.tag != "DataExtRet":
                text = (el.text or "").strip()
                # A recovered DataExtType may hold garbage text before its real value.
                own[el.tag] = text
        owner = own.get("OwnerID")
        name = own.get("DataExtName")
        if owner and name:
            found.append(
                DataExtension(owner, name, own.get("DataExtType"), own.get("DataExtValue"))
            )
    return tuple(found)


def _scrub(value: Any) -> Any:
    """Drop sensitive elements at any depth (recovery may have moved them)."""
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in SENSITIVE_COMPANY_ELEMENTS}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _parse_tree(body: str) -> tuple[etree._Element, bool]:
    # lxml raises ValueError for a str that (still) starts with a declaration naming an
    # encoding: a second declaration after the one dropped (found by the fuzzer).
    strict: etree._Element | None
    try:
        strict = etree.fromstring(body, etree.XMLParser(**hardened_parser_kwargs()))
    except (etree.XMLSyntaxError, ValueError):
        strict = None
    if strict is not None:
        refuse_dtd(strict)
        return strict, False
    recovering = etree.XMLParser(recover=True, **hardened_parser_kwargs())
    try:
        root = etree.fromstring(body, recovering)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise QbxmlParseError(f"strHCPResponse could not be parsed: {exc}") from exc
    if root is None:
        raise QbxmlParseError("strHCPResponse could not be parsed")
    refuse_dtd(root)  # recovery keeps a DOCTYPE too
    return root, True


def _status(root: etree._Element, tag: str) -> ResponseStatus | None:
    el = _first(root, tag)
    if el is None:
        return None
    try:
        return status_from_element(el, None)
    except QbxmlParseError:
        return None


def parse_hcp(text: str) -> HostCompanyPreferences:
    """Parse ``strHCPResponse``. An empty string (later sendRequestXML calls) gives an empty
    result; unsafe XML (DTD/entities) raises :class:`UnsafeXmlError`."""
    # Clean first, then drop the declaration and check for a DTD: cleaning can uncover both
    # ("&#1;<?xml ...?>", "<!&#1;DOCTYPE": issue 9).
    body = prepare_text(sanitize_chunk(text).strip()).strip()
    if not body:
        return HostCompanyPreferences()
    root, recovered = _parse_tree(body)

    host_el = _first(root, "HostRet")
    company_el = _first(root, "CompanyRet")
    prefs_el = _first(root, "PreferencesRet")

    versions = tuple(
        v.text.strip() for v in root.iter("SupportedQBXMLVersion") if v.text and v.text.strip()
    )
    has_ein = bool(_text(company_el, "EIN"))
    company = _scrub(ret_to_dict(company_el)) if company_el is not None else {}

    return HostCompanyPreferences(
        product_name=_text(host_el, "ProductName"),
        major_version=_int(_text(host_el, "MajorVersion")),
        minor_version=_int(_text(host_el, "MinorVersion")),
        country=_text(host_el, "Country"),
        supported_qbxml_versions=versions,
        is_automatic_login=_bool(_text(host_el, "IsAutomaticLogin")),
        file_mode=_text(host_el, "QBFileMode"),
        company_name=_text(company_el, "CompanyName"),
        legal_company_name=_text(company_el, "LegalCompanyName"),
        has_ein=has_ein,
        data_extensions=_data_extensions(company_el) if company_el is not None else (),
        is_using_class_tracking=_bool(_text(prefs_el, "IsUsingClassTracking")),
        is_using_account_numbers=_bool(_text(prefs_el, "IsUsingAccountNumbers")),
        is_using_inventory=_bool(_text(prefs_el, f"{_PURCHASES}/IsUsingInventory")),
        days_bills_are_due=_int(_text(prefs_el, f"{_PURCHASES}/DaysBillsAreDue")),
        is_multi_currency_on=_bool(_text(prefs_el, "IsMultiCurrencyOn")),
        home_currency=_text(prefs_el, "MultiCurrencyPreferences/HomeCurrencyRef/FullName"),
        is_automatic_login_allowed=_bool(_text(prefs_el, "IsAutomaticLoginAllowed")),
        is_personal_data_access_allowed=_bool(_text(prefs_el, "IsPersonalDataAccessAllowed")),
        host=ret_to_dict(host_el) if host_el is not None else {},
        company=company,
        preferences=ret_to_dict(prefs_el) if prefs_el is not None else {},
        host_status=_status(root, "HostQueryRs"),
        company_status=_status(root, "CompanyQueryRs"),
        preferences_status=_status(root, "PreferencesQueryRs"),
        recovered=recovered,
    )

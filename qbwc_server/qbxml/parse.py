"""Hardened parsing of qbXML responses (§6.3, §7, §6.11).

Two entry points share one code path:

* :func:`iter_response` — a streaming parser for large pages: the text is fed to an lxml
  pull parser in chunks, each ``…Ret`` record is converted to a plain dict and then removed
  from the tree, so memory stays flat in the page size. It yields :class:`ResponseStart`,
  :class:`Record` and :class:`ResponseEnd` events per ``…Rs``.
* :func:`parse_response` — collects those events for small documents.

Untrusted input: DOCTYPE/ENTITY declarations are refused (billion laughs, XXE); the lxml
parser never resolves entities, loads DTDs or touches the network; XML-illegal control
characters (raw, or as character references like ``&#1;``) are removed before parsing
(user-pains #11); a leading XML declaration is dropped, because lxml refuses a ``str`` that
declares ``encoding="windows-1252"`` (§7).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from qbwc_server.qbxml.repeatable import REPEATABLE_ELEMENTS, REPEATABLE_IN_PARENT
from qbwc_server.qbxml.values import clean_text

CHUNK_SIZE = 64 * 1024

_XML_DECL_RE = re.compile(r"\s*<\?xml\s[^>]*\?>", re.IGNORECASE)
_CHAR_REF_RE = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")
_DTD_MARKERS = ("<!DOCTYPE", "<!ENTITY")


class QbxmlParseError(ValueError):
    """The text is not a qbXML response we can read."""


class UnsafeXmlError(QbxmlParseError):
    """The text carries a DTD or entity declarations; refused without parsing."""


def hardened_parser_kwargs() -> dict[str, Any]:
    # docs/common rules: never resolve entities, load DTDs or use the network.
    return {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def _is_legal_code_point(cp: int) -> bool:
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


def _drop_illegal_char_ref(match: re.Match[str]) -> str:
    ref = match.group(1)
    try:
        cp = int(ref[1:], 16) if ref[0] in "xX" else int(ref)
    except ValueError:
        return ""
    return match.group(0) if _is_legal_code_point(cp) else ""


def sanitize_chunk(text: str) -> str:
    """Remove XML-illegal characters, raw or as numeric character references."""
    text = clean_text(text)
    if "&#" in text:
        text = _CHAR_REF_RE.sub(_drop_illegal_char_ref, text)
    return text


def body_offset(text: str) -> int:
    """Refuse DTDs; return where the document proper starts (after a BOM and a leading XML
    declaration). Returns an offset instead of a slice so a large page is not copied."""
    if not isinstance(text, str):
        raise TypeError("qbXML responses are parsed from str")
    for marker in _DTD_MARKERS:
        if marker in text:
            raise UnsafeXmlError(
                "qbXML response contains a DTD or entity declaration; refused (XXE/entity "
                "expansion protection)"
            )
    start = 1 if text.startswith("\ufeff") else 0
    m = _XML_DECL_RE.match(text, start)
    return m.end() if m else start


def prepare_text(text: str) -> str:
    """Refuse DTDs, drop a BOM and a leading XML declaration. Returns the text to parse."""
    return text[body_offset(text) :]


def _chunks(text: str, size: int, offset: int = 0) -> Iterator[str]:
    """Yield sanitized chunks; a character reference cut by a boundary is carried over."""
    carry = ""
    for start in range(offset, len(text), size):
        chunk = carry + text[start : start + size]
        carry = ""
        amp = chunk.rfind("&", max(0, len(chunk) - 16))
        if amp != -1 and ";" not in chunk[amp:]:
            chunk, carry = chunk[:amp], chunk[amp:]
        yield sanitize_chunk(chunk)
    if carry:
        yield sanitize_chunk(carry)


# --- record conversion ----------------------------------------------------------------------


def _attrs(el: etree._Element) -> dict[str, Any]:
    return {f"@{k!s}": str(v) for k, v in el.attrib.items()}


def ret_to_dict(el: etree._Element) -> dict[str, Any]:
    """Convert a ``…Ret`` (or any aggregate) to JSON-able dicts.

    Element names are kept as QuickBooks wrote them; leaf text is ``str`` (``""`` for an empty
    element); repeatable elements (see repeatable.py) are always lists; attributes become
    ``"@name"`` keys (a leaf with attributes becomes ``{"@a": ..., "#text": ...}``). An element
    that repeats although the schema says it is single is turned into a list rather than
    losing data.
    """
    # Hot path of the streaming parser (one call per record and per nested aggregate).
    parent = el.tag
    out: dict[str, Any] = _attrs(el) if len(el.attrib) else {}
    promoted: set[str] | None = None
    for child in el:
        tag = child.tag
        if type(tag) is not str:  # comments / processing instructions
            continue
        value: Any
        if len(child):
            value = ret_to_dict(child)
        elif len(child.attrib):
            value = _attrs(child)
            value["#text"] = child.text or ""
        else:
            value = child.text or ""
        if tag in REPEATABLE_ELEMENTS or (parent, tag) in REPEATABLE_IN_PARENT:
            out.setdefault(tag, []).append(value)
        elif tag in out:
            if promoted is None:
                promoted = set()
            if tag not in promoted:
                out[tag] = [out[tag]]
                promoted.add(tag)
            out[tag].append(value)
        else:
            out[tag] = value
    return out


# --- events ---------------------------------------------------------------------------------


def _int_attr(el: etree._Element, name: str) -> int | None:
    raw = el.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw.strip())
    except ValueError as exc:
        raise QbxmlParseError(f"{el.tag!s}/@{name} is not an integer: {raw!r}") from exc


@dataclass(frozen=True)
class ResponseStatus:
    """The attributes of one ``…Rs`` (§6.3, §6.4) plus the message-set status (§6.2)."""

    name: str  # e.g. "VendorQueryRs"
    request_id: str | None
    status_code: int
    status_severity: str  # "Info" | "Warn" | "Error"
    status_message: str
    ret_count: int | None = None
    iterator_remaining_count: int | None = None
    iterator_id: str | None = None
    message_set_status_code: int | None = None

    @property
    def request_name(self) -> str:
        """``VendorQuery`` for ``VendorQueryRs``."""
        return self.name[:-2] if self.name.endswith("Rs") else self.name

    @property
    def is_error(self) -> bool:
        return self.status_severity == "Error"


@dataclass(frozen=True)
class ResponseStart:
    status: ResponseStatus


@dataclass(frozen=True)
class Record:
    status: ResponseStatus
    tag: str  # e.g. "VendorRet" (ItemQueryRs mixes ItemServiceRet, ItemInventoryRet, ...)
    data: dict[str, Any]


@dataclass(frozen=True)
class ResponseEnd:
    status: ResponseStatus
    record_count: int
    error_recovery: dict[str, Any] | None = None  # §6.2: present with message-set IDs


@dataclass(frozen=True)
class MessageSet:
    """The ``QBXMLMsgsRs`` element itself (§6.2: error-recovery attributes)."""

    message_set_status_code: int | None
    new_message_set_id: str | None


ResponseEvent = MessageSet | ResponseStart | Record | ResponseEnd


def status_from_element(el: etree._Element, message_set_status_code: int | None) -> ResponseStatus:
    code = _int_attr(el, "statusCode")
    if code is None:
        raise QbxmlParseError(f"{el.tag!s} has no statusCode")
    return ResponseStatus(
        name=str(el.tag),
        request_id=el.get("requestID"),
        status_code=code,
        status_severity=el.get("statusSeverity", ""),
        status_message=el.get("statusMessage", ""),
        ret_count=_int_attr(el, "retCount"),
        iterator_remaining_count=_int_attr(el, "iteratorRemainingCount"),
        iterator_id=el.get("iteratorID"),
        message_set_status_code=message_set_status_code,
    )


def _release(el: etree._Element) -> None:
    """Free a processed element and everything before it (flat memory while streaming)."""
    el.clear()  # also drops the tail text
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def iter_response(text: str, *, chunk_size: int = CHUNK_SIZE) -> Iterator[ResponseEvent]:
    """Stream the ``…Rs`` of a qbXML response.

    Events: one :class:`MessageSet`, then per ``…Rs`` a :class:`ResponseStart`, its
    :class:`Record` s and a :class:`ResponseEnd`.
    Raises :class:`UnsafeXmlError` before parsing when a DTD is present, and
    :class:`QbxmlParseError` for malformed XML — possibly after some events were already
    yielded, so consumers must treat a page atomically (one database transaction per page).
    """
    offset = body_offset(text)
    parser = etree.XMLPullParser(events=("start", "end"), **hardened_parser_kwargs())
    depth = 0
    message_set_status: int | None = None
    status: ResponseStatus | None = None
    count = 0
    error_recovery: dict[str, Any] | None = None
    saw_root = False
    in_msgs = False

    def drain() -> Iterator[ResponseEvent]:
        nonlocal depth, message_set_status, status, count, error_recovery, saw_root, in_msgs
        # Hot loop: one iteration per start and per end tag of the page. Elements below a
        # record (depth > 4) only move the depth counter.
        for event, el in parser.read_events():
            if event == "start":
                depth += 1
                if depth > 3:
                    continue
                assert isinstance(el, etree._Element)
                if depth == 1:
                    if el.tag != "QBXML":
                        raise QbxmlParseError(f"root element is {el.tag!r}, expected QBXML")
                    saw_root = True
                elif depth == 2:
                    # Only QBXMLMsgsRs holds responses (SignonMsgsRs is QBOE-only; ignored).
                    in_msgs = el.tag == "QBXMLMsgsRs"
                    if in_msgs:
                        message_set_status = _int_attr(el, "messageSetStatusCode")
                        yield MessageSet(message_set_status, el.get("newMessageSetID"))
                elif depth == 3 and in_msgs:
                    status = status_from_element(el, message_set_status)
                    count = 0
                    error_recovery = None
                    yield ResponseStart(status)
                continue
            depth -= 1
            if depth >= 4:
                continue
            assert isinstance(el, etree._Element)
            if depth == 3 and status is not None:
                if el.tag == "ErrorRecovery":
                    error_recovery = ret_to_dict(el)
                else:
                    count += 1
                    yield Record(status, str(el.tag), ret_to_dict(el))
                _release(el)
            elif depth == 2 and status is not None:
                yield ResponseEnd(status, count, error_recovery)
                status = None
                _release(el)

    try:
        for chunk in _chunks(text, chunk_size, offset):
            parser.feed(chunk)
            yield from drain()
        parser.close()
        yield from drain()
    except etree.XMLSyntaxError as exc:
        raise QbxmlParseError(f"malformed qbXML response: {exc}") from exc
    if not saw_root:
        raise QbxmlParseError("empty qbXML response")


@dataclass(frozen=True)
class ParsedRs:
    status: ResponseStatus
    records: list[Record] = field(default_factory=list)
    error_recovery: dict[str, Any] | None = None

    @property
    def data(self) -> list[dict[str, Any]]:
        return [r.data for r in self.records]


@dataclass(frozen=True)
class ParsedResponse:
    responses: list[ParsedRs]
    message_set_status_code: int | None = None
    new_message_set_id: str | None = None

    def by_request_id(self, request_id: str) -> ParsedRs | None:
        for rs in self.responses:
            if rs.status.request_id == request_id:
                return rs
        return None


def parse_response(text: str) -> ParsedResponse:
    """Parse a whole (small) qbXML response into memory."""
    responses: list[ParsedRs] = []
    records: list[Record] = []
    message_set = MessageSet(None, None)
    for event in iter_response(text):
        if isinstance(event, MessageSet):
            message_set = event
        elif isinstance(event, ResponseStart):
            records = []
        elif isinstance(event, Record):
            records.append(event)
        else:
            responses.append(ParsedRs(event.status, records, event.error_recovery))
    return ParsedResponse(
        responses, message_set.message_set_status_code, message_set.new_message_set_id
    )

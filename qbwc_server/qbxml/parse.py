"""Hardened parsing of qbXML responses (§6.3, §7, §6.11).

Two entry points:

* :func:`iter_response` yields :class:`MessageSet`, then per ``…Rs`` a :class:`ResponseStart`,
  its :class:`Record` s and a :class:`ResponseEnd`. A page of up to
  :data:`WHOLE_DOCUMENT_MAX_CHARS` is parsed as one document and its records walked (half the
  CPU of streaming: bench/bench_ingest.py); a larger one is streamed: fed to an lxml pull
  parser in chunks, each ``…Ret`` converted to a plain dict and then removed from the tree, so
  memory stays flat in the page size. Both paths yield the same events.
* :func:`parse_response` — collects those events for small documents.

Untrusted input: a document with a DOCTYPE (so possibly entity declarations: billion laughs,
XXE) is refused — by a cheap text check first, and by construction on what libxml2 actually
parsed (:func:`refuse_dtd` on the tree), because removing ``&#1;`` from ``<!&#1;DOCTYPE``
makes a DOCTYPE the text check never saw (issue 9). The lxml parser never resolves entities,
loads DTDs or touches the network; XML-illegal control characters (raw, or as character
references like ``&#1;``) are removed before parsing (user-pains #11); a leading XML
declaration is dropped — also when it only leads after that cleaning — because lxml refuses a
``str`` that declares an encoding, and the bytes we parse are UTF-8 whatever it declares (§7).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from lxml import etree

from qbwc_server.qbxml.ret_dicts import plain_to_dict, records_without_attributes, ret_to_dict
from qbwc_server.qbxml.values import clean_text

CHUNK_SIZE = 64 * 1024
# Pages up to this many characters are parsed whole. A page at the default page sizes
# (QBWC_LIST_PAGE_SIZE=500, QBWC_TXN_PAGE_SIZE=100) is well below it; the lxml tree of a
# page this size costs about ten times its text in memory for the duration of one call.
WHOLE_DOCUMENT_MAX_CHARS = 4 * 1024 * 1024

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


# One parser object per thread and kind is reused for whole documents (lxml parsers are not
# thread-safe); collect_ids=False skips the xml:id hash table qbXML never uses.
_WHOLE_PARSERS = threading.local()


def _whole_document_parser(markup_only: bool = False) -> etree.XMLParser:
    """The parser of whole documents; ``markup_only``: the document has elements, attributes
    and text only (no comment, CDATA section or processing instruction), see :func:`parse_whole`."""
    name = "markup_only" if markup_only else "parser"
    parser: etree.XMLParser | None = getattr(_WHOLE_PARSERS, name, None)
    if parser is None:
        parser = etree.XMLParser(
            collect_ids=False, remove_blank_text=markup_only, **hardened_parser_kwargs()
        )
        setattr(_WHOLE_PARSERS, name, parser)
    return parser


def _markup_only(body: str) -> bool:
    """No comment, CDATA section, DOCTYPE or processing instruction (``<!`` or ``<?``)."""
    return not _holds(body, "<!") and not _holds(body, "<?")


def _holds(text: str, marker: str) -> bool:
    """``marker in text``, for a two-character marker opening with ``<``. A page has a ``<``
    every few characters, which makes the plain search step through all of them (about half a
    millisecond for a page of 500 vendors); its second character is rare in qbXML, and a
    search for one character alone is a memchr: the first look usually settles it."""
    return marker[1] in text and marker in text


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
    for marker in _DTD_MARKERS if _holds(text, "<!") else ():  # a page scanned once, as a rule
        if marker in text:
            raise UnsafeXmlError(
                "qbXML response contains a DTD or entity declaration; refused (XXE/entity "
                "expansion protection)"
            )
    start = 1 if text.startswith("\ufeff") else 0
    m = _XML_DECL_RE.match(text, start)
    return m.end() if m else start


def refuse_dtd(root: etree._Element) -> None:
    """Refuse a parsed document that has a DOCTYPE, however its text was spelled."""
    docinfo = root.getroottree().docinfo
    doctype = docinfo.doctype  # type: ignore[attr-defined]  # (missing from lxml-stubs)
    if doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError(
            "qbXML response contains a DTD or entity declaration; refused (XXE/entity "
            "expansion protection)"
        )


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


# Above this a response is taken to carry records without looking (an empty answer is a few
# hundred characters; a page of records is tens of kilobytes at least).
RECORDLESS_MAX_CHARS = 16 * 1024


def carries_records(text: str) -> bool:
    """Whether a response may hold records: False only for a small document that parses and
    whose ``…Rs`` elements hold nothing (no element, comment or text but whitespace), such as
    an incremental pass's "no match" answer. Anything larger, unreadable or unsafe counts as
    holding records, so its reader meets it as before (the sync steps take an answer that
    holds none without a savepoint: sync/steps/base.py)."""
    if len(text) > RECORDLESS_MAX_CHARS:
        return True
    try:
        _body, root = parse_whole(text, body_offset(text))
    except QbxmlParseError:
        return True
    for msgs in root:
        if msgs.tag != "QBXMLMsgsRs":
            continue
        for rs in msgs:
            if len(rs) or (rs.text and not rs.text.isspace()):
                return True
    return False


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
    # The ListID or TxnID of each record of the response, in order, when the whole response
    # was parsed before its records are read (None while streaming): storage learns which
    # records are new before it reads them, and writes them while they are read
    # (records/store.py). A hint, read off the tree in one XPath (_RECORD_IDS): storage
    # checks each record's own id. Not part of the event's equality: a page parsed whole and
    # the same page streamed give equal events.
    record_ids: tuple[str, ...] | None = field(default=None, compare=False)


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


def iter_response(
    text: str,
    *,
    chunk_size: int = CHUNK_SIZE,
    whole_document_max_chars: int | None = None,
) -> Iterator[ResponseEvent]:
    """The events of a qbXML response.

    Events: one :class:`MessageSet`, then per ``…Rs`` a :class:`ResponseStart`, its
    :class:`Record` s and a :class:`ResponseEnd`.
    Raises :class:`UnsafeXmlError` before parsing when a DTD is present, and
    :class:`QbxmlParseError` for malformed XML — when streaming, possibly after some events
    were already yielded, so consumers must treat a page atomically (one database transaction
    per page). Texts up to ``whole_document_max_chars`` (default
    :data:`WHOLE_DOCUMENT_MAX_CHARS`) are parsed as one document; 0 always streams.
    """
    offset = body_offset(text)
    limit = (
        WHOLE_DOCUMENT_MAX_CHARS if whole_document_max_chars is None else whole_document_max_chars
    )
    if len(text) - offset <= limit:
        return _iter_document(text, offset)
    return _iter_stream(text, offset, chunk_size)


def parse_whole(text: str, offset: int) -> tuple[str, etree._Element]:
    """A response parsed as one document: (the text parsed, its ``QBXML`` root element).
    ``offset`` is where the document proper starts (:func:`body_offset`)."""
    body = text[offset:] if offset else text
    # QuickBooks writes each element on a line of its own: the line breaks between elements
    # are as many text nodes as there are elements, which libxml2 builds and lxml walks past
    # for nothing (a fifth of a page's parsing). Dropped while parsing (remove_blank_text)
    # where that cannot touch a value: libxml2 keeps the blanks of an element that holds text
    # only (``<Memo> </Memo>``), and would drop those before a comment, CDATA section or
    # processing instruction in one, so a document with any of those keeps every blank.
    parser = _whole_document_parser(_markup_only(body))
    try:
        # The text as it is: lxml hands libxml2 the string's own buffer (Latin-1, UTF-16 or
        # UCS-4, whichever the page needed), which it reads faster than Python encodes the
        # page to UTF-8 first (a page of names like "Café" is two bytes a character).
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, UnicodeEncodeError, ValueError):
        # libxml2 refuses every character XML cannot carry, raw or as a reference (and a lone
        # surrogate cannot even be encoded), so the usual clean page skips the sanitizing
        # pass; a refused one is sanitized (user-pains #11) and parsed again, fed as text the
        # way the streaming path feeds it (a declaration the cleaning uncovered is read, its
        # encoding ignored: the text is the text), so both paths accept the same documents.
        body = sanitize_chunk(body)
        body_offset(body)  # a DTD the cleaning uncovered is refused before parsing
        feeder = etree.XMLParser(collect_ids=False, **hardened_parser_kwargs())
        try:
            feeder.feed(body)
            root = feeder.close()
        except etree.XMLSyntaxError as exc:
            raise QbxmlParseError(f"malformed qbXML response: {exc}") from exc
    refuse_dtd(root)
    if root.tag != "QBXML":
        raise QbxmlParseError(f"root element is {root.tag!r}, expected QBXML")
    return body, root


# The ids of a response's records, as a hint (ResponseStart.record_ids): the text of each
# child's first element, which in every …Ret is its ListID or TxnID (schema order). Asking for
# ListID and TxnID by name cost seven times as much (0.5 ms a page of 500 vendors). An
# ErrorRecovery's first element comes along: an id no record carries, which storage ignores.
_RECORD_IDS = etree.XPath("*/*[1]/text()", smart_strings=False)


def _iter_document(text: str, offset: int) -> Iterator[ResponseEvent]:
    """The same events as :func:`_iter_stream`, from a document parsed whole."""
    body, root = parse_whole(text, offset)
    plain = records_without_attributes(body, root)
    for msgs in root:
        # Only QBXMLMsgsRs holds responses (SignonMsgsRs is QBOE-only; ignored).
        if msgs.tag != "QBXMLMsgsRs":
            continue
        message_set_status = _int_attr(msgs, "messageSetStatusCode")
        yield MessageSet(message_set_status, msgs.get("newMessageSetID"))
        for rs in msgs:
            if rs.tag.__class__ is not str:
                continue
            status = status_from_element(rs, message_set_status)
            yield ResponseStart(status, tuple(cast("list[str]", _RECORD_IDS(rs))))
            count = 0
            error_recovery: dict[str, Any] | None = None
            for ret in rs:
                tag = ret.tag
                if tag.__class__ is not str:
                    continue
                if tag == "ErrorRecovery":
                    error_recovery = ret_to_dict(ret)
                else:
                    count += 1
                    data = plain_to_dict(ret, tag) if plain else ret_to_dict(ret)
                    yield Record(status, tag, data)
            yield ResponseEnd(status, count, error_recovery)


def _iter_stream(text: str, offset: int, chunk_size: int) -> Iterator[ResponseEvent]:
    """Stream the ``…Rs`` of a large qbXML response, keeping memory flat."""
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
                    refuse_dtd(el)  # the prolog is parsed once the root element starts
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

"""Reading a SOAP request body from the internet, bounded in memory, time and structure.

The body is read in blocks of 64 KiB and parsed as it arrives; the bytes are never kept whole.

* The **builder**, an lxml pull parser, builds the tree. It runs with ``huge_tree`` because a
  page of QuickBooks data arrives as one text node that may pass libxml2's 10 MB text-node
  limit (issue 9: a 14.7 MB page was refused and the sync could never finish). After each
  block its start/end events are checked against the shape of a Web Connector call (at most
  :data:`MAX_ELEMENTS` elements, :data:`MAX_DEPTH` deep, :data:`MAX_ATTRIBUTES` attributes of
  at most :data:`MAX_ATTRIBUTE_CHARS`), so no body can build a large tree of small nodes.
* ``huge_tree`` lifts libxml2's entity-amplification guard too, so the builder must never see
  a DTD. The **gate**, a second parser with libxml2's default limits and a target that builds
  nothing, reads every block first, until the body is admitted (below): its ``doctype``
  callback refuses any DOCTYPE, whatever the encoding (UTF-16 included) or the spelling of the
  bytes, before the builder gets that block. A DOCTYPE can only stand before the root
  element, which must come within the first :data:`SMALL_CALL_MAX_BYTES`. The finished tree
  is checked for a DTD once more, so the refusal holds by construction. For the two calls
  that carry pages (:data:`LARGE_CALLS`) the gate stops after the block in which the call
  element began: everything before it has passed the gate, and no DOCTYPE can follow the root
  element (the builder refuses one as malformed); it parsed the first 256 KiB of every page
  a second time, about a fifth of a sync call's fixed cost.
* **Size**: every call but sendRequestXML/receiveResponseXML is a few short strings, so a body
  is read past :data:`SMALL_CALL_MAX_BYTES` only for those two, and only when their ``ticket``
  (sent first) belongs to a live session (``admit``). A stranger cannot make the server read,
  parse or hold more than that; a session's body is capped at QBWC_MAX_BODY_BYTES.

* **Small bodies** (every call of an idle poll, and most of a sync's calls but its pages): a
  body of at most :data:`QUICK_MAX_BYTES` whose bytes show it needs neither the gate nor the
  streaming builder is read in one go and parsed by one parser with libxml2's default limits
  (its entity-amplification guard on), then checked to be one call in a SOAP 1.1 envelope.
  "Needs neither" is read off the raw bytes: no ``<!`` anywhere (so no DOCTYPE, comment or
  CDATA), no processing instruction but an XML declaration, UTF-8 (no declaration naming
  another encoding, no byte-order mark), fewer unclosed ``<`` than :data:`MAX_DEPTH` and
  fewer ``=`` than :data:`MAX_ATTRIBUTES` — so the builder's shape limits hold by the bytes
  alone. Anything else, and any error or refusal on the way, is read the long way from the
  same bytes, so what is accepted, refused and said is the same as before; only the CPU
  differs (about 15 us against 55 us for a clientVersion; issue 13, the idle poll).

Neither parser resolves entities, loads a DTD or touches the network. Nothing of the body is
ever logged: a refusal carries a fixed ``reason`` code for the log and a ``message`` for the client
(which may quote the client's own bytes back, bounded).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"

BLOCK_SIZE = 64 * 1024
LARGE_CALLS = frozenset({"sendRequestXML", "receiveResponseXML"})
SMALL_CALL_MAX_BYTES = 256 * 1024
# Far beyond any QBWC call (receiveResponseXML: Envelope, Body, the call, 4 parameters).
MAX_ELEMENTS = 64
MAX_DEPTH = 12
MAX_ATTRIBUTES = 32  # per element, namespace declarations included
MAX_ATTRIBUTE_CHARS = 4096
MAX_MARKUP = 64  # comments and processing instructions (seen by the gate)
# Bodies up to this size may take the quick path (module docstring): no attribute in one can be
# longer than the builder allows. An idle poll's calls are well under 1 KiB.
QUICK_MAX_BYTES = MAX_ATTRIBUTE_CHARS
_QUICK_DECLARATION = re.compile(
    rb"<\?xml[ \t\r\n][^<>]*?"
    rb"(?:encoding[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z0-9._-]*)[\"'][^<>]*?)?\?>"
)
_QUICK_ENCODINGS = frozenset({b"utf-8", b"utf8"})


class EnvelopeRefused(Exception):
    """The body is not a SOAP 1.1 request we will read.

    ``status`` is the HTTP status line, ``code`` the SOAP faultcode, ``message`` the
    faultstring for the client, ``reason`` a fixed code for the server log (never body text).
    """

    def __init__(self, status: str, code: str, message: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason


def _fault(code: str, message: str, reason: str) -> EnvelopeRefused:
    # SOAP 1.1 §6.2: a fault travels with HTTP 500.
    return EnvelopeRefused("500 Internal Server Error", code, message, reason)


def _structure(what: str) -> EnvelopeRefused:
    return EnvelopeRefused(
        "400 Bad Request",
        "Client.InvalidXml",
        f"The request has {what}; no Web Connector call looks like that.",
        "shape",
    )


def _dtd_refused() -> EnvelopeRefused:
    return EnvelopeRefused(
        "400 Bad Request",
        "Client.InvalidXml",
        "XML with a DOCTYPE or entity declaration is not accepted.",
        "doctype",
    )


def _too_large(limit: int, what: str) -> EnvelopeRefused:
    return EnvelopeRefused(
        "413 Request Entity Too Large",
        "Client.RequestTooLong",
        f"Request body exceeds the server limit of {limit} bytes ({what}).",
        "too-large",
    )


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


# admit(method, ticket) -> bool: may a body past SMALL_CALL_MAX_BYTES be read on?
Admit = Callable[[str, str], bool]


@dataclass(frozen=True)
class ReadLimits:
    max_body_bytes: int
    small_call_max_bytes: int = SMALL_CALL_MAX_BYTES


class _Gate:
    """Target of the gate parser: refuses a DOCTYPE and counts comments/PIs; builds nothing."""

    def __init__(self) -> None:
        self.markup = 0
        self.refusal: EnvelopeRefused | None = None

    def _refuse(self, refusal: EnvelopeRefused) -> None:
        self.refusal = refusal
        raise refusal

    def doctype(self, *_: Any) -> None:
        self._refuse(_dtd_refused())

    def _markup(self) -> None:
        self.markup += 1
        if self.markup > MAX_MARKUP:
            self._refuse(_structure(f"more than {MAX_MARKUP} comments or processing instructions"))

    def comment(self, text: Any) -> None:
        self._markup()

    def pi(self, target: Any, data: Any = None) -> None:
        self._markup()

    def close(self) -> None:
        return None


class _Shape:
    """Checks the builder's events against the shape of a Web Connector call."""

    def __init__(self) -> None:
        self.depth = 0
        self.elements = 0
        self.method: str | None = None
        self.ticket: str | None = None

    def take(self, events: Any) -> None:
        for event, el in events:
            if event == "end":
                if self.depth == 4 and self.ticket is None and _local(el.tag) == "ticket":
                    self.ticket = (el.text or "").strip()
                self.depth -= 1
                continue
            self.depth += 1
            self.elements += 1
            if self.elements > MAX_ELEMENTS:
                raise _structure(f"more than {MAX_ELEMENTS} elements")
            if self.depth > MAX_DEPTH:
                raise _structure(f"elements nested more than {MAX_DEPTH} deep")
            parent = el.getparent()
            declared = len(el.nsmap) - (len(parent.nsmap) if parent is not None else 0)
            if len(el.attrib) + max(0, declared) > MAX_ATTRIBUTES:
                raise _structure(f"an element with more than {MAX_ATTRIBUTES} attributes")
            for value in el.attrib.values():
                if len(value) > MAX_ATTRIBUTE_CHARS:
                    raise _structure(f"an attribute longer than {MAX_ATTRIBUTE_CHARS} characters")
            if self.depth == 3 and self.method is None:
                self.method = _local(el.tag)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _gate_parser(gate: _Gate) -> etree.XMLParser:
    # libxml2's default limits (no huge_tree): entity amplification is guarded here.
    return etree.XMLParser(
        target=gate,  # type: ignore[arg-type]  # no start/end/data: only what it must see
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )


def _builder_parser() -> etree.XMLPullParser:
    return etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=True,  # text nodes over 10 MB (a page of data); see the module docstring
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _quick_parser() -> etree.XMLParser:
    # libxml2's default limits (no huge_tree): the bodies it reads are small, and its
    # entity-amplification guard stays on.
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def read_upto(stream: Readable, length: int) -> bytes:
    """Up to ``length`` bytes of ``stream``: fewer only when it ends first."""
    parts: list[bytes] = []
    got = 0
    while got < length:
        block = stream.read(length - got)
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def _quick_tree(data: bytes) -> etree._Element | None:
    """The envelope of a small body that needs neither the gate nor the builder (module
    docstring); None when the long way must decide. The builder's shape limits hold by the
    bytes alone: each element opens with a ``<`` that no ``</`` or ``<?`` accounts for, and
    each attribute or namespace declaration needs a ``=``."""
    if b"<!" in data or not data.startswith(b"<"):
        return None  # a DOCTYPE, comment or CDATA; a byte-order mark, UTF-16, leading blanks
    instructions = data.count(b"<?")
    if instructions:
        declaration = _QUICK_DECLARATION.match(data)
        if declaration is None or instructions != 1:
            return None  # a processing instruction besides the XML declaration
        encoding = declaration.group(1)
        if encoding is not None and encoding.lower() not in _QUICK_ENCODINGS:
            return None  # another encoding: the gate reads it whatever its spelling
    opened = data.count(b"<") - data.count(b"</") - instructions
    if opened > MAX_DEPTH or data.count(b"=") > MAX_ATTRIBUTES:
        return None  # the builder's shape checks decide
    try:
        root = etree.fromstring(data, _quick_parser())
        _check_call(root)
    except Exception:
        return None  # malformed, refused or odd: the long way says why, in its own words
    return root


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    # libxml2's message may quote the client's own bytes: bounded, sent back, never logged.
    text = str(exc.msg if getattr(exc, "msg", None) else exc)
    return f"The request is not well-formed XML: {text[:200]}"


def read_envelope(
    stream: Readable, declared_length: int | None, limits: ReadLimits, admit: Admit | None = None
) -> etree._Element:
    """Read, check and parse a SOAP 1.1 request body; returns its Envelope element.

    ``declared_length`` is the Content-Length (None: read to the end of the stream).
    Raises :class:`EnvelopeRefused`; the stream's own errors (timeouts) propagate.
    """
    quick_max = min(QUICK_MAX_BYTES, limits.max_body_bytes, limits.small_call_max_bytes)
    if declared_length is not None and 0 < declared_length <= quick_max:
        data = read_upto(stream, declared_length)
        if len(data) == declared_length:
            root = _quick_tree(data)
            if root is not None:
                return root
        stream = io.BytesIO(data)  # the long way, from the same bytes (a short body included)
    gate = _Gate()
    gate_parser: etree.XMLParser | None = _gate_parser(gate)
    builder = _builder_parser()
    shape = _Shape()
    total = 0
    blank = True  # nothing but whitespace so far
    admitted = False  # past the small-call size: its ticket was checked (``_admit``)
    try:
        while declared_length is None or total < declared_length:
            left = BLOCK_SIZE if declared_length is None else declared_length - total
            block = stream.read(min(BLOCK_SIZE, left))
            if not block:
                if declared_length is not None:
                    raise _fault(
                        "Client.XMLSyntaxError",
                        f"The request body ended after {total} of {declared_length} bytes.",
                        "short-body",
                    )
                break
            total += len(block)
            blank = blank and not block.strip()
            if total > limits.max_body_bytes:
                raise _too_large(limits.max_body_bytes, "QBWC_MAX_BODY_BYTES")
            if not admitted and total > limits.small_call_max_bytes:
                _admit(shape, admit, limits)
                admitted = True
                gate_parser = None  # the prolog and the first 256 KiB passed it
            if gate_parser is not None:
                gate_parser.feed(block)
            builder.feed(block)
            shape.take(builder.read_events())
            if gate_parser is not None and shape.method in LARGE_CALLS:
                gate_parser = None  # the prolog passed the gate; see the module docstring
        if blank:
            raise EnvelopeRefused(
                "400 Bad Request",
                "Client.EmptyRequest",
                "The request body is empty; a SOAP 1.1 envelope was expected.",
                "empty",
            )
        if gate_parser is not None:
            gate_parser.close()
        root = builder.close()
        shape.take(builder.read_events())
    except EnvelopeRefused:
        raise
    except etree.XMLSyntaxError as exc:
        if gate.refusal is not None:
            raise gate.refusal from None
        raise _fault("Client.XMLSyntaxError", _syntax_message(exc), "malformed") from None
    except Exception:
        if gate.refusal is not None:
            raise gate.refusal from None
        raise
    _check_tree(root)
    return root


def _admit(shape: _Shape, admit: Admit | None, limits: ReadLimits) -> None:
    method = shape.method
    if method not in LARGE_CALLS:
        raise _too_large(
            limits.small_call_max_bytes, f"the most {method or 'a body before its call'} needs"
        )
    assert method is not None
    if admit is not None and (shape.ticket is None or not admit(method, shape.ticket)):
        raise EnvelopeRefused(
            "403 Forbidden",
            "Client.InvalidTicket",
            f"Only a live Web Connector session may send a {method} this large (its ticket, "
            "sent first, is unknown, closed or expired).",
            "no-live-ticket",
        )


def _check_tree(root: etree._Element) -> None:
    """The document is a SOAP 1.1 envelope with one call in its Body, and has no DTD."""
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise _dtd_refused()  # the gate refuses these first; this holds even if it did not
    _check_call(root)


def _check_call(root: etree._Element) -> None:
    """A SOAP 1.1 envelope with one call in its Body."""
    if root.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise _fault(
            "VersionMismatch",
            f"This endpoint speaks SOAP 1.1 (envelope namespace {SOAP11_ENV}).",
            "soap12",
        )
    if root.tag != f"{{{SOAP11_ENV}}}Envelope":
        raise _fault("Client.SoapError", "The request is not a SOAP 1.1 envelope.", "not-soap")
    body = root.find(f"{{{SOAP11_ENV}}}Body")
    calls = [] if body is None else [el for el in body if isinstance(el.tag, str)]
    if len(calls) != 1:
        raise _fault(
            "Client.SoapError",
            f"The SOAP Body must hold exactly one Web Connector call (it holds {len(calls)}).",
            "call-count",
        )


__all__ = ["LARGE_CALLS", "SMALL_CALL_MAX_BYTES", "EnvelopeRefused", "ReadLimits", "read_envelope"]

"""Several requests in one message set, and each answer back as a response of its own.

A qbXML message set may hold many requests; QuickBooks answers each one with its own ``…Rs``
carrying the request's ``requestID``, in order, and with ``onError="continueOnError"`` one
request's error does not stop the others (protocol doc §6.2). The read sync uses this to ask
several streams at once (``sync/batch.py``); each stream then takes its answer exactly as if it
had come alone, so nothing downstream knows about batches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.parse import body_offset, parse_whole

_HEAD = '<?xml version="1.0" ?>\n<QBXML>\n'


def combine(documents: Sequence[str], version: str) -> str:
    """One message set (``continueOnError``) with the requests of ``documents`` — message
    sets this server built — in their order."""
    requests: list[etree._Element] = []
    for document in documents:
        root = etree.fromstring(document[body_offset(document) :].encode("ascii"))
        for msgs in root.iter("QBXMLMsgsRq"):
            requests.extend(child for child in msgs if isinstance(child.tag, str))
    return build_document(requests, version=version, on_error="continueOnError")


def split(text: str, together: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """Each ``…Rs`` of a response by its ``requestID``, as a response document of its own
    (its message set's attributes kept). ``together`` names groups of requests answered as one
    document instead: key -> their ids; the group's ``…Rs`` come under the key, in the order
    QuickBooks answered them (a group none of whose requests was answered is left out). Raises
    :class:`QbxmlParseError` for a response that cannot be read and
    :class:`~qbwc_server.qbxml.parse.UnsafeXmlError` for a DTD."""
    inner: dict[str, tuple[str, str]] = {}  # request id -> (its message set's attributes, Rs)
    for msgs in parse_whole(text, body_offset(text))[1]:
        if msgs.tag != "QBXMLMsgsRs":
            continue
        attributes = "".join(
            f' {name!s}="{_attribute(str(value))}"' for name, value in msgs.attrib.items()
        )
        for rs in msgs:
            if not isinstance(rs.tag, str):
                continue
            request_id = rs.get("requestID")
            if request_id is None or request_id in inner:
                continue  # not ours to route (each of our requests has its own id)
            rs.tail = None
            inner[request_id] = (attributes, etree.tostring(rs, encoding="unicode"))
    group_of = {rid: key for key, rids in (together or {}).items() for rid in rids}
    grouped: dict[str, tuple[str, list[str]]] = {}
    for request_id, (attributes, rs_text) in inner.items():
        key = group_of.get(request_id, request_id)
        grouped.setdefault(key, (attributes, []))[1].append(rs_text)
    out: dict[str, str] = {}
    for key, (attributes, parts) in grouped.items():
        body = "\n".join(parts)
        out[key] = f"{_HEAD}<QBXMLMsgsRs{attributes}>\n{body}\n</QBXMLMsgsRs>\n</QBXML>\n"
    return out


def _attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


__all__ = ["combine", "split"]

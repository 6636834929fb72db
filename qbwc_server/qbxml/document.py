"""Assemble a qbXML request document (§6.1, §6.2, §7).

The prolog is written by hand: lxml's own declaration for ``encoding="us-ascii"`` would say
``us-ascii`` with single quotes, and QuickBooks wants both the XML declaration and the
``<?qbxml version?>`` instruction (qbwc/qbwc#69). The body is serialized as US-ASCII so that
every non-ASCII character becomes a numeric character reference (``D&#233;cor``) — raw UTF-8
made QuickBooks reject requests (§6.1). ASCII output is valid UTF-8, so the declaration stays
truthful.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from lxml import etree

from qbwc_server.qbxml import values
from qbwc_server.qbxml.schema_order import version_tuple

OnError = Literal["stopOnError", "continueOnError"]
MESSAGE_SET_ID_MAX_LENGTH = 23  # §6.2 (SDK error recovery)
CLEAR_ALL_MESSAGE_SETS = "ClearAllMessageSets"


class RequestBuilder(Protocol):
    """Anything with ``to_element(version)`` — every builder in queries.py / writes.py."""

    def to_element(self, version: str) -> etree._Element: ...


RequestLike = etree._Element | RequestBuilder


def _check_message_set_id(name: str, value: str | None) -> None:
    if value is None:
        return
    if not value or len(value) > MESSAGE_SET_ID_MAX_LENGTH:
        raise ValueError(f"{name} must be 1..{MESSAGE_SET_ID_MAX_LENGTH} characters")
    if values.has_illegal_xml_chars(value):
        raise ValueError(f"{name} contains characters XML cannot carry")


def build_document(
    requests: Sequence[RequestLike],
    *,
    version: str,
    on_error: OnError = "stopOnError",
    new_message_set_id: str | None = None,
    old_message_set_id: str | None = None,
) -> str:
    """Return the complete qbXML request document as a ``str`` (pure ASCII).

    ``requests`` are ``…Rq`` elements or builder objects (converted with ``version``).
    ``on_error``: ``rollbackOnError`` is refused — the schema allows it, QuickBooks Desktop
    does not (§6.2).
    """
    version_tuple(version)  # validates the X.Y form
    if on_error not in ("stopOnError", "continueOnError"):
        raise ValueError(
            f"onError must be stopOnError or continueOnError (QuickBooks Desktop does not "
            f"support {on_error!r})"
        )
    if not requests:
        raise ValueError("a message set needs at least one request")
    _check_message_set_id("newMessageSetID", new_message_set_id)
    _check_message_set_id("oldMessageSetID", old_message_set_id)

    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq")
    msgs.set("onError", on_error)
    if new_message_set_id is not None:
        msgs.set("newMessageSetID", new_message_set_id)
    if old_message_set_id is not None:
        msgs.set("oldMessageSetID", old_message_set_id)
    for request in requests:
        element = request if isinstance(request, etree._Element) else request.to_element(version)
        tag = element.tag
        if not isinstance(tag, str) or not tag.endswith("Rq"):
            raise ValueError(f"not a qbXML request element: {tag!r}")
        msgs.append(element)

    body = etree.tostring(root, encoding="us-ascii").decode("ascii")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'

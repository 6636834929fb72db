"""Small helpers to write qbXML request documents and read responses (tests, scripts)."""

from __future__ import annotations

import re

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_DECL = re.compile(r"^\s*<\?xml[^?]*\?>")


def request_document(
    body: str, *, version: str = "13.0", on_error: str = "stopOnError", msgs_attrs: str = ""
) -> str:
    """Wrap ``…Rq`` elements in a complete request document (both prologs, §6.1)."""
    extra = f" {msgs_attrs.strip()}" if msgs_attrs.strip() else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<?qbxml version="{version}"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}"{extra}>{body}</QBXMLMsgsRq></QBXML>'
    )


def parse_document(text: str) -> etree._Element:
    """Parse a qbXML document given as ``str`` (the XML declaration is stripped first, §7)."""
    return etree.fromstring(_DECL.sub("", text, count=1).encode("utf-8"), _PARSER)


def responses(text: str) -> list[etree._Element]:
    """The ``…Rs`` elements of a response document, in order."""
    root = parse_document(text)
    msgs = root.find("QBXMLMsgsRs")
    return [] if msgs is None else [el for el in msgs if isinstance(el.tag, str)]

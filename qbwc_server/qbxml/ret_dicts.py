"""qbXML records as plain dicts: a ``…Ret`` element (or any aggregate) turned into the
JSON-able dict that storage keeps (records/store.py) and write-back reads.

The parser (parse.py) walks a page's records with these; they are the hot path of a sync's
CPU per record (bench/sync_profile.py), hence the two variants: :func:`ret_to_dict` for any
element, :func:`plain_to_dict` for the usual page whose records carry no attribute at all
(:func:`records_without_attributes` tells which with one text scan).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from qbwc_server.qbxml.repeatable import REPEATABLE_ELEMENTS, REPEATABLE_IN_PARENT


def _attrs(items: Sequence[tuple[str | bytes, str | bytes]]) -> dict[str, Any]:
    return {f"@{k!s}": str(v) for k, v in items}


# Per parent element name: the child names that are always lists under it (repeatable.py).
_REPEATABLE_UNDER: dict[str, frozenset[str]] = {}


def _repeatable_under(parent: str) -> frozenset[str]:
    names = _REPEATABLE_UNDER.get(parent)
    if names is None:
        names = REPEATABLE_ELEMENTS | {c for p, c in REPEATABLE_IN_PARENT if p == parent}
        _REPEATABLE_UNDER[parent] = names
    return names


def ret_to_dict(el: etree._Element) -> dict[str, Any]:
    """Convert a ``…Ret`` (or any aggregate) to JSON-able dicts.

    Element names are kept as QuickBooks wrote them; leaf text is ``str`` (``""`` for an empty
    element); repeatable elements (see repeatable.py) are always lists; attributes become
    ``"@name"`` keys (a leaf with attributes becomes ``{"@a": ..., "#text": ...}``). An element
    that repeats although the schema says it is single is turned into a list rather than
    losing data.
    """
    # Hot path of the parser: one call per record and per nested aggregate, one loop
    # iteration per element (``items()`` is cheaper than building an ``attrib`` proxy).
    items = el.items()
    out: dict[str, Any] = _attrs(items) if items else {}
    repeatable = _REPEATABLE_UNDER.get(el.tag) or _repeatable_under(str(el.tag))
    promoted: set[str] | None = None
    for child in el:
        tag = child.tag
        if tag.__class__ is not str:  # comments / processing instructions
            continue
        value: Any
        if len(child):
            value = ret_to_dict(child)
        else:
            items = child.items()
            if items:
                value = _attrs(items)
                value["#text"] = child.text or ""
            else:
                value = child.text or ""
        if tag in repeatable:
            listed = out.get(tag)
            if listed is None:
                out[tag] = [value]
            else:
                listed.append(value)
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


def plain_to_dict(el: etree._Element, tag: str) -> dict[str, Any]:
    """:func:`ret_to_dict` of an element ``tag`` with no attribute anywhere in it (the caller
    knows: :func:`records_without_attributes`): the same dicts, without asking each element
    for its attributes."""
    out: dict[str, Any] = {}
    repeatable = _REPEATABLE_UNDER.get(tag) or _repeatable_under(tag)
    promoted: set[str] | None = None
    for child in el:
        name = child.tag
        if name.__class__ is not str:  # comments / processing instructions
            continue
        value = plain_to_dict(child, name) if len(child) else (child.text or "")
        if name not in out and name not in repeatable:
            out[name] = value
        elif name in repeatable:
            listed = out.get(name)
            if listed is None:
                out[name] = [value]
            else:
                listed.append(value)
        else:
            if promoted is None:
                promoted = set()
            if name not in promoted:
                out[name] = [out[name]]
                promoted.add(name)
            out[name].append(value)
    return out


def records_without_attributes(text: str, root: etree._Element) -> bool:
    """Whether no element below the ``…Rs`` elements of the document ``text`` (parsed as
    ``root``) has an attribute. Each attribute is written with a ``=`` (no DTD can add
    defaults: refused), so it is so when the text has no more ``=`` than QBXML, QBXMLMsgsRs and
    the ``…Rs`` elements have attributes: one text scan instead of a question per element."""
    structural = len(root.attrib)
    for msgs in root:
        if msgs.tag.__class__ is str:
            structural += len(msgs.attrib)
            for rs in msgs:
                if rs.tag.__class__ is str:
                    structural += len(rs.attrib)
    return text.count("=") <= structural

"""Serialize record dicts as qbXML aggregates, in schema order, for one qbXML version.

Records are JSON-able dicts whose keys are the Ret element names: scalars (str/int/bool),
nested dicts for aggregates (refs, addresses, lines) and lists for repeated elements. The order
of the output never depends on dict order: it comes from :mod:`schema_order` (§6.8).

Text is written as a Python ``str`` with non-ASCII characters left as they are (what QBWC hands
on is a ``str``; on the wire it ends up UTF-8). Only ``&``, ``<``, ``>`` (and ``"`` in attribute
values) are escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .schema_order import children_of, exists_in

RESPONSE_PROLOG = '<?xml version="1.0" ?>'


def escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def escape_attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def scalar_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return escape_text(str(value))


NameLookup = Callable[[str], "str | None"]


def write_element(
    out: list[str], name: str, value: Any, major: int, names: NameLookup | None = None
) -> None:
    if isinstance(value, Mapping):
        if names is not None and name.endswith("Ref") and "ListID" in value:
            # References are stored by ID; QuickBooks shows the referenced record's current name.
            current = names(value["ListID"])
            if current is not None and current != value.get("FullName"):
                value = {**value, "FullName": current}
        out.append(f"<{name}>")
        write_children(out, name, value, major, names=names)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        for item in value:
            write_element(out, name, item, major, names)
    else:
        out.append(f"<{name}>{scalar_text(value)}</{name}>")


def write_children(
    out: list[str],
    name: str,
    value: Mapping[str, Any],
    major: int,
    include: Iterable[str] | None = None,
    names: NameLookup | None = None,
) -> None:
    wanted = None if include is None else set(include)
    for child in children_of(name):
        if child not in value:
            continue
        if wanted is not None and child not in wanted:
            continue
        if not exists_in(name, child, major):
            continue
        child_value = value[child]
        if child_value is None:
            continue
        write_element(out, child, child_value, major, names)


def aggregate_xml(
    name: str,
    record: Mapping[str, Any],
    major: int,
    include: Iterable[str] | None = None,
    names: NameLookup | None = None,
) -> str:
    """``<name>…</name>`` with the record's children in schema order for version ``major``,
    laid out as QuickBooks writes it: every element on a line of its own (each tag of an
    aggregate, each leaf with its value), the last line ended too."""
    out: list[str] = [f"<{name}>"]
    write_children(out, name, record, major, include, names)
    out.append(f"</{name}>")
    out.append("")
    return "\n".join(out)


def unknown_keys(name: str, record: Mapping[str, Any]) -> list[str]:
    """Keys of ``record`` (recursively) that the schema order of ``name`` does not know.

    Used by tests to catch generator fields that would silently never be serialized.
    """
    known = set(children_of(name))
    bad: list[str] = []
    for key, value in record.items():
        if key not in known:
            bad.append(f"{name}.{key}")
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping):
                bad.extend(unknown_keys(key, item))
    return bad


def status_attrs(request_id: str | None, code: int, severity: str, message: str) -> str:
    rid = f' requestID="{escape_attr(request_id)}"' if request_id is not None else ""
    return (
        f'{rid} statusCode="{code}" statusSeverity="{severity}" '
        f'statusMessage="{escape_attr(message)}"'
    )


def response_document(rs_elements: Iterable[str], msgs_attrs: str = "") -> str:
    """A complete qbXML response document as QuickBooks returns it (§6.1 prolog)."""
    body = "".join(rs_elements)
    return (
        f"{RESPONSE_PROLOG}\n<QBXML>\n<QBXMLMsgsRs{msgs_attrs}>\n{body}</QBXMLMsgsRs>\n</QBXML>\n"
    )

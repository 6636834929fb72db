"""New record rows, and the lines and links of stored transactions, as PostgreSQL COPY text
straight from the ``…Ret`` dicts.

A first sync inserts every record: per record, :func:`records.rows.prepare_row` built a dict
of every column, the COPY took its values in column order and psycopg adapted each one (about
10 µs per vendor, bench/bench_ingest.py). Here one function generated per record type (like
:func:`records.fields.compile_extractor`, whose field code it shares) reads the typed values
into local variables and writes the row's COPY line with one f-string: the same values, as
psycopg would have written them (``str()`` of a Decimal, int, date or datetime, ``t``/``f``,
``\\N``), so PostgreSQL stores the same row. The lines and links (records/rows.py
``iter_lines`` / ``iter_links``, which SQLite keeps using) are written the same way from
field declarations of their columns (about 3 µs less per bill with lines).

Escaping: a value of COPY's text format must not hold a raw backslash, tab, newline or
carriage return. Every ``str`` a typed column gets comes from a string of the record, and the
record's JSON (the ``qb`` column, made anyway) writes each of those characters with a
backslash; so a record whose JSON holds none of those escapes (``\\\\``, ``\\t``, ``\\n``,
``\\r``) needs no escaping of its values — the usual case; a quote's ``\\"`` only doubles the
JSON's backslashes — and the others take the generated twin that escapes every text value.

Bytes: a record's line is written as UTF-8 bytes, its JSON last (:func:`copy_columns` puts
``qb`` at the end of the COPY's column list). The JSON is orjson's UTF-8 as it comes; only the
short text of the typed columns before it is encoded. A line built as one ``str`` took the
JSON's bytes to text and back again: a page of vendors with names like "Café" is text of two
bytes a character, and Python's UTF-8 encoding of such text was about 6 % of a first sync's
instructions, a third of it these lines' (issue 13; callgrind over the served worker).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from qbwc_server.records.bulk import COPY_NULL, copy_escape, dumps_json_bytes
from qbwc_server.records.fields import (
    Field,
    as_list,
    boolean,
    day,
    decimal,
    descend,
    f,
    field_source,
    instant_text,
    integer,
    ref,
    text,
)
from qbwc_server.records.record_type import RecordType
from qbwc_server.records.rows import LINE_COLUMNS, LINK_COLUMNS
from qbwc_server.records.types import item_type_for_tag

# (data, tag, company_id, synced_at) -> the row's line up to its JSON: every column but ``qb``,
# each followed by a tab
CopyRow = Callable[[Mapping[str, Any], str | None, int, str], str]

# How the record's JSON writes a backslash, tab, newline or carriage return of a string.
_ESCAPED = ("\\\\", "\\t", "\\n", "\\r")
_ESCAPED_BYTES = tuple(e.encode() for e in _ESCAPED)

# Converters whose values print safely (no character COPY escapes) as psycopg prints them.
_PLAIN = (decimal, integer, day)


def _value(column: str, convert: Any, escaping: bool) -> str:
    """The f-string expression of a field-fed column (its local ``c_<column>``)."""
    name = f"c_{column}"
    if convert is boolean:
        return f"NULL if {name} is None else (T if {name} else F)"
    if convert is text:
        return f"NULL if {name} is None else {'esc(' + name + ')' if escaping else name}"
    if any(convert is c for c in _PLAIN):
        return f"NULL if {name} is None else {name}"
    raise ValueError(f"{column}: no COPY text for values of {convert!r}")


def _env() -> dict[str, Any]:
    return {
        "_descend": descend,
        "text": text,
        "instant_text": instant_text,
        "item_type_for_tag": item_type_for_tag,
        "esc": copy_escape,
        "NULL": COPY_NULL,
        "T": "t",
        "F": "f",
    }


def _compile(rt: RecordType, escaping: bool) -> CopyRow:
    env = _env()
    converters = {f.column: f.convert for f in rt.fields}
    lines = ["def copy_row(data, tag, company_id, synced_at):", "    get = data.get"]
    # Every column a line reads is a local, None unless a field sets it.
    read = dict.fromkeys([*converters, "time_modified", "is_active"])
    lines += [f"    c_{column} = None" for column in read]
    for n, field in enumerate(rt.fields):
        env[f"conv_{n}"] = field.convert
        lines += field_source(n, field, f"c_{field.column}")
    # What prepare_row sets after the fields, in the same way (PostgreSQL: stamps as text).
    fixed = {
        "company_id": "company_id",
        "time_modified_utc": "NULL if u is None else u",
        "is_deleted": "F",
        "time_deleted": "NULL",
        "deleted_at": "NULL",
        "synced_at": "synced_at",
    }
    lines.append("    u = instant_text(c_time_modified)")
    if rt.is_list:
        # QuickBooks omits IsActive only when asked to: active.
        fixed["is_active"] = "F if c_is_active is False else T"
    if rt.name == "items":
        lines.append("    it = item_type_for_tag(tag)")
        fixed["item_type"] = f"NULL if it is None else {'esc(it)' if escaping else 'it'}"
    values = []
    for column in copy_columns(rt)[:-1]:  # qb, the last, is the caller's (copy_lines)
        if column in fixed:
            values.append(fixed[column])
        elif column in converters:
            values.append(_value(column, converters[column], escaping))
        else:
            values.append("NULL")
    lines.append('    return f"' + "".join("{" + v + "}\\t" for v in values) + '"')
    exec("\n".join(lines), env)  # the source is built above from constant declarations
    return env["copy_row"]  # type: ignore[no-any-return]


@functools.cache
def _writers(rt: RecordType) -> tuple[CopyRow, CopyRow]:
    """(the plain writer, its escaping twin) of a record type."""
    return _compile(rt, escaping=False), _compile(rt, escaping=True)


@functools.cache
def copy_columns(rt: RecordType) -> tuple[str, ...]:
    """The columns of the lines :func:`copy_lines` writes, in their order: all of them, the
    record's JSON (``qb``) last."""
    return (*(c for c in rt.blank_row if c != "qb"), "qb")


def needs_escaping(qb: str) -> bool:
    """Whether a record whose JSON is ``qb`` has a string COPY must escape (see above)."""
    return "\\" in qb and any(e in qb for e in _ESCAPED)


def copy_lines(
    rt: RecordType,
    records: Iterable[tuple[str, str | None, Mapping[str, Any]]],
    company_id: int,
    synced_at: str,
    escaped: set[str],
) -> Iterator[bytes]:
    """The COPY text lines (UTF-8, columns as :func:`copy_columns`) of new ``(id, tag, data)``
    records of ``rt``: the rows :func:`records.rows.prepare_row` makes with ``stamps_as_text``
    and ``now=synced_at`` (PostgreSQL's ISO 8601 text of the batch's time). The ids of records
    with a string COPY must escape are added to ``escaped`` (for their lines:
    :func:`child_lines`)."""
    plain, escaping = _writers(rt)
    for object_id, tag, data in records:
        qb = dumps_json_bytes(data if isinstance(data, dict) else dict(data))
        if b"\\" not in qb:
            yield b"%s%s\n" % (plain(data, tag, company_id, synced_at).encode(), qb)
            continue
        if any(e in qb for e in _ESCAPED_BYTES):  # a string holds one of them
            escaped.add(object_id)
            head = escaping(data, tag, company_id, synced_at)
        else:  # only JSON's own escapes, such as \" for a quote: the values are safe
            head = plain(data, tag, company_id, synced_at)
        # JSON writes no raw tab, newline or carriage return: its COPY text only doubles the
        # backslashes (what copy_escape does to it).
        yield b"%s%s\n" % (head.encode(), qb.replace(b"\\", b"\\\\"))


# --- lines and links -------------------------------------------------------------------------

# The values records/rows.py _line_row and _link_row give (LINE_COLUMNS, LINK_COLUMNS), as
# field declarations: the same semantics (a ``…Ref``'s ListID, the first of Cost and Rate).
_LINE_FIELDS = (
    f("txn_line_id", "TxnLineID"),
    ref("account_list_id", "AccountRef"),
    ref("item_list_id", "ItemRef"),
    f("description", "Desc"),
    f("amount", "Amount", conv=decimal),
    f("quantity", "Quantity", conv=decimal),
    f("cost", "Cost", "Rate", conv=decimal),
    f("memo", "Memo"),
    ref("class_list_id", "ClassRef"),
    ref("customer_list_id", "CustomerRef"),
    f("billable_status", "BillableStatus"),
)
_GROUP_FIELDS = (
    f("txn_line_id", "TxnLineID"),
    ref("account_list_id", "AccountRef"),
    ref("item_list_id", "ItemGroupRef"),
    f("description", "Desc"),
    f("amount", "TotalAmount", conv=decimal),
    *_LINE_FIELDS[5:],
)
_LINK_FIELDS = (
    f("linked_txn_id", "TxnID"),
    f("linked_txn_type", "TxnType"),
    f("link_type", "LinkType"),
    f("txn_date", "TxnDate", conv=day),
    f("ref_number", "RefNumber"),
    f("amount", "Amount", conv=decimal),
    f("balance_remaining", "BalanceRemaining", conv=decimal),
    f("discount_amount", "DiscountAmount", conv=decimal),
    ref("discount_account_list_id", "DiscountAccountRef"),
)
# The link elements of a transaction and their kinds (records/rows.py iter_links).
_LINKS = (("LinkedTxn", "linked"), ("AppliedToTxnRet", "applied_to"))

# (the line or link dict, the row's key text up to its position, position, parent line) -> line
ChildText = Callable[[Mapping[str, Any], str, int, str | None], str]


def _compile_child(
    fields: tuple[Field, ...], columns: tuple[str, ...], kind: str, escaping: bool
) -> ChildText:
    env = {**_env(), "KIND": kind}
    lines = ["def child_text(data, head, position, parent):", "    get = data.get"]
    lines += [f"    c_{field.column} = None" for field in fields]
    for n, field in enumerate(fields):
        env[f"conv_{n}"] = field.convert
        lines += field_source(n, field, f"c_{field.column}")
    converters = {field.column: field.convert for field in fields}
    parent = "esc(parent)" if escaping else "parent"
    fixed = {
        "line_kind": "KIND",
        "link_kind": "KIND",
        "parent_txn_line_id": f"NULL if parent is None else {parent}",
    }
    values = [fixed[c] if c in fixed else _value(c, converters[c], escaping) for c in columns]
    lines.append(
        '    return f"{head}{position}\\t' + "\\t".join("{" + v + "}" for v in values) + '\\n"'
    )
    exec("\n".join(lines), env)  # the source is built above from constant declarations
    return env["child_text"]  # type: ignore[no-any-return]


@functools.cache
def _child_writers() -> dict[tuple[str, bool], ChildText]:
    """Per (line or link kind, escaping): its writer."""
    shapes = {
        "expense": (_LINE_FIELDS, LINE_COLUMNS),
        "item": (_LINE_FIELDS, LINE_COLUMNS),
        "group": (_GROUP_FIELDS, LINE_COLUMNS),
        "linked": (_LINK_FIELDS, LINK_COLUMNS),
        "applied_to": (_LINK_FIELDS, LINK_COLUMNS),
    }
    return {
        (kind, escaping): _compile_child(fields, columns, kind, escaping)
        for kind, (fields, columns) in shapes.items()
        for escaping in (False, True)
    }


def child_lines(
    rt: RecordType,
    company_id: int,
    records: Iterable[tuple[str, Mapping[str, Any], bool]],
    links: list[str],
) -> Iterator[str]:
    """The COPY text lines of the lines of stored ``(txn_id, data, escaping)`` transactions,
    in records/rows.py iter_lines' order and positions; their links' lines (iter_links) are
    added to ``links`` on the way (one COPY runs at a time on a connection)."""
    writers = _child_writers()
    name = rt.name
    for txn_id, data, escaping in records:
        head = f"{company_id}\t{name}\t{copy_escape(txn_id) if escaping else txn_id}\t"
        position = 0
        for declared in rt.lines:
            found = data.get(declared.element)
            if found is None:
                continue
            write = writers[declared.kind, escaping]
            for line in as_list(found):
                if line.__class__ is not dict and not isinstance(line, Mapping):
                    continue
                yield write(line, head, position, None)
                position += 1
                if declared.nested:
                    parent = text(line.get("TxnLineID"))
                    nested = writers["item", escaping]
                    for sub in as_list(line.get(declared.nested)):
                        if sub.__class__ is dict or isinstance(sub, Mapping):
                            yield nested(sub, head, position, parent)
                            position += 1
        position = 0
        for element, kind in _LINKS:
            found = data.get(element)
            if found is None:
                continue
            write = writers[kind, escaping]
            for link in as_list(found):
                if link.__class__ is dict or isinstance(link, Mapping):
                    links.append(write(link, head, position, None))
                    position += 1

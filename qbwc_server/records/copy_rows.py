"""New record rows as PostgreSQL COPY text, straight from the ``…Ret`` dicts.

A first sync inserts every record: per record, :func:`records.rows.prepare_row` built a dict
of every column, the COPY took its values in column order and psycopg adapted each one (about
10 µs per vendor, bench/bench_ingest.py). Here one function generated per record type (like
:func:`records.fields.compile_extractor`, whose field code it shares) reads the typed values
into local variables and writes the row's COPY line with one f-string: the same values, as
psycopg would have written them (``str()`` of a Decimal, int, date or datetime, ``t``/``f``,
``\\N``), so PostgreSQL stores the same row.

Escaping: a value of COPY's text format must not hold a raw backslash, tab, newline or
carriage return. Every ``str`` a typed column gets comes from a string of the record, and the
record's JSON (the ``qb`` column, made anyway) writes each of those characters with a
backslash; so a record whose JSON holds none of those escapes (``\\\\``, ``\\t``, ``\\n``,
``\\r``) needs no escaping of its values — the usual case; a quote's ``\\"`` only doubles the
JSON's backslashes — and the others take the generated twin that escapes every text value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from qbwc_server.records.bulk import COPY_NULL, copy_escape, dumps_json
from qbwc_server.records.fields import (
    boolean,
    day,
    decimal,
    descend,
    field_source,
    instant_text,
    integer,
    text,
)
from qbwc_server.records.record_type import RecordType
from qbwc_server.records.types import item_type_for_tag

# (data, tag, company_id, synced_at, qb JSON) -> the row's line
CopyRow = Callable[[Mapping[str, Any], str | None, int, str, str], str]

# How the record's JSON writes a backslash, tab, newline or carriage return of a string.
_ESCAPED = ("\\\\", "\\t", "\\n", "\\r")

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


def _compile(rt: RecordType, escaping: bool) -> CopyRow:
    env: dict[str, Any] = {
        "_descend": descend,
        "text": text,
        "instant_text": instant_text,
        "item_type_for_tag": item_type_for_tag,
        "esc": copy_escape,
        "NULL": COPY_NULL,
        "T": "t",
        "F": "f",
    }
    converters = {f.column: f.convert for f in rt.fields}
    lines = ["def copy_row(data, tag, company_id, synced_at, qb):", "    get = data.get"]
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
        "qb": "esc(qb)" if escaping else "qb",
    }
    lines.append("    u = instant_text(c_time_modified)")
    if rt.is_list:
        # QuickBooks omits IsActive only when asked to: active.
        fixed["is_active"] = "F if c_is_active is False else T"
    if rt.name == "items":
        lines.append("    it = item_type_for_tag(tag)")
        fixed["item_type"] = f"NULL if it is None else {'esc(it)' if escaping else 'it'}"
    values = []
    for column in rt.blank_row:
        if column in fixed:
            values.append(fixed[column])
        elif column in converters:
            values.append(_value(column, converters[column], escaping))
        else:
            values.append("NULL")
    lines.append('    return f"' + "\\t".join("{" + v + "}" for v in values) + '\\n"')
    exec("\n".join(lines), env)  # the source is built above from constant declarations
    return env["copy_row"]  # type: ignore[no-any-return]


@functools.cache
def _writers(rt: RecordType) -> tuple[CopyRow, CopyRow]:
    """(the plain writer, its escaping twin) of a record type."""
    return _compile(rt, escaping=False), _compile(rt, escaping=True)


def copy_columns(rt: RecordType) -> tuple[str, ...]:
    """The columns of the lines :func:`copy_lines` writes, in their order: all of them."""
    return tuple(rt.blank_row)


def copy_lines(
    rt: RecordType,
    records: Iterable[tuple[str | None, Mapping[str, Any]]],
    company_id: int,
    synced_at: str,
) -> Iterator[str]:
    """The COPY text lines of new ``(tag, data)`` records of ``rt``: the rows
    :func:`records.rows.prepare_row` makes with ``stamps_as_text`` and ``now=synced_at``
    (PostgreSQL's ISO 8601 text of the batch's time)."""
    plain, escaping = _writers(rt)
    for tag, data in records:
        qb = dumps_json(data if isinstance(data, dict) else dict(data))
        if "\\" not in qb:
            yield plain(data, tag, company_id, synced_at, qb)
        elif any(e in qb for e in _ESCAPED):
            yield escaping(data, tag, company_id, synced_at, qb)
        else:  # only JSON's own escapes, such as \" for a quote: the values are safe
            yield plain(data, tag, company_id, synced_at, qb.replace("\\", "\\\\"))

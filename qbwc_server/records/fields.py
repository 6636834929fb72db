"""Typed columns from QuickBooks ``…Ret`` dicts: tolerant value converters and field declarations.

Values arrive as QuickBooks wrote them (``str``; the simulator also hands over ``bool``/``int``),
repeatable elements as lists (``qbxml/ret_dicts.py`` ``ret_to_dict`` always makes them lists). A
:class:`Field` names the typed column and the Ret paths that feed it; the record type
declarations (``records/types.py``) list them, and :func:`compile_extractor` turns them into
straight-line code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Converter = Callable[[Any], Any]

# --- value converters (tolerant: a value QuickBooks wrote oddly becomes None, never an error;
# the raw value stays in ``qb``) --------------------------------------------------------------


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):  # a leaf with attributes: {"@attr": ..., "#text": ...}
        value = value.get("#text")
    return value


def text(value: Any) -> str | None:
    if value.__class__ is str:  # the common case, first
        return value  # type: ignore[no-any-return]
    value = _scalar(value)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def boolean(value: Any) -> bool | None:
    if value == "true" or value is True:
        return True
    if value == "false" or value is False:
        return False
    value = _scalar(value)
    if value is None or isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def integer(value: Any) -> int | None:
    if value.__class__ is str:
        try:
            return int(value)
        except ValueError:
            return None
    value = _scalar(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def decimal(value: Any) -> Decimal | None:
    if value.__class__ is not str:
        value = _scalar(value)
        if value is None or isinstance(value, bool):
            return None
        value = str(value)
    try:
        result = Decimal(value)  # surrounding whitespace is allowed
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def day(value: Any) -> date | None:
    if value.__class__ is not str:
        value = _scalar(value)
        if value is None:
            return None
        value = str(value)
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def utc_instant(value: Any) -> datetime | None:
    """The instant of a QuickBooks DATETIMETYPE such as ``2024-03-10T02:30:00-08:00``.

    §6.5: QuickBooks writes local time with an offset that is wrong during DST, so this is
    only good for filtering and ordering; the raw string is what watermarks use. A value
    without an offset is taken as UTC.
    """
    if value.__class__ is not str:
        value = _scalar(value)
        if not value:
            return None
        value = str(value)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# A QuickBooks DATETIMETYPE as QuickBooks writes it: local time with an explicit offset.
_STAMP_WITH_OFFSET = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d[+-](?:0\d|1[0-4]):[0-5]\d")


def instant_text(value: Any) -> datetime | str | None:
    """:func:`utc_instant` for PostgreSQL's text input (COPY, ``jsonb_to_recordset``).

    The usual value, a valid ``2024-03-10T02:30:00-08:00``, is returned as written: the server
    reads the same instant from it, and converting it here (``astimezone``, then formatting
    the result again) costs more than the rest of the record's typed columns together. Any
    other value goes through :func:`utc_instant`."""
    if (
        value.__class__ is str
        and len(value) == 25
        and value < "9999"  # far from the end of datetime's range
        and _STAMP_WITH_OFFSET.fullmatch(value)
    ):
        try:
            datetime.fromisoformat(value)  # a real date and time (not February 30)
        except ValueError:
            return None
        return value  # type: ignore[no-any-return]
    return utc_instant(value)


def descend(value: Any, path: tuple[str, ...]) -> Any:
    """Follow ``path[1:]`` below ``value`` (the element named ``path[0]``)."""
    for key in path[1:]:
        if value.__class__ is list:
            value = value[0] if value else None
        if value.__class__ is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(key)
        if value is None:
            return None
    return value


def as_list(value: Any) -> list[Any]:
    if value.__class__ is list:
        return value  # type: ignore[no-any-return]
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


# --- field declarations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A typed column fed by the first of ``paths`` present in the record."""

    column: str
    paths: tuple[tuple[str, ...], ...]
    convert: Converter


def f(column: str, *paths: str, conv: Converter = text) -> Field:
    """``f("vendor_list_id", "VendorRef/ListID", "PayeeEntityRef/ListID")``."""
    return Field(column, tuple(tuple(p.split("/")) for p in paths), conv)


def ref(column: str, *elements: str) -> Field:
    """The ListID of the first of the named ``…Ref`` elements."""
    return f(column, *(f"{e}/ListID" for e in elements))


def field_source(n: int, field: Field, target: str) -> list[str]:
    """Lines of an unrolled function body (one level of indent, ``get = data.get`` set before)
    that set ``target`` from ``field`` when one of its paths is present. The field's converter
    is ``conv_{n}`` in the function's globals, :func:`descend` is ``_descend`` and
    :func:`text` is ``text`` (see :func:`compile_extractor`)."""
    lines: list[str] = []
    for k, path in enumerate(field.paths):
        indent = "    " * (k + 1)
        lines.append(f"{indent}v = get({path[0]!r})")
        if len(path) == 2:
            lines.append(
                f"{indent}if v.__class__ is dict: v = v.get({path[1]!r})\n"
                f"{indent}elif v is not None: v = _descend(v, {path!r})"
            )
        elif len(path) > 2:
            lines.append(f"{indent}if v is not None: v = _descend(v, {path!r})")
        if k < len(field.paths) - 1:
            lines.append(f"{indent}if v is None:")
    value = "v if v.__class__ is str else text(v)" if field.convert is text else f"conv_{n}(v)"
    lines.append(f"    if v is not None: {target} = {value}")
    return lines


def compile_extractor(
    fields: tuple[Field, ...],
) -> Callable[[Mapping[str, Any], dict[str, Any]], None]:
    """Build ``extract(data, row)`` for ``fields`` as straight-line Python.

    This runs once per stored record, tens of thousands of times per second during an
    initial sync; unrolled code is about twice as fast as looping over the declarations
    (bench/bench_storage.py). Semantics: the first path present (not None) feeds the column
    through the field's converter; a path through a list takes its first element; a ``str``
    for a ``text`` column is used as is.
    """
    env: dict[str, Any] = {"_descend": descend, "text": text}
    lines = ["def extract(data, row):", "    get = data.get"]
    for n, field in enumerate(fields):
        env[f"conv_{n}"] = field.convert
        lines.extend(field_source(n, field, f"row[{field.column!r}]"))
    exec("\n".join(lines), env)  # the source is built above from constant declarations
    return env["extract"]  # type: ignore[no-any-return]

"""Fast multi-row INSERT and INSERT … ON CONFLICT DO UPDATE for PostgreSQL and SQLite.

PostgreSQL, measured with bench/bench_storage.py:

* plain inserts (:func:`insert_rows`) use ``COPY … FROM STDIN``: psycopg formats the rows in
  C and the server parses each value once with the column's input function; the many rows of
  a first sync (new records, the change log) go as text their callers format themselves
  (:func:`copy_text`: records/copy_rows.py, records/feed.py), without psycopg's per-value
  adaptation;
* upserts (:func:`upsert_rows`) send the batch as one JSON array parameter (encoded by the C
  json encoder) and rebuild the rows server-side with ``jsonb_to_recordset``: one statement
  and one round trip per batch, whatever its size.

Slower alternatives that were measured: an executemany round-trips per row; a multi-row
VALUES list has tens of thousands of placeholders psycopg parses on every call; array
parameters per column are escaped element by element in Python; ``json_to_recordset``
parses the JSONB documents twice.

SQLite runs the same statements as a plain executemany, which its driver does natively.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ColumnElement, Connection, String, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite

try:  # optional: encodes the stored records about ten times faster than json
    import orjson
except ImportError:  # pragma: no cover - depends on the installation
    orjson = None  # type: ignore[assignment]

_PG_SQL_CACHE: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
_SQLITE_CACHE: dict[tuple[str, tuple[str, ...], tuple[str, ...] | None], Any] = {}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # also datetime; PostgreSQL reads ISO 8601 with offsets
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} values")


def dumps_json(value: Any) -> str:
    """JSON text (orjson when installed); Decimals as strings, dates in ISO 8601."""
    if orjson is not None:
        return orjson.dumps(value, default=_json_default).decode()
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def dumps_json_bytes(value: Any) -> bytes:
    """:func:`dumps_json` as UTF-8 bytes, without making the text (orjson writes bytes)."""
    if orjson is not None:
        return orjson.dumps(value, default=_json_default)
    return dumps_json(value).encode()


def _sqlite_statement(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...] | None
) -> Any:
    key = (table.name, columns, conflict)
    stmt = _SQLITE_CACHE.get(key)
    if stmt is None:
        ins = sqlite.insert(table)
        if conflict:
            stmt = ins.on_conflict_do_update(
                index_elements=[table.c[c] for c in conflict],
                set_={c: ins.excluded[c] for c in columns if c not in conflict},
            )
        else:
            stmt = ins
        _SQLITE_CACHE[key] = stmt
    return stmt


def _pg_upsert_sql(
    conn: Connection, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...]
) -> str:
    key = (table.name, columns, conflict)
    sql = _PG_SQL_CACHE.get(key)
    if sql is not None:
        return sql
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    shape = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c not in conflict)
    sql = (
        f"INSERT INTO {quote(table.name)} ({names}) "
        f"SELECT {names} FROM jsonb_to_recordset(%(rows)s::jsonb) AS r({shape}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET {updates}"
    )
    _PG_SQL_CACHE[key] = sql
    return sql


def _getter(columns: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    """The values of a row in column order (as a tuple, also for a single column)."""
    if len(columns) == 1:
        only = columns[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*columns)


def insert_rows(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys, the keys of the first). On PostgreSQL an
    iterator is consumed while the COPY runs, so the server works as rows are produced."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    columns = tuple(first)
    if conn.dialect.name != "postgresql":
        conn.execute(_sqlite_statement(table, columns, None), [first, *iterator])
        return
    values = _getter(columns)
    json_at = [n for n, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    if not json_at:
        _copy(conn, table, columns, map(values, itertools.chain((first,), iterator)))
        return

    def records() -> Iterator[Sequence[Any]]:
        for row in itertools.chain((first,), iterator):
            record = list(values(row))
            for n in json_at:
                if record[n] is not None:
                    record[n] = dumps_json(record[n])
            yield record

    _copy(conn, table, columns, records())


def insert_tuples(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` given as value sequences in ``columns`` order (no JSON columns): the
    change log's and the lines' many small rows, without a dict per row. No rows, no
    statement; on PostgreSQL an iterator is consumed while the COPY runs."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, itertools.chain((first,), iterator))
        return
    records = [dict(zip(columns, row, strict=True)) for row in itertools.chain((first,), iterator)]
    conn.execute(_sqlite_statement(table, columns, None), records)


def _copy_sql(conn: Connection, table: Table, columns: tuple[str, ...]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    return f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


def _copy(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: Iterable[Sequence[Any]]
) -> None:
    """``COPY table (columns) FROM STDIN`` of ``rows``, on the session's connection."""
    raw = conn.connection.driver_connection  # psycopg, inside the session's transaction
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(_copy_sql(conn, table, columns)) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


# COPY's text format (PostgreSQL): a tab between values, a newline after each row, \N for
# NULL, and a backslash before a backslash, tab, newline or carriage return inside a value.
COPY_NULL = "\\N"


def copy_escape(value: str | None) -> str:
    """``value`` as one value of a row in COPY's text format."""
    if value is None:
        return COPY_NULL
    # (str.translate with a table is several times slower for the usual short value.)
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


# Text handed to a COPY per write: big enough that the per-write cost vanishes, small enough
# that the server parses one part while the next is being formatted.
COPY_CHUNK_CHARS = 32 * 1024


def copy_text(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    lines: Iterable[str] | Iterable[bytes],
) -> None:
    """``COPY table (columns) FROM STDIN`` of rows already in COPY's text format (PostgreSQL),
    each of ``lines`` one or more whole rows: a caller that formats its rows with f-strings
    skips psycopg's adaptation of every value. The lines are all text or all UTF-8 bytes
    (psycopg encodes text; bytes go as they are). An iterator is consumed while the COPY
    runs. No lines, no statement."""
    iterator: Iterator[Any] = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    join = b"".join if isinstance(first, bytes) else "".join
    raw = conn.connection.driver_connection  # psycopg, inside the session's transaction
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(_copy_sql(conn, table, columns)) as copy:
        pending = [first]
        size = len(first)
        for line in iterator:
            pending.append(line)
            size += len(line)
            if size >= COPY_CHUNK_CHARS:
                copy.write(join(pending))
                pending = []
                size = 0
        if pending:
            copy.write(join(pending))


def upsert_rows(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], conflict: Sequence[str]
) -> None:
    """Insert ``rows`` (all with the same keys); a row whose ``conflict`` columns (a unique
    key) match a stored row updates every other given column of it instead."""
    if not rows:
        return
    columns = tuple(rows[0])
    conflict_key = tuple(conflict)
    if conn.dialect.name != "postgresql":
        conn.execute(_sqlite_statement(table, columns, conflict_key), list(rows))
        return
    sql = _pg_upsert_sql(conn, table, columns, conflict_key)
    conn.exec_driver_sql(sql, {"rows": dumps_json(rows)})


def dialect_insert(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_update`` on both backends)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def one_of(conn: Connection, column: ColumnElement[str], ids: Sequence[str]) -> Any:
    """``column IN ids``. On PostgreSQL as ``= ANY(array)``: one parameter, so the statement
    text stays the same (an IN list of hundreds of placeholders is re-parsed by psycopg on
    every call), and an index scan still serves it."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=postgresql.ARRAY(String())))
    return column.in_(ids)


def ids_json(ids: Iterable[str]) -> str:
    """Ids as the one JSON-array parameter of the PostgreSQL per-id probes (records/store.py).
    psycopg escapes an array parameter element by element in Python (a regex per id: ~1.5 ms
    per 1,000); the JSON text is made in C and unpacked by the server
    (``jsonb_array_elements_text``)."""
    return dumps_json(list(ids))

"""Fast multi-row INSERT / INSERT … ON CONFLICT DO UPDATE for PostgreSQL and SQLite.

On PostgreSQL a batch is one statement whatever its size: the rows travel as one JSON array
parameter (encoded by the C json encoder) and are rebuilt server-side with
``json_to_recordset``. Measured alternatives were slower: an executemany round-trips per row;
a multi-row VALUES list has tens of thousands of placeholders psycopg parses on every call;
array parameters per column are escaped element by element in Python.
SQLite runs the same statement as a plain executemany, which its driver does natively.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

_PG_SQL_CACHE: dict[tuple[str, tuple[str, ...], tuple[str, ...] | None], str] = {}
_SQLITE_CACHE: dict[tuple[str, tuple[str, ...], tuple[str, ...] | None], Any] = {}


def _pg_sql(
    conn: Connection, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...] | None
) -> str:
    key = (table.name, columns, conflict)
    sql = _PG_SQL_CACHE.get(key)
    if sql is not None:
        return sql
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    shape = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
    sql = (
        f"INSERT INTO {quote(table.name)} ({names}) "
        f"SELECT {names} FROM json_to_recordset(%(rows)s::json) AS r({shape})"
    )
    if conflict:
        updates = ", ".join(
            f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c not in conflict
        )
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET {updates}"
    _PG_SQL_CACHE[key] = sql
    return sql


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # also datetime; PostgreSQL reads ISO 8601 with offsets
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} values")


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


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str] | None = None,
) -> None:
    """Insert ``rows`` (all with the same keys). With ``conflict`` (the columns of a unique
    constraint), a row that collides updates every other given column instead."""
    if not rows:
        return
    columns = tuple(rows[0])
    conflict_key = tuple(conflict) if conflict else None
    if conn.dialect.name != "postgresql":
        conn.execute(_sqlite_statement(table, columns, conflict_key), list(rows))
        return
    document = json.dumps(rows, default=_json_default, separators=(",", ":"))
    conn.exec_driver_sql(_pg_sql(conn, table, columns, conflict_key), {"rows": document})


def dialect_insert(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_update`` on both backends)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)

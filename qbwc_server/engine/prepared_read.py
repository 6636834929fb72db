"""One SELECT run straight on the driver's cursor, for the idle poll's quick read (issue 13).

authenticate's poll is decided from one row (engine/authenticate.py). Through SQLAlchemy Core
that statement cost about as much CPU in Python as the database spent on it: the compiled-cache
lookup, the execution context, the parameter and result-metadata set-up (psycopg builds a
description object per column for it). :class:`PreparedRead` compiles the statement once per
dialect, runs it on the psycopg cursor as a prepared statement and applies the statement's own
type processing (the UTC datetimes of ``models.base.UTCDateTime``) to the one row — the same
values as ``conn.execute(statement, params).first()`` (``tests/profile/test_prepared_read.py``).
A driver error is raised as SQLAlchemy raises it (``DBAPIError`` with ``connection_invalidated``
for a lost connection), so the callers' retry and overload answers work unchanged.

Only for autocommit connections (``Database.quick_read``): a statement outside SQLAlchemy's
view must not open a transaction it does not know about.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect


class PreparedRead:
    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.dialect = dialect
        self.sql = str(compiled)
        self.fixed: dict[str, Any] = dict(compiled.params)  # the literals' values
        self.bind: dict[str, Callable[[Any], Any]] = {}
        for name, param in compiled.binds.items():
            process = param.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.bind[name] = process
        self.results: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row for ``params``, typed as SQLAlchemy types it; None without one."""
        values = {**self.fixed, **params}
        for name, process in self.bind.items():
            values[name] = process(values[name])
        dbapi_conn: Any = conn.connection.dbapi_connection
        cursor = dbapi_conn.cursor()
        error = self.dialect.loaded_dbapi.Error
        # Listeners of the engine's statement events (tests count statements) see this one
        # too; without an execution context (None), as a raw driver statement.
        listening = bool(conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute)
        try:
            if listening:
                for listener in conn.dispatch.before_cursor_execute:
                    listener(conn, cursor, self.sql, values, None, False)
            cursor.execute(self.sql, values, prepare=True)
            row = cursor.fetchone()
            if listening:
                for listener in conn.dispatch.after_cursor_execute:
                    listener(conn, cursor, self.sql, values, None, False)
        except error as exc:
            lost = self.dialect.is_disconnect(exc, dbapi_conn, cursor)
            if lost:
                # As SQLAlchemy does on a disconnect: every pooled connection as old as this one
                # is replaced at its next checkout (after a database restart the retry must
                # not take another dead one), then this one.
                conn.engine.pool._invalidate(conn.connection, exc)
                conn.invalidate(exc)
            raise sa_exc.DBAPIError.instance(
                self.sql,
                values,
                exc,
                error,
                hide_parameters=True,
                connection_invalidated=lost,
                dialect=self.dialect,
            ) from exc
        finally:
            cursor.close()
        if row is None:
            return None
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self.results, strict=True)
        )


class PreparedReads:
    """A statement's :class:`PreparedRead` per dialect, made on first use."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[int, PreparedRead] = {}
        self._lock = threading.Lock()

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        dialect = conn.dialect
        read = self._by_dialect.get(id(dialect))
        if read is None or read.dialect is not dialect:
            with self._lock:
                read = PreparedRead(self.statement, dialect)
                self._by_dialect[id(dialect)] = read
        return read.first(conn, params)


def driver_runs(conn: Connection) -> bool:
    """Whether :class:`PreparedRead` may run on ``conn``'s driver (psycopg 3)."""
    return conn.dialect.driver == "psycopg"


__all__ = ["PreparedRead", "PreparedReads", "driver_runs"]

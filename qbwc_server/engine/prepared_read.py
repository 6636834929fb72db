"""One SELECT run straight on libpq, for the idle poll's quick read (issue 13).

authenticate's poll is decided from one row (engine/authenticate.py). Through SQLAlchemy Core
that statement cost about as much CPU in Python as the database spent on it: the compiled-cache
lookup, the execution context, the parameter and result-metadata set-up (psycopg builds a
description object per column for it). :class:`PreparedRead` compiles the statement once per
dialect and applies the statement's own type processing (the UTC datetimes of
``models.base.UTCDateTime``) to the one row — the same values as
``conn.execute(statement, params).first()`` (``tests/profile/test_prepared_read.py``).

It runs on the connection's libpq handle: prepared once per connection under a name made from
its text, parameters numbered ``$1…`` with each name sent once, psycopg's dumpers writing them
as text and its loaders reading the binary row. A psycopg cursor did the same with a query
conversion, a cursor and a prepared-statement manager around it: 79 against 50 µs of CPU per
read, measured side by side on this read (the cursor's own work, not the database's).
libpq's blocking call waits without the GIL, as psycopg's did. A driver error is raised as
SQLAlchemy raises it (``DBAPIError`` with ``connection_invalidated`` for a lost connection), so
the callers' retry and overload answers work unchanged.

Only for autocommit connections (``Database.quick_read``): a statement outside SQLAlchemy's
view must not open a transaction it does not know about.
"""

from __future__ import annotations

import hashlib
import re
import select
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import errors as psycopg_errors
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import Select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect

from qbwc_server.loop_reads import READ_DEADLINE

_NAMED = re.compile(r"%\((\w+)\)s|%%")  # pyformat's parameters, and its escaped "%"
_PREPARED = "qbwc.prepared_reads"  # the connection record's: (pgconn, names, Transformer)
_NO_SUCH_STATEMENT = "26000"  # invalid_sql_statement_name: the server forgot a preparation


class PreparedRead:
    def __init__(self, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.dialect = dialect
        self.sql = str(compiled)  # as SQLAlchemy would send it (what statement listeners see)
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
        # The same text with PostgreSQL's own numbered parameters, each name once ($1 used
        # wherever %(username)s was): prepared once per connection under a name that says
        # which text it is, so a changed statement never meets an old preparation.
        self.names: list[str] = []
        self.server_sql = _NAMED.sub(self._number, self.sql).encode()
        self.statement_name = b"qbwc_" + hashlib.sha1(self.server_sql).hexdigest()[:20].encode()

    def _number(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"  # "%%", pyformat's escaped percent sign
        if name not in self.names:
            self.names.append(name)
        return f"${self.names.index(name) + 1}"

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row for ``params``, typed as SQLAlchemy types it; None without one."""
        values = {**self.fixed, **params}
        for name, process in self.bind.items():
            values[name] = process(values[name])
        dbapi_conn: Any = conn.connection.dbapi_connection
        error = self.dialect.loaded_dbapi.Error
        # Listeners of the engine's statement events (tests count statements) see this one
        # too; without a cursor or an execution context (None), as a raw driver statement.
        listening = bool(conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute)
        try:
            if listening:
                for listener in conn.dispatch.before_cursor_execute:
                    listener(conn, None, self.sql, values, None, False)
            row = self._run(conn, dbapi_conn, values)
            if listening:
                for listener in conn.dispatch.after_cursor_execute:
                    listener(conn, None, self.sql, values, None, False)
        except error as exc:
            lost = self.dialect.is_disconnect(exc, dbapi_conn, None)
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
        if row is None:
            return None
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self.results, strict=True)
        )

    def _run(self, conn: Connection, dbapi_conn: Any, values: dict[str, Any]) -> Any:
        """The row, from libpq's own prepared execution on the connection (it waits without
        the GIL): psycopg's dumpers write the parameters as text, its loaders read the binary
        row. The connection's record remembers what is prepared on it; a preparation the
        server no longer has (26000) is made again once."""
        pgconn = dbapi_conn.pgconn
        info = conn.connection.info
        kept: tuple[Any, set[bytes], Any] | None = info.get(_PREPARED)  # Transformer: a C class
        if kept is None or kept[0] is not pgconn:  # a new connection behind the record
            kept = (pgconn, set(), Transformer(dbapi_conn))
            info[_PREPARED] = kept
        _pgconn, prepared, transformer = kept
        encoding = dbapi_conn.info.encoding
        dumped = transformer.dump_sequence(
            [values[name] for name in self.names], [PyFormat.TEXT] * len(self.names)
        )
        for attempt in (1, 2):
            if self.statement_name not in prepared:
                made = _prepare(dbapi_conn, self.statement_name, self.server_sql)
                if made.status != pq.ExecStatus.COMMAND_OK:
                    raise psycopg_errors.error_from_result(made, encoding=encoding)
                prepared.add(self.statement_name)
            until = READ_DEADLINE.get()
            if until is None:
                result = pgconn.exec_prepared(
                    self.statement_name, dumped, result_format=pq.Format.BINARY
                )
            else:
                result = _within(dbapi_conn, until, self.statement_name, dumped)
            if result.status == pq.ExecStatus.TUPLES_OK:
                if not result.ntuples:
                    return None
                transformer.set_pgresult(result)
                return transformer.load_row(0, tuple)
            failure = psycopg_errors.error_from_result(result, encoding=encoding)
            if attempt == 1 and failure.sqlstate == _NO_SUCH_STATEMENT:
                prepared.discard(self.statement_name)
                continue
            raise failure
        raise AssertionError("unreachable")


def _prepare(dbapi_conn: Any, name: bytes, sql: bytes) -> Any:
    until = READ_DEADLINE.get()
    if until is None:
        return dbapi_conn.pgconn.prepare(name, sql)
    return _within(dbapi_conn, until, name, None, sql)


def _within(
    dbapi_conn: Any, until: float, name: bytes, params: Any, sql: bytes | None = None
) -> Any:
    """The statement's result (``sql``: its preparation), waited for until ``until`` at most
    (``READ_DEADLINE``: the event loop's reads, loop_reads.py). Past it the connection is
    closed — the statement is still running on it — and psycopg's OperationalError raised,
    which :meth:`PreparedRead.first` reports as a lost connection."""
    pgconn = dbapi_conn.pgconn
    if sql is not None:
        pgconn.send_prepare(name, sql)
    else:
        pgconn.send_query_prepared(name, params, result_format=pq.Format.BINARY)
    fileno = pgconn.socket
    while pgconn.flush():  # what the socket did not take at once (never, for a short read)
        if not select.select([], [fileno], [], max(0.0, until - time.monotonic()))[1]:
            return _gave_up(dbapi_conn)
    while True:
        pgconn.consume_input()
        if not pgconn.is_busy():
            break
        if not select.select([fileno], [], [], max(0.0, until - time.monotonic()))[0]:
            return _gave_up(dbapi_conn)
    result = pgconn.get_result()
    while pgconn.get_result() is not None:  # the end of this statement's results
        pass
    if result is None:
        raise psycopg.OperationalError("the database answered nothing")
    return result


def _gave_up(dbapi_conn: Any) -> Any:
    dbapi_conn.close()
    raise psycopg.OperationalError("the database did not answer within the read's deadline")


class PreparedReads:
    """A statement's :class:`PreparedRead` per dialect, made on first use."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
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

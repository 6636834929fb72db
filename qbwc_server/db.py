"""Database engine, sessions (one transaction per unit of work) and migrations."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

import psycopg
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import Column, pq
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

import migrations
from qbwc_server.flush_batching import align_updates
from qbwc_server.loop_reads import loop_reads_for

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
# Any constant will do: it only has to be the same in every process of this product.
PG_MIGRATION_LOCK_KEY = 0x5142_5743  # "QBWC"


# ``?pgbouncer=true`` on a PostgreSQL URL: connections go through PgBouncer in transaction mode
# (README "PostgreSQL settings"). psycopg 3 prepares statements it runs often, on the server
# connection it happens to have; PgBouncer (before 1.21) hands the next transaction another one,
# where the prepared statement does not exist. With the flag the server prepares nothing.
PGBOUNCER_PARAM = "pgbouncer"


class MigrationsNeedDirectConnection(RuntimeError):
    """Migrations hold a session-level advisory lock, which a transaction pooler cannot keep."""


def pgbouncer_url(database_url: str) -> tuple[str, bool]:
    """The URL without the ``pgbouncer`` parameter, and whether it was set to true."""
    if not database_url.startswith("postgres") or PGBOUNCER_PARAM not in database_url:
        return database_url, False
    url = make_url(database_url)
    value = url.query.get(PGBOUNCER_PARAM)
    if value is None:
        return database_url, False
    flag = str(value).lower() in ("true", "1", "yes")
    stripped = url.difference_update_query([PGBOUNCER_PARAM])
    return stripped.render_as_string(hide_password=False), flag


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    # SQL parameters (tickets, key hashes, request text) never appear in error messages/logs.
    kwargs.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # SQLite is the single-machine default: WAL lets readers (API, pages) run while a
            # SOAP call writes; foreign keys are off by default in SQLite.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Take the write lock at BEGIN so two writers queue instead of failing mid-way.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    database_url, behind_pgbouncer = pgbouncer_url(database_url)
    connect_args = {"cursor_factory": LazyDescriptionCursor, **kwargs.pop("connect_args", {})}
    if behind_pgbouncer:
        connect_args["prepare_threshold"] = None
    kwargs["connect_args"] = connect_args
    # LIFO: the connection used last is used next, so under load the busy ones stay fresh
    # (no ping, below) and the spare ones idle.
    engine = create_engine(database_url, pool_use_lifo=True, **kwargs)
    ping_when_idle(engine)
    return engine


class _ResultColumns(Sequence[Column]):
    """A psycopg ``cursor.description`` built only when something reads it.

    SQLAlchemy asks every cursor for its description after each statement but, for a statement
    it has run before (its compiled form cached, which is every statement of a SOAP call), only
    checks that there is one. psycopg builds a Column object per column for each ask: about a
    hundred per sync call (the ticket's statement alone has 67 columns), 0.1-0.2 ms of CPU.
    """

    __slots__ = ("_columns", "_count", "_cursor", "_result")

    def __init__(self, cursor: LazyDescriptionCursor, result: Any) -> None:
        self._cursor = cursor
        self._result = result  # this statement's result: the cursor may run another later
        self._count: int = result.nfields
        self._columns: list[Column] | None = None

    def _load(self) -> list[Column]:
        if self._columns is None:
            self._columns = self._cursor.columns_of(self._result, self._count)
        return self._columns

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Column: ...
    @overload
    def __getitem__(self, index: slice) -> list[Column]: ...
    def __getitem__(self, index: int | slice) -> Column | list[Column]:
        return self._load()[index]

    def __iter__(self) -> Iterator[Column]:
        return iter(self._load())

    def __eq__(self, other: object) -> bool:
        return self._load() == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


class LazyDescriptionCursor(psycopg.Cursor[Any]):
    """psycopg's cursor with a description built on first read (:class:`_ResultColumns`)."""

    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        result = self.pgresult
        if result and (result.nfields or result.status in _TUPLE_STATUSES):
            return _ResultColumns(self, result)
        return None

    def columns_of(self, result: Any, count: int) -> list[Column]:
        if result is self.pgresult:
            return [Column(self, i) for i in range(count)]
        # The cursor has run another statement since: psycopg's Column reads the result, the
        # adapters and the encoding from its cursor; give it the earlier result.
        view = _CursorView(result, self.adapters, self._encoding)
        return [Column(view, i) for i in range(count)]  # type: ignore[arg-type]


class _CursorView:
    __slots__ = ("_encoding", "adapters", "pgresult")

    def __init__(self, pgresult: Any, adapters: Any, encoding: str) -> None:
        self.pgresult = pgresult
        self.adapters = adapters
        self._encoding = encoding


_TUPLE_STATUSES = frozenset(
    getattr(pq.ExecStatus, name)
    for name in ("TUPLES_OK", "SINGLE_TUPLE", "TUPLES_CHUNK")
    if hasattr(pq.ExecStatus, name)
)


# A pooled connection is checked with a ping before use only when it has been back in the pool
# this long. SQLAlchemy's pool_pre_ping pings on every checkout: a round trip (and about
# 0.1 ms of CPU) twice per sync call, the call's transaction and its audit entry, on
# connections used a few milliseconds before. A connection idle for seconds may have been
# dropped (the database restarted, a proxy's timeout) and is pinged as before; one the database
# dropped within the last second fails its first statement instead, and the pool then replaces
# every connection older than that failure (SQLAlchemy's pool invalidation on a disconnect):
# one call answered with its fallback, as a call in flight during a restart is anyway.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "qbwc_returned_at"  # in a connection record's info: when it came back


def ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout only after PING_AFTER_IDLE_SECONDS in the pool."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        record.info.pop(_RETURNED_AT, None)  # a new connection needs no ping

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                # As pool_pre_ping: this connection and every older one are replaced.
                raise sa_exc.InvalidatePoolError() from exc
            raise


T = TypeVar("T")

# The quick reads' bounds, set once per connection (PostgreSQL): a read that waits longer for a
# lock or runs longer than this gives up, and the poll is answered "come back later"
# (soap/admission.py) instead of holding a worker thread.
QUICK_READ_OPTIONS = "-c statement_timeout=1000 -c lock_timeout=250"
QUICK_POOL_TIMEOUT = 0.25  # seconds to wait for a free quick-read connection before "busy"


def make_quick_engine(database_url: str) -> Engine | None:
    """The engine of :meth:`Database.quick_read`, or None where there is none to have.

    Autocommit connections: a read is one round trip, with no BEGIN, COMMIT or pool ping
    (a connection the database dropped fails its read; :meth:`Database.quick_read` reads once
    more on a new one). Not behind PgBouncer (it refuses the ``options`` startup parameter and
    hands out server connections per transaction anyway) and not for an in-memory SQLite
    database (each connection would see another, empty, database).
    """
    if database_url.startswith("sqlite"):
        if make_url(database_url).database in (None, "", ":memory:"):
            return None
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 1},
            hide_parameters=True,
            pool_timeout=QUICK_POOL_TIMEOUT,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_reader(dbapi_conn: Any, _record: Any) -> None:
            # Autocommit: a SELECT is its own read transaction under WAL, never the write lock
            # the main engine takes at BEGIN.
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA busy_timeout=1000")

        return engine
    url, behind_pgbouncer = pgbouncer_url(database_url)
    if behind_pgbouncer:
        return None
    return create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
        pool_timeout=QUICK_POOL_TIMEOUT,
        connect_args={"options": QUICK_READ_OPTIONS},
    )


class Database:
    """Owns the engines and hands out transactional sessions and quick reads."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.behind_pgbouncer = pgbouncer_url(database_url)[1]
        self.engine = make_engine(database_url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        event.listen(self.sessionmaker, "before_flush", align_updates)  # flush_batching.py
        self.quick_engine = make_quick_engine(database_url)
        # The serving worker's event loop reads on its own connection (loop_reads.py).
        self.loop_reads = loop_reads_for(pgbouncer_url(database_url)[0], self.behind_pgbouncer)

    def engines(self) -> list[Engine]:
        """Every engine of this database (for listeners that must see every statement)."""
        extra = [self.quick_engine] if self.quick_engine is not None else []
        if self.loop_reads is not None:
            extra.append(self.loop_reads.engine)
        return [self.engine, *extra]

    def quick_read(self, work: Callable[[Connection], T]) -> T | None:
        """``work`` on an autocommit connection of the quick engine: the idle poll's one read
        (engine/authenticate.py). It must only read: there is no transaction to roll back.
        A connection found dropped (the database restarted) is replaced and ``work`` run once
        more. None when this database has no quick engine (the caller uses a transaction)."""
        if self.quick_engine is None:
            return None
        try:
            with self.quick_engine.connect() as conn:
                return work(conn)
        except sa_exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self.quick_engine.connect() as conn:
            return work(conn)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        if self.loop_reads is not None:
            self.loop_reads.dispose()
        for engine in self.engines():
            engine.dispose()


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


@contextlib.contextmanager
def _migration_lock(db: Database) -> Iterator[Connection | None]:
    """Serialize migrations when several processes start at once."""
    if db.is_postgres:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_MIGRATION_LOCK_KEY})
                conn.commit()
        return
    path = db.engine.url.database
    if path and path != ":memory:":
        lock_path = Path(os.path.abspath(path) + ".migrate-lock")
        with open(lock_path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield None
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    yield None


def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and migrations_current(db):
        return  # the common case at start-up: nothing to do, skip loading alembic's machinery
    if db.behind_pgbouncer:
        raise MigrationsNeedDirectConnection(
            "migrations are pending and DATABASE_URL goes through PgBouncer (?pgbouncer=true): "
            "apply them through a direct connection first: "
            "DATABASE_URL=<direct PostgreSQL URL> qbwc-server migrate"
        )
    with _migration_lock(db):
        command.upgrade(alembic_config(db.url), revision)


def downgrade(db: Database, revision: str) -> None:
    with _migration_lock(db):
        command.downgrade(alembic_config(db.url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrations_current(db: Database) -> bool:
    return current_revision(db) == head_revision()

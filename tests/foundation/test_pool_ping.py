"""The pool pings a connection before use only when it idled in the pool (qbwc_server/db.py
ping_when_idle): none on a sync call's connections used moments before, and a connection the
database dropped while it idled is replaced without the caller seeing an error."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from qbwc_server import db as db_module
from qbwc_server.db import Database


@pytest.fixture
def pg(database_url: str) -> Any:
    if not database_url.startswith("postgres"):
        pytest.skip("the ping is PostgreSQL's (SQLite has no connection to lose)")
    database = Database(database_url)
    yield database
    database.dispose()


def count_pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    dialect = database.engine.dialect
    inner = dialect.do_ping

    def do_ping(dbapi_conn: Any) -> bool:
        pings.append(1)
        return bool(inner(dbapi_conn))

    monkeypatch.setattr(dialect, "do_ping", do_ping)
    return pings


def backend_pid(database: Database) -> int:
    with database.transaction() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_used_moments_ago_is_not_pinged(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = count_pings(pg, monkeypatch)
    first = backend_pid(pg)
    for _ in range(5):
        assert backend_pid(pg) == first  # the same connection (LIFO), not pinged
    assert pings == []


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout pings
    pings = count_pings(pg, monkeypatch)
    lost = backend_pid(pg)
    killer = Database(pg.url)
    try:
        with killer.transaction() as session:
            session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
    finally:
        killer.dispose()
    assert backend_pid(pg) != lost  # the ping found it dropped: a new connection, no error
    assert pings

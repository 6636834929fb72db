"""The idle poll's login read straight on the driver (engine/prepared_read.py, issue 13): the
same row as through SQLAlchemy, the same errors, and still seen by statement listeners."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc

from models import Company, Operation, utcnow
from qbwc_server.engine import authenticate as auth
from qbwc_server.engine.prepared_read import PreparedRead
from qbwc_server.services import connectors, login_throttle
from qbwc_server.services.companies import create_company
from qbwc_server.services.settings_store import ticket_secret
from tests.conftest import make_settings


@pytest.fixture
def pg(db: Any) -> Any:
    if not db.is_postgres or db.quick_engine is None:
        pytest.skip("the driver read runs on PostgreSQL's quick reads (psycopg) only")
    # Fresh connections: these tests read on pooled ones directly, without Database.quick_read's
    # retry, and a connection an earlier test's server dropped (terminated backends, a pool
    # ping skipped within PING_AFTER_IDLE_SECONDS) would fail the first read of another test.
    db.quick_engine.dispose()
    return db


def _company(db: Any, settings: Any, *, everything: bool) -> str:
    """A company; ``everything``: every column of the login read set (dates, JSON, a failed
    key from 203.0.113.5, that address's connector, an open write-back, the ticket key)."""
    now = utcnow()
    with db.transaction() as s:
        created = create_company(s, "Read Co", sync_interval_minutes=30, confirm_binding=False)
        company = created.company
        username = company.username
        if everything:
            s.flush()
            s.execute(
                update(Company)
                .where(Company.id == company.id)
                .values(
                    bound_at=now - timedelta(days=3),
                    paused_until=now + timedelta(hours=1),
                    pending_binding={"file": "C:\\Books\\Read Co.qbw", "n": 2},
                    last_complete_sync_at=now - timedelta(minutes=7),
                    last_contact_at=now - timedelta(seconds=20),
                    lease_ticket="lease-ticket",
                    lease_expires_at=now + timedelta(minutes=2),
                )
            )
            login_throttle.record_failure(s, settings, username, "203.0.113.5")
            connectors.note_contact(s, company.id, "203.0.113.5", "2.3.0.215", now)
            s.add(
                Operation(
                    company_id=company.id,
                    type="vendor_add",
                    idempotency_key="k1",
                    payload={},
                    payload_hash="0" * 64,
                    resolved={},
                    external_guid="{00000000-0000-0000-0000-000000000001}",
                    state="queued",
                )
            )
            ticket_secret(s, fresh=True)  # the row (a remembered key would skip it)
    return str(username)


def _both(db: Any, settings: Any, username: str, addr: str) -> tuple[Any, Any]:
    now = utcnow()

    def read(conn: Any) -> tuple[Any, Any]:
        plain = auth._read_login(conn, settings, username, addr, now)
        quick = auth._read_login(conn, settings, username, addr, now, quick=True)
        return plain, quick

    return db.quick_read(read)  # type: ignore[no-any-return]


@pytest.mark.parametrize("everything", [False, True])
def test_the_driver_read_gives_what_sqlalchemy_gives(pg: Any, everything: bool) -> None:
    settings = make_settings(pg.url, 8000)
    username = _company(pg, settings, everything=everything)
    for addr in ("203.0.113.5", "198.51.100.1"):
        plain, quick = _both(pg, settings, username, addr)
        assert plain is not None and quick == plain
    if everything:
        assert quick.pending_binding == {"file": "C:\\Books\\Read Co.qbw", "n": 2}
        assert quick.open_operations is True and quick.ticket_secret
        (_, seen) = _both(pg, settings, username, "203.0.113.5")
        assert seen.failures == 1 and seen.connector_version == "2.3.0.215"
        for value in (seen.bound_at, seen.lease_expires_at, seen.connector_seen_at):
            assert value.utcoffset() == timedelta(0)  # aware UTC, as UTCDateTime returns it
    assert _both(pg, settings, "nobody", "203.0.113.5") == (None, None)


def test_statement_listeners_see_the_driver_read(pg: Any) -> None:
    settings = make_settings(pg.url, 8000)
    username = _company(pg, settings, everything=False)
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(pg.quick_engine, "before_cursor_execute", note)
    try:
        pg.quick_read(
            lambda conn: auth._read_login(conn, settings, username, "x", utcnow(), quick=True)
        )
    finally:
        event.remove(pg.quick_engine, "before_cursor_execute", note)
    assert len(seen) == 1 and "WHERE companies.username = " in seen[0]


# Waits (up to 5 s) until the backend has exited: without the wait, a read made at once may
# still be answered, and the connection die only after it went back to the pool.
TERMINATE = "select pg_terminate_backend(:pid, 5000)"


def test_a_lost_connection_is_reported_as_sqlalchemy_does_and_read_again(pg: Any) -> None:
    settings = make_settings(pg.url, 8000)
    username = _company(pg, settings, everything=False)
    read = PreparedRead(auth._LOGIN, pg.quick_engine.dialect)
    params = {"username": username, "addr": "x", "cutoff": utcnow(), "failure_limit": 5}
    with pg.quick_engine.connect() as conn:
        backend = conn.execute(text("select pg_backend_pid()")).scalar_one()
        with pg.engine.begin() as other:
            other.execute(text(TERMINATE), {"pid": backend})
        with pytest.raises(sa_exc.DBAPIError) as raised:
            read.first(conn, params)
        assert raised.value.connection_invalidated
        assert username not in str(raised.value)  # parameters hidden, as on the quick engine
    # Database.quick_read: a dropped connection is replaced and the read made once more — on
    # a new connection, not the pool's other dead one (a database restart drops them all).
    with pg.quick_engine.connect() as first, pg.quick_engine.connect() as second:
        backends = [
            c.execute(text("select pg_backend_pid()")).scalar_one() for c in (first, second)
        ]
    with pg.engine.begin() as other:
        for backend in backends:
            other.execute(text(TERMINATE), {"pid": backend})
    login = pg.quick_read(
        lambda conn: auth._read_login(conn, settings, username, "x", utcnow(), quick=True)
    )
    assert login is not None and login.sync_interval_minutes == 30


def test_a_preparation_the_server_forgot_is_made_again(pg: Any) -> None:
    """The connection's record remembers what is prepared on it; after ``DEALLOCATE ALL``
    (a pooler's or an operator's reset) the read prepares its statement again, once."""
    settings = make_settings(pg.url, 8000)
    username = _company(pg, settings, everything=False)
    read = PreparedRead(auth._LOGIN, pg.quick_engine.dialect)
    params = {"username": username, "addr": "x", "cutoff": utcnow(), "failure_limit": 5}
    with pg.quick_engine.connect() as conn:
        first = read.first(conn, params)
        assert first is not None
        prepared = conn.exec_driver_sql("select name from pg_prepared_statements").scalars()
        assert read.statement_name.decode() in set(prepared)
        conn.exec_driver_sql("deallocate all")
        assert read.first(conn, params) == first
        again = conn.exec_driver_sql("select count(*) from pg_prepared_statements").scalar_one()
        assert again == 1


def test_a_statement_error_is_sqlalchemys_and_leaves_the_connection_usable(pg: Any) -> None:
    zero = bindparam("zero", type_=Integer())
    statement = select(func.mod(literal(1, Integer()), zero, type_=Integer()))
    read = PreparedRead(statement, pg.quick_engine.dialect)
    with pg.quick_engine.connect() as conn:
        with pytest.raises(sa_exc.DBAPIError) as raised:
            read.first(conn, {"zero": 0})
        assert not raised.value.connection_invalidated
        assert "division by zero" in str(raised.value.orig)
        assert read.first(conn, {"zero": 2}) == (1,)
        assert conn.exec_driver_sql("select 7").scalar_one() == 7


def test_parameters_repeat_and_percent_signs_stay_literal(pg: Any) -> None:
    """Each named parameter is sent once, however often the statement uses it, and a ``%``
    in the statement's text (``%%`` in SQLAlchemy's pyformat) reaches the server as one."""
    word = bindparam("word", type_=String())
    statement = select(literal_column("'50%'", String()), word, word + "!", literal(3))
    read = PreparedRead(statement, pg.quick_engine.dialect)
    assert read.names == ["word", "param_1", "param_2"]  # "word" once, used twice
    assert read.server_sql.count(b"$1") == 2
    with pg.quick_engine.connect() as conn:
        assert read.first(conn, {"word": "o'hara %s"}) == ("50%", "o'hara %s", "o'hara %s!", 3)
        assert conn.execute(statement, {"word": "o'hara %s"}).first() == (
            "50%",
            "o'hara %s",
            "o'hara %s!",
            3,
        )

"""Issue 13: the idle poll's read on the serving worker's event loop (qbwc_server/loop_reads.py).

Only while nothing can make the loop wait: its own connection, made on a thread; bounded by the
server (lock and statement timeouts) and by the client (a deadline); any trouble, or a poll
that needs a write, sends the same call to a request thread, which answers it as it always did.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Integer, func, select, text
from sqlalchemy import exc as sa_exc

from models import utcnow
from qbwc_server import loop_reads
from qbwc_server.engine import authenticate as auth
from qbwc_server.engine.prepared_read import PreparedRead
from qbwc_server.loop_reads import LoopReads, NotOnLoop
from qbwc_server.services.companies import create_company
from tests.conftest import _clean, make_settings
from tests.foundation.helpers import QbwcSessionDriver, synced_company
from tests.ops.scenario import METRICS_TOKEN, scrape, total
from tests.ops.served import ServedProcess


@pytest.fixture
def pg(db: Any) -> Any:
    if not db.is_postgres or db.loop_reads is None:
        pytest.skip("the event loop reads on PostgreSQL reached directly only")
    return db


@pytest.fixture
def loop(pg: Any) -> Iterator[LoopReads]:
    reads = LoopReads(pg.url)
    reads.want()  # as a serving worker says at start
    yield reads
    reads.dispose()


def _username(db: Any) -> str:
    with db.transaction() as s:
        created = create_company(s, "Loop Co", sync_interval_minutes=30, confirm_binding=False)
        return str(created.company.username)


def _login(db: Any, username: str) -> Callable[[Any], Any]:
    settings = make_settings(db.url, 8000)
    return lambda conn: auth._read_login(conn, settings, username, "x", utcnow(), quick=True)


def test_the_loop_reads_only_on_a_connection_a_thread_made(loop: LoopReads, pg: Any) -> None:
    username = _username(pg)
    assert not loop.available()  # nothing connected yet: the loop must not connect
    with pytest.raises(NotOnLoop):
        loop.read(lambda conn: 1)
    assert loop.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert loop.engine.pool.checkedin() == 0  # type: ignore[attr-defined]
    loop.warm()  # a request thread connects it
    assert loop.available()
    login = loop.read(_login(pg, username))
    assert login is not None and login.sync_interval_minutes == 30
    with pytest.raises(NotOnLoop):
        loop.read(lambda conn: None)  # a poll that needs a write: to a thread
    assert loop.available()  # and the loop goes on reading


def test_without_a_serving_worker_no_connection_is_made_for_a_loop(pg: Any) -> None:
    """The app in-process (tests, benchmarks): authenticate on a request thread would connect
    the loop's reads only when a serving worker said its loop will read."""
    reads = LoopReads(pg.url)
    try:
        reads.warm()
        assert not reads.available()
        assert reads.engine.pool.checkedin() == 0  # type: ignore[attr-defined]
        reads.want()
        reads.warm()
        assert reads.available()
    finally:
        reads.dispose()


def test_a_locked_table_costs_the_loop_one_short_wait_then_threads_take_over(
    loop: LoopReads, pg: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``LOCK TABLE companies``: the loop's read gives up after its lock timeout (20 ms), not
    the quick reads' 250 ms; the loop stops reading until the cooldown has passed and a thread
    has connected again."""
    username = _username(pg)
    loop.warm()
    with pg.engine.connect() as locker:
        locker.execute(text("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with pytest.raises(NotOnLoop):
            loop.read(_login(pg, username))
        waited = time.monotonic() - started
        locker.rollback()
    assert waited < 0.2, waited
    (line,) = [
        r.getMessage() for r in caplog.records if "on the event loop paused" in r.getMessage()
    ]
    assert "LockNotAvailable" in line and "companies" not in line and username not in line
    assert not loop.available()
    loop.warm()  # within the cooldown: nothing
    assert not loop.available()
    monkeypatch.setattr(loop, "_retry_at", 0.0)  # the cooldown passed
    loop.warm()
    assert loop.available()
    assert loop.read(_login(pg, username)) is not None


def test_the_client_stops_waiting_at_the_deadline_and_drops_the_connection(pg: Any) -> None:
    """A database that stopped answering (here: a sleep the quick reads' 1 s statement timeout
    allows) holds a read no longer than its deadline; the connection, its statement still
    running, is dropped and reported lost, and the next read gets a new one."""
    sleep = PreparedRead(select(func.pg_sleep(0.4, type_=Integer())), pg.quick_engine.dialect)
    with pg.quick_engine.connect() as conn:
        backend = conn.execute(text("select pg_backend_pid()")).scalar_one()
        started = time.monotonic()
        with loop_reads.deadline(0.05), pytest.raises(sa_exc.DBAPIError) as raised:
            sleep.first(conn, {})
        waited = time.monotonic() - started
    assert waited < 0.3, waited
    assert raised.value.connection_invalidated
    with pg.quick_engine.connect() as conn:
        assert conn.execute(text("select pg_backend_pid()")).scalar_one() != backend
        assert sleep.first(conn, {}) is not None  # without a deadline it waits for the answer


@pytest.fixture
def served(migrated_db: Any, database_url: str, tmp_path: Any) -> Iterator[ServedProcess]:
    if not migrated_db.is_postgres:
        pytest.skip("the event loop reads on PostgreSQL reached directly only")
    _clean(migrated_db)
    server = ServedProcess(
        database_url, tmp_path / "server.log", workers=1, env={"QBWC_METRICS_TOKEN": METRICS_TOKEN}
    )
    yield server
    server.stop()
    _clean(migrated_db)


def _loop_reads(server: ServedProcess) -> dict[str, float]:
    samples = scrape(server.url)
    return {
        outcome: total(samples, "qbwc_event_loop_reads_total", outcome=outcome)
        for outcome in ("answered", "needs_thread", "failed", "unavailable")
    }


def test_idle_polls_are_answered_on_the_loop_and_the_rest_on_threads(
    served: ServedProcess, migrated_db: Any
) -> None:
    """One worker: the empty sessions' authenticate calls are answered on its event loop; a
    wrong key (a failure to count) and a due sync (a session to open) go to a thread, which
    writes and answers as before."""
    company = synced_company(served)

    def poll(key: str) -> list[str]:
        wc = QbwcSessionDriver(served.qbwc_url)
        assert wc.server_version()
        answer = list(wc.authenticate(company["username"], key))
        if answer[1] == "none":
            assert wc.close() == "Nothing to do right now."
        return answer

    poll(company["connector_key"])  # a thread connects the loop's reads, if none did yet
    before = _loop_reads(served)
    for _ in range(5):
        assert poll(company["connector_key"])[1] == "none"
    assert poll("not-the-key-" + "0" * 20)[1] == "nvu"
    with migrated_db.transaction() as s:
        assert s.execute(text("select count(*) from login_failures")).scalar_one() == 1
        s.execute(text("update companies set last_complete_sync_at = now() - interval '1 day'"))
    due = poll(company["connector_key"])
    assert due[1] == "" and due[0], due  # a session opened, for the company file open now
    after = _loop_reads(served)
    assert after["answered"] - before["answered"] == 5
    assert after["needs_thread"] - before["needs_thread"] == 2
    assert after["failed"] == before["failed"] == 0
    assert "Traceback" not in served.output()

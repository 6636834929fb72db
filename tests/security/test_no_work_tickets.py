"""Issues 9 and 13: the ticket of an authenticate that answered ``none`` ends the session and
can do nothing else. It is a signed, expiring value (HMAC with a key kept in ``app_settings``),
not a row: answering ``none`` adds no session, its closeConnection reads and writes nothing, and
any worker or replica verifies it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select

from models import AppSetting, Company, QbwcSession, Ticket
from qbwc_server.db import Database
from qbwc_server.engine.tickets import NOTHING_TO_DO, no_work_ticket
from qbwc_server.services.settings_store import TICKET_SECRET_KEY
from tests.conftest import LiveServer
from tests.foundation.helpers import QbwcSessionDriver, api, synced_company


@pytest.fixture
def live_server(server_factory: Any) -> LiveServer:
    # No audit trail: its writes run after a response has left, and would be counted as the
    # statements of the next call (audit is not what these tests are about).
    return server_factory(QBWC_AUDIT="off")  # type: ignore[no-any-return]


@pytest.fixture
def synced(live_server: LiveServer) -> dict[str, Any]:
    """A company whose first session ran to the end: the next poll has nothing to do."""
    return synced_company(live_server)


@pytest.fixture
def replica(db: Any, database_url: str) -> Iterator[LiveServer]:
    """Another replica: its own process state (engine, pool, caches), the same database."""
    other = Database(database_url)
    server = LiveServer(other, database_url, QBWC_AUDIT="off")
    yield server
    server.close()
    other.dispose()


def rows(db: Any, model: Any) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def none_session(server: LiveServer, company: dict[str, Any]) -> QbwcSessionDriver:
    wc = QbwcSessionDriver(server.qbwc_url)
    answer = wc.authenticate(company["username"], company["connector_key"])
    assert answer[1] == "none" and int(answer[2]) >= 60, answer
    return wc


def test_a_none_ticket_cannot_run_a_sync(live_server: LiveServer, db: Any, synced: Any) -> None:
    sessions, tickets = rows(db, QbwcSession), rows(db, Ticket)
    wc = none_session(live_server, synced)
    assert (rows(db, QbwcSession), rows(db, Ticket)) == (sessions, tickets)  # no row for it
    # Work comes due while the ticket is still valid: the ticket still runs nothing.
    status, _, _ = api(
        live_server.url, "PATCH", f"/api/companies/{synced['id']}", {"sync_interval_minutes": 0}
    )
    assert status == 200
    assert wc.send_request(synced["hcp"]) == ""
    assert wc.last_error() == NOTHING_TO_DO
    assert wc.receive("<QBXML/>") < 0
    assert wc.connection_error("0x80040408", "QuickBooks is not running") == "done"
    assert wc.close() == NOTHING_TO_DO
    with db.transaction() as s:
        company = s.get(Company, synced["id"])
        assert company is not None and company.lease_ticket is None  # never took the sync
    assert (rows(db, QbwcSession), rows(db, Ticket)) == (sessions, tickets)
    # The next poll gets real work, with a ticket of its own.
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(synced["username"], synced["connector_key"])[1] == ""
    assert wc.send_request(synced["hcp"]) != ""


def test_closing_a_none_session_reads_and_writes_nothing(
    live_server: LiveServer, db: Any, synced: Any
) -> None:
    wc = none_session(live_server, synced)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert wc.close() == NOTHING_TO_DO
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []


def test_any_replica_verifies_it_and_nobody_forges_one(
    live_server: LiveServer, replica: LiveServer, db: Any, synced: Any
) -> None:
    wc = none_session(live_server, synced)
    elsewhere = QbwcSessionDriver(replica.qbwc_url)
    elsewhere.ticket = wc.ticket
    assert elsewhere.close() == NOTHING_TO_DO
    # The replica answers "none" too, signing with the same key: one key in the database.
    other = none_session(replica, synced)
    assert QbwcSessionDriver(live_server.qbwc_url).close() != NOTHING_TO_DO  # no ticket at all
    wc.ticket = other.ticket
    assert wc.close() == NOTHING_TO_DO
    with db.transaction() as s:
        keys = s.scalars(select(AppSetting).where(AppSetting.key == TICKET_SECRET_KEY)).all()
        assert len(keys) == 1
    # Altered, signed with another key, or expired: not a ticket of this server's.
    forged = wc.ticket[:20] + ("A" if wc.ticket[20] != "A" else "B") + wc.ticket[21:]
    wc.ticket = forged
    assert "does not know this Web Connector session" in wc.close()
    wc.ticket = no_work_ticket(b"x" * 32, synced["id"], 3600)
    assert "does not know this Web Connector session" in wc.close()
    wc.ticket = no_work_ticket(bytes.fromhex(keys[0].value), synced["id"], -1)
    assert "expired" in wc.close()


def test_none_tickets_are_unguessable(live_server: LiveServer, synced: Any) -> None:
    tickets = [none_session(live_server, synced).ticket for _ in range(12)]
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(set(tickets)) == len(tickets)
    for ticket in tickets:
        assert len(ticket) >= 43 and set(ticket) <= alphabet, ticket
        assert synced["username"].lower() not in ticket.lower()
    # Company id and expiry are masked: tickets issued one after another share no structure.
    for first, second in itertools.pairwise(tickets):
        assert sum(x == y for x, y in zip(first, second, strict=True)) < 10

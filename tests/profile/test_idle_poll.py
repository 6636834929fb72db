"""Issue 13 item 1: the idle poll is nearly free. serverVersion and clientVersion touch no
database; authenticate decides "nothing due" with one indexed read and writes nothing; closing
that session reads nothing; the last-contact bookkeeping is coalesced to once a minute, so the
company stays "Connected to Server" and its Web Connector is listed with its QBWC version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from models import Company, Connector, utcnow
from qbwc_server.engine import client_versions
from tests.conftest import LiveServer
from tests.foundation.helpers import QbwcSessionDriver, api, synced_company
from tests.soap_util import envelope, post, result


@pytest.fixture
def server(server_factory: Any) -> LiveServer:
    # Behind a trusted proxy (127.0.0.1), so a test can poll from other addresses.
    # No audit trail: its entries are written after a response has left and would be counted
    # with the next call's statements.
    return server_factory(  # type: ignore[no-any-return]
        QBWC_AUDIT="off", QBWC_TRUSTED_PROXIES="127.0.0.1"
    )


@contextmanager
def statements(db: Any) -> Iterator[list[str]]:
    """The SQL statements the server runs meanwhile. Left out: transaction control (with the
    bounded lock and statement waits authenticate sets on PostgreSQL, soap/admission.py) and
    the audit trail's retention pass (once per interval per process, after a response)."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        control = words[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK") or statement.startswith(
            "select set_config("
        )
        if not control and "audit_entries" not in statement:
            seen.append(statement)

    engines = db.engines()  # the transactions' and the quick reads' (db.py)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


def empty_session(server: LiveServer, company: dict[str, Any]) -> list[str]:
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.server_version()
    assert wc.client_version("2.3.0.215") == ""
    answer = wc.authenticate(company["username"], company["connector_key"])
    assert answer[1] == "none", answer
    assert wc.close() == "Nothing to do right now."
    return answer


def status(server: LiveServer, company: dict[str, Any]) -> dict[str, Any]:
    code, view, _ = api(server.url, "GET", f"/api/companies/{company['id']}")
    assert code == 200
    return dict(view["status"])


def test_server_and_client_version_touch_no_database(server: LiveServer, db: Any) -> None:
    wc = QbwcSessionDriver(server.qbwc_url)
    with statements(db) as seen:
        assert wc.server_version()
        assert wc.client_version("2.3.0.215") == ""
    assert seen == []


def test_an_empty_session_is_one_indexed_read(server: LiveServer, db: Any) -> None:
    company = synced_company(server)
    empty_session(server, company)  # the first poll after the sync: within the minute anyway
    with statements(db) as seen:
        empty_session(server, company)
    assert len(seen) == 1, seen
    assert seen[0].lstrip().upper().startswith("SELECT")
    assert "WHERE companies.username = " in seen[0]  # the unique index on the user name


def test_last_contact_moves_once_a_minute_and_the_company_stays_connected(
    server: LiveServer, db: Any
) -> None:
    company = synced_company(server)
    empty_session(server, company)  # the first "none" ever also makes the ticket-signing key
    a_minute_ago = utcnow() - timedelta(seconds=61)
    with db.transaction() as s:
        s.execute(update(Company).values(last_contact_at=a_minute_ago))
        s.execute(update(Connector).values(last_seen_at=a_minute_ago))
    with statements(db) as seen:
        empty_session(server, company)
    writes = [s for s in seen if not s.lstrip().upper().startswith("SELECT")]
    assert writes and all(w.lstrip().upper().startswith("UPDATE") for w in writes), writes
    shown = status(server, company)
    assert shown["state"] == "Connected to Server"
    assert shown["last_contact_at"] > a_minute_ago.isoformat()
    (connector,) = shown["connectors"]
    assert connector["last_seen_at"] > a_minute_ago.isoformat()
    # Within the minute: nothing moves, nothing is written.
    with statements(db) as seen:
        empty_session(server, company)
    assert len(seen) == 1
    assert status(server, company)["last_contact_at"] == shown["last_contact_at"]


def test_the_qbwc_version_reaches_the_connectors_list_without_a_write(
    server: LiveServer, db: Any
) -> None:
    company = synced_company(server)  # its Web Connector said 2.3.0.215
    (connector,) = status(server, company)["connectors"]
    assert connector["client_version"] == "2.3.0.215"
    assert connector["remote_addr"] == "127.0.0.1"
    # A newer Web Connector on that PC: shown from its next poll on.
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.client_version("2.3.0.999") == ""
    assert wc.authenticate(company["username"], company["connector_key"])[1] == "none"
    (connector,) = status(server, company)["connectors"]
    assert connector["client_version"] == "2.3.0.999"
    # The version lives only in the worker's memory: after a restart (or on another replica)
    # the connector keeps the version it showed.
    client_versions.forget_all()
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == "none"
    assert status(server, company)["connectors"][0]["client_version"] == "2.3.0.999"


def poll_from(server: LiveServer, company: dict[str, Any], addr: str) -> None:
    """authenticate (nothing due) from another client address, through the proxy."""
    params = [("strUserName", company["username"]), ("strPassword", company["connector_key"])]
    headers = {"X-Forwarded-For": addr}
    status, data = post(server.qbwc_url, envelope("authenticate", params), "", headers)
    assert status == 200 and result(data, "authenticate")[1] == "none"


def test_a_new_address_is_noted_with_the_companys_minute(server: LiveServer, db: Any) -> None:
    """A flood of polls from ever new addresses costs one write a minute, not one each."""
    company = synced_company(server)
    empty_session(server, company)
    with statements(db) as seen:
        for n in range(1, 6):
            poll_from(server, company, f"198.51.100.{n}")
    assert len(seen) == 5, seen  # one read each, no write
    addresses = {c["remote_addr"] for c in status(server, company)["connectors"]}
    assert addresses == {"127.0.0.1"}
    with db.transaction() as s:
        s.execute(update(Company).values(last_contact_at=utcnow() - timedelta(seconds=61)))
    poll_from(server, company, "198.51.100.9")
    addresses = {c["remote_addr"] for c in status(server, company)["connectors"]}
    assert addresses == {"127.0.0.1", "198.51.100.9"}

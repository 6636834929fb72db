"""Issue 9: the QBWC login throttle must not let a stranger lock a customer's sync out.

The user name is in the .qwc (public). Wrong keys are counted per (user name, client address) in
``login_failures``; a throttled pair is answered ``nvu`` without looking at the key; the right key
from the rightful connector's address always gets in; wrong tries change neither the company
row nor the session history; keys never reach the logs.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Company, LoginFailure, QbwcSession, Ticket
from qbwc_server.services.connector_keys import generate_key
from tests.foundation.helpers import create_company
from tests.soap_util import envelope, post, result

LIMIT = 3
RIGHTFUL = "203.0.113.10"  # the customer's PC, behind the reverse proxy (X-Forwarded-For)


def authenticate(url: str, user: str, key: str, addr: str | None = None) -> list[str]:
    """authenticate from ``addr`` (through the trusted proxy at 127.0.0.1), or from 127.0.0.1."""
    headers = {"X-Forwarded-For": addr} if addr else {}
    body = envelope("authenticate", [("strUserName", user), ("strPassword", key)])
    status, data = post(url, body, "authenticate", headers)
    assert status == 200, data[:300]
    return list(result(data, "authenticate"))


def close(url: str, ticket: str, addr: str | None = None) -> None:
    headers = {"X-Forwarded-For": addr} if addr else {}
    status, _ = post(url, envelope("closeConnection", [("ticket", ticket)]), "", headers)
    assert status == 200


def company_row(db: Any, company_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        row = s.get(Company, company_id)
        assert row is not None
        return {c.name: getattr(row, c.key) for c in Company.__mapper__.columns}


def count(db: Any, model: Any) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def server(server_factory: Any) -> Any:
    return server_factory(QBWC_LOGIN_FAILURE_LIMIT=LIMIT, QBWC_TRUSTED_PROXIES="127.0.0.1")


def test_a_stranger_cannot_lock_the_rightful_connector_out(server: Any, db: Any) -> None:
    company = create_company(server.url)
    user, key, url = company["username"], company["connector_key"], server.qbwc_url
    before = company_row(db, company["id"])
    # One wrong try more than the limit from the stranger's address (127.0.0.1) ...
    for _ in range(LIMIT + 2):
        assert authenticate(url, user, generate_key()) == ["", "nvu"]
    # ... leaves the company row, the session history and the tickets exactly as they were.
    assert company_row(db, company["id"]) == before
    assert count(db, QbwcSession) == 0 and count(db, Ticket) == 0
    assert count(db, LoginFailure) == LIMIT  # throttled tries are not counted any further
    # The customer's Web Connector, at its own address, gets in with the right key.
    answer = authenticate(url, user, key, RIGHTFUL)
    assert answer[1] == "" and answer[0]
    close(url, answer[0], RIGHTFUL)


def test_a_brute_force_run_finds_nothing_and_locks_nobody_out(server: Any, db: Any) -> None:
    company = create_company(server.url)
    user, key, url = company["username"], company["connector_key"], server.qbwc_url
    # The customer's Web Connector syncs from its own address now and then.
    first = authenticate(url, user, key, RIGHTFUL)
    assert first[1] == ""
    close(url, first[0], RIGHTFUL)
    # A bounded brute-force run from 127.0.0.1; the right key itself hidden among the guesses
    # once the pair is throttled: nothing is learnt from the answers.
    guesses = [generate_key() for _ in range(60)]
    guesses[LIMIT + 5] = key
    guesses[-1] = key
    answers = [authenticate(url, user, guess) for guess in guesses]
    assert all(a == ["", "nvu"] for a in answers), answers
    assert count(db, LoginFailure) == LIMIT
    # Meanwhile the rightful connector goes on: its answer is never nvu.
    again = authenticate(url, user, key, RIGHTFUL)
    assert again[1] in ("", "none") and again[0], again
    close(url, again[0], RIGHTFUL)


def test_the_rightful_connector_behind_the_strangers_address_still_gets_in(
    server: Any, db: Any
) -> None:
    """Same NAT or proxy address: the company's connector has authenticated from there
    before, so that address keeps having its keys checked (160 bits are not guessed online)."""
    company = create_company(server.url)
    user, key, url = company["username"], company["connector_key"], server.qbwc_url
    shared = "198.51.100.20"
    first = authenticate(url, user, key, shared)
    assert first[1] == ""
    close(url, first[0], shared)
    for _ in range(LIMIT + 3):
        assert authenticate(url, user, generate_key(), shared) == ["", "nvu"]
    answer = authenticate(url, user, key, shared)
    assert answer[1] in ("", "none") and answer[0], answer


def test_throttling_is_per_user_name_and_address(server: Any, db: Any) -> None:
    acme = create_company(server.url, "Acme Supplies")
    globex = create_company(server.url, "Globex Holdings")
    url = server.qbwc_url
    for _ in range(LIMIT):
        authenticate(url, acme["username"], generate_key(), "192.0.2.1")
    # Throttled: even Acme's right key from that (never rightful) address is not looked at.
    assert authenticate(url, acme["username"], acme["connector_key"], "192.0.2.1")[1] == "nvu"
    # Another address for the same user name, or another user name from the same address: free.
    assert authenticate(url, acme["username"], acme["connector_key"], "192.0.2.2")[1] == ""
    assert authenticate(url, globex["username"], globex["connector_key"], "192.0.2.1")[1] == ""


def test_unknown_user_names_leave_nothing_behind(server: Any, db: Any) -> None:
    for _ in range(LIMIT + 2):
        assert authenticate(server.qbwc_url, "no-such-user", generate_key()) == ["", "nvu"]
    assert count(db, LoginFailure) == 0 and count(db, QbwcSession) == 0


def test_keys_never_reach_the_logs(server: Any, db: Any, caplog: pytest.LogCaptureFixture) -> None:
    company = create_company(server.url)
    wrong = [generate_key() for _ in range(LIMIT + 2)]
    with caplog.at_level(logging.DEBUG):
        for guess in wrong:
            authenticate(server.qbwc_url, company["username"], guess)
        authenticate(server.qbwc_url, company["username"], company["connector_key"], RIGHTFUL)
    text = caplog.text
    assert "nvu" in text  # the refusals were logged ...
    for secret in [*wrong, company["connector_key"]]:
        assert secret not in text and secret.replace("-", "") not in text  # ... no key was


def test_a_key_typed_as_the_user_name_never_reaches_the_logs(
    server: Any, db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone pastes the Connector Key into the Web Connector's user-name box: the name is not
    logged (found by the SOAP fuzzer: the unknown-user line wrote the name as sent, at DEBUG)."""
    company = create_company(server.url)
    key = company["connector_key"]
    with caplog.at_level(logging.DEBUG):
        assert authenticate(server.qbwc_url, key, key)[1] == "nvu"
        assert authenticate(server.qbwc_url, key.replace("-", ""), "x")[1] == "nvu"
    assert "unknown user" in caplog.text  # the refusal was logged ...
    assert key not in caplog.text and key.replace("-", "") not in caplog.text  # ... not the name

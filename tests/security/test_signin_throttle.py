"""The admin token cannot be guessed at speed: failed sign-ins are limited per client address
and overall, in the database (issue 9: ``/login`` had no rate limit)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from models import AdminSession, SigninFailure, utcnow
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.security.http_util import Reply, fetch

WRONG = "wrong-token-wrong-token"
LIMITS = {
    "QBWC_TRUSTED_PROXIES": "127.0.0.1",  # the tests play several clients behind a proxy
    "QBWC_ADMIN_SIGNIN_FAILURE_LIMIT": 3,
    "QBWC_ADMIN_SIGNIN_GLOBAL_FAILURE_LIMIT": 5,
    "QBWC_ADMIN_SIGNIN_WINDOW_SECONDS": 600,
}


def sign_in_from(server: LiveServer, addr: str | None, token: str) -> Reply:
    headers = {"X-Forwarded-For": addr} if addr else {}
    return fetch(server, "POST", "/login", headers=headers, form={"token": token})


def api_from(server: LiveServer, addr: str | None, token: str) -> Reply:
    headers = {"X-Forwarded-For": addr} if addr else {}
    return fetch(server, "GET", "/api/companies", headers=headers, bearer=token)


def assert_throttled(reply: Reply, *, everyone: bool = False) -> None:
    assert reply.status == 429, (reply.status, reply.text[:300])
    wait = int(reply.headers["retry-after"])
    assert 0 < wait <= 600
    assert "set-cookie" not in reply.headers
    text = (
        reply.json()["error"]["message"]
        if reply.headers["content-type"].startswith("application/json")
        else reply.text
    )
    assert "Try again in" in text and "UTC" in text, text
    assert ("on this server" in text) == everyone, text


@pytest.fixture
def throttled_server(reconfigure: Any) -> LiveServer:
    return reconfigure(**LIMITS)  # type: ignore[no-any-return]


def test_an_address_is_refused_after_the_limit_even_with_the_right_token(
    throttled_server: LiveServer, db: Any
) -> None:
    server = throttled_server
    for _ in range(3):
        reply = sign_in_from(server, "203.0.113.1", WRONG)
        assert reply.status == 401 and "not right" in reply.text
    assert_throttled(sign_in_from(server, "203.0.113.1", ADMIN_TOKEN))
    assert_throttled(api_from(server, "203.0.113.1", ADMIN_TOKEN))  # the same budget
    with db.transaction() as s:
        assert s.scalars(select(AdminSession)).first() is None
        rows = list(s.scalars(select(SigninFailure)))
    assert [r.client_addr for r in rows] == ["203.0.113.1"] * 3  # refusals add nothing
    # Another client with the right token is not affected.
    assert sign_in_from(server, "198.51.100.7", ADMIN_TOKEN).status == 303
    assert api_from(server, "198.51.100.8", ADMIN_TOKEN).status == 200


def test_wrong_bearer_tokens_count_too(throttled_server: LiveServer) -> None:
    server = throttled_server
    for _ in range(3):
        assert api_from(server, "203.0.113.9", WRONG).status == 401
    assert_throttled(api_from(server, "203.0.113.9", ADMIN_TOKEN))
    assert_throttled(sign_in_from(server, "203.0.113.9", ADMIN_TOKEN))
    assert api_from(server, "203.0.113.10", ADMIN_TOKEN).status == 200


def test_the_overall_limit_leaves_one_guess_per_address_and_spares_clean_ones(
    throttled_server: LiveServer,
) -> None:
    server = throttled_server
    for n in range(5):  # five addresses, one wrong guess each: the overall limit is reached
        assert sign_in_from(server, f"192.0.2.{n}", WRONG).status == 401
    assert_throttled(sign_in_from(server, "192.0.2.0", ADMIN_TOKEN), everyone=True)
    assert_throttled(api_from(server, "192.0.2.4", WRONG), everyone=True)
    # A new guessing address gets its one try, then it is refused as well.
    assert sign_in_from(server, "192.0.2.77", WRONG).status == 401
    assert_throttled(sign_in_from(server, "192.0.2.77", WRONG), everyone=True)
    # The rightful admin, from an address that has not failed, signs in.
    assert sign_in_from(server, "198.51.100.1", ADMIN_TOKEN).status == 303


def test_failures_leave_the_window(throttled_server: LiveServer, db: Any) -> None:
    server = throttled_server
    for _ in range(3):
        sign_in_from(server, "203.0.113.5", WRONG)
    assert sign_in_from(server, "203.0.113.5", ADMIN_TOKEN).status == 429
    with db.transaction() as s:
        s.execute(update(SigninFailure).values(at=utcnow() - timedelta(seconds=601)))
    assert sign_in_from(server, "203.0.113.5", ADMIN_TOKEN).status == 303


def test_a_correct_sign_in_clears_the_addresss_failures(throttled_server: LiveServer) -> None:
    server = throttled_server
    for _ in range(2):
        assert sign_in_from(server, "203.0.113.6", WRONG).status == 401
    assert sign_in_from(server, "203.0.113.6", ADMIN_TOKEN).status == 303
    for _ in range(2):
        assert sign_in_from(server, "203.0.113.6", WRONG).status == 401
    assert sign_in_from(server, "203.0.113.6", ADMIN_TOKEN).status == 303


def test_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_limit(
    reconfigure: Any,
) -> None:
    server = reconfigure(**{**LIMITS, "QBWC_TRUSTED_PROXIES": ""})
    for n in range(3):
        assert sign_in_from(server, f"10.9.9.{n}", WRONG).status == 401  # counted on 127.0.0.1
    assert_throttled(sign_in_from(server, "10.9.9.200", ADMIN_TOKEN))


def test_every_worker_counts_the_same_failures(
    throttled_server: LiveServer, server_factory: Any
) -> None:
    other = server_factory(**LIMITS)
    sign_in_from(throttled_server, "203.0.113.20", WRONG)
    api_from(other, "203.0.113.20", WRONG)
    sign_in_from(throttled_server, "203.0.113.20", WRONG)
    assert_throttled(sign_in_from(other, "203.0.113.20", ADMIN_TOKEN))


def test_parallel_guesses_cannot_overshoot_the_limit(throttled_server: LiveServer, db: Any) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def guess() -> None:
        status = sign_in_from(throttled_server, "203.0.113.30", WRONG).status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [401] * 3 + [429] * 9
    with db.transaction() as s:
        assert len(list(s.scalars(select(SigninFailure)))) == 3

"""Connector Keys: CSPRNG entropy, shown once, stored only as a hash, forgiving normalization."""

from __future__ import annotations

import base64
import hmac
import logging
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from models import Base, Company
from qbwc_server.services import connector_keys
from tests.conftest import LiveServer
from tests.foundation.helpers import QbwcSessionDriver, api, create_company

KEY_SHAPE = re.compile(r"^QBWC(-[A-Z2-7]{4})+$")
BASE32 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


@pytest.fixture(scope="module")
def shared_server(migrated_db: Any, database_url: str) -> Iterator[LiveServer]:
    # One server per module: stopping a server costs half a second.
    server = LiveServer(migrated_db, database_url)
    yield server
    server.close()


@pytest.fixture
def server(shared_server: LiveServer) -> LiveServer:
    """The shared live server. The database is not emptied per test (a TRUNCATE of every table
    costs most of a second on PostgreSQL); tests that need an empty one ask for ``db``."""
    return shared_server


def _body(key: str) -> str:
    assert KEY_SHAPE.match(key), key
    return key[len("QBWC-") :].replace("-", "")


def _decoded_bits(key: str) -> int:
    body = _body(key)
    padded = body + "=" * (-len(body) % 8)
    return len(base64.b32decode(padded)) * 8


def test_generated_key_carries_at_least_128_bits_of_base32() -> None:
    key = connector_keys.generate_key()
    body = _body(key)
    assert set(body) <= BASE32
    assert len(body) * 5 >= 128
    assert _decoded_bits(key) >= 128


def test_many_keys_are_unique_and_use_the_whole_alphabet_everywhere() -> None:
    keys = [connector_keys.generate_key() for _ in range(3000)]
    assert len(set(keys)) == len(keys)
    bodies = [_body(k) for k in keys]
    assert len({len(b) for b in bodies}) == 1
    # A weak generator (fixed parts, small alphabet, counters) would leave symbols unused at
    # some position; 3000 uniform draws over 32 symbols miss one with negligible probability.
    for pos in range(len(bodies[0]) - 1):  # the last symbol may be part padding
        seen = Counter(b[pos] for b in bodies)
        assert set(seen) == BASE32, (pos, sorted(set(BASE32) - set(seen)))
        assert max(seen.values()) < 3000 / 32 * 2  # no symbol far more frequent than others


def test_keys_from_the_api_are_unique_and_strong(server: LiveServer) -> None:
    keys = [create_company(server.url, f"Co {i}")["connector_key"] for i in range(12)]
    assert len(set(keys)) == 12
    assert all(_decoded_bits(k) >= 128 for k in keys)


@pytest.mark.parametrize(
    "typed",
    [
        lambda k: k,
        lambda k: k.lower(),
        lambda k: "  " + k + "\n",
        lambda k: k.replace("-", ""),
        lambda k: k.replace("-", " "),
        lambda k: k[len("QBWC-") :],
        lambda k: k[len("QBWC-") :].lower().replace("-", ""),
    ],
    ids=["as-shown", "lower", "whitespace", "no-dashes", "spaces", "no-prefix", "bare-lower"],
)
def test_key_normalization_accepts_how_people_paste_it(typed: Any) -> None:
    key = connector_keys.generate_key()
    stored = connector_keys.hash_key(key)
    assert connector_keys.key_matches(typed(key), stored)


def test_near_miss_keys_do_not_match() -> None:
    key = connector_keys.generate_key()
    stored = connector_keys.hash_key(key)
    body = _body(key)
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    assert not connector_keys.key_matches("QBWC-" + flipped, stored)
    assert not connector_keys.key_matches(key[:-1], stored)
    assert not connector_keys.key_matches(key + "A", stored)
    assert not connector_keys.key_matches("", stored)
    assert not connector_keys.key_matches(connector_keys.generate_key(), stored)


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(connector_keys.hmac, "compare_digest", spy)
    key = connector_keys.generate_key()
    assert connector_keys.key_matches(key, connector_keys.hash_key(key))
    assert not connector_keys.key_matches("QBWC-AAAA", connector_keys.hash_key(key))
    assert len(calls) == 2


def _all_stored_text(db: Any) -> str:
    """Every value in every table, as text: what an attacker with a database dump would see."""
    parts: list[str] = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_only_a_hash_of_the_key_is_stored(server: LiveServer, db: Any) -> None:
    company = create_company(server.url, "Hash Check")
    key = company["connector_key"]
    with db.transaction() as s:
        row = s.scalars(select(Company).where(Company.id == company["id"])).one()
        assert connector_keys.key_matches(key, row.key_hash)
        assert key not in row.key_hash and _body(key) not in row.key_hash
        assert len(row.key_hash) >= 32  # a digest, not something derived by simple encoding
    # Use the key over SOAP (right and wrong), then look at everything stored.
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.authenticate(company["username"], key)[1] != "nvu"
    wc.close()
    _, rotated, _ = api(server.url, "POST", f"/api/companies/{company['id']}/connector-key")
    stale = QbwcSessionDriver(server.qbwc_url)
    assert stale.authenticate(company["username"], key)[1] == "nvu"
    dump = _all_stored_text(db)
    for secret in (key, _body(key), rotated["connector_key"], _body(rotated["connector_key"])):
        assert secret not in dump


def test_key_is_shown_once_and_never_again(server: LiveServer) -> None:
    company = create_company(server.url, "Shown Once")
    key = company["connector_key"]
    for path in (
        "/api/companies",
        f"/api/companies/{company['id']}",
        f"/api/companies/{company['id']}/qwc",
    ):
        status, body, _ = api(server.url, "GET", path)
        assert status == 200
        text = str(body)
        assert key not in text and _body(key) not in text
        assert "connector_key" not in text
        assert "key_hash" not in text


def test_keys_never_reach_the_log(server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    company = create_company(server.url, "Quiet Logs")
    key = company["connector_key"]
    wrong = connector_keys.generate_key()
    QbwcSessionDriver(server.qbwc_url).authenticate(company["username"], wrong)
    QbwcSessionDriver(server.qbwc_url).authenticate(company["username"], key)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the nvu at least is logged, so the check below means something
    for secret in (key, _body(key), wrong, _body(wrong)):
        assert secret not in logged


def test_rotation_invalidates_the_old_key_at_once(migrated_db: Any) -> None:
    from qbwc_server.services import companies as svc

    with migrated_db.transaction() as s:
        created = svc.create_company(s, "Rotate Me")
        old = created.connector_key
        assert connector_keys.key_matches(old, created.company.key_hash)
        new = svc.rotate_key(s, created.company)
        assert new != old
        assert connector_keys.key_matches(new, created.company.key_hash)
        assert not connector_keys.key_matches(old, created.company.key_hash)
        assert created.company.key_version == 2

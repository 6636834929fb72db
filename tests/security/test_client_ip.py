"""X-Forwarded-For is believed only from QBWC_TRUSTED_PROXIES (issue 9: it was trusted from all)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models import QbwcSession
from qbwc_server import net
from qbwc_server.config import ConfigError, load_settings
from qbwc_server.net import client_ip, parse_trusted_proxies
from tests.foundation.helpers import create_company
from tests.soap_util import envelope, post


class _S:
    def __init__(self, raw: str = "") -> None:
        self.trusted_proxies = parse_trusted_proxies(raw)


def env(peer: str, xff: str | None = None) -> dict[str, str]:
    e = {"REMOTE_ADDR": peer}
    if xff is not None:
        e["HTTP_X_FORWARDED_FOR"] = xff
    return e


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip(env("203.0.113.9", "1.1.1.1"), _S()) == "203.0.113.9"


def test_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_ip(env("203.0.113.9", "1.1.1.1"), _S("10.0.0.0/8")) == "203.0.113.9"


def test_rightmost_untrusted_hop_is_the_client() -> None:
    s = _S("10.0.0.0/8, 192.168.1.7")
    # The client wrote "6.6.6.6" itself; our proxies appended the real address and each other.
    assert client_ip(env("10.1.2.3", "6.6.6.6, 198.51.100.4, 192.168.1.7"), s) == "198.51.100.4"
    assert client_ip(env("10.1.2.3", "198.51.100.4"), s) == "198.51.100.4"


def test_ports_ipv6_and_mapped_addresses() -> None:
    s = _S("::1, 127.0.0.1")
    assert client_ip(env("::1", "[2001:db8::5]:4711"), s) == "2001:db8::5"
    assert client_ip(env("127.0.0.1", "198.51.100.4:5555"), s) == "198.51.100.4"
    assert client_ip(env("::ffff:127.0.0.1", "198.51.100.4"), s) == "198.51.100.4"


def test_garbage_or_missing_header_leaves_the_last_trusted_hop() -> None:
    s = _S("127.0.0.1")
    assert client_ip(env("127.0.0.1", "not-an-ip"), s) == "127.0.0.1"
    assert client_ip(env("127.0.0.1", ""), s) == "127.0.0.1"
    assert client_ip(env("127.0.0.1"), s) == "127.0.0.1"
    assert client_ip(env("127.0.0.1", "evil, 198.51.100.4"), s) == "198.51.100.4"


def test_answers_are_remembered_for_short_headers_only() -> None:
    """The same question asked again is answered from memory (a session asks it on every
    call); a long header is answered as well but never kept, so what a client sends cannot grow
    the server's memory, and a long hop is no address."""
    s = _S("10.0.0.0/8")
    net._remembered_client_ip.cache_clear()
    net._parse_address.cache_clear()
    for _ in range(3):
        assert client_ip(env("10.0.0.1", "198.51.100.4"), s) == "198.51.100.4"
    assert net._remembered_client_ip.cache_info().hits == 2
    long_header = "1.1.1.1, " * 100 + "198.51.100.5"
    assert len(long_header) > net.CACHED_HEADER_CHARS
    for _ in range(2):
        assert client_ip(env("10.0.0.1", long_header), s) == "198.51.100.5"
    assert net._remembered_client_ip.cache_info().currsize == 1
    assert client_ip(env("10.0.0.1", "x" * 5000 + ", 198.51.100.6"), s) == "198.51.100.6"
    hop = " " * 3 + "198.51.100.7" + " " * (net.MAX_ADDRESS_CHARS + 1)
    assert client_ip(env("10.0.0.1", hop), s) == "198.51.100.7"  # blanks around one address
    assert client_ip(env("10.0.0.1", "9" * (net.MAX_ADDRESS_CHARS + 1)), s) == "10.0.0.1"
    net._parse_address.cache_clear()
    assert client_ip(env("10.0.0.2", "x" * 5000), s) == "10.0.0.2"
    assert net._parse_address.cache_info().currsize == 1  # the peer's address alone


def test_missing_or_odd_peer() -> None:
    assert client_ip({}, _S()) == "?"
    assert client_ip({"REMOTE_ADDR": "unix-socket" * 20}, _S()) == ("unix-socket" * 20)[:64]


def test_setting_is_validated() -> None:
    settings = load_settings({"QBWC_TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12,::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.1/32", "172.16.0.0/12", "::1/128"]
    assert load_settings({}).trusted_proxies == ()
    with pytest.raises(ConfigError, match="QBWC_TRUSTED_PROXIES"):
        load_settings({"QBWC_TRUSTED_PROXIES": "10.0.0.1, proxy.example"})


def _authenticate_recorded_addr(server: Any, db: Any, xff: str) -> str:
    company = create_company(server.url, "Acme Supplies")
    body = envelope(
        "authenticate",
        [("strUserName", company["username"]), ("strPassword", company["connector_key"])],
    )
    status, _ = post(server.qbwc_url, body, "authenticate", {"X-Forwarded-For": xff})
    assert status == 200
    with db.transaction() as s:
        return str(s.scalars(select(QbwcSession.remote_addr)).one())


def test_soap_records_the_peer_when_no_proxy_is_trusted(server_factory: Any, db: Any) -> None:
    server = server_factory()
    assert _authenticate_recorded_addr(server, db, "6.6.6.6") == "127.0.0.1"


def test_soap_records_the_forwarded_client_behind_a_trusted_proxy(
    server_factory: Any, db: Any
) -> None:
    server = server_factory(QBWC_TRUSTED_PROXIES="127.0.0.1")
    assert _authenticate_recorded_addr(server, db, "6.6.6.6, 198.51.100.4") == "198.51.100.4"

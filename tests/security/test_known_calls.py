"""serverVersion and clientVersion bodies read once are answered from what they were read as
(soap/known_calls.py): the same answer as reading them again, the handlers run every time, and
nothing else is kept — no secret, no body that was not read whole, no more than the bound."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from qbwc_server.engine import client_versions
from qbwc_server.soap import known_calls, wsgi
from qbwc_server.soap.wsgi import SoapEndpoint
from tests.conftest import make_settings
from tests.soap_util import SOAP_NS, TNS, envelope


@pytest.fixture
def endpoint(db: Any, database_url: str) -> SoapEndpoint:
    # A client older than the minimum gets an E: message that repeats its version string.
    settings = make_settings(database_url, 8000, QBWC_MIN_CLIENT_VERSION="9.0")
    return SoapEndpoint(db, settings)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies the endpoint parses (``read_envelope``), as they were read."""
    seen: list[bytes] = []
    real = wsgi.read_envelope

    def counted(stream: Any, *args: Any, **kwargs: Any) -> Any:
        data = stream.read()
        seen.append(data)
        return real(io.BytesIO(data), *args, **kwargs)

    monkeypatch.setattr(wsgi, "read_envelope", counted)
    return seen


def ask(
    endpoint: SoapEndpoint, body: bytes, addr: str = "10.0.0.1", declared: int | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/qbwc",
        "QUERY_STRING": "",
        "REMOTE_ADDR": addr,
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body) if declared is None else declared),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    started: list[Any] = []
    answer = b"".join(
        endpoint(environ, lambda status, headers, e=None: started.extend([status, headers]))
    )
    return started[0], started[1], answer


KEPT_CALLS = [
    ("serverVersion", None),
    ("serverVersion", [("strVersion", "")]),
    ("clientVersion", [("strVersion", "2.3.0.215")]),
    ("clientVersion", [("strVersion", "2.1 <b>&amp; \"beta\" 'x'\r")]),  # E: repeats it
    ("clientVersion", [("strVersion", "")]),
    ("clientVersion", [("strVersion", "2.3.0.215 Ünïcødé")]),
]


@pytest.mark.parametrize(("method", "params"), KEPT_CALLS)
def test_a_body_read_before_is_answered_as_reading_it_again_would(
    endpoint: SoapEndpoint, reads: list[bytes], method: str, params: Any
) -> None:
    body = envelope(method, params)
    first = ask(endpoint, body)
    second = ask(endpoint, body)
    assert reads == [body]  # read once
    assert second == first
    assert first[0] == "200 OK" and f"<tns:{method}Result".encode() in first[2]


def test_clientversion_notes_each_callers_version_even_when_known(
    endpoint: SoapEndpoint, reads: list[bytes]
) -> None:
    client_versions.forget_all()
    body = envelope("clientVersion", [("strVersion", "2.3.0.215")])
    ask(endpoint, body, addr="10.0.0.1")
    ask(endpoint, body, addr="10.0.0.2")
    assert len(reads) == 1
    assert client_versions.recent("10.0.0.2") == "2.3.0.215"


@pytest.mark.parametrize(
    "body",
    [
        envelope("authenticate", [("strUserName", "qbwc-1-x"), ("strPassword", "QBWC-SECRET")]),
        envelope("closeConnection", [("ticket", "no-such-ticket")]),
        envelope("getLastError", [("ticket", "no-such-ticket")]),
        envelope("clientVersion", [("strVersion", "2" * (known_calls.MAX_BODY_BYTES + 1))]),
    ],
    ids=["authenticate", "closeConnection", "getLastError", "too long"],
)
def test_nothing_else_is_kept(endpoint: SoapEndpoint, reads: list[bytes], body: bytes) -> None:
    first = ask(endpoint, body)
    assert ask(endpoint, body) == first
    assert reads == [body, body]  # read every time
    assert body not in endpoint.known_calls._calls


def test_a_body_shorter_than_declared_is_refused_though_its_bytes_are_known(
    endpoint: SoapEndpoint,
) -> None:
    body = envelope("serverVersion")
    assert ask(endpoint, body)[0] == "200 OK"
    status, _headers, answer = ask(endpoint, body, declared=len(body) + 10)
    assert status.startswith("500")
    assert b"ended after" in answer


def test_a_call_spyne_takes_is_not_kept(endpoint: SoapEndpoint, reads: list[bytes]) -> None:
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Header/><soap:Body>'
        f'<serverVersion xmlns="{TNS}"/></soap:Body></soap:Envelope>'
    ).encode()
    ask(endpoint, body)
    ask(endpoint, body)
    assert len(reads) == 2


def test_the_kept_bodies_are_bounded(endpoint: SoapEndpoint) -> None:
    for n in range(known_calls.KEPT + 10):
        ask(endpoint, envelope("clientVersion", [("strVersion", f"2.3.0.{n}")]))
    assert 0 < len(endpoint.known_calls._calls) <= known_calls.KEPT

"""The pieces of the slow-client defence, without a server: how much of a request the worker's
gate gathers (serving/worker.py), the deadline socket's limits (serving/client_socket.py), and
the 408 answers of the SOAP endpoint and the app when a body stops arriving."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from qbwc_server.net import ClientTooSlow
from qbwc_server.serving.client_socket import CONTINUE, DeadlineSocket
from qbwc_server.serving.request_head import BODY_HELD, Head, read_head
from qbwc_server.soap.envelope import SMALL_CALL_MAX_BYTES
from tests.conftest import make_settings
from tests.soap_util import envelope


def head(*headers: str) -> bytes:
    return "\r\n".join(["POST /qbwc HTTP/1.1", "Host: x", *headers]).encode()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((), Head(0)),
        (("Content-Length: 500",), Head(500)),
        (("content-length:  500 ",), Head(500)),
        (("Content-Length: 99999999",), Head(BODY_HELD)),
        (("Content-Length: " + "9" * 5000,), Head(BODY_HELD)),  # no int() of 5000 digits
        (("Content-Length: -1",), Head(0)),  # gunicorn answers 400 without a body
        (("Content-Length: 5", "Content-Length: 6"), Head(0)),
        (("Content-Length: 5", "Content-Length: 5"), Head(5)),
        (("Transfer-Encoding: chunked",), Head(BODY_HELD, chunked=True)),
        (("Content-Length: 10", "Expect: 100-continue"), Head(10, expect_continue=True)),
        (("Expect: 100-continue",), Head(0)),  # nothing to continue to
    ],
)
def test_how_much_body_the_gate_gathers(headers: tuple[str, ...], expected: Head) -> None:
    assert read_head(head(*headers)) == expected


def test_the_gate_holds_past_the_small_call_cap() -> None:
    # The SOAP reader refuses a stranger after the first block past the cap: everything it reads
    # for that decision is already held, so a stranger never makes a thread wait.
    assert BODY_HELD > SMALL_CALL_MAX_BYTES


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def test_a_read_waits_at_most_the_timeout(pair: tuple[socket.socket, socket.socket]) -> None:
    server, client = pair
    wrapped = DeadlineSocket(server, timeout=0.3)
    client.sendall(b"abc")
    assert wrapped.recv(10) == b"abc"
    started = time.monotonic()
    with pytest.raises(ClientTooSlow):
        wrapped.recv(10)
    assert 0.25 < time.monotonic() - started < 1.5


def test_a_trickle_cannot_stretch_a_request(pair: tuple[socket.socket, socket.socket]) -> None:
    server, client = pair
    wrapped = DeadlineSocket(server, timeout=0.6, min_rate=1000)
    wrapped.start_request(time.monotonic(), 0)
    started = time.monotonic()
    with pytest.raises(ClientTooSlow):
        for _ in range(40):  # bounded: one byte every 0.1 s, each read well within 0.6 s
            client.sendall(b"x")
            wrapped.recv(10)
            time.sleep(0.1)
    assert time.monotonic() - started < 1.5


def test_bytes_at_the_minimum_rate_extend_the_deadline(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    wrapped = DeadlineSocket(server, timeout=0.3, min_rate=1000)
    wrapped.start_request(time.monotonic(), 0)
    for _ in range(6):  # 500 bytes every 0.1 s: 5,000 bytes/s, five times the minimum
        client.sendall(b"x" * 500)
        assert len(wrapped.recv(500)) == 500
        time.sleep(0.1)


def test_a_shorter_timeout_of_the_caller_applies(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, _ = pair
    wrapped = DeadlineSocket(server, timeout=30)
    wrapped.settimeout(0.2)  # gunicorn bounds its body drain like this
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        wrapped.recv(10)
    assert time.monotonic() - started < 1.5
    assert wrapped.gettimeout() == 0.2


def test_continue_already_sent_is_not_sent_twice(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    wrapped = DeadlineSocket(server, timeout=1)
    wrapped.continue_sent = True
    assert wrapped.send(CONTINUE) == len(CONTINUE)
    wrapped.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    client.settimeout(1)
    assert client.recv(100) == b"HTTP/1.1 200 OK\r\n\r\n"


class CountingSocket:
    """A real socket that counts the mode changes that reach it (each one a system call)."""

    def __init__(self, raw: socket.socket) -> None:
        self.raw = raw
        self.mode_changes = 0

    def setblocking(self, flag: bool) -> None:
        self.mode_changes += 1
        self.raw.setblocking(flag)

    def settimeout(self, value: float | None) -> None:
        self.mode_changes += 1
        self.raw.settimeout(value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def test_setting_the_mode_it_has_already_costs_nothing(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Issue 13: the serving worker sets a connection's mode several times per request; only a
    change reaches the socket (CPython makes a system call every time). A read or write with a
    deadline leaves the socket waiting with a timeout, and blocking or not is set again then."""
    server, client = pair
    counting = CountingSocket(server)
    wrapped = DeadlineSocket(counting, timeout=1)  # type: ignore[arg-type]
    wrapped.setblocking(False)
    wrapped.setblocking(False)
    assert (counting.mode_changes, server.gettimeout()) == (1, 0.0)
    wrapped.setblocking(True)
    wrapped.setblocking(True)
    assert (counting.mode_changes, server.gettimeout()) == (2, None)
    client.sendall(b"x")
    assert wrapped.recv(1) == b"x"  # waits with the deadline: a timeout set on the socket
    assert counting.mode_changes == 3 and server.gettimeout() not in (None, 0.0)
    wrapped.setblocking(True)
    assert (counting.mode_changes, server.gettimeout()) == (4, None)
    wrapped.sendall(b"y")  # the write's deadline
    wrapped.setblocking(False)
    assert (counting.mode_changes, server.gettimeout()) == (6, 0.0)
    with pytest.raises(BlockingIOError):
        wrapped.recv(1)  # really non-blocking


class StallingInput:
    """A request body that gives ``first`` and then times out, as gunicorn's body does when the
    deadline socket under it gives up (its read waits for all ``size`` bytes)."""

    def __init__(self, first: bytes) -> None:
        self.first = first

    def read(self, size: int = -1, /) -> bytes:
        if size < 0 or size > len(self.first):
            raise ClientTooSlow("no data for 2 s")
        data, self.first = self.first[:size], self.first[size:]
        return data


def call(app: Any, path: str, body: bytes, content_type: str) -> tuple[str, dict[str, str], bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        got["status"], got["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body) * 3),
        "HTTP_AUTHORIZATION": "Bearer " + app.rt.settings.admin_token,
        "wsgi.input": StallingInput(body),
        "wsgi.errors": io.StringIO(),
    }
    data = b"".join(app(environ, start_response))
    return got["status"], got["headers"], data


def test_soap_and_api_answer_408_when_the_body_stalls(db: Any, database_url: str) -> None:
    from qbwc_server.app import create_app

    app = create_app(make_settings(database_url, 8000), db)
    status, headers, data = call(app, "/qbwc", envelope("serverVersion")[:100], "text/xml")
    assert status.startswith("408 ")
    assert b"<faultcode>soap:Client.Timeout</faultcode>" in data
    assert headers["Connection"] == "close"
    status, headers, data = call(app, "/api/companies", b'{"name": "A', "application/json")
    assert status.startswith("408 "), data
    assert headers["Content-Type"].startswith("application/json")
    assert b"QBWC_CLIENT_TIMEOUT_SECONDS" in data

"""The worker's short way for plain requests (serving/simple_http.py, issue 13 item 1).

A plain request (a Web Connector's small POST, held whole by the gate) is answered without
gunicorn's parser; serverVersion and clientVersion on the worker's event loop. Here: which
requests are plain (everything else goes to gunicorn as before), that the environ and the
answer bytes are gunicorn's own for the same request, and the real server (``qbwc-server
serve``) answering a whole session, keep-alive across both ways, pipelined and mismatched
requests.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from gunicorn.http.wsgi import Response, create

from qbwc_server.serving import simple_http
from qbwc_server.serving.simple_http import PlainResponder, read_plain
from tests.conftest import _clean
from tests.foundation.helpers import QbwcSessionDriver, create_company, synced_company
from tests.ops.served import ServedProcess
from tests.security.test_slow_clients import _one_response
from tests.soap_util import envelope

BODY = envelope("serverVersion", [("strVersion", "2.3.0.215")])


def request(
    body: bytes = BODY,
    *,
    line: bytes = b"POST /qbwc HTTP/1.1",
    action: bytes = b"serverVersion",
    extra: bytes = b"",
    length: int | None = None,
) -> bytes:
    size = len(body) if length is None else length
    return (
        line
        + b"\r\nHost: localhost:8080\r\nContent-Type: text/xml; charset=utf-8\r\n"
        + b'SOAPAction: "http://developer.intuit.com/'
        + action
        + b'"\r\n'
        + extra
        + b"Content-Length: %d\r\nExpect-Nothing: x\r\n\r\n" % size
        + body
    )


# --- which requests are plain ------------------------------------------------------------------


def test_a_web_connector_call_is_plain() -> None:
    plain = read_plain(request(extra=b"Connection: Keep-Alive\r\nX-Forwarded-For: 10.0.0.7\r\n"))
    assert plain is not None
    assert plain.soap_action == "serverVersion"
    assert plain.path == "/qbwc" and plain.query == ""
    assert plain.body == BODY
    assert ("X-FORWARDED-FOR", "10.0.0.7") in plain.headers


@pytest.mark.parametrize(
    "data",
    [
        request(line=b"POST /qbwc HTTP/1.0"),
        request(line=b"GET /qbwc HTTP/1.1"),
        request(line=b"POST /q%62wc HTTP/1.1"),  # percent-escapes: gunicorn decodes them
        request(line=b"POST qbwc HTTP/1.1"),
        request(extra=b"Transfer-Encoding: chunked\r\n"),
        request(extra=b"Expect: 100-continue\r\n"),
        request(extra=b"Connection: close\r\n"),
        request(extra=b"Connection: Upgrade\r\nUpgrade: h2c\r\n"),
        request(extra=b"X_Forwarded_For: 10.0.0.1\r\n"),  # underscores: gunicorn drops them
        request(extra=b"Content-Length: 5\r\n"),  # twice
        request(extra=b"Host: other\r\n"),  # a singleton twice
        request(extra=b"X-Folded: a\r\n b\r\n"),  # obs-fold
        request(extra=b"X-Space : a\r\n"),
        request(extra=b"X-Control: a\x01b\r\n"),
        request(length=len(BODY) + 1),  # the body is not all here
        request() + b"POST /qbwc HTTP/1.1\r\n",  # the next request read ahead (pipelined)
        request().replace(b"Content-Length", b"X-Length"),  # no Content-Length
        request(length=0)[:-1],
    ],
)
def test_anything_else_goes_to_gunicorn(data: bytes) -> None:
    assert read_plain(data) is None
    assert read_plain(data) is None  # its header lines now come from the reader's memory


# --- the environ and the answer are gunicorn's ------------------------------------------------

SKIPPED = {"wsgi.input", "wsgi.errors", "gunicorn.socket", "wsgi.early_hints", "wsgi.file_wrapper"}


def gunicorn_environ(cfg: Config, data: bytes, client: Any, server: Any) -> dict[str, Any]:
    parser = RequestParser(cfg, io.BytesIO(data), client)
    req = next(parser)
    _resp, environ = create(req, None, client, server, cfg)
    environ["wsgi.multithread"] = True  # what gthread sets after create()
    return environ


@pytest.mark.parametrize(
    ("extra", "client"),
    [
        (b"", ("127.0.0.1", 50123)),
        (b"X-Forwarded-For: 203.0.113.9\r\nX-Request-ID: abc\r\n", ("127.0.0.1", 50124)),
        (b"X-Forwarded-Proto: https\r\n", ("127.0.0.1", 50125)),  # trusted: https
        (b"X-Forwarded-Proto: https\r\n", ("192.0.2.4", 50126)),  # untrusted: ignored
        (b"Accept: a\r\nAccept: b\r\n", ("127.0.0.1", 50127)),  # joined like gunicorn
    ],
)
def test_the_environ_is_gunicorns(extra: bytes, client: Any) -> None:
    cfg = Config()
    data = request(line=b"POST /qbwc?x=1&y=%20 HTTP/1.1", extra=extra)
    server = ("127.0.0.1", 8080)
    responder = PlainResponder(cfg)
    theirs = gunicorn_environ(cfg, data, client, server)
    for _ in range(2):  # the second time its header lines and the peer's trust are remembered
        plain = read_plain(data)
        assert plain is not None
        scheme = responder.scheme(plain, client)
        assert scheme is not None
        ours = responder.environ(plain, scheme, client, server, None)
        assert {k: v for k, v in ours.items() if k not in SKIPPED} == {
            k: v for k, v in theirs.items() if k not in SKIPPED
        }
        assert ours["wsgi.input"].read() == BODY


def test_contradictory_scheme_headers_are_refused_like_gunicorn() -> None:
    data = request(extra=b"X-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n")
    plain = read_plain(data)
    assert plain is not None
    assert PlainResponder(Config()).scheme(plain, ("127.0.0.1", 1)) is None


class Captured:
    def __init__(self) -> None:
        self.data = b""

    def sendall(self, data: bytes) -> None:
        self.data += data

    send = sendall


def without_date(data: bytes) -> bytes:
    return b"\r\n".join(line for line in data.split(b"\r\n") if not line.startswith(b"Date: "))


@pytest.mark.parametrize(
    ("status", "headers", "keep"),
    [
        ("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", "5")], True),
        ("400 Bad Request", [("Content-Length", "5"), ("Connection", "close")], True),
        ("200 OK", [("X-Frame-Options", "DENY"), ("Content-Length", "5"), ("Server", "x")], True),
    ],
)
def test_the_answer_is_written_as_gunicorn_writes_it(
    status: str, headers: list[tuple[str, str]], keep: bool
) -> None:
    cfg = Config()
    data = request()
    req = next(RequestParser(cfg, io.BytesIO(data), ("127.0.0.1", 1)))
    sock = Captured()
    resp = Response(req, sock, cfg)
    resp.start_response(status, headers)
    resp.write(b"hello")
    resp.close()
    responder = PlainResponder(cfg)
    for _ in range(2):  # the second time from the checked headers it remembers
        ours, kept = responder.answer(status, headers, b"hello", True)
        assert without_date(ours) == without_date(sock.data)
        assert kept is keep and kept is not resp.should_close()


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("200 OK", [("X-Bad", "a\nb")]),
        ("200 OK", [("Bad Name", "x")]),
        ("200 OK", [("Content-Length", "five")]),
        ("2000 OK", [("Content-Length", "5")]),
    ],
)
def test_a_header_or_status_gunicorn_refuses_is_refused_every_time(
    status: str, headers: list[tuple[str, str]]
) -> None:
    responder = PlainResponder(Config())
    for _ in range(2):
        with pytest.raises(ValueError):
            responder.answer(status, headers, b"hello", True)


def test_credentials_are_read_every_time_and_never_kept() -> None:
    data = request(extra=b"Authorization: Bearer s3cret-token\r\nCookie: session=abc123\r\n")
    for _ in range(2):
        plain = read_plain(data)
        assert plain is not None
        assert ("AUTHORIZATION", "Bearer s3cret-token") in plain.headers
        assert ("COOKIE", "session=abc123") in plain.headers
    kept = b"".join(simple_http._LINES)
    assert b"s3cret-token" not in kept and b"abc123" not in kept
    assert b"Host: localhost:8080" in simple_http._LINES  # the rest is kept


def test_what_the_reader_remembers_is_bounded() -> None:
    """A client sending ever new header lines (or peers, or response headers) cannot grow the
    worker's memory: each store is emptied when full, and reads stay right after that."""
    responder = PlainResponder(Config())
    for n in range(simple_http.LINES_KEPT + 50):
        extra = b"X-Forwarded-For: 10.%d.%d.%d\r\n" % (n >> 16, (n >> 8) & 255, n & 255)
        plain = read_plain(request(extra=extra))
        assert plain is not None
        assert ("X-FORWARDED-FOR", f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}") in plain.headers
        assert responder.scheme(plain, (f"192.0.2.{n % 250}", n)) == "http"
        responder.answer("200 OK", [("X-Request-ID", str(n)), ("Content-Length", "1")], b"x", True)
    assert 0 < len(simple_http._LINES) <= simple_http.LINES_KEPT
    assert 0 < len(simple_http._WRITTEN) <= simple_http.LINES_KEPT
    plain = read_plain(request(extra=b"X-Forwarded-Proto: https\r\n"))
    assert plain is not None
    assert responder.scheme(plain, ("127.0.0.1", 1)) == "https"  # trusted (the default list)
    assert responder.scheme(plain, ("192.0.2.7", 1)) == "http"  # not trusted: ignored
    assert responder.scheme(plain, ("127.0.0.1", 2)) == "https"  # remembered, still right


# --- the real server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(
    migrated_db: Any, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedProcess]:
    _clean(migrated_db)
    server = ServedProcess(database_url, tmp_path_factory.mktemp("plain") / "server.log")
    yield server
    server.stop()
    _clean(migrated_db)


def exchange(sock: socket.socket, data: bytes) -> bytes:
    """Send ``data``; read one answer (head and Content-Length body)."""
    sock.sendall(data)
    return _one_response(sock)


def test_a_whole_session_and_keep_alive_across_both_ways(served: ServedProcess) -> None:
    company = create_company(served.url, "Plain Co")
    wc = QbwcSessionDriver(served.qbwc_url)
    assert wc.server_version().startswith("qbwc-server")  # on the event loop
    assert wc.client_version("2.3.0.215") == ""  # on the event loop
    ticket, status = wc.authenticate(company["username"], company["connector_key"])[:2]
    assert ticket and status == ""  # a thread: a first sync is due
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        for action, body in [
            (b"serverVersion", BODY),
            (b"authenticate", envelope("authenticate", [("strUserName", "x")])),
            (b"clientVersion", envelope("clientVersion", [("strVersion", "2.3.0.215")])),
        ] * 2:
            answer = exchange(sock, request(body, action=action))
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:200]
            assert b"\r\nConnection: keep-alive\r\n" in answer
            assert b"\r\nX-Request-ID: " in answer and b"\r\nDate: " in answer


def test_pipelined_requests_are_answered_in_order(served: ServedProcess) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        first = exchange(sock, request() + request(action=b"clientVersion", body=BODY))
        assert first.startswith(b"HTTP/1.1 200 OK")
        assert b"serverVersionResult" in first


def test_a_body_that_calls_another_method_is_not_run_on_the_loop(served: ServedProcess) -> None:
    """SOAPAction says serverVersion (answered on the event loop), the body authenticates:
    refused, so nothing that waits for the database runs on the loop."""
    body = envelope("authenticate", [("strUserName", "x"), ("strPassword", "y")])
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        answer = exchange(sock, request(body, action=b"serverVersion"))
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"Client.SOAPAction" in answer


def test_closing_a_none_session_on_the_loop_and_a_disguised_one(served: ServedProcess) -> None:
    """The closeConnection of a signed ``none`` ticket is answered on the event loop; a body
    whose ticket element is in another namespace (spyne's to judge, maybe with the database)
    is refused there."""
    company = synced_company(served, "Closing Co")
    login = envelope(
        "authenticate",
        [("strUserName", company["username"]), ("strPassword", company["connector_key"])],
    )
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        # On this connection, so this worker has just read the ticket key with the company.
        answer = exchange(sock, request(login, action=b"authenticate"))
        assert b"<tns:string>none</tns:string>" in answer, answer[-400:]
        ticket = answer.split(b"<tns:string>", 2)[1].split(b"</tns:string>")[0]
        closing = envelope("closeConnection", [("ticket", ticket.decode())])
        closed = exchange(sock, request(closing, action=b"closeConnection"))
        assert closed.startswith(b"HTTP/1.1 200 OK"), closed[:300]
        assert b"closeConnectionResult" in closed
        disguised = (
            b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<closeConnection xmlns="http://developer.intuit.com/" xmlns:x="urn:other">'
            b"<x:ticket>" + ticket + b"</x:ticket></closeConnection>"
            b"</soap:Body></soap:Envelope>"
        )
        refused = exchange(sock, request(disguised, action=b"closeConnection"))
        assert refused.startswith(b"HTTP/1.1 400 Bad Request"), refused[:300]
        assert b"Client.SOAPAction" in refused

"""The short way through the worker for the plainest requests (issue 13: the idle poll's cost).

A Web Connector's calls are small POSTs on a kept-alive HTTP/1.1 connection, and the worker's
gate (serving/worker.py) already holds each one whole before any thread sees it. For such a
request gunicorn would parse the same bytes again in Python, build its Request and Response
objects and write the head and the body in two system calls: about as much CPU as answering an
idle call itself. This module reads a request the gate holds *only when it is plain* — and
hands everything else to gunicorn unchanged:

- ``POST <path>[?query] HTTP/1.1``, the path without percent-escapes;
- header names that are tokens without ``_`` (gunicorn drops those), values without control
  characters, no header twice except ones gunicorn joins;
- exactly one ``Content-Length``, and exactly that many body bytes held (nothing read ahead of
  the next request); no ``Transfer-Encoding``, ``Expect``, ``Upgrade`` or HTTP/2 settings, no
  ``Connection`` but ``keep-alive``; no scheme header that gunicorn would trust with two
  different answers.

The WSGI environ is the one gunicorn builds for the same request (``environ`` below; compared in
``tests/security/test_simple_http.py``), and the answer is written the way gunicorn writes it:
status line, ``Server``, ``Date``, ``Connection``, then the application's headers with the
hop-by-hop ones dropped, in one write.

What was read or checked once is remembered, bounded: the request's header lines (never one
that carries a credential), the application's response headers and statuses, whether a peer
address may set forwarded headers.
A Web Connector sends the same lines on every call and the application answers with the same
headers, so the regular expressions run once per distinct line instead of some twenty times a
request (about 20 µs less per request; ``tests/security/test_simple_http.py`` compares every
case twice, the second time from memory).
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Literal

from gunicorn import SERVER
from gunicorn.http.message import _ip_in_allow_list
from gunicorn.http.wsgi import HEADER_VALUE_RE, STATUS_RE, FileWrapper, WSGIErrorsWrapper
from gunicorn.http.wsgi import base_environ as gunicorn_base_environ
from gunicorn.util import is_hoppish

from qbwc_server.soap.idle_lane import action_method

_REQUEST_LINE = re.compile(
    rb"POST (/[!$&'()*+,\-./0-9:;=@A-Z_a-z~]*)"  # a path without percent-escapes
    rb"(?:\?([^ #\x00-\x20\x7f]*))? HTTP/1\.1"
)
_HEADER = re.compile(rb"([!#$%&'*+\-.^`|~0-9A-Za-z]+):[ \t]*([ \t\x21-\x7e\x80-\xff]*?)[ \t]*")
_TOKEN = re.compile(r"[!#$%&'*+\-.^`|~0-9A-Za-z]+")
# Headers whose presence means gunicorn must take the request (framing, upgrades, HTTP/2).
_NOT_PLAIN = frozenset(
    {"TRANSFER-ENCODING", "EXPECT", "UPGRADE", "HTTP2-SETTINGS", "TE", "TRAILER"}
)
# gunicorn refuses these when repeated (RFC 9110 5.3); a plain request never repeats them.
_SINGLETONS = frozenset({"CONTENT-LENGTH", "CONTENT-TYPE", "HOST", "AUTHORIZATION"})


@dataclass(frozen=True)
class PlainRequest:
    path: str
    query: str
    headers: list[tuple[str, str]]  # names upper-cased, as gunicorn hands them on
    body: bytes
    soap_action: str  # the method the SOAPAction header names ("" without one)


# Header lines already read, as (NAME, value), or False for a line that is never plain. A Web
# Connector sends the same lines on every call (Host, Content-Type, its few SOAPActions, a
# proxy's X-Forwarded-For for the same client), and each read took a regular expression, two
# decodes and an upper-casing: about half of this module's time per request. Bounded: emptied
# when full, so unending new lines cost what they cost before plus a dictionary insert.
_LINES: dict[bytes, tuple[str, str] | Literal[False]] = {}
LINES_KEPT = 4096
# Lines that carry credentials (the API's bearer token, a page's session cookie): not kept. A
# Web Connector sends none of them.
_NOT_KEPT = frozenset({"AUTHORIZATION", "PROXY-AUTHORIZATION", "COOKIE"})


def _read_header_line(raw: bytes) -> tuple[str, str] | Literal[False]:
    """One header line, read as gunicorn reads it: (NAME, value), or False when a request that
    holds it is not plain (obs-fold, a space before the colon, a bad name or value, a name with
    ``_`` or one that changes the framing)."""
    field = _HEADER.fullmatch(raw)
    parsed: tuple[str, str] | Literal[False] = False
    if field is not None:
        name = field.group(1).decode("latin-1").upper()
        if "_" not in name and name not in _NOT_PLAIN:
            parsed = (name, field.group(2).decode("latin-1"))
            if name in _NOT_KEPT:
                return parsed  # a credential is read every time, never kept past its request
    _keep(_LINES, raw, parsed)
    return parsed


def read_plain(data: bytes) -> PlainRequest | None:
    """The request the gate holds, when it is plain (module docstring); else None."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    lines = data[:head_end].split(b"\r\n")
    line = _REQUEST_LINE.fullmatch(lines[0])
    if line is None:
        return None
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    length: int | None = None
    action = ""
    for raw in lines[1:]:
        parsed = _LINES.get(raw)
        if parsed is None:
            parsed = _read_header_line(raw)
        if parsed is False:
            return None
        name, value = parsed
        if name in _SINGLETONS:
            if name in seen:
                return None
            seen.add(name)
        if name == "CONTENT-LENGTH":
            if not value.isdigit() or len(value) > 9:
                return None
            length = int(value)
        elif name == "CONNECTION" and value.lower() != "keep-alive":
            return None
        elif name == "SOAPACTION":
            action = action_method(value)
        headers.append((name, value))
    body = data[head_end + 4 :]
    if length is None or len(body) != length:
        return None
    path = line.group(1).decode("ascii")
    query = (line.group(2) or b"").decode("latin-1")
    return PlainRequest(path, query, headers, body, action)


# Response headers and statuses already checked, as they are written. The application answers
# with the same few headers every time; each took two regular expressions, a strip and two
# case foldings per header. Bounded like the request's header lines.
_WRITTEN: dict[tuple[str, str], tuple[str, int | None]] = {}
_STATUSES: dict[str, bool] = {}


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= LINES_KEPT:
        cache.clear()
    cache[key] = value


def _write_header(name: str, value: str) -> tuple[str, int | None]:
    """(the header's line as gunicorn writes it, "" for a hop-by-hop header it drops; the
    Content-Length it declares). Raises ValueError for a header gunicorn would refuse."""
    header = (name, value)
    if not _TOKEN.fullmatch(name) or not HEADER_VALUE_RE.fullmatch(value):
        raise ValueError(f"invalid response header {name!r}")
    value = value.strip(" \t")
    declared = int(value) if name.lower() == "content-length" else None
    # A hop-by-hop header is dropped, as gunicorn drops it (a "Connection: close" included).
    hop = declared is None and is_hoppish(name)
    written = ("" if hop else f"{name}: {value}\r\n", declared)
    _keep(_WRITTEN, header, written)
    return written


class PlainResponder:
    """Builds environs and writes answers for plain requests, like gunicorn, for one worker."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.base = gunicorn_base_environ(cfg)
        self.base["wsgi.errors"] = WSGIErrorsWrapper(cfg)
        self.base["wsgi.file_wrapper"] = FileWrapper
        self.base["wsgi.multithread"] = True
        self._date = (0, "")
        # A worker's settings never change (a reload starts new workers): read once, not on
        # every request through gunicorn's Config lookups.
        self._default_scheme = "https" if cfg.is_ssl else "http"
        self._secure: dict[str, str] = cfg.secure_scheme_headers
        self._allow_ips: list[str] = cfg.forwarded_allow_ips
        self._allow_networks: list[Any] = cfg.forwarded_allow_networks()
        self._trusted: dict[str, bool] = {}  # peer address -> in forwarded_allow_ips

    def _peer_trusted(self, peer: str) -> bool:
        """gunicorn's check (``_ip_in_allow_list``), remembered per peer address: behind the
        reverse proxy every request comes from the same few, and each check parsed the
        address again. Bounded like the header lines."""
        trusted = self._trusted.get(peer)
        if trusted is None:
            trusted = _ip_in_allow_list(peer, self._allow_ips, self._allow_networks)
            _keep(self._trusted, peer, trusted)
        return trusted

    def scheme(self, request: PlainRequest, client: Any) -> str | None:
        """``wsgi.url_scheme`` as gunicorn sets it; None when gunicorn would refuse."""
        scheme = self._default_scheme
        secure = self._secure
        if not secure:
            return scheme
        peer = client[0] if isinstance(client, tuple) else None
        if peer is not None and not self._peer_trusted(peer):
            return scheme
        found: str | None = None
        for name, value in request.headers:
            if name in secure:
                said = "https" if value == secure[name] else "http"
                if found is not None and said != found:
                    return None  # gunicorn answers 400 (InvalidSchemeHeaders)
                found = said
        return found or scheme

    def environ(
        self, request: PlainRequest, scheme: str, client: Any, server: Any, sock: Any
    ) -> dict[str, Any]:
        environ = dict(self.base)
        environ.update(
            {
                "wsgi.input": io.BytesIO(request.body),
                "gunicorn.socket": sock,
                "REQUEST_METHOD": "POST",
                "QUERY_STRING": request.query,
                "RAW_URI": request.path + (f"?{request.query}" if request.query else ""),
                "SERVER_PROTOCOL": "HTTP/1.1",
                "wsgi.url_scheme": scheme,
                "PATH_INFO": request.path,
                "SCRIPT_NAME": "",
            }
        )
        for name, value in request.headers:
            if name == "CONTENT-TYPE":
                environ["CONTENT_TYPE"] = value
            elif name == "CONTENT-LENGTH":
                environ["CONTENT_LENGTH"] = value
            else:
                key = "HTTP_" + name.replace("-", "_")
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        if isinstance(client, tuple):
            environ["REMOTE_ADDR"] = client[0]
            environ["REMOTE_PORT"] = str(client[1])
        else:
            environ["REMOTE_ADDR"] = client.decode() if isinstance(client, bytes) else client
        if isinstance(server, tuple):
            environ["SERVER_NAME"], environ["SERVER_PORT"] = server[0], str(server[1])
        return environ

    def http_date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, formatdate(now, localtime=False, usegmt=True))
        return self._date[1]

    def answer(
        self, status: str, headers: list[tuple[str, str]], body: bytes, keep_alive: bool
    ) -> tuple[bytes, bool]:
        """The bytes to send and whether the connection stays open after them.

        Raises ValueError for a status or header gunicorn would refuse to send."""
        if status not in _STATUSES:
            if not STATUS_RE.fullmatch(status):
                raise ValueError(f"invalid status {status!r}")
            _keep(_STATUSES, status, True)
        lines: list[str] = []
        length: int | None = None
        for name, value in headers:
            written = _WRITTEN.get((name, value))
            if written is None:
                written = _write_header(name, value)
            line, declared = written
            if declared is not None:
                length = declared
            if line:
                lines.append(line)
        if status[:3] in ("204", "304"):
            body = b""
        elif length is None:
            lines.append(f"Content-Length: {len(body)}\r\n")  # the whole body is here
        elif len(body) > length:
            body = body[:length]  # gunicorn never sends more than the declared length
        elif len(body) < length:
            keep_alive = False  # the client waits for bytes that never come: close
        start = [
            f"HTTP/1.1 {status}\r\n",
            f"Server: {SERVER}\r\n",
            f"Date: {self.http_date()}\r\n",
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n",
        ]
        return "".join(start + lines + ["\r\n"]).encode("latin-1") + body, keep_alive


__all__ = ["PlainRequest", "PlainResponder", "read_plain"]

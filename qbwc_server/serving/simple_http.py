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
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from gunicorn import SERVER
from gunicorn.http.message import _ip_in_allow_list
from gunicorn.http.wsgi import HEADER_VALUE_RE, STATUS_RE, FileWrapper, WSGIErrorsWrapper
from gunicorn.http.wsgi import base_environ as gunicorn_base_environ
from gunicorn.util import is_hoppish

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
        field = _HEADER.fullmatch(raw)
        if field is None:
            return None  # obs-fold, a space before the colon, a bad name or value
        name = field.group(1).decode("latin-1").upper()
        value = field.group(2).decode("latin-1")
        if "_" in name or name in _NOT_PLAIN:
            return None
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
            action = value.strip('"').rsplit("/", 1)[-1]
        headers.append((name, value))
    body = data[head_end + 4 :]
    if length is None or len(body) != length:
        return None
    path = line.group(1).decode("ascii")
    query = (line.group(2) or b"").decode("latin-1")
    return PlainRequest(path, query, headers, body, action)


class PlainResponder:
    """Builds environs and writes answers for plain requests, like gunicorn, for one worker."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.base = gunicorn_base_environ(cfg)
        self.base["wsgi.errors"] = WSGIErrorsWrapper(cfg)
        self.base["wsgi.file_wrapper"] = FileWrapper
        self.base["wsgi.multithread"] = True
        self._date = (0, "")

    def scheme(self, request: PlainRequest, client: Any) -> str | None:
        """``wsgi.url_scheme`` as gunicorn sets it; None when gunicorn would refuse."""
        scheme = "https" if self.cfg.is_ssl else "http"
        secure = self.cfg.secure_scheme_headers
        if not secure:
            return scheme
        peer = client[0] if isinstance(client, tuple) else None
        trusted = peer is None or _ip_in_allow_list(
            peer, self.cfg.forwarded_allow_ips, self.cfg.forwarded_allow_networks()
        )
        if not trusted:
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
        if not STATUS_RE.fullmatch(status):
            raise ValueError(f"invalid status {status!r}")
        lines: list[str] = []
        length: int | None = None
        for name, value in headers:
            if not _TOKEN.fullmatch(name) or not HEADER_VALUE_RE.fullmatch(value):
                raise ValueError(f"invalid response header {name!r}")
            value = value.strip(" \t")
            lower = name.lower()
            if lower == "content-length":
                length = int(value)
            elif is_hoppish(name):
                continue  # gunicorn drops them too (a "Connection: close" included)
            lines.append(f"{name}: {value}\r\n")
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

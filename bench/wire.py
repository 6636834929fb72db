"""The HTTP side of the fleet benchmarks: a keep-alive transport for the simulated Web Connector.

The real Web Connector is a .NET client: it keeps one HTTP/1.1 connection open and sends the
calls of a session one after the other on it. The simulator's default transport opens a new
connection per call (deterministic under injected faults); benchmarks of the idle poll and of a
fleet use :class:`KeepAliveTransport` instead, so the server is measured the way a Web
Connector really uses it. The request bytes are the simulator's own (``SoapClient`` builds the
envelopes; this class only carries them).
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

# (SOAP method, seconds, HTTP status or 0, error kind or "") of each call, as the client saw it.
Observer = Callable[[str, float, int, str], None]

# A kept-alive connection the server closed while it sat idle fails like this on the next send;
# the request never reached the application, so sending it again on a new connection is safe
# (.NET does the same). Anything else is reported to the caller as a transport error.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


def soap_method(headers: dict[str, str]) -> str:
    return headers.get("SOAPAction", "").strip('"').rsplit("/", 1)[-1]


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | http.client.RemoteDisconnected):
        return "reset"
    return type(exc).__name__


class KeepAliveTransport:
    """One persistent HTTP/1.1 connection to ``host:port``; reopened when the server closes it.

    A ``SoapClient`` transport: ``(path, body, headers) -> (status, content type, body)``.
    ``observer`` (optional) is told about every call, failures included.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 60.0,
        observer: Observer | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.observer = observer
        self.connects = 0
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        method = soap_method(headers)
        started = time.perf_counter()
        try:
            status, content_type, payload = self._exchange(path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            if self.observer is not None:
                self.observer(method, time.perf_counter() - started, 0, error_kind(exc))
            raise
        if self.observer is not None:
            kind = "" if status == 200 else f"http_{status}"
            self.observer(method, time.perf_counter() - started, status, kind)
        return status, content_type, payload

    def _exchange(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.connects += 1
            try:
                self._conn.request("POST", path, body=body, headers=headers)
                response = self._conn.getresponse()
                payload = response.read()
            except _STALE:
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            return response.status, response.getheader("Content-Type", ""), payload
        raise AssertionError("unreachable")


def benchmark_address(n: int) -> str:
    """The ``n``-th address of 198.18.0.0/15, the range set aside for benchmarks (RFC 2544):
    a client address written into X-Forwarded-For, never a destination."""
    n %= 2**17
    return f"198.{18 + n // 65536}.{n // 256 % 256}.{n % 256}"


class NewAddressEachSession:
    """Adds the ``X-Forwarded-For`` a reverse proxy in front of the server writes, with a new
    client address for every session (each ``serverVersion`` starts one): sessions as many
    different Web Connectors make them. The server must trust the proxy
    (``QBWC_TRUSTED_PROXIES=127.0.0.1``) to read it."""

    def __init__(self, inner: Callable[[str, bytes, dict[str, str]], tuple[int, str, bytes]]):
        self.inner = inner
        self.sessions = 0

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        if soap_method(headers) == "serverVersion":
            self.sessions += 1
        forwarded = {**headers, "X-Forwarded-For": benchmark_address(self.sessions)}
        return self.inner(path, body, forwarded)

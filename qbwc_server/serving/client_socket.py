"""A client connection whose reads and writes cannot wait forever.

gunicorn's threads read a request and write its answer on a blocking socket without a timeout:
a client that sends its headers and then stops (or reads nothing of a large answer) holds a
thread until it goes away (issue 9: 16 such connections made /healthz time out). The serving
worker (serving/worker.py) wraps each client socket in :class:`DeadlineSocket`:

* each read waits at most ``timeout`` seconds (QBWC_CLIENT_TIMEOUT_SECONDS);
* a whole request must arrive within ``timeout`` plus the time its bytes take at
  :data:`MIN_RATE` — a client trickling one byte per read cannot stretch a request forever,
  while a Web Connector sending a 64 MB page over a slow line is never cut off;
* each write may take ``timeout`` plus its bytes at :data:`MIN_RATE`.

Past a limit :class:`~qbwc_server.net.ClientTooSlow` is raised (a ``TimeoutError``): the SOAP
endpoint answers it with a 408 fault, gunicorn closes the connection.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from qbwc_server.net import ClientTooSlow

# 16 KiB/s (128 kbit/s): slower than any line a Web Connector syncs over, fast enough that
# holding every thread of a worker costs an attacker real bandwidth for as long as it lasts.
MIN_RATE = 16 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class DeadlineSocket:
    """A client socket (``raw``) with the read and write limits above; everything else is the
    socket's own. The timeout a caller sets (gunicorn bounds its body drain this way) still
    applies when it is shorter."""

    def __init__(self, raw: socket.socket, timeout: float, min_rate: float = MIN_RATE) -> None:
        self.raw = raw
        self.timeout = timeout
        self.min_rate = min_rate
        self.continue_sent = False  # the worker answered "Expect: 100-continue" already
        self._started = time.monotonic()
        self._received = 0
        self._requested: float | None = raw.gettimeout()

    def start_request(self, started: float, received: int) -> None:
        """A request began at ``started`` (monotonic) and ``received`` bytes of it are in."""
        self._started = started
        self._received = received

    def _read_wait(self) -> float:
        allowed = self._started + self.timeout + self._received / self.min_rate
        left = allowed - time.monotonic()
        if left <= 0:
            raise ClientTooSlow(
                f"the request did not arrive within {self.timeout:g} s "
                f"(+{self._received} bytes at {self.min_rate:g} bytes/s)"
            )
        wait = min(self.timeout, left)
        if self._requested is not None:
            wait = min(wait, self._requested)
        return wait

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self._requested == 0.0:  # non-blocking, as the caller asked
            return self.raw.recv(size, flags)
        self.raw.settimeout(self._read_wait())
        try:
            data = self.raw.recv(size, flags)
        except TimeoutError:
            raise ClientTooSlow(f"no data for {self.timeout:g} s") from None
        self._received += len(data)
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        data = self.recv(nbytes or len(buffer), flags)
        buffer[: len(data)] = data
        return len(data)

    def _write_timeout(self, size: int) -> float:
        return self.timeout + size / self.min_rate

    def sendall(self, data: bytes, flags: int = 0) -> None:
        if self._requested == 0.0:
            self.raw.sendall(data, flags)
            return
        self.raw.settimeout(self._write_timeout(len(data)))
        try:
            self.raw.sendall(data, flags)
        except TimeoutError:
            raise ClientTooSlow("the client did not read the answer") from None

    def send(self, data: bytes, flags: int = 0) -> int:
        if self.continue_sent and bytes(data) == CONTINUE:
            self.continue_sent = False  # gunicorn's own "100 Continue": sent already
            return len(data)
        if self._requested == 0.0:
            return self.raw.send(data, flags)
        self.raw.settimeout(self._write_timeout(len(data)))
        try:
            return self.raw.send(data, flags)
        except TimeoutError:
            raise ClientTooSlow("the client did not read the answer") from None

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self.raw.settimeout(self.timeout)  # each wait for the client to read
        try:
            return self.raw.sendfile(file, offset, count)
        except TimeoutError:
            raise ClientTooSlow("the client did not read the answer") from None

    def settimeout(self, value: float | None) -> None:
        self._requested = value
        self.raw.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._requested

    def setblocking(self, flag: bool) -> None:
        """As the socket's own, without its system call when the socket is in that mode
        already: CPython asks the kernel every time (``ioctl``), and the serving worker sets
        the mode several times per request. The socket's own ``gettimeout`` mirrors the mode
        it set (None: blocking, 0.0: non-blocking, else waits with a timeout)."""
        self._requested = None if flag else 0.0
        if self.raw.gettimeout() != self._requested:
            self.raw.setblocking(flag)

    def fileno(self) -> int:
        return self.raw.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


__all__ = ["CONTINUE", "MIN_RATE", "DeadlineSocket"]

"""The serving worker's event loop kept free: closing connections without waiting on them, and
gthread's per-round housekeeping done at most every :data:`HOUSEKEEPING_SECONDS`.

A mixin of :class:`~qbwc_server.serving.worker.SlowClientWorker` (issue 9 for the closing,
issue 13 for the housekeeping): everything here runs on the worker's event loop, so nothing
here may block.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from qbwc_server.serving.client_socket import DeadlineSocket

READ_SIZE = 64 * 1024
LINGER_SECONDS = 2.0  # a closed connection's unread request bytes are drained this long
LINGER_MAX_BYTES = 64 * 1024
# The event loop's housekeeping (heartbeat, expiring gathered requests) at most this often:
# gthread runs it after every round of events, several per request.
HOUSEKEEPING_SECONDS = 0.1


class LoopUpkeep(ThreadWorker):  # type: ignore[misc]
    """Lingering closes and throttled housekeeping; :meth:`_expire` is the worker's own
    (it also expires the requests its gate is gathering) and calls :meth:`_expire_lingering`."""

    _lingering: dict[socket.socket, list[float]]  # socket -> [until, drained]
    _next_housekeeping: float
    _next_heartbeat: float
    _next_parent_check: float

    def init_upkeep(self) -> None:
        self._lingering = {}
        self._next_housekeeping = self._next_heartbeat = self._next_parent_check = 0.0

    # --- closing without blocking the loop --------------------------------------------------------

    def finish_request(self, conn: Any, fs: Any) -> None:
        """A request whose connection does not stay open is closed by :meth:`_linger`.

        gthread closes it "gracefully" on its event loop: FIN, then up to 2 s of blocking reads
        until the client closes too. A client that never does froze the loop (and every other
        connection of the worker) for 2 s each time.
        """
        try:
            keep = fs.result() if not fs.cancelled() else False
        except Exception:
            keep = False
        if keep:
            super().finish_request(conn, fs)
            return
        self.nr_conns -= 1
        self._linger(conn.sock.raw if isinstance(conn.sock, DeadlineSocket) else conn.sock)

    def _linger(self, raw: socket.socket) -> None:
        """RFC 9112 9.6: half-close, drain what the client still sends, close when it closes
        or after :data:`LINGER_SECONDS` — all from the event loop, never waiting on it."""
        try:
            raw.shutdown(socket.SHUT_WR)
            raw.setblocking(False)
            self.poller.register(raw, selectors.EVENT_READ, self._drain)
        except (OSError, ValueError, KeyError):
            raw.close()
            return
        self._lingering[raw] = [time.monotonic() + LINGER_SECONDS, 0]

    def _drain(self, raw: socket.socket) -> None:
        try:
            data = raw.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        state = self._lingering.get(raw)
        if state is not None and data:
            state[1] += len(data)
            if state[1] < LINGER_MAX_BYTES:
                return
        self._unlinger(raw)

    def _unlinger(self, raw: socket.socket) -> None:
        self._lingering.pop(raw, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(raw)
        raw.close()

    def _expire_lingering(self, now: float) -> None:
        for raw in [raw for raw, state in self._lingering.items() if now > state[0]]:
            self._unlinger(raw)

    def _expire(self) -> None:
        self._expire_lingering(time.monotonic())

    def murder_pending(self) -> None:
        """Called by gthread's loop after every round of events (so several times per request
        when busy): expire the gate's requests too, at most :data:`HOUSEKEEPING_SECONDS` apart."""
        now = time.monotonic()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + HOUSEKEEPING_SECONDS
        super().murder_pending()
        self._expire()

    def is_parent_alive(self) -> bool:
        """gthread asks after every round of events (a system call); the answer can wait
        :data:`HOUSEKEEPING_SECONDS`."""
        now = time.monotonic()
        if now < self._next_parent_check:
            return True
        self._next_parent_check = now + HOUSEKEEPING_SECONDS
        return bool(super().is_parent_alive())

    def notify(self) -> None:
        """The heartbeat the arbiter watches (a file's time, one system call): gthread gives it
        after every round of events; once per :data:`HOUSEKEEPING_SECONDS` is as good for a
        worker timeout counted in seconds."""
        now = time.monotonic()
        if now < self._next_heartbeat:
            return
        self._next_heartbeat = now + HOUSEKEEPING_SECONDS
        super().notify()

"""Admission under overload (issue 13 item 4): a Web Connector that opens a session while the
server is saturated is told at once to come back later, instead of queueing until it times out.

Two places decide, both before any work is done:

- **The gunicorn worker** (:class:`AdmittingWorker`, gthread with one change). Requests wait in
  the worker's queue for a free thread. When the oldest waiting request has waited
  ``QUEUE_WAIT_SECONDS`` or more, or the queue is that long at the recent time per request,
  the worker is saturated: a request that opens a session (``serverVersion``,
  ``clientVersion``, ``authenticate``: told by its ``SOAPAction`` header, peeked from the socket
  without reading it) skips the queue and runs on a small "shed lane", where it is answered as
  written, without the database (authenticate ``none`` with a postpone, clientVersion ``""``);
  so is the closeConnection with the empty ticket that follows. Every other call, all of them
  inside a session already granted, queues
  as usual: a session in flight is never cut, and each of its calls is one transaction.
  New connections that arrive while saturated wait in the poller until their request is there,
  so it can be peeked too.
- **The SOAP service**, for authenticate (``soap/service.py``): the database pool has no free
  connection (:func:`pool_saturated`), or the transaction waits for a lock or a statement longer
  than :data:`LOCK_WAIT` / :data:`STATEMENT_WAIT` (PostgreSQL, :func:`bound_waits`), or the
  database cannot be reached: ``none`` with a postpone, and an unreachable database is noted
  for the company's status (``services/outages.py``).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import random
import re
import selectors
import socket
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from qbwc_server import __version__
from qbwc_server.services import outages

QUEUE_WAIT_SECONDS = 0.2  # the oldest queued request waited this long: saturated
SHED_LANE_THREADS = 2
SERVICE_SMOOTHING = 0.05  # weight of the newest request in the moving average
SESSION_OPENERS = frozenset({b"serverversion", b"clientversion", b"authenticate"})
_EMPTY_TICKET = re.compile(rb"<(?:[\w.-]+:)?ticket\s*/>|<(?:[\w.-]+:)?ticket\s*>\s*</")
PEEK_BYTES = 4096
# Postponed polls come back spread over this range, not all at the same second.
SHED_POSTPONE_SECONDS = (60, 180)
SHED_CLOSE = "The server is busy; the Web Connector tries again at its next scheduled run."
LOCK_WAIT = "250ms"  # authenticate waits at most this for a row or table lock (PostgreSQL)
STATEMENT_WAIT = "1s"  # and at most this for one statement
_BOUND_WAITS_SQL = (  # one statement; is_local = true: SET LOCAL, this transaction only
    f"select set_config('lock_timeout', '{LOCK_WAIT}', true), "
    f"set_config('statement_timeout', '{STATEMENT_WAIT}', true)"
)

UNAVAILABLE_POSTPONE_SECONDS = 300
BUSY_SQLSTATES = frozenset({"55P03", "57014"})  # lock_not_available, query_canceled
GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})  # shutdowns, cannot connect now

log = logging.getLogger(__name__)
_lane = threading.local()


def shedding() -> bool:
    """True on the shed lane: the server is saturated, answer without the database."""
    return bool(getattr(_lane, "shed", False))


def _mark_shed_lane() -> None:
    _lane.shed = True


def busy_answer() -> list[str]:
    """authenticate's answer when the server cannot take a session now (protocol doc §3.3):
    no ticket (QBWC's closeConnection with it is answered without a session), ``none``, and a
    postpone spread over a range so the postponed connectors do not return together."""
    return ["", "none", str(random.randint(*SHED_POSTPONE_SECONDS))]


def pool_saturated(engine: Engine) -> bool:
    """Every connection of the pool is in use (SQLAlchemy's QueuePool): a new unit of work
    would wait for one (up to the pool's 30 s timeout)."""
    pool: Any = engine.pool
    size, checkedout = getattr(pool, "size", None), getattr(pool, "checkedout", None)
    if size is None or checkedout is None:
        return False  # SQLite's pools: no fixed size
    overflow = max(0, int(getattr(pool, "_max_overflow", 0)))
    return bool(checkedout() >= size() + overflow)


def bound_waits(session: Session) -> None:
    """On PostgreSQL, this transaction gives up on a lock or a statement that takes too long
    (``SET LOCAL``: the transaction only, safe behind PgBouncer in transaction mode)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: one writer at a time, busy_timeout per connection
    session.connection().exec_driver_sql(_BOUND_WAITS_SQL)


def failure_kind(exc: BaseException) -> str:
    """``busy`` (a lock or statement waited too long, no pooled connection free),
    ``unavailable`` (the database cannot be reached) or ``error`` (anything else)."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "busy"  # the pool's checkout timeout
    if not isinstance(exc, sa_exc.DBAPIError):
        return "error"
    state = getattr(exc.orig, "sqlstate", None)
    if state in BUSY_SQLSTATES or "database is locked" in str(exc.orig):
        return "busy"
    if exc.connection_invalidated or (state or "").startswith("08") or state in GONE_SQLSTATES:
        return "unavailable"
    if state is None and isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return "unavailable"  # psycopg's connection failures carry no SQLSTATE
    return "error"


def failed_answer(exc: BaseException, username: str | None) -> list[str]:
    """authenticate's answer when its transaction failed: ``none`` with a postpone, always
    (never a fault: the Web Connector comes back later and nothing was half-done, the
    transaction rolled back). An unreachable database is noted for the company's status."""
    kind = failure_kind(exc)
    if kind == "busy":
        log.warning(
            "authenticate: the database is saturated (%s); answered none", exc.__class__.__name__
        )
        return busy_answer()
    if kind == "unavailable":
        log.warning("authenticate: the database is unavailable; answered none")
        outages.note_unavailable(username)
    else:
        log.exception("QBWC authenticate failed")
    return ["", "none", str(UNAVAILABLE_POSTPONE_SECONDS)]


_ENVELOPE = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<soap11env:Envelope xmlns:soap11env="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:tns="http://developer.intuit.com/"><soap11env:Body>'
    "<tns:{m}Response><tns:{m}Result>{result}</tns:{m}Result></tns:{m}Response>"
    "</soap11env:Body></soap11env:Envelope>"
)


def shed_response(action: str, postpone: int | None = None) -> bytes | None:
    """The answer to a session opener on the shed lane, written directly (byte for byte what
    spyne writes for the same values: ``tests/overload/test_admission.py``), so a saturated
    worker spends next to nothing on it: no XML parsing, no spyne. None for other methods."""
    method = action.strip().strip('"').rsplit("/", 1)[-1]
    if method == "authenticate":
        answer = busy_answer() if postpone is None else ["", "none", str(postpone)]
        result = "".join(f"<tns:string>{word}</tns:string>" for word in answer)
    elif method == "serverVersion":
        result = f"qbwc-server {__version__}"
    elif method == "clientVersion":
        result = ""  # continue: authenticate says "come back later"
    elif method == "closeConnection":
        result = SHED_CLOSE  # after a shed "none" (its ticket is empty)
    else:
        return None
    return _ENVELOPE.format(m=method, result=result).encode()


def sheddable(peeked: bytes) -> bool:
    """Whether a request (its head and the start of its body) may take the shed lane: it opens
    a session, or it is the closeConnection that follows a shed ``none`` (an empty ticket)."""
    action = soap_action(peeked)
    if action in SESSION_OPENERS:
        return True
    return action == b"closeconnection" and _EMPTY_TICKET.search(peeked) is not None


def soap_action(peeked: bytes) -> bytes | None:
    """The method named by the ``SOAPAction`` header of the request head in ``peeked``
    (``"http://developer.intuit.com/authenticate"`` → ``authenticate``), lower case."""
    head, _, _ = peeked.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"soapaction":
            return value.strip().strip(b'"').rsplit(b"/", 1)[-1].lower()
    return None


class AdmittingWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker with a shed lane for session openers when saturated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting: deque[float] = deque()  # enqueue times of requests not yet started
        self.service_seconds = 0.01  # a request's recent time on a thread (moving average)
        self.shed_lane: ThreadPoolExecutor | None = None

    def init_process(self) -> None:
        self.shed_lane = ThreadPoolExecutor(
            max_workers=SHED_LANE_THREADS,
            thread_name_prefix="qbwc-shed",
            initializer=_mark_shed_lane,
        )
        super().init_process()  # runs the worker until it stops

    def saturated(self) -> bool:
        """A request queued now would wait ``QUEUE_WAIT_SECONDS`` or more: the oldest one has
        waited that long already, or the queue is that long at the recent service time."""
        try:
            oldest = self.waiting[0]
        except IndexError:
            return False
        if time.monotonic() - oldest >= QUEUE_WAIT_SECONDS:
            return True
        expected = len(self.waiting) * self.service_seconds / max(1, self.cfg.threads)
        return expected >= QUEUE_WAIT_SECONDS

    def opens_session(self, conn: TConn) -> bool:
        if self.cfg.is_ssl or conn.sock is None:
            return False
        parser = conn.parser
        if parser is not None and parser.unreader.buf.getvalue():
            return False  # the next request is already read into the parser, not on the socket
        try:
            peeked = conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except OSError:
            return False
        return sheddable(peeked)

    def enqueue_req(self, conn: TConn) -> None:
        if self.shed_lane is not None and self.saturated() and self.opens_session(conn):
            fs: Future[Any] = self.shed_lane.submit(self.handle, conn)
        else:
            self.waiting.append(time.monotonic())
            fs = self.tpool.submit(self._handle_queued, conn)
        fs.add_done_callback(lambda fut: self.method_queue.defer(self.finish_request, conn, fut))

    def _handle_queued(self, conn: TConn) -> Any:
        # The pool takes requests in order (FIFO), so the oldest entry is this request's.
        with contextlib.suppress(IndexError):
            self.waiting.popleft()
        started = time.monotonic()
        try:
            return self.handle(conn)
        finally:
            # Moving average of a request's time on a thread (a float store is atomic).
            elapsed = time.monotonic() - started
            self.service_seconds += SERVICE_SMOOTHING * (elapsed - self.service_seconds)

    def accept(self, listener: socket.socket) -> None:
        if not self.saturated():
            super().accept(listener)
            return
        # Saturated: wait in the poller until the request is there, so it can be peeked.
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def run(self) -> None:
        try:
            super().run()
        finally:
            if self.shed_lane is not None:
                self.shed_lane.shutdown(wait=False)

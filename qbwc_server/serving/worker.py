"""The gunicorn worker of ``qbwc-server serve``: gthread, with slow clients kept off its threads.

gthread hands a connection to a thread as soon as its first bytes arrive; the thread then reads
the request on a blocking socket. A client that sends its headers and stalls mid-body held that
thread for good, and 16 of them (2 workers x 4 threads, twice over) made /healthz time out
(issue 9). This worker fixes that by itself, reverse proxy or not:

* **The gate** (the worker's event loop, no thread): a request's head and the first
  :data:`BODY_HELD` bytes of its body (all of it for any call but a live session's page, see
  below) are gathered from the non-blocking socket before a thread is given the request. A
  request not gathered within QBWC_CLIENT_TIMEOUT_SECONDS (plus its bytes at
  :data:`~qbwc_server.serving.client_socket.MIN_RATE`) is answered 408 and closed; a head over
  :data:`MAX_HEAD` bytes is answered 431. ``Expect: 100-continue`` is answered here.
* **In the thread**, the rest of a body is read through
  :class:`~qbwc_server.serving.client_socket.DeadlineSocket`: each read waits at most
  QBWC_CLIENT_TIMEOUT_SECONDS, the whole request gets that plus its bytes at the minimum rate.

:data:`BODY_HELD` is the SOAP reader's small-call cap plus one read block: a body longer than
that is read on only for a live Web Connector session's page (soap/envelope.py), so a stranger
can never make a thread wait for the network; a session that stalls holds one for at most the
client timeout. The gate holds at most :data:`GATE_MEMORY` bytes per worker; past that a
request goes to a thread as it is, where the deadlines still bound it.

It extends the overload worker (soap/admission.py, issue 13): a gathered request goes on to its
decision, the shed lane or the queue.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import selectors
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from qbwc_server.loop_reads import NotOnLoop
from qbwc_server.net import ClientTooSlow
from qbwc_server.observability.http_logging import after_response_pending
from qbwc_server.serving.client_socket import CONTINUE, MIN_RATE, DeadlineSocket
from qbwc_server.serving.loop_upkeep import READ_SIZE, LoopUpkeep
from qbwc_server.serving.request_head import BODY_HELD, MAX_HEAD, Head, read_head
from qbwc_server.serving.simple_http import PlainRequest, PlainResponder, read_plain
from qbwc_server.soap.admission import AdmittingWorker, sheddable
from qbwc_server.soap.idle_lane import EVENT_LOOP_KEY, NO_DATABASE_METHODS

log = logging.getLogger("qbwc.serve")

GATE_MEMORY = 32 * 1024 * 1024  # bytes the gate holds per worker, all connections together
DRAIN_SECONDS = 0.1  # an answered request's unread body is drained this long before closing
DEFAULT_CLIENT_TIMEOUT = 30.0
GC_YOUNG_THRESHOLD = 10_000  # allocations between collections of the youngest generation
# Calls the application may answer on the event loop (soap/wsgi.py answers_at_once): no
# database, or authenticate's one bounded read on the loop's own connection (loop_reads.py).
AT_ONCE_CANDIDATES = NO_DATABASE_METHODS | {"closeConnection", "authenticate"}


@dataclass
class _Gathering:
    """A request being gathered by the gate."""

    conn: Any  # gunicorn's TConn
    started: float
    data: bytearray = field(default_factory=bytearray)
    need: int | None = None  # head + body bytes to hold; None until the head is complete
    head: Head | None = None
    registered: bool = False

    def complete(self) -> bool:
        if self.need is None:
            end = self.data.find(b"\r\n\r\n")
            if end < 0:
                return False
            self.head = read_head(bytes(self.data[:end]))
            self.need = end + 4 + self.head.body_held
        if self.head is not None and self.head.chunked and self.data.endswith(b"0\r\n\r\n"):
            return True
        return len(self.data) >= self.need


def _plain_answer(status: str, text: str) -> bytes:
    body = text.encode()
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n\r\n"
    ).encode() + body


class SlowClientWorker(LoopUpkeep, AdmittingWorker):  # type: ignore[misc]
    """gthread with the overload shed lane (soap/admission.py), the gate in front of its threads
    and deadlines in them (module docstring). A request reaches the admission decision gathered,
    so whether it opens a session is read from what the gate holds."""

    def init_process(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("qbwc-server serves plain HTTP: TLS belongs to the reverse proxy")
        settings = getattr(self.app, "settings", None)
        self.client_timeout = float(
            getattr(settings, "client_timeout_seconds", DEFAULT_CLIENT_TIMEOUT)
        )
        self._gathering: dict[int, _Gathering] = {}
        self._held = 0
        self.init_upkeep()
        self._plain = PlainResponder(self.cfg)
        super().init_process()

    def load_wsgi(self) -> None:
        """Load the application, then keep what it built at start out of the garbage collector's
        way: ``gc.freeze()`` moves every object alive now (modules, the SQLAlchemy and spyne
        machinery, the compiled statements) to a permanent generation, so the collections a
        request's allocations set off only walk what requests made; the first generation is
        collected every :data:`GC_YOUNG_THRESHOLD` allocations instead of 700 (a request makes
        thousands; short-lived cycles wait a little longer, memory stays bounded)."""
        super().load_wsgi()
        serve_from_loop = getattr(self.wsgi, "serve_from_event_loop", None)
        if serve_from_loop is not None:
            serve_from_loop()  # authenticate's read may run on this loop (loop_reads.py)
        gc.collect()
        gc.freeze()
        _young, middle, old = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)

    # --- the gate (event loop) ----------------------------------------------------------------

    def enqueue_req(self, conn: Any) -> None:
        """Every way a request reaches a thread (a new connection, bytes read ahead, a
        kept-alive connection that became readable: :meth:`on_client_socket_readable`) passes
        the gate first."""
        self._gather(conn, registered=False)

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        """A kept-alive connection sent its next request. gthread takes it off the poller
        first; here it stays registered while the gate reads it, and a request answered on the
        loop keeps it there (:meth:`_answer_on_loop`): an idle poll's call costs no
        ``epoll_ctl`` and none of the selector's bookkeeping. It leaves the poller only when
        its request goes to a thread or it closes (:meth:`_forget`)."""
        self.keepalived_conns.remove(conn)
        self._gather(conn, registered=True)

    def _gather(self, conn: Any, registered: bool) -> None:
        """``registered``: the connection's socket is on the poller already."""
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock, self.client_timeout)
        conn.sock.setblocking(False)  # no system call when it is already (client_socket.py)
        job = _Gathering(conn, time.monotonic(), registered=registered)
        if conn.parser is not None:  # a kept-alive connection: what gunicorn read ahead
            job.data += conn.parser.unreader.take_buffered()
            self._held += len(job.data)
        self._gathering[id(conn)] = job
        if job.data and job.complete():
            self._to_thread(job)
            return
        if conn.initialized or getattr(conn, "qbwc_answered", False):
            # A kept-alive connection the poller found readable: its request is most likely
            # here already. Reading it now saves a round of the event loop (a register, a
            # select and an unregister) per request.
            self._readable(job, None)
            if id(conn) not in self._gathering:
                return  # handed to a thread, answered or closed
        gathering = partial(self._readable, job)
        if job.registered:
            # The same events, another callback: the selector only swaps its record.
            self.poller.modify(conn.sock, selectors.EVENT_READ, gathering)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, gathering)
            job.registered = True

    def opens_session(self, conn: Any) -> bool:
        gathered = getattr(conn, "qbwc_gathered", None)
        if gathered is None:
            return False
        return sheddable(gathered[0])

    def _readable(self, job: _Gathering, _fileobj: Any) -> None:
        try:
            data = job.conn.sock.raw.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._close(job)
            return
        job.data += data
        self._held += len(data)
        if job.need is None and len(job.data) > MAX_HEAD and job.data.find(b"\r\n\r\n") < 0:
            self._answer_and_close(job, "431 Request Header Fields Too Large", "Headers too large.")
            return
        if job.complete() or self._held > GATE_MEMORY:
            self._to_thread(job)
            return
        if job.head is not None and job.head.expect_continue and not job.conn.sock.continue_sent:
            try:
                job.conn.sock.raw.send(CONTINUE)  # 25 bytes into an empty send buffer
                job.conn.sock.continue_sent = True
            except OSError:
                pass  # the client sends its body after its own short wait anyway

    def _forget(self, job: _Gathering) -> None:
        if job.registered:
            self.poller.unregister(job.conn.sock)
            job.registered = False
        self._gathering.pop(id(job.conn), None)
        self._held -= len(job.data)

    def _to_thread(self, job: _Gathering) -> None:
        data = bytes(job.data)
        plain = read_plain(data) if job.head is not None and not job.head.chunked else None
        if plain is not None and self._alive() and self._answers_at_once(plain):
            registered, job.registered = job.registered, False  # it stays on the poller
            self._forget(job)
            if self._answer_on_loop(job.conn, plain, registered):  # no thread
                return
            # The application sent it to a thread after all (loop_reads.NotOnLoop): nothing
            # was answered; the request goes on as any other.
            if registered:
                self.poller.unregister(job.conn.sock)
        else:
            self._forget(job)
        job.conn.qbwc_gathered = (data, job.started, plain)
        super().enqueue_req(job.conn)

    # --- plain requests (serving/simple_http.py) --------------------------------------------------

    def _answers_at_once(self, plain: PlainRequest) -> bool:
        """The application says the call waits for nothing (QbwcApp.answers_at_once)."""
        if plain.soap_action not in AT_ONCE_CANDIDATES:
            return False
        check = getattr(self.wsgi, "answers_at_once", None)
        return bool(check is not None and check(plain.path, plain.soap_action, plain.body))

    def _alive(self) -> bool:
        return bool(getattr(self, "alive", False))

    def _serve_plain(self, conn: Any, plain: PlainRequest, scheme: str, on_loop: bool) -> bool:
        """Run the application for a plain request and send its answer in one write; whether
        the connection stays open. What gunicorn's handle_request does, minus its parsing."""
        self.nr += 1
        alive = self._alive()
        keep = bool(alive and self.cfg.keepalive)
        keep = keep and len(self.keepalived_conns) < self.max_keepalived
        if self.nr >= self.max_requests and alive:
            self.log.info("Autorestarting worker after current request.")
            self.alive = keep = False
        environ = self._plain.environ(plain, scheme, conn.client, conn.server, conn.sock)
        if on_loop:
            environ[EVENT_LOOP_KEY] = True
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, list(headers)]
            return chunks.append

        try:
            result = self.wsgi(environ, start_response)
        except NotOnLoop:
            self.nr -= 1  # not served here: the thread that takes it over counts it
            raise
        try:
            chunks.extend(result)
            if not started:
                raise RuntimeError("the application returned without start_response")
            payload, keep = self._plain.answer(started[0], started[1], b"".join(chunks), keep)
            self._send(conn, payload, on_loop)
        finally:
            # After the answer has left: the request's after-response work (the audit trail's
            # writes and its retention pass) runs here, as under gunicorn, without making the
            # client wait — on a thread, never on the event loop (it may wait for the database).
            # Without such work (the idle poll's calls, but for the minute's retention pass)
            # what is left is the access line: written here, sparing a thread hand-off.
            close = getattr(result, "close", None)
            if close is not None:
                if not on_loop:
                    close()
                elif self.tpool is not None and after_response_pending(environ):
                    self.tpool.submit(_quietly, close)
                else:
                    _quietly(close)
        return keep

    def _send(self, conn: Any, payload: bytes, on_loop: bool) -> None:
        if not on_loop:
            conn.sock.sendall(payload)  # the thread's write deadline (client_socket.py)
            return
        raw = conn.sock.raw
        sent = raw.send(payload)  # a small answer into an empty send buffer: all of it
        if sent < len(payload):
            raw.settimeout(1.0)  # never in practice; bounded if ever
            try:
                raw.sendall(payload[sent:])
            finally:
                raw.setblocking(False)

    def _answer_on_loop(self, conn: Any, plain: PlainRequest, registered: bool = False) -> bool:
        """serverVersion, clientVersion and the closeConnection of a signed ``none`` ticket
        touch neither the database nor the network beyond this socket (soap/idle_lane.py);
        authenticate's one read is bounded on the loop's own connection (loop_reads.py): all
        answered here, on the event loop, without a thread. The SOAP endpoint checks the
        parsed body once more (``EVENT_LOOP_KEY``), so nothing that waits can run on the loop.
        ``registered``: the socket is on the poller (a kept-alive connection); it stays there
        if the connection is kept, and leaves before it is closed. False, with nothing sent
        and the connection as it was, when the application says the call belongs on a thread
        (authenticate, loop_reads.py)."""
        scheme = self._plain.scheme(plain, conn.client)
        keep = False
        try:
            if scheme is not None:
                conn.sock.start_request(time.monotonic(), len(plain.body))
                keep = self._serve_plain(conn, plain, scheme, on_loop=True)
            else:
                # gunicorn answers 400 to contradictory scheme headers; so do we, and close.
                self._send(conn, _plain_answer("400 Bad Request", "Bad request."), True)
        except NotOnLoop:
            return False
        except OSError:
            keep = False  # the client went away
        except Exception as exc:
            self.log.exception("Error handling request")
            with contextlib.suppress(Exception):
                self.handle_error(None, conn.sock, conn.client, exc)
            keep = False
        conn.qbwc_answered = True
        if keep and self._alive():
            conn.sock.setblocking(False)
            conn.set_timeout()
            self.keepalived_conns.append(conn)
            waiting = partial(self.on_client_socket_readable, conn)
            if registered:
                self.poller.modify(conn.sock, selectors.EVENT_READ, waiting)  # no system call
            else:
                self.poller.register(conn.sock, selectors.EVENT_READ, waiting)
            return True
        if registered:
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        self._linger(conn.sock.raw)
        return True

    def _close(self, job: _Gathering, answer: bytes = b"") -> None:
        self._forget(job)
        self.nr_conns -= 1
        raw = job.conn.sock.raw
        if not answer:
            raw.close()
            return
        with contextlib.suppress(OSError):
            raw.send(answer)  # a short answer into an empty send buffer
        self._linger(raw)

    def _answer_and_close(self, job: _Gathering, status: str, text: str) -> None:
        self._close(job, _plain_answer(status, text))

    # --- deadlines ----------------------------------------------------------------------------

    def _expire(self) -> None:
        now = time.monotonic()
        self._expire_lingering(now)
        late = [
            job
            for job in self._gathering.values()
            if now > job.started + self.client_timeout + len(job.data) / MIN_RATE
        ]
        for job in late:
            if job.data.strip():
                text = f"The request did not arrive within {self.client_timeout:g} seconds."
                self._answer_and_close(job, "408 Request Timeout", text)
            else:
                self._close(job)  # connected and sent nothing
        if late:
            log.info(
                "closed %d connection(s) whose request did not arrive within %g s "
                "(QBWC_CLIENT_TIMEOUT_SECONDS)",
                len(late),
                self.client_timeout,
            )

    # --- the thread ---------------------------------------------------------------------------

    def handle(self, conn: Any) -> Any:
        data, started, plain = conn.qbwc_gathered
        conn.qbwc_gathered = None
        conn.data_ready = True  # gthread must not wait for data: the gate has it
        conn.sock.start_request(started, len(data))
        if data:
            conn.sock.setblocking(True)
            conn.init()
            scheme = None if plain is None else self._plain.scheme(plain, conn.client)
            if plain is not None and scheme is not None:
                try:
                    return self._serve_plain(conn, plain, scheme, on_loop=False)
                except ClientTooSlow as exc:
                    log.info("closed a connection from a client too slow: %s", exc)
                    return False
                except OSError:
                    return False  # the client went away
                except Exception as exc:
                    self.handle_error(None, conn.sock, conn.client, exc)
                    return False
            conn.parser.unreader.unread(data)
        return super().handle(conn)

    def _keepalive_after(self, conn: Any, keepalive: bool) -> bool:
        """Keep the connection only if what is left of the request body is already here.

        gthread waits up to 5 s in the thread for the rest of a body the app did not read (a
        refused request): a stranger refused at the small-call cap held the thread that long.
        Unread bytes still coming are drained by :meth:`_linger` on the event loop instead.
        """
        if not keepalive:
            return False
        return bool(conn.parser.finish_body(deadline=time.monotonic() + DRAIN_SECONDS))

    def handle_request(self, req: Any, conn: Any) -> Any:
        try:
            return super().handle_request(req, conn)
        except ClientTooSlow as exc:
            # Body or answer stalled where the app did not answer it itself: close quietly.
            log.info("closed a connection from a client too slow: %s", exc)
            raise StopIteration from None


def _quietly(work: Any) -> None:
    try:
        work()
    except Exception:
        log.exception("after-response work failed")


__all__ = ["BODY_HELD", "MAX_HEAD", "Head", "SlowClientWorker", "read_head"]

"""The idle poll's one read on a serving worker's event loop (issue 13).

Most authenticate calls at scale find nothing due and write nothing: one indexed read decides
them (engine/authenticate.py ``answer_without_writes``). Sent to a request thread, such a call
cost the hand-over both ways (a future, a pipe to wake the loop, the poller's bookkeeping, the
GIL passed between two threads) on top of its work. :class:`LoopReads` lets the worker's event
loop make that read itself, on a connection of its own, and only while nothing can make it
wait:

- **Its own connection**, one per worker process, made on a request thread
  (:meth:`LoopReads.warm`), never on the loop: connecting can wait for seconds. Only in a
  serving worker, which says so at start (:meth:`LoopReads.want`): the app run in-process
  makes none.
- **Bounded on both sides**: the server gives up after :data:`LOCK_MILLISECONDS` waiting for a
  lock and :data:`STATEMENT_MILLISECONDS` in all (``lock_timeout``, ``statement_timeout``); the
  client stops waiting for the answer after :data:`WAIT_SECONDS` (``READ_DEADLINE``, read by
  engine/prepared_read.py), and closes the connection.
- **Any trouble sends the call to a thread**: a read that fails or passes its deadline, or a
  poll that needs a write (a wrong key to count, the minute's contact to note, a session to
  open), raises :class:`NotOnLoop` before anything was answered; the worker hands the same
  request to a request thread, which answers it the way it always has (retries, the overload
  answers, the outage in the company's status). A failed read also closes the loop's door for
  :data:`COOLDOWN_SECONDS`, until a request thread has connected again: a locked table or a
  database that went away costs the loop one bounded wait, not one per call.

Only for PostgreSQL reached directly (the quick engine's connections, db.py): not behind
PgBouncer, and not on SQLite (a reader there waits on the writer's lock for its busy timeout).
``qbwc_event_loop_reads_total{outcome}`` counts what became of each attempt (soap/calls.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

T = TypeVar("T")
log = logging.getLogger("qbwc.serve")

LOCK_MILLISECONDS = 20
STATEMENT_MILLISECONDS = 50
# The client's own bound: the server's timeouts cannot help when the server or the network
# stopped answering altogether.
WAIT_SECONDS = 0.1
COOLDOWN_SECONDS = 5.0
LOOP_READ_OPTIONS = (
    f"-c statement_timeout={STATEMENT_MILLISECONDS} -c lock_timeout={LOCK_MILLISECONDS}"
)

# When set (a time.monotonic() value), a driver read stops waiting for its answer then
# (engine/prepared_read.py) instead of waiting as long as the database takes.
READ_DEADLINE: ContextVar[float | None] = ContextVar("qbwc_read_deadline", default=None)


class NotOnLoop(Exception):
    """This call must be answered on a request thread: nothing of it was answered yet.
    ``reason``: why (``qbwc_event_loop_reads_total``'s outcome: unavailable, failed,
    needs_thread; the caller counts it)."""

    def __init__(self, reason: str = "needs_thread") -> None:
        super().__init__(reason)
        self.reason = reason


class LoopReads:
    """The event loop's read connection of one worker process, and whether it may be used.

    The connection stays checked out of its one-connection pool between reads (the loop is its
    only user, one read at a time): a checkout and a check-in per read cost a tenth of it."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            hide_parameters=True,
            pool_size=1,
            max_overflow=0,
            connect_args={"options": LOOP_READ_OPTIONS},
        )
        self._conn: Connection | None = None  # made by a thread; the loop's while it is set
        self._retry_at = 0.0  # no new connection before this (time.monotonic())
        self._warming = threading.Lock()
        self._wanted = False  # a serving worker's event loop will read: :meth:`want`

    def want(self) -> None:
        """A serving worker runs this process: its event loop will read, so request threads
        connect for it (:meth:`warm`). Elsewhere (the app in-process, tests, benchmarks) no
        connection is made for a loop that does not exist."""
        self._wanted = True

    def available(self) -> bool:
        """Whether a read may run on the loop now: its connection is made (so the loop never
        connects) and the last read went well."""
        return self._conn is not None

    def read(self, work: Callable[[Connection], T | None]) -> T:
        """``work``'s answer, read on the loop; :class:`NotOnLoop` when it must go to a
        thread (``work`` answered None: a write is needed; the read failed or waited too
        long; no connection is ready)."""
        conn = self._conn
        if conn is None:
            raise NotOnLoop("unavailable")
        token = READ_DEADLINE.set(time.monotonic() + WAIT_SECONDS)
        try:
            answer = work(conn)
        except Exception as exc:
            self.close()
            # The error's kind only: a driver message may quote the statement.
            cause = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
            log.warning(
                "authenticate's reads on the event loop paused for %g s (%s); request threads "
                "answer meanwhile",
                COOLDOWN_SECONDS,
                type(cause).__name__,
            )
            raise NotOnLoop("failed") from exc
        finally:
            READ_DEADLINE.reset(token)
        if answer is None:
            raise NotOnLoop("needs_thread")
        return answer

    def close(self, cooldown: float = COOLDOWN_SECONDS) -> None:
        """No more reads on the loop until a thread connects again, after ``cooldown``."""
        conn, self._conn = self._conn, None
        self._retry_at = time.monotonic() + cooldown
        with contextlib.suppress(Exception):
            if conn is not None:
                conn.invalidate()  # a socket close, no wait: nothing goes back to the pool
            self.engine.dispose()

    def warm(self) -> None:
        """On a request thread: connect the loop's connection if it has none and the cooldown
        has passed (one thread at a time; the others go on at once)."""
        if not self._wanted or self._conn is not None or time.monotonic() < self._retry_at:
            return
        if not self._warming.acquire(blocking=False):
            return
        try:
            conn = self.engine.connect()
            try:
                conn.exec_driver_sql("select 1")
                conn.commit()  # SQLAlchemy's own begin ends here; autocommit sent none
            except Exception:
                conn.invalidate()
                raise
            self._conn = conn
        except Exception:
            self._retry_at = time.monotonic() + COOLDOWN_SECONDS
        finally:
            self._warming.release()

    def dispose(self) -> None:
        self.close(cooldown=0.0)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Driver reads inside stop waiting for their answer after ``seconds`` (tests)."""
    token = READ_DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        READ_DEADLINE.reset(token)


def loop_reads_for(database_url: str, behind_pgbouncer: bool) -> LoopReads | None:
    """The loop's reads where they can be had: PostgreSQL reached directly."""
    if not database_url.startswith("postgres") or behind_pgbouncer:
        return None
    return LoopReads(database_url)


__all__ = [
    "READ_DEADLINE",
    "LoopReads",
    "NotOnLoop",
    "deadline",
    "loop_reads_for",
]

"""What a step of the read sync is (the QbSync pattern: one class per step, registered in order).

A step builds its next request and handles the answer to it. The planner (``sync/planner.py``)
walks the session's work order (``sync/steps/__init__.py``): it asks the first step for a
request, and when the step has nothing (more) to ask in this session it goes to the next. An
answer comes back to the step named in the request's meta (``meta["stream"]``), inside the
transaction of the receiveResponseXML call that carried it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from models import StreamCursor
from qbwc_server.qbxml.parse import QbxmlParseError, carries_records
from qbwc_server.records.types import RecordError
from qbwc_server.sync.run import Outbound, SyncRun, UnexpectedResponse


class Step(ABC):
    name: str  # its place in the session's queue; also meta["stream"] of its requests
    # Whether its request may be built before the answers to the requests before it are in
    # (to share their message set: sync/batch.py). Only for steps that do not read them.
    asked_ahead: bool = False

    @abstractmethod
    def request(self, run: SyncRun) -> Outbound | None:
        """The next request, or None when this step has nothing (more) to ask this session."""

    @abstractmethod
    def on_response(self, run: SyncRun, meta: dict[str, Any], response: str) -> None:
        """QuickBooks answered the request described by ``meta``."""

    def idle(self, run: SyncRun) -> bool:
        """Whether the step has nothing to ask this session, known without building a request:
        the planner drops it after the answer before it (``Planner.drop_idle``), so that
        answer can end the session instead of a request sent only to end it."""
        return False

    def on_hresult(self, run: SyncRun, meta: dict[str, Any], hresult: str, message: str) -> None:
        """The request processor threw instead of answering (§3.5, §5): nothing was read.
        By default the step is done for this session and tries again at the next."""
        run.finish(self.name)


class CursorStep(Step):
    """A step with a persisted cursor (a data stream, a deletion sweep): an answer is taken in
    a savepoint, so a page that cannot be read or stored leaves nothing half-written and
    becomes the stream's error; the stream tries again at a later session."""

    def on_response(self, run: SyncRun, meta: dict[str, Any], response: str) -> None:
        cursor = run.cursor(self.name)
        try:
            if self.needs_savepoint(meta, response):
                with run.session.begin_nested():
                    # Inside the savepoint, so the cursor's answered mark and the page's move
                    # of it are one UPDATE (begin_nested flushes what is dirty when it starts);
                    # a page that fails rolls the mark back with it, and it is made again below.
                    self.answered(run, cursor)
                    self.take(run, cursor, meta, response)
            else:
                self.answered(run, cursor)
                self.take(run, cursor, meta, response)
        except QbxmlParseError as exc:
            self.answered(run, cursor)
            if not self.smaller(run, cursor, f"a page could not be read ({exc})"):
                run.stream_error(cursor, f"QuickBooks sent a response we could not read: {exc}")
        except UnexpectedResponse as exc:
            self.answered(run, cursor)
            run.stream_error(cursor, str(exc))
        except RecordError as exc:
            self.answered(run, cursor)
            run.stream_error(cursor, f"A record from QuickBooks could not be stored: {exc}")

    def on_hresult(self, run: SyncRun, meta: dict[str, Any], hresult: str, message: str) -> None:
        # §5: 0x80040400 means the request itself is wrong: never resend it unchanged (qbwc/qbwc
        # #53); the stream is retried at a later session, with a smaller page where it has
        # pages (QuickBooks also fails this way on a page too big to build).
        cursor = run.cursor(self.name)
        self.answered(run, cursor)
        text = f"QuickBooks rejected the request ({hresult}): {message}".strip()
        self.smaller(run, cursor, f"QuickBooks could not answer a page ({hresult})")
        run.stream_error(cursor, text)

    def answered(self, run: SyncRun, cursor: StreamCursor) -> None:
        """An answer (or an HRESULT) came for the step's request."""

    def needs_savepoint(self, meta: dict[str, Any], response: str) -> bool:
        """Whether the answer is taken in a savepoint. An answer that holds no record
        (:func:`~qbwc_server.qbxml.parse.carries_records`) writes nothing but this step's
        cursor, and ``take`` raises the errors caught above only while it reads the answer,
        before it moves the cursor: the outcome is the savepoint's without its SAVEPOINT,
        RELEASE and two flushes. Most parts of an incremental session's batch are such
        answers ("no match"), and those statements were most of the session's cost."""
        return carries_records(response)

    def smaller(self, run: SyncRun, cursor: StreamCursor, why: str) -> bool:
        """Make the next request smaller (True), when the step has pages."""
        return False

    @abstractmethod
    def take(self, run: SyncRun, cursor: StreamCursor, meta: dict[str, Any], response: str) -> None:
        """Store what the answer carries and move the cursor (inside the savepoint)."""

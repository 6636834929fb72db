"""One SOAP call's view of the read sync: what every step (``sync/steps/``) works with.

A :class:`SyncRun` lives for one SOAP call, inside its transaction: the company, the session's
typed state, the company's stream cursors (each read at most once per call: the company row is
locked for the whole call, so nothing else changes them; a call paging one stream reads that
stream's cursor alone, not the twenty-odd of the company), and the bookkeeping the steps share
— ending a step for the session, recording a stream's error, counting progress.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from models import Company, StreamCursor, utcnow
from qbwc_server.config import SyncTuning
from qbwc_server.qbxml.other_queries import ListDeletedQuery, TxnDeletedQuery
from qbwc_server.qbxml.parse import ResponseStart, ResponseStatus
from qbwc_server.qbxml.queries import ListQuery, TxnQuery
from qbwc_server.qbxml.query_specs import Iterator as IteratorStep
from qbwc_server.qbxml.status import StatusPolicy, bookkeeper_message, classify
from qbwc_server.records import vendor_balances
from qbwc_server.records.queries import read_document
from qbwc_server.records.record_type import RecordType
from qbwc_server.records.types import RECORD_TYPES
from qbwc_server.sync.cursors import get_cursor, load_cursor, load_cursors, new_cursor
from qbwc_server.sync.progress import history_start
from qbwc_server.sync.state import LiveIterator, SessionState, editing_extra

log = logging.getLogger(__name__)

# A request for the Web Connector: the qbXML and its meta, which comes back with the answer.
Outbound = tuple[str, dict[str, Any]]

ANSWERED = (StatusPolicy.SUCCESS, StatusPolicy.EMPTY_SUCCESS, StatusPolicy.WARNING)


class UnexpectedResponse(Exception):
    """The response does not answer the request we sent (lost or crossed messages, §2)."""


def check_start(event: ResponseStart, meta: dict[str, Any]) -> None:
    rid = meta.get("rid")
    if event.status.request_id != rid:
        raise UnexpectedResponse(
            f"QuickBooks answered request {event.status.request_id!r} while {rid!r} was "
            "expected; the page was ignored and will be asked again."
        )


def preference_on(company: Company, flag: str | None) -> bool:
    if flag is None:
        return True
    value = (company.qb_preferences or {}).get(flag)
    # Unknown (older HCP without the flag): ask, and let a 3250 answer skip it.
    return value is None or bool(value)


class SyncRun:
    def __init__(
        self,
        session: Session,
        company: Company,
        state: SessionState,
        version: str,
        tuning: SyncTuning,
    ) -> None:
        self.session = session
        self.company = company
        self.state = state  # mutated in place; the driver saves it
        self.version = version
        self.tuning = tuning
        self._loaded: dict[str, StreamCursor] | None = None  # every cursor, once asked for
        self._read: dict[str, StreamCursor | None] = {}  # those read one by one before that

    # --- cursors ------------------------------------------------------------------------------
    def cursors(self) -> dict[str, StreamCursor]:
        """Every stream cursor of the company, by stream name (one query per SOAP call; those
        read one by one before are the same objects, the session's identity map)."""
        self._forget_estimate(None)
        return self._all()

    def _all(self) -> dict[str, StreamCursor]:
        if self._loaded is None:
            self._loaded = load_cursors(self.session, self.company.id)
        return self._loaded

    def existing(self, name: str) -> StreamCursor | None:
        """The stream's cursor if it has one: a data stream's is read alone (unless all were
        read); the other steps' (deletion sweeps) read the others' too, so all are read."""
        self._forget_estimate(name)
        if self._loaded is not None or name not in RECORD_TYPES:
            return self._all().get(name)
        if name not in self._read:
            self._read[name] = load_cursor(self.session, self.company.id, name)
        return self._read[name]

    def _forget_estimate(self, name: str | None) -> None:
        """A cursor is looked at (``None``: all of them), to be read or changed: the progress
        estimate that counted it may no longer hold (sync/planner.py ``_later_remaining``)."""
        kept = self.state.later_estimate
        if kept is not None and (name is None or name in kept[0]):
            self.state.later_estimate = None

    def read_ahead(self, names: list[str]) -> None:
        """About to look at the cursors of ``names``: when more than one of them is not read
        yet, every cursor is read now in one statement instead of one statement each (an
        incremental session's progress looks at every queued stream)."""
        if self._loaded is not None:
            return
        unread = [n for n in names if n in RECORD_TYPES and n not in self._read]
        if len(unread) > 1:
            self._all()

    def cursor(self, name: str) -> StreamCursor:
        """The stream's cursor, created on first use."""
        cursor = self.existing(name)
        if cursor is None:
            # Not among the company's cursors read in this call (under the company's row
            # lock): the stream has none yet.
            cursor = self._keep(name, new_cursor(self.session, self.company.id, name))
        elif inspect(cursor).detached or inspect(cursor).transient:
            # A cursor created inside a savepoint that was rolled back is gone: read it again.
            cursor = self._keep(name, get_cursor(self.session, self.company.id, name))
        return cursor

    def _keep(self, name: str, cursor: StreamCursor) -> StreamCursor:
        if self._loaded is not None:
            self._loaded[name] = cursor
        else:
            self._read[name] = cursor
        return cursor

    def history_start(self) -> str | None:
        return history_start(self.company)

    # --- the session's work -------------------------------------------------------------------
    def finish(self, name: str) -> None:
        """Step ``name`` has nothing more to do in this session."""
        if self.state.queue is not None and name in self.state.queue:
            self.state.queue.remove(name)
        self.state.live = None

    def count(self, records: int) -> None:
        self.state.processed += records

    def document(self, queries: Sequence[ListQuery | TxnQuery]) -> str:
        return read_document(queries, self.version)

    def deleted_document(self, query: ListDeletedQuery | TxnDeletedQuery) -> str:
        return read_document([query], self.version)  # type: ignore[list-item]

    def mark_vendors(self, vendor_ids: set[str]) -> None:
        """Vendors whose Balance the stored transactions moved: re-read them at the end of the
        session (records/vendor_balances.py)."""
        started = self.state.started_at
        since = datetime.fromisoformat(started) if isinstance(started, str) else utcnow()
        vendor_balances.mark(self.session, self.company.id, vendor_ids, since)

    # --- iterators (§6.4) ---------------------------------------------------------------------
    def iterator_for(
        self, rt: RecordType, cursor: StreamCursor, pass_kind: str
    ) -> tuple[IteratorStep | None, str | None]:
        """Continue the live iterator of this window in this session, or start a new one."""
        if not rt.iterator:
            return None, None
        live = self.state.live
        if (
            live is not None
            and live.stream == rt.name
            and live.pass_kind == pass_kind
            and live.window == [cursor.window_from, cursor.window_to]
        ):
            return "Continue", live.id
        self.state.live = None
        return "Start", None

    def keep_iterator(self, rt: RecordType, cursor: StreamCursor, pass_kind: str, id: str) -> None:
        self.state.live = LiveIterator(
            rt.name, pass_kind, id, [cursor.window_from, cursor.window_to]
        )

    # --- outcomes -----------------------------------------------------------------------------
    def answered(
        self, status: ResponseStatus | None, cursor: StreamCursor
    ) -> TypeGuard[ResponseStatus]:
        """Whether QuickBooks answered the stream's request with data (or none to give); if
        not, the stream's error is recorded and it waits for a later session."""
        if status is None:
            self.stream_error(cursor, "QuickBooks answered without a status for the request")
            return False
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy in ANSWERED:
            return True
        text = bookkeeper_message(status.status_code, status.status_severity, status.status_message)
        self.stream_error(cursor, text)
        return False

    def stream_error(self, cursor: StreamCursor, text: str) -> None:
        """The stream failed: it waits (backing off) and tries again at a later session."""
        now = utcnow()
        cursor.last_error = text[:2000]
        cursor.last_error_at = now
        cursor.consecutive_errors += 1
        cursor.retry_after = now + self.tuning.retry_backoff * min(8, cursor.consecutive_errors)
        self.finish(cursor.stream)
        log.warning("company %s stream %s: %s", self.company.id, cursor.stream, text)

    def skip(self, cursor: StreamCursor, reason: str, code: int | None = None) -> None:
        """The company file cannot serve this stream (a preference is off, or status 3250)."""
        if cursor.phase != "skipped":
            log.info("company %s: skipping %s: %s", self.company.id, cursor.stream, reason)
        cursor.phase = "skipped"
        cursor.skipped_reason = reason
        cursor.pass_started_at = None
        cursor.last_pass_completed_at = utcnow()
        with editing_extra(cursor) as extra:
            extra.skip_code = code

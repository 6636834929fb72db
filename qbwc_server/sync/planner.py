"""The sync engine: decides the next qbXML request of a session and ingests the answers.

Generic over the stream declarations in ``sync/streams.py``. Per stream, a persisted cursor
(``models.StreamCursor``) says where the stream stands; per session, a small JSON state (in the
``qbwc_sessions`` row) holds the order of work and the live iterator. Iterators never outlive
the QuickBooks session (§6.4), so a new session restarts the current window with a fresh
iterator from the cursor, and a page of records commits together with the cursor move.

Passes:
- initial: lists without iterator whole; iterator lists in modified-date windows; transactions
  in TxnDate windows from ``history_start`` (the historical sync), sized to the data's density;
- incremental: everything modified since the watermark minus an overlap (§6.5);
- deletions: ListDeletedQuery/TxnDeletedQuery every session (§6.5, 90-day horizon).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from models import Company, StreamCursor, utcnow
from qbwc_server.config import DEFAULT_TUNING, SyncTuning
from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.parse import (
    QbxmlParseError,
    Record,
    ResponseEnd,
    ResponseStart,
    ResponseStatus,
    iter_response,
)
from qbwc_server.qbxml.queries import Iterator as IteratorStep
from qbwc_server.qbxml.queries import ListDeletedQuery, ListQuery, TxnDeletedQuery, TxnQuery
from qbwc_server.qbxml.status import StatusPolicy, bookkeeper_message, classify
from qbwc_server.records import deletions, store
from qbwc_server.records import vendor_balances as balances
from qbwc_server.records.queries import by_ids_query, records_query
from qbwc_server.records.record_type import RecordType
from qbwc_server.records.types import DECLARED, RECORD_TYPES, TYPE_FOR_DEL_TYPE, RecordError
from qbwc_server.sync import reconcile, windows
from qbwc_server.sync.cursors import get_cursor, load_cursors
from qbwc_server.sync.progress import estimate_remaining, history_start
from qbwc_server.sync.reconcile import request_reconcile
from qbwc_server.sync.windows import Axis, Window

log = logging.getLogger(__name__)


def _axis(stream: RecordType) -> Axis:
    return windows.axis_of(stream.is_list)


def _preference_on(company: Company, flag: str | None) -> bool:
    if flag is None:
        return True
    prefs = company.qb_preferences or {}
    value = prefs.get(flag)
    # Unknown (older HCP without the flag): ask, and let a 3250 answer skip it.
    return value is None or bool(value)


# The deletion sweep runs as two pseudo-streams after the data streams (§6.5: deletions are
# invisible to modified-date queries and reported for ~90 days only).
LIST_DELETIONS = "list_deletions"
TXN_DELETIONS = "txn_deletions"
DELETION_STREAMS = (LIST_DELETIONS, TXN_DELETIONS)
RESTORE_PROBE = "restore_probe"  # first step of every session (see Planner._probe_request)
VENDOR_BALANCES = balances.MARKS  # last step: re-read vendors whose Balance moved
DELETION_HORIZON = timedelta(days=80)  # a margin under QuickBooks' ~90 days
# Reconciliation pages carry only ids and EditSequences (IncludeRetElement): tiny records.
RECONCILE_PAGE_SIZE = 1000
FETCH_BY_ID = 50  # ids per re-fetch request


class UnexpectedResponse(Exception):
    """The response does not answer the request we sent (lost or crossed messages, §2)."""


def _check_start(event: ResponseStart, meta: dict[str, Any]) -> None:
    rid = meta.get("rid")
    if event.status.request_id != rid:
        raise UnexpectedResponse(
            f"QuickBooks answered request {event.status.request_id!r} while {rid!r} was "
            "expected; the page was ignored and will be asked again."
        )


class Planner:
    def __init__(
        self,
        session: Session,
        company: Company,
        state: dict[str, Any],
        version: str,
        tuning: SyncTuning = DEFAULT_TUNING,
    ) -> None:
        self.session = session
        self.company = company
        self.state = state  # the session's "sync" state, mutated in place
        self.version = version
        self.tuning = tuning
        # The company's cursors, read once per SOAP call (a planner lives for one call; the
        # company row is locked for all of it, so no other sync call can change them).
        self._loaded: dict[str, StreamCursor] | None = None

    # ------------------------------------------------------------------ work order
    def _queue(self) -> list[str]:
        if "queue" not in self.state:
            self.state["queue"] = [
                RESTORE_PROBE, *(s.name for s in DECLARED), *DELETION_STREAMS, VENDOR_BALANCES
            ]  # fmt: skip
            self.state["processed"] = 0
            self.state["started_at"] = utcnow().isoformat()
            self._request_reconcile_past_deletion_horizon()
        queue: list[str] = self.state["queue"]
        return queue

    def _request_reconcile_past_deletion_horizon(self) -> None:
        """§6.5: QuickBooks reports deletions for ~90 days. If our last sweep is older than
        that (the PC was off for months), deletions may have been missed: reconcile ids."""
        cursors = self._cursors()
        sweeps = [cursors.get(name) for name in DELETION_STREAMS]
        last = [c.last_pass_completed_at for c in sweeps if c and c.last_pass_completed_at]
        if not last or utcnow() - min(last) < DELETION_HORIZON:
            return
        request_reconcile(self.session, self.company.id)

    def _finish_stream_for_session(self, name: str) -> None:
        queue = self._queue()
        if name in queue:
            queue.remove(name)
        self.state.pop("iter", None)

    def has_more(self) -> bool:
        if not self._queue():
            self._settle_restore_suspects()
        return bool(self._queue())

    # ------------------------------------------------------------------ next request
    def next_request(self) -> tuple[str, dict[str, Any]] | None:
        queue = self._queue()
        while queue:
            name = queue[0]
            if name == RESTORE_PROBE:
                built = self._probe_request()
            elif name == VENDOR_BALANCES:
                built = self._balances_request()
            elif name in DELETION_STREAMS:
                built = self._deletion_request(name)
            else:
                built = self._stream_request(RECORD_TYPES[name])
            if built is not None:
                return built
            self._finish_stream_for_session(name)
            if not queue and self._settle_restore_suspects():
                queue = self._queue()
        return None

    def _settle_restore_suspects(self) -> bool:
        """After the deletion sweep: a stream whose newest record vanished without a deletion
        went back in time (a restored backup). Reconcile every stream now. True if re-queued."""
        suspects = self.state.pop("restore_suspects", None)
        if not suspects:
            return False
        log.warning(
            "company %s: data went back in time in %s: restored from a backup? reconciling ids",
            self.company.id, ", ".join(sorted(suspects)),
        )  # fmt: skip
        request_reconcile(self.session, self.company.id)
        self.state["queue"] = [s.name for s in DECLARED] + list(DELETION_STREAMS)
        self.state["restore_detected"] = sorted(suspects)
        return True

    def _cursors(self) -> dict[str, StreamCursor]:
        """Every stream cursor of the company, by stream name (one query per SOAP call)."""
        if self._loaded is None:
            self._loaded = load_cursors(self.session, self.company.id)
        return self._loaded

    def _cursor(self, name: str) -> StreamCursor:
        """The stream's cursor, created on first use."""
        cursors = self._cursors()
        cursor = cursors.get(name)
        # A cursor created inside a savepoint that was rolled back is gone: read it again.
        if cursor is None or inspect(cursor).detached or inspect(cursor).transient:
            cursor = get_cursor(self.session, self.company.id, name)
            cursors[name] = cursor
        return cursor

    def _stream_request(self, stream: RecordType) -> tuple[str, dict[str, Any]] | None:
        cursor = self._cursor(stream.name)
        now = utcnow()
        if not _preference_on(self.company, stream.requires_preference):
            self._skip(cursor, f"turned off in this company file ({stream.requires_preference})")
            return None
        if cursor.phase == "skipped":
            if (
                cursor.extra.get("skip_code") == 3250
                and cursor.last_pass_completed_at
                and (now - cursor.last_pass_completed_at < timedelta(days=1))
            ):
                return None
            # Preference on now (or a day has passed since a 3250): try again from scratch.
            cursor.phase = "initial"
            cursor.pass_kind = "initial"
            cursor.skipped_reason = None
            cursor.window_from = cursor.window_to = None
            cursor.window_span_seconds = 0
        if cursor.retry_after is not None and cursor.retry_after > now:
            return None
        if cursor.pass_started_at is None:
            if cursor.phase == "incremental" and self._reconcile_due(cursor, now):
                self._start_reconcile(stream, cursor, now)
            else:
                self._start_pass(stream, cursor, now)
        if cursor.pass_kind == "reconcile":
            built = self._reconcile_request(stream, cursor)
            if built is not None:
                return built
            self._start_pass(stream, cursor, now)  # reconciled: now the incremental pass
        return self._page_request(stream, cursor)

    # ------------------------------------------------------------------ reconciliation
    def _reconcile_due(self, cursor: StreamCursor, now: datetime) -> bool:
        if (cursor.extra or {}).get("reconcile_requested"):
            return True
        if cursor.last_reconciled_at is None:
            return False
        return now - cursor.last_reconciled_at >= self.tuning.reconcile_interval

    def _start_reconcile(self, stream: RecordType, cursor: StreamCursor, now: datetime) -> None:
        reconcile.discard(self.session, self.company.id, stream.name)
        cursor.pass_kind = "reconcile"
        cursor.pass_started_at = now
        cursor.window_from = None if stream.is_list else self._history_start()
        cursor.window_to = None
        cursor.window_pages = 0
        cursor.window_records = 0
        cursor.window_total = None
        extra = dict(cursor.extra or {})
        extra["reconcile_stage"] = "scan"
        extra.pop("reconcile_requested", None)
        cursor.extra = extra
        self.state.pop("iter", None)

    def _reconcile_request(
        self, stream: RecordType, cursor: StreamCursor
    ) -> tuple[str, dict[str, Any]] | None:
        stage = (cursor.extra or {}).get("reconcile_stage", "scan")
        rid = f"{stream.name}:r{cursor.pages + 1}"[:50]
        id_key = "ListID" if stream.is_list else "TxnID"
        query: ListQuery | TxnQuery
        meta: dict[str, Any] = {"kind": "page", "stream": stream.name, "pass": "reconcile",
                                "stage": stage, "rid": rid}  # fmt: skip
        if stage == "scan":
            iterator, iterator_id = self._iterator_for(stream, cursor, "reconcile")
            query = records_query(
                stream,
                rid,
                iterator=iterator,
                iterator_id=iterator_id,
                page_size=RECONCILE_PAGE_SIZE,
                txn_date_from=None if stream.is_list else cursor.window_from,
                only=[id_key, "EditSequence"],
            )
            meta["iterator"] = iterator
        else:
            ids = reconcile.ids_to_fetch(self.session, self.company.id, stream.name, FETCH_BY_ID)
            if not ids:
                removed = reconcile.finish(self.session, self.company.id, stream.name)
                now = utcnow()
                cursor.last_reconciled_at = now
                # The old watermark may belong to data that no longer exists (a restored
                # file); the next incremental pass sets a new one from what is there.
                cursor.watermark = None
                cursor.pass_started_at = None
                cursor.pass_kind = "incremental"
                extra = dict(cursor.extra or {})
                extra.pop("reconcile_stage", None)
                extra["last_reconcile_removed"] = len(removed)
                cursor.extra = extra
                return None
            query = by_ids_query(stream, rid, ids)
            meta["ids"] = ids
        xml = build_document([query], version=self.version, on_error="continueOnError")
        return xml, meta

    def _iterator_for(
        self, stream: RecordType, cursor: StreamCursor, pass_kind: str
    ) -> tuple[IteratorStep | None, str | None]:
        """Continue the live iterator of this window in this session, or start a new one."""
        if not stream.iterator:
            return None, None
        live = self.state.get("iter")
        if (
            live
            and live.get("stream") == stream.name
            and live.get("pass") == pass_kind
            and live.get("window") == [cursor.window_from, cursor.window_to]
        ):
            return "Continue", str(live["id"])
        self.state.pop("iter", None)
        return "Start", None

    def _ingest_reconcile(
        self, stream: RecordType, cursor: StreamCursor, meta: dict[str, Any], response: str
    ) -> None:
        stage = meta.get("stage")
        if stage != (cursor.extra or {}).get("reconcile_stage") or cursor.pass_kind != "reconcile":
            return  # an answer to a stage we have moved past
        id_key = "ListID" if stream.is_list else "TxnID"
        status: ResponseStatus | None = None
        pairs: list[tuple[str, str | None]] = []
        batch: list[Record] = []
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                _check_start(event, meta)
            elif isinstance(event, Record):
                record_id = event.data.get(id_key)
                if not isinstance(record_id, str):
                    continue
                if stage == "scan":
                    sequence = event.data.get("EditSequence")
                    pairs.append((record_id, sequence if isinstance(sequence, str) else None))
                else:
                    batch.append(event)
            elif isinstance(event, ResponseEnd):
                status = event.status
        if not self._answered(status, cursor):
            return
        cursor.pages += 1
        cursor.last_page_at = utcnow()
        self.state["processed"] = int(self.state.get("processed", 0)) + len(pairs) + len(batch)
        if stage == "fetch":
            if batch:
                stored = store.upsert_records(self.session, self.company.id, stream.name, batch)
                self._mark_vendors(balances.changed_vendors(stream.name, batch, stored.changed_ids))
            reconcile.fetched(self.session, self.company.id, stream.name, list(meta["ids"]))
            return
        reconcile.mark_seen(self.session, self.company.id, stream.name, pairs)
        remaining = status.iterator_remaining_count or 0
        if stream.iterator and remaining > 0 and status.iterator_id:
            self.state["iter"] = {"stream": stream.name, "pass": "reconcile",
                                  "id": status.iterator_id,
                                  "window": [cursor.window_from, cursor.window_to]}  # fmt: skip
            return
        self.state.pop("iter", None)
        extra = dict(cursor.extra or {})
        extra["reconcile_stage"] = "fetch"
        cursor.extra = extra

    def _probe_request(self) -> tuple[str, dict[str, Any]] | None:
        """One message set asking, per stream, for the record that set its watermark.

        A restored company file goes back in time even when it is edited again before our
        next run (then the modified-date check in _detect_restore sees newer records and
        stays quiet): the watermark record comes back with an older TimeModified, or not at
        all. One small round trip per session answers it for every stream at once.
        """
        probes: list[ListQuery | TxnQuery] = []
        asked: dict[str, list[str]] = {}
        cursors = self._cursors()
        for stream in DECLARED:
            cursor = cursors.get(stream.name)
            record_id = (cursor.extra or {}).get("watermark_id") if cursor else None
            if not cursor or not cursor.watermark or not isinstance(record_id, str):
                continue
            rid = f"probe:{stream.name}"[:50]
            id_key = "ListID" if stream.is_list else "TxnID"
            fields = [id_key, "EditSequence", "TimeModified"]
            probes.append(records_query(stream, rid, ids=[record_id], only=fields))
            asked[rid] = [stream.name, record_id, cursor.watermark]
        if not probes:
            return None
        xml = build_document(probes, version=self.version, on_error="continueOnError")
        return xml, {"kind": "probe", "stream": RESTORE_PROBE, "asked": asked}

    def _ingest_probe(self, meta: dict[str, Any], response: str) -> None:
        asked: dict[str, list[str]] = meta.get("asked") or {}
        found: dict[str, str | None] = {}
        current: str | None = None
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                current = event.status.request_id
            elif isinstance(event, Record) and current in asked:
                modified = event.data.get("TimeModified")
                found[current] = modified if isinstance(modified, str) else None
        suspects = self.state.setdefault("restore_suspects", {})
        for rid, (stream_name, record_id, watermark) in asked.items():
            modified = found.get(rid)
            if modified is not None and windows.wall_clock(modified) >= windows.wall_clock(
                watermark
            ):
                continue  # still there, same or newer: no sign of a restore
            # Gone (maybe deleted: the deletion sweep decides) or older than we saw it.
            suspects[stream_name] = record_id if modified is None else ""

    def _detect_restore(self, stream: RecordType, cursor: StreamCursor) -> None:
        """A company file restored from a backup goes back in time: the record that set our
        watermark comes back older or not at all. An incremental pass starting at or before
        the watermark must return something modified at or after it; when it does not, the
        data went backwards (user-pains: restored files), and every stream reconciles ids."""
        mark, start, seen = cursor.watermark, cursor.window_from, cursor.pass_max_modified
        if not mark or not start or windows.wall_clock(mark) < windows.wall_clock(start):
            return
        if seen and windows.wall_clock(seen) >= windows.wall_clock(mark):
            return
        # Either the record was deleted (the deletion sweep of this session will say so) or
        # the file went back in time. Decide after the sweep (_settle_restore_suspects).
        suspects = self.state.setdefault("restore_suspects", {})
        suspects[stream.name] = (cursor.extra or {}).get("watermark_id") or ""
        log.info(
            "company %s: %s: latest %s is older than our watermark %s",
            self.company.id, stream.name, seen, mark,
        )  # fmt: skip

    def _company_high_water(self) -> str | None:
        """The latest QuickBooks timestamp we have seen anywhere in this company file.

        Every value is the TimeModified (or TimeDeleted) of something that already happened,
        so it is at most the QuickBooks machine's "now", whatever that machine's clock says.
        """
        best: str | None = None
        for cursor in self._cursors().values():
            for value in (cursor.watermark, cursor.pass_max_modified):
                if value and (best is None or windows.wall_clock(value) > windows.wall_clock(best)):
                    best = value
        return best

    def _next_lower_bound(self, stream: RecordType, cursor: StreamCursor, started: datetime) -> str:
        """Where the next modified-date pass starts (QuickBooks-local, no offset).

        Anything modified after this pass started carries a TimeModified at or after the
        company's high water at that moment (captured in ``_start_pass``), so that minus the
        overlap is safe whatever the QuickBooks machine's clock and zone. Without any
        timestamp yet, a single-request pass may use its own latest TimeModified; failing
        that, the earliest local time anywhere when the pass started (windows.py).
        """
        high_water = (cursor.extra or {}).get("hw_start")
        if isinstance(high_water, str) and high_water:
            return windows.incremental_lower_bound(started, self.tuning.overlap, high_water)
        single_request = not stream.iterator or cursor.pages <= 1
        if cursor.pass_max_modified and single_request:
            return windows.incremental_lower_bound(
                started, self.tuning.overlap, cursor.pass_max_modified
            )
        if cursor.pass_kind == "incremental" and cursor.incremental_from:
            return cursor.incremental_from
        return windows.incremental_lower_bound(started, self.tuning.overlap)

    def _start_pass(self, stream: RecordType, cursor: StreamCursor, now: datetime) -> None:
        extra = dict(cursor.extra or {})
        extra["hw_start"] = self._company_high_water()
        cursor.extra = extra
        cursor.pass_started_at = now
        cursor.pass_max_modified = None
        cursor.window_pages = 0
        cursor.window_records = 0
        cursor.window_total = None
        if cursor.phase == "initial":
            cursor.pass_kind = "initial"
            if stream.iterator:
                history = None if stream.is_list else self._history_start()
                first = windows.first_window(_axis(stream), history)
                cursor.window_from, cursor.window_to = first.start, first.end
                cursor.window_span_seconds = first.span_seconds
            else:
                cursor.window_from = cursor.window_to = None
                cursor.window_span_seconds = 0
        else:
            cursor.pass_kind = "incremental"
            cursor.window_from = cursor.incremental_from
            cursor.window_to = None
            cursor.window_span_seconds = 0

    def _history_start(self) -> str | None:
        return history_start(self.company)

    def _page_request(self, stream: RecordType, cursor: StreamCursor) -> tuple[str, dict[str, Any]]:
        iterator, iterator_id = self._iterator_for(stream, cursor, cursor.pass_kind)
        rid = f"{stream.name}:{cursor.pages + 1}"[:50]
        page_size = self.tuning.list_page_size if stream.is_list else self.tuning.txn_page_size
        incremental = cursor.pass_kind == "incremental"
        by_modified = stream.is_list or incremental
        query = records_query(
            stream,
            rid,
            iterator=iterator,
            iterator_id=iterator_id,
            page_size=page_size,
            modified_from=cursor.window_from if by_modified else None,
            modified_to=cursor.window_to if by_modified else None,
            txn_date_from=None if by_modified else cursor.window_from,
            txn_date_to=None if by_modified else cursor.window_to,
        )
        xml = build_document([query], version=self.version, on_error="continueOnError")
        meta = {
            "kind": "page",
            "stream": stream.name,
            "window": [cursor.window_from, cursor.window_to],
            "pass": cursor.pass_kind,
            "iterator": iterator,
            "rid": rid,
        }
        return xml, meta

    def _skip(self, cursor: StreamCursor, reason: str, code: int | None = None) -> None:
        if cursor.phase != "skipped":
            log.info("company %s: skipping %s: %s", self.company.id, cursor.stream, reason)
        cursor.phase = "skipped"
        cursor.skipped_reason = reason
        cursor.pass_started_at = None
        cursor.last_pass_completed_at = utcnow()
        extra = dict(cursor.extra or {})
        extra["skip_code"] = code
        cursor.extra = extra

    # ------------------------------------------------------------------ deletions
    def _deletion_request(self, name: str) -> tuple[str, dict[str, Any]] | None:
        cursor = self._cursor(name)
        if cursor.retry_after is not None and cursor.retry_after > utcnow():
            return None
        cursors = self._cursors()
        streams = [
            s
            for s in DECLARED
            if s.is_list == (name == LIST_DELETIONS)
            and getattr(cursors.get(s.name), "phase", None) != "skipped"
            and _preference_on(self.company, s.requires_preference)
        ]
        types = [t for s in streams for t in s.del_types]
        if not types:
            return None
        # §6.5: deletions are kept ~90 days; ask from the watermark minus the overlap.
        since = (
            windows.incremental_lower_bound(utcnow(), self.tuning.overlap, cursor.watermark)
            if cursor.watermark
            else None
        )
        query: ListDeletedQuery | TxnDeletedQuery
        rid = f"{name}:{cursor.pages + 1}"[:50]
        if name == LIST_DELETIONS:
            query = ListDeletedQuery(list_del_types=types, deleted_from=since, request_id=rid)
        else:
            query = TxnDeletedQuery(txn_del_types=types, deleted_from=since, request_id=rid)
        xml = build_document([query], version=self.version, on_error="continueOnError")
        return xml, {"kind": "deleted", "stream": name, "rid": rid}

    # ------------------------------------------------------------------ responses
    def handle_response(self, meta: dict[str, Any], response: str) -> None:
        name = meta.get("stream")
        if name == RESTORE_PROBE:
            try:
                self._ingest_probe(meta, response)
            except (QbxmlParseError, UnexpectedResponse) as exc:
                log.warning("company %s: restore probe unreadable: %s", self.company.id, exc)
            self._finish_stream_for_session(RESTORE_PROBE)
            return
        if name == VENDOR_BALANCES:
            try:
                with self.session.begin_nested():
                    self._ingest_balances(meta, response)
            except (QbxmlParseError, UnexpectedResponse, RecordError) as exc:
                log.warning("company %s: vendor re-read failed: %s", self.company.id, exc)
                self._finish_stream_for_session(VENDOR_BALANCES)  # marks kept: next session
            return
        if name not in RECORD_TYPES and name not in DELETION_STREAMS:
            return
        cursor = self._cursor(name)
        try:
            with self.session.begin_nested():
                if meta.get("kind") == "deleted":
                    self._ingest_deletions(cursor, meta, response)
                elif meta.get("pass") == "reconcile":
                    self._ingest_reconcile(RECORD_TYPES[name], cursor, meta, response)
                else:
                    self._ingest_page(RECORD_TYPES[name], cursor, meta, response)
        except QbxmlParseError as exc:
            self._stream_error(cursor, f"QuickBooks sent a response we could not read: {exc}")
        except UnexpectedResponse as exc:
            self._stream_error(cursor, str(exc))
        except RecordError as exc:
            self._stream_error(cursor, f"A record from QuickBooks could not be stored: {exc}")

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        """The request processor threw instead of answering (§3.5, §5)."""
        name = meta.get("stream")
        if name in (RESTORE_PROBE, VENDOR_BALANCES):
            self._finish_stream_for_session(name)
            return
        if name not in RECORD_TYPES and name not in DELETION_STREAMS:
            return
        cursor = self._cursor(name)
        text = f"QuickBooks rejected the request ({hresult}): {message}".strip()
        # §5: 0x80040400 means the request itself is wrong: never resend it unchanged in this
        # session (qbwc/qbwc#53); the stream is retried at a later session.
        self._stream_error(cursor, text)

    def _answered(
        self, status: ResponseStatus | None, cursor: StreamCursor
    ) -> TypeGuard[ResponseStatus]:
        """Whether QuickBooks answered the stream's request with data (or none to give); if
        not, the stream's error is recorded and it waits for a later session."""
        if status is None:
            self._stream_error(cursor, "QuickBooks answered without a status for the request")
            return False
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy in (StatusPolicy.SUCCESS, StatusPolicy.EMPTY_SUCCESS, StatusPolicy.WARNING):
            return True
        text = bookkeeper_message(status.status_code, status.status_severity, status.status_message)
        self._stream_error(cursor, text)
        return False

    def _stream_error(self, cursor: StreamCursor, text: str, retry: bool = True) -> None:
        now = utcnow()
        cursor.last_error = text[:2000]
        cursor.last_error_at = now
        cursor.consecutive_errors += 1
        backoff = self.tuning.retry_backoff * min(8, cursor.consecutive_errors)
        cursor.retry_after = now + backoff if retry else None
        self._finish_stream_for_session(cursor.stream)
        log.warning("company %s stream %s: %s", self.company.id, cursor.stream, text)

    def _ingest_page(
        self, stream: RecordType, cursor: StreamCursor, meta: dict[str, Any], response: str
    ) -> None:
        if meta.get("window") != [cursor.window_from, cursor.window_to]:
            # An answer to a window we have since moved past (duplicate delivery): ignore.
            return
        status: ResponseStatus | None = None
        received = 0
        max_modified = cursor.pass_max_modified
        newest = windows.wall_clock(max_modified) if max_modified else None
        history = self._history_start() if not stream.is_list else None
        out_of_range: list[str] = []
        max_id: object = None
        drop_old = bool(history) and cursor.pass_kind == "incremental"
        vendor_by_id: dict[str, str] = {}  # AP transaction -> the vendor whose Balance it moves
        vendor_of = balances.vendor_of if stream.balance_vendor_ref else None

        def kept_records() -> Iterator[Record]:
            """The page's records to store, noting what the cursor needs on the way (the page
            goes to storage as one stream: one feed lock and as few statements as possible)."""
            nonlocal status, received, max_modified, newest, max_id
            wall_clock = windows.wall_clock
            for event in iter_response(response):
                if isinstance(event, Record):
                    received += 1
                    data = event.data
                    modified = data.get("TimeModified")
                    if modified.__class__ is str:
                        local = wall_clock(modified)
                        if newest is None or local > newest:
                            max_modified = modified
                            newest = local
                            max_id = data.get("ListID") or data.get("TxnID")
                    if drop_old:
                        txn_date = data.get("TxnDate")
                        if isinstance(txn_date, str) and history and txn_date < history:
                            # Older than the look-back date: not ours to keep. If we hold it
                            # (it was re-dated into the past), it leaves our set like a
                            # deletion.
                            txn_id = data.get("TxnID")
                            if isinstance(txn_id, str):
                                out_of_range.append(txn_id)
                            continue
                    if vendor_of is not None:
                        vendor = vendor_of(stream.name, data)
                        if vendor is not None:
                            vendor_by_id[str(data.get("TxnID"))] = vendor
                    yield event
                elif isinstance(event, ResponseStart):
                    _check_start(event, meta)
                elif isinstance(event, ResponseEnd):
                    status = event.status

        stored = store.upsert_records(self.session, self.company.id, stream.name, kept_records())
        if vendor_by_id:
            # Only what changed: an overlap re-read of an unchanged bill moved no balance.
            self._mark_vendors({vendor_by_id.get(i, "") for i in stored.changed_ids})
        if out_of_range:
            self._mark_vendors(
                balances.stored_vendors(self.session, self.company.id, stream.name, out_of_range)
            )
            deletions.mark_deleted(self.session, self.company.id, stream.name, out_of_range)
        if status is None:
            self._stream_error(cursor, "QuickBooks answered without a status for the request")
            return
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy in (StatusPolicy.SUCCESS, StatusPolicy.EMPTY_SUCCESS, StatusPolicy.WARNING):
            if max_modified != cursor.pass_max_modified and isinstance(max_id, str):
                extra = dict(cursor.extra or {})
                extra["pass_max_id"] = max_id  # which record set it (restore detection)
                cursor.extra = extra
            self._page_done(stream, cursor, status, received, max_modified)
            return
        text = bookkeeper_message(status.status_code, status.status_severity, status.status_message)
        if policy == StatusPolicy.FEATURE_OFF:
            self._skip(cursor, text, code=status.status_code)
            self._finish_stream_for_session(stream.name)
            return
        if policy == StatusPolicy.ITERATOR_INVALID:
            # §6.4: the iterator is gone; restart this window with a fresh one, once.
            restarts = self.state.setdefault("iterator_restarts", {})
            if restarts.get(stream.name, 0) < 1:
                restarts[stream.name] = restarts.get(stream.name, 0) + 1
                self.state.pop("iter", None)
                cursor.window_pages = 0
                cursor.window_records = 0
                return
        self._stream_error(cursor, text, retry=True)

    def _page_done(
        self,
        stream: RecordType,
        cursor: StreamCursor,
        status: ResponseStatus,
        received: int,
        max_modified: str | None,
    ) -> None:
        now = utcnow()
        remaining = status.iterator_remaining_count or 0
        first_page = cursor.window_pages == 0
        cursor.pages += 1
        cursor.window_pages += 1
        cursor.window_records += received
        cursor.records_seen += received
        cursor.last_page_at = now
        cursor.pass_max_modified = max_modified
        cursor.consecutive_errors = 0
        cursor.retry_after = None
        cursor.last_error = None
        self.state["processed"] = int(self.state.get("processed", 0)) + received
        if first_page and stream.iterator:
            cursor.window_total = received + remaining
            if (
                cursor.pass_kind == "initial"
                and cursor.window_total > self.tuning.window_max
                and remaining > 0
            ):
                smaller = windows.split(
                    _axis(stream),
                    Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds),
                )
                if smaller is not None:
                    # Too dense to be one resumable unit: page through the first half now.
                    # The page just stored is kept (upserts are idempotent).
                    cursor.window_to = smaller.end
                    cursor.window_span_seconds = smaller.span_seconds
                    cursor.window_pages = 0
                    cursor.window_records = 0
                    cursor.window_total = None
                    self.state.pop("iter", None)
                    return
        if stream.iterator and remaining > 0 and not status.iterator_id:
            self._stream_error(cursor, "QuickBooks reported more records but no iterator ID")
            return
        if stream.iterator and remaining > 0 and status.iterator_id:
            self.state["iter"] = {
                "stream": stream.name,
                "pass": cursor.pass_kind,
                "id": status.iterator_id,
                "window": [cursor.window_from, cursor.window_to],
            }
            return
        self.state.pop("iter", None)
        self._window_done(stream, cursor, now)

    def _window_done(self, stream: RecordType, cursor: StreamCursor, now: datetime) -> None:
        if cursor.pass_kind == "initial" and stream.iterator:
            axis = _axis(stream)
            current = Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds)
            span = windows.adapt_span(
                axis, cursor.window_span_seconds, cursor.window_records, self.tuning.window_target
            )
            following = windows.next_window(axis, current, span)
            if following is not None:
                cursor.window_from, cursor.window_to = following.start, following.end
                cursor.window_span_seconds = following.span_seconds
                cursor.window_pages = 0
                cursor.window_records = 0
                cursor.window_total = None
                return
        self._pass_done(stream, cursor, now)

    def _pass_done(self, stream: RecordType, cursor: StreamCursor, now: datetime) -> None:
        started = cursor.pass_started_at or now
        if cursor.pass_kind == "initial":
            # A complete first pass is as good as a reconciliation.
            cursor.last_reconciled_at = now
        if cursor.pass_kind == "incremental":
            self._detect_restore(stream, cursor)
        cursor.incremental_from = self._next_lower_bound(stream, cursor, started)
        if cursor.pass_max_modified and (
            cursor.watermark is None
            or windows.wall_clock(cursor.pass_max_modified) > windows.wall_clock(cursor.watermark)
        ):
            cursor.watermark = cursor.pass_max_modified
            extra = dict(cursor.extra or {})
            extra["watermark_id"] = extra.get("pass_max_id")
            cursor.extra = extra
        cursor.phase = "incremental"
        cursor.pass_kind = "incremental"
        cursor.pass_started_at = None
        cursor.passes_completed += 1
        cursor.last_pass_completed_at = now
        cursor.window_from = cursor.window_to = None
        cursor.window_pages = 0
        cursor.window_records = 0
        cursor.window_total = None
        self._finish_stream_for_session(stream.name)

    def _ingest_deletions(self, cursor: StreamCursor, meta: dict[str, Any], response: str) -> None:
        status: ResponseStatus | None = None
        by_type: dict[str, list[str]] = {}
        latest = cursor.watermark
        count = 0
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                _check_start(event, meta)
            elif isinstance(event, Record):
                data = event.data
                del_type = data.get("ListDelType") or data.get("TxnDelType")
                record_id = data.get("ListID") or data.get("TxnID")
                stream_name = TYPE_FOR_DEL_TYPE.get(str(del_type))
                if stream_name and isinstance(record_id, str):
                    by_type.setdefault(stream_name, []).append(record_id)
                    count += 1
                deleted = data.get("TimeDeleted")
                if isinstance(deleted, str) and (
                    latest is None or windows.wall_clock(deleted) > windows.wall_clock(latest)
                ):
                    latest = deleted
            elif isinstance(event, ResponseEnd):
                status = event.status
        if not self._answered(status, cursor):
            return
        suspects: dict[str, str] = self.state.get("restore_suspects", {})
        for stream_name, ids in by_type.items():
            self._mark_vendors(
                balances.stored_vendors(self.session, self.company.id, stream_name, ids)
            )
            deletions.mark_deleted(self.session, self.company.id, stream_name, ids)
            if suspects.get(stream_name) in set(ids):
                suspects.pop(stream_name)  # the watermark record was deleted: no restore
        now = utcnow()
        cursor.watermark = latest
        cursor.phase = "incremental"
        cursor.pages += 1
        cursor.records_seen += count
        cursor.last_page_at = now
        cursor.passes_completed += 1
        cursor.last_pass_completed_at = now
        cursor.consecutive_errors = 0
        cursor.last_error = None
        cursor.retry_after = None
        self.state["processed"] = int(self.state.get("processed", 0)) + count
        self._finish_stream_for_session(cursor.stream)

    # ------------------------------------------------------------------ vendor balances
    def _mark_vendors(self, vendor_ids: set[str]) -> None:
        """Vendors whose Balance the stored transactions moved: re-read them at the end of the
        session (records/vendor_balances.py)."""
        started = self.state.get("started_at")
        since = datetime.fromisoformat(started) if isinstance(started, str) else utcnow()
        balances.mark(self.session, self.company.id, vendor_ids, since)

    def _balances_request(self) -> tuple[str, dict[str, Any]] | None:
        vendors = RECORD_TYPES["vendors"]
        if not _preference_on(self.company, vendors.requires_preference):
            return None
        ids = balances.marked(self.session, self.company.id)
        if not ids:
            return None
        n = int(self.state.get("balance_pages", 0)) + 1
        self.state["balance_pages"] = n
        rid = f"{VENDOR_BALANCES}:{n}"
        xml = build_document(
            [by_ids_query(vendors, rid, ids)], version=self.version, on_error="continueOnError"
        )
        return xml, {"kind": "refresh", "stream": VENDOR_BALANCES, "rid": rid, "ids": ids}

    def _ingest_balances(self, meta: dict[str, Any], response: str) -> None:
        status: ResponseStatus | None = None
        batch: list[Record] = []
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                _check_start(event, meta)
            elif isinstance(event, Record):
                batch.append(event)
            elif isinstance(event, ResponseEnd):
                status = event.status
        if status is None:
            raise UnexpectedResponse("QuickBooks answered without a status for the request")
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy == StatusPolicy.RETRY_LATER:
            self._finish_stream_for_session(VENDOR_BALANCES)  # marks kept: next session
            return
        if batch:
            store.upsert_records(
                self.session, self.company.id, "vendors", batch, compare_documents=True
            )
        # Also on an error: the request is never sent again unchanged (§5); a vendor that is
        # gone is the deletion sweep's business.
        balances.unmark(self.session, self.company.id, [str(i) for i in meta.get("ids", [])])
        self.state["processed"] = int(self.state.get("processed", 0)) + len(batch)
        if policy not in (StatusPolicy.SUCCESS, StatusPolicy.EMPTY_SUCCESS, StatusPolicy.WARNING):
            log.warning(
                "company %s: vendor re-read refused (%s): %s",
                self.company.id, status.status_code, status.status_message,
            )  # fmt: skip

    # ------------------------------------------------------------------ progress
    def progress(self) -> int:
        """A real percentage from the work done this session and what is known to remain."""
        queue = self._queue()
        if not queue:
            return 100
        done = int(self.state.get("processed", 0))
        cursors = self._cursors()
        remaining = 0.0
        for name in queue:
            remaining += estimate_remaining(name, cursors.get(name), self._history_start())
        # Each queued stream costs at least one request even when it returns nothing.
        remaining += len(queue)
        total = done + remaining
        if total <= 0:
            return 99
        return max(0, min(99, int(100 * done / total)))

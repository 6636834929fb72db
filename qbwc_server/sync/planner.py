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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models import Company, StreamCursor, utcnow
from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.parse import (
    QbxmlParseError,
    Record,
    ResponseEnd,
    ResponseStart,
    ResponseStatus,
    iter_response,
)
from qbwc_server.qbxml.queries import ListDeletedQuery, ListQuery, TxnDeletedQuery, TxnQuery
from qbwc_server.qbxml.status import StatusPolicy, bookkeeper_message, classify
from qbwc_server.sync import storage, windows
from qbwc_server.sync.cursors import get_cursor, load_cursors
from qbwc_server.sync.streams import (
    BY_NAME,
    DELETION_STREAMS,
    LIST_DELETIONS,
    STREAM_FOR_DEL_TYPE,
    STREAMS,
    Stream,
)
from qbwc_server.sync.tuning import DEFAULT_TUNING, SyncTuning
from qbwc_server.sync.windows import Axis, Window

log = logging.getLogger(__name__)


def _axis(stream: Stream) -> Axis:
    return "modified" if stream.is_list else "txn_date"


def _preference_on(company: Company, flag: str | None) -> bool:
    if flag is None:
        return True
    prefs = company.qb_preferences or {}
    value = prefs.get(flag)
    # Unknown (older HCP without the flag): ask, and let a 3250 answer skip it.
    return value is None or bool(value)


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

    # ------------------------------------------------------------------ work order
    def _queue(self) -> list[str]:
        if "queue" not in self.state:
            self.state["queue"] = [s.name for s in STREAMS] + list(DELETION_STREAMS)
            self.state["processed"] = 0
        queue: list[str] = self.state["queue"]
        return queue

    def _finish_stream_for_session(self, name: str) -> None:
        queue = self._queue()
        if name in queue:
            queue.remove(name)
        self.state.pop("iter", None)

    def has_more(self) -> bool:
        return bool(self._queue())

    # ------------------------------------------------------------------ next request
    def next_request(self) -> tuple[str, dict[str, Any]] | None:
        queue = self._queue()
        while queue:
            name = queue[0]
            built = (
                self._deletion_request(name)
                if name in DELETION_STREAMS
                else self._stream_request(BY_NAME[name])
            )
            if built is not None:
                return built
            self._finish_stream_for_session(name)
        return None

    def _cursor(self, name: str) -> StreamCursor:
        return get_cursor(self.session, self.company.id, name)

    def _stream_request(self, stream: Stream) -> tuple[str, dict[str, Any]] | None:
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
            self._start_pass(stream, cursor, now)
        return self._page_request(stream, cursor)

    def _start_pass(self, stream: Stream, cursor: StreamCursor, now: datetime) -> None:
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
        start = self.company.history_start
        return None if start == "all" else start

    def _page_request(self, stream: Stream, cursor: StreamCursor) -> tuple[str, dict[str, Any]]:
        live = self.state.get("iter")
        iterator: str | None = None
        iterator_id: str | None = None
        if stream.iterator:
            if (
                live
                and live.get("stream") == stream.name
                and live.get("window")
                == [
                    cursor.window_from,
                    cursor.window_to,
                ]
            ):
                iterator, iterator_id = "Continue", live["id"]
            else:
                iterator = "Start"
                self.state.pop("iter", None)
        rid = f"{stream.name}:{cursor.pages + 1}"[:50]
        page_size = self.tuning.list_page_size if stream.is_list else self.tuning.txn_page_size
        owner_ids = ["0"] if stream.owner_id else []
        query: ListQuery | TxnQuery
        incremental = cursor.pass_kind == "incremental"
        if stream.is_list:
            query = ListQuery(
                kind=stream.query,
                request_id=rid,
                iterator=iterator,  # type: ignore[arg-type]
                iterator_id=iterator_id,
                max_returned=page_size if stream.iterator else None,
                active_status="All",  # §6.5: the default ActiveOnly hides inactive records
                from_modified_date=cursor.window_from,
                to_modified_date=cursor.window_to,
                owner_ids=owner_ids,
            )
        else:
            query = TxnQuery(
                kind=stream.query,
                request_id=rid,
                iterator=iterator,  # type: ignore[arg-type]
                iterator_id=iterator_id,
                max_returned=page_size,
                modified_from=cursor.window_from if incremental else None,
                modified_to=cursor.window_to if incremental else None,
                txn_date_from=None if incremental else cursor.window_from,
                txn_date_to=None if incremental else cursor.window_to,
                include_line_items=True if stream.include_line_items else None,
                include_linked_txns=True if stream.include_linked_txns else None,
                owner_ids=owner_ids,
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
        streams = [
            s
            for s in STREAMS
            if s.is_list == (name == LIST_DELETIONS)
            and self._cursor(s.name).phase != "skipped"
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
        if name not in BY_NAME and name not in DELETION_STREAMS:
            return
        cursor = self._cursor(name)
        try:
            with self.session.begin_nested():
                if meta.get("kind") == "deleted":
                    self._ingest_deletions(cursor, meta, response)
                else:
                    self._ingest_page(BY_NAME[name], cursor, meta, response)
        except QbxmlParseError as exc:
            self._stream_error(cursor, f"QuickBooks sent a response we could not read: {exc}")
        except UnexpectedResponse as exc:
            self._stream_error(cursor, str(exc))
        except storage.RecordError as exc:
            self._stream_error(cursor, f"A record from QuickBooks could not be stored: {exc}")

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        """The request processor threw instead of answering (§3.5, §5)."""
        name = meta.get("stream")
        if name not in BY_NAME and name not in DELETION_STREAMS:
            return
        cursor = self._cursor(name)
        text = f"QuickBooks rejected the request ({hresult}): {message}".strip()
        # §5: 0x80040400 means the request itself is wrong: never resend it unchanged in this
        # session (qbwc/qbwc#53); the stream is retried at a later session.
        self._stream_error(cursor, text)

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
        self, stream: Stream, cursor: StreamCursor, meta: dict[str, Any], response: str
    ) -> None:
        if meta.get("window") != [cursor.window_from, cursor.window_to]:
            # An answer to a window we have since moved past (duplicate delivery): ignore.
            return
        batch: list[Record] = []
        status: ResponseStatus | None = None
        received = 0
        max_modified = cursor.pass_max_modified
        history = self._history_start() if not stream.is_list else None
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                _check_start(event, meta)
            elif isinstance(event, Record):
                received += 1
                modified = event.data.get("TimeModified")
                if isinstance(modified, str) and (
                    max_modified is None
                    or windows.wall_clock(modified) > windows.wall_clock(max_modified)
                ):
                    max_modified = modified
                if history and cursor.pass_kind == "incremental":
                    txn_date = event.data.get("TxnDate")
                    if isinstance(txn_date, str) and txn_date < history:
                        continue  # older than the look-back date: not ours to keep
                batch.append(event)
                if len(batch) >= self.tuning.batch_size:
                    storage.upsert_records(self.session, self.company.id, stream.name, batch)
                    batch = []
            elif isinstance(event, ResponseEnd):
                status = event.status
        if batch:
            storage.upsert_records(self.session, self.company.id, stream.name, batch)
        if status is None:
            self._stream_error(cursor, "QuickBooks answered without a status for the request")
            return
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy in (StatusPolicy.SUCCESS, StatusPolicy.EMPTY_SUCCESS, StatusPolicy.WARNING):
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
        stream: Stream,
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
                "id": status.iterator_id,
                "window": [cursor.window_from, cursor.window_to],
            }
            return
        self.state.pop("iter", None)
        self._window_done(stream, cursor, now)

    def _window_done(self, stream: Stream, cursor: StreamCursor, now: datetime) -> None:
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

    def _pass_done(self, stream: Stream, cursor: StreamCursor, now: datetime) -> None:
        started = cursor.pass_started_at or now
        if cursor.pass_kind == "initial":
            # Anything modified after the pass started must be picked up: without a zone for
            # the QuickBooks machine we take the earliest local time anywhere (windows.py).
            cursor.incremental_from = windows.incremental_lower_bound(started, self.tuning.overlap)
        elif cursor.pass_max_modified:
            cursor.incremental_from = windows.incremental_lower_bound(
                started, self.tuning.overlap, cursor.pass_max_modified
            )
        if cursor.pass_max_modified and (
            cursor.watermark is None
            or windows.wall_clock(cursor.pass_max_modified) > windows.wall_clock(cursor.watermark)
        ):
            cursor.watermark = cursor.pass_max_modified
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
                stream_name = STREAM_FOR_DEL_TYPE.get(str(del_type))
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
        if status is None:
            self._stream_error(cursor, "QuickBooks answered without a status for the request")
            return
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy not in (StatusPolicy.SUCCESS, StatusPolicy.EMPTY_SUCCESS, StatusPolicy.WARNING):
            text = bookkeeper_message(
                status.status_code, status.status_severity, status.status_message
            )
            self._stream_error(cursor, text)
            return
        for stream_name, ids in by_type.items():
            storage.mark_deleted(self.session, self.company.id, stream_name, ids)
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

    # ------------------------------------------------------------------ progress
    def progress(self) -> int:
        """A real percentage from the work done this session and what is known to remain."""
        queue = self._queue()
        if not queue:
            return 100
        done = int(self.state.get("processed", 0))
        cursors = load_cursors(self.session, self.company.id)
        remaining = 0.0
        for name in queue:
            remaining += self._estimate_remaining(name, cursors.get(name))
        # Each queued stream costs at least one request even when it returns nothing.
        remaining += len(queue)
        total = done + remaining
        if total <= 0:
            return 99
        return max(0, min(99, int(100 * done / total)))

    def _estimate_remaining(self, name: str, cursor: StreamCursor | None) -> float:
        if cursor is None or name in DELETION_STREAMS:
            return 0.0
        if cursor.phase == "skipped":
            return 0.0
        stream = BY_NAME[name]
        in_window = 0.0
        if cursor.window_total is not None:
            in_window = max(0, cursor.window_total - cursor.window_records)
        if cursor.pass_kind == "incremental" or cursor.phase == "incremental":
            return in_window
        if not stream.iterator:
            return in_window
        # Historical: density of what has been seen so far times the span still ahead.
        axis = _axis(stream)
        ahead = windows.remaining_span_seconds(
            axis, Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds)
        )
        density = self._density(cursor)
        return in_window + density * ahead

    def _density(self, cursor: StreamCursor) -> float:
        if cursor.window_from is None or cursor.records_seen <= 0:
            return 0.0
        history = self._history_start()
        start_text = history or cursor.window_from
        try:
            start = datetime.fromisoformat(start_text[:19])
            current = datetime.fromisoformat(cursor.window_from[:19])
        except ValueError:
            return 0.0
        covered = max(windows.DAY, (current - start).total_seconds())
        return cursor.records_seen / covered


def stream_status(session: Session, company: Company) -> list[dict[str, Any]]:
    """Per-stream status for the API, the pages and the CLI."""
    cursors = load_cursors(session, company.id)
    counts = storage.record_counts(session, company.id)
    out: list[dict[str, Any]] = []
    planner = Planner(session, company, {"queue": []}, "13.0")
    for stream in [s.name for s in STREAMS] + list(DELETION_STREAMS):
        cursor = cursors.get(stream)
        remaining = planner._estimate_remaining(stream, cursor) if cursor else None
        out.append(
            {
                "name": stream,
                "mode": (
                    "not started"
                    if cursor is None
                    else cursor.phase
                    if cursor.phase != "initial" or stream in DELETION_STREAMS
                    else (
                        "historical"
                        if stream in BY_NAME and not BY_NAME[stream].is_list
                        else "initial"
                    )
                ),
                "records": counts.get(stream) if stream in BY_NAME else None,
                "watermark": cursor.watermark if cursor else None,
                "window": [cursor.window_from, cursor.window_to] if cursor else None,
                "last_page_at": cursor.last_page_at.isoformat()
                if cursor and cursor.last_page_at
                else None,
                "passes_completed": cursor.passes_completed if cursor else 0,
                "estimated_remaining": int(remaining) if remaining else 0,
                "skipped_reason": cursor.skipped_reason if cursor else None,
                "last_error": cursor.last_error if cursor else None,
                "retry_after": cursor.retry_after.isoformat()
                if cursor and cursor.retry_after
                else None,
            }
        )
    return out

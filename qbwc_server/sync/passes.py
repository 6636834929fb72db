"""A stream's passes: how its cursor moves from page to window to pass.

- initial: lists without iterator whole; iterator lists in modified-date windows; transactions
  in TxnDate windows from ``history_start`` (the historical sync), sized to the data's density
  (``sync/windows.py``);
- incremental: everything modified since the watermark minus an overlap (§6.5).

A page of records commits together with the cursor move, so a dropped session resumes from the
last committed page; iterators never outlive the QuickBooks session (§6.4), so a new session
restarts the current window with a fresh iterator.
"""

from __future__ import annotations

import logging
from datetime import datetime

from models import StreamCursor, utcnow
from qbwc_server.qbxml.parse import ResponseStatus
from qbwc_server.records.record_type import RecordType
from qbwc_server.sync import sizing, windows
from qbwc_server.sync.run import SyncRun
from qbwc_server.sync.state import editing_extra, stream_extra
from qbwc_server.sync.windows import Window

log = logging.getLogger(__name__)


def _reset_window_counts(cursor: StreamCursor) -> None:
    cursor.window_pages = 0
    cursor.window_records = 0
    cursor.window_total = None


def start_pass(run: SyncRun, rt: RecordType, cursor: StreamCursor, now: datetime) -> None:
    with editing_extra(cursor) as extra:
        extra.hw_start = company_high_water(run)
        extra.pass_end_seen = None
    cursor.pass_started_at = now
    cursor.pass_max_modified = None
    _reset_window_counts(cursor)
    if cursor.phase == "initial":
        cursor.pass_kind = "initial"
        # Iterator streams open with their whole range (windows.whole_range: one window when
        # the stream is small, cut at its first page when not); a stream whose pages have been
        # too large, and a list QuickBooks answers whole once a page of it could not be taken
        # (sync/sizing.py), walk windows from the first one.
        if rt.iterator or stream_extra(cursor).shrink:
            axis = windows.axis_of(rt.is_list)
            history = None if rt.is_list else run.history_start()
            if rt.iterator and not stream_extra(cursor).shrink:
                first = windows.whole_range(axis, history)
            else:
                first = windows.first_window(axis, history)
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


def page_done(
    run: SyncRun,
    rt: RecordType,
    cursor: StreamCursor,
    status: ResponseStatus,
    received: int,
    max_modified: str | None,
    seen_modified: list[str] | None = None,
) -> None:
    """A page was stored: count it, and go on in the window, the next window or pass end.
    ``seen_modified``: the page's TimeModified values (QuickBooks-local) in answer order."""
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
    run.count(received)
    sizing.taken(cursor)
    if first_page and rt.iterator:
        cursor.window_total = received + remaining
        if (
            cursor.pass_kind == "initial"
            and cursor.window_total > sizing.scaled(run.tuning.window_max, stream_extra(cursor))
            and remaining > 0
        ):
            current = Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds)
            target = sizing.window_aim(run, rt, cursor)
            axis = windows.axis_of(rt.is_list)
            smaller = windows.dense_end(
                axis, current, seen_modified or [], cursor.window_total, target
            ) or (
                windows.first_window(axis, None if rt.is_list else run.history_start())
                if windows.is_whole(current)
                else windows.split(axis, current)
            )
            if smaller is not None:
                # Too dense to be one resumable unit: page through a window of about the
                # target's size now (its share of the span by the density just seen).
                # The page just stored is kept (upserts are idempotent).
                if windows.is_whole(current):
                    # The look counted the stream; its page is read again by the first window.
                    with editing_extra(cursor) as extra:
                        extra.pass_end_seen = cursor.records_seen + cursor.window_total
                cursor.window_to = smaller.end
                cursor.window_span_seconds = smaller.span_seconds
                _reset_window_counts(cursor)
                run.state.live = None
                return
    if rt.iterator and remaining > 0 and not status.iterator_id:
        run.stream_error(cursor, "QuickBooks reported more records but no iterator ID")
        return
    if rt.iterator and remaining > 0 and status.iterator_id:
        run.keep_iterator(rt, cursor, cursor.pass_kind, status.iterator_id)
        return
    run.state.live = None
    window_done(run, rt, cursor, now)


def window_done(run: SyncRun, rt: RecordType, cursor: StreamCursor, now: datetime) -> None:
    if cursor.pass_kind == "initial" and cursor.window_span_seconds > 0:  # a windowed pass
        axis = windows.axis_of(rt.is_list)
        current = Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds)
        target = sizing.window_aim(run, rt, cursor)
        span = windows.adapt_span(axis, cursor.window_span_seconds, cursor.window_records, target)
        following = windows.next_window(axis, current, span)
        if following is not None and following.end is not None and _last_window(run, rt, cursor):
            following = Window(following.start, None, following.span_seconds)
        if following is not None:
            cursor.window_from, cursor.window_to = following.start, following.end
            cursor.window_span_seconds = following.span_seconds
            _reset_window_counts(cursor)
            return
    pass_done(run, rt, cursor, now)


def _last_window(run: SyncRun, rt: RecordType, cursor: StreamCursor) -> bool:
    """Whether what the pass's opening look counted and no window has read yet fits in one
    window: the next window is then the last, open-ended (to the horizon), instead of a
    window sized by the density just seen followed by empty ones up to the horizon (a
    20,000-vendor file ended with a window of 106 records and two empty ones). Records
    modified since the look are past every earlier window, so they are in it; a window that
    turns out too dense is still cut at its first page (:func:`page_done`)."""
    end_seen = stream_extra(cursor).pass_end_seen
    if end_seen is None:
        return False
    return end_seen - cursor.records_seen <= sizing.window_aim(run, rt, cursor)


def pass_done(run: SyncRun, rt: RecordType, cursor: StreamCursor, now: datetime) -> None:
    started = cursor.pass_started_at or now
    if cursor.pass_kind == "initial":
        # A complete first pass is as good as a reconciliation.
        cursor.last_reconciled_at = now
    if cursor.pass_kind == "incremental":
        detect_restore(run, rt, cursor)
    cursor.incremental_from = next_lower_bound(run, rt, cursor, started)
    if cursor.pass_max_modified and (
        cursor.watermark is None
        or windows.wall_clock(cursor.pass_max_modified) > windows.wall_clock(cursor.watermark)
    ):
        cursor.watermark = cursor.pass_max_modified
        with editing_extra(cursor) as extra:
            extra.watermark_id = extra.pass_max_id
    cursor.phase = "incremental"
    cursor.pass_kind = "incremental"
    cursor.pass_started_at = None
    cursor.passes_completed += 1
    cursor.last_pass_completed_at = now
    cursor.window_from = cursor.window_to = None
    _reset_window_counts(cursor)
    run.finish(rt.name)


def detect_restore(run: SyncRun, rt: RecordType, cursor: StreamCursor) -> None:
    """A company file restored from a backup goes back in time: the record that set our
    watermark comes back older or not at all. An incremental pass starting at or before the
    watermark must return something modified at or after it; when it does not, the data went
    backwards (user-pains: restored files), and every stream reconciles ids."""
    mark, start, seen = cursor.watermark, cursor.window_from, cursor.pass_max_modified
    if not mark or not start or windows.wall_clock(mark) < windows.wall_clock(start):
        return
    if seen and windows.wall_clock(seen) >= windows.wall_clock(mark):
        return
    # Either the record was deleted (the deletion sweep of this session will say so) or the
    # file went back in time. Decided after the sweep (Planner.settle_restore_suspects).
    run.state.restore_suspects[rt.name] = stream_extra(cursor).watermark_id or ""
    log.info(
        "company %s: %s: latest %s is older than our watermark %s",
        run.company.id, rt.name, seen, mark,
    )  # fmt: skip


def company_high_water(run: SyncRun) -> str | None:
    """The latest QuickBooks timestamp we have seen anywhere in this company file.

    Every value is the TimeModified (or TimeDeleted) of something that already happened, so
    it is at most the QuickBooks machine's "now", whatever that machine's clock says.
    """
    best: str | None = None
    for cursor in run.cursors().values():
        for value in (cursor.watermark, cursor.pass_max_modified):
            if value and (best is None or windows.wall_clock(value) > windows.wall_clock(best)):
                best = value
    return best


def next_lower_bound(run: SyncRun, rt: RecordType, cursor: StreamCursor, started: datetime) -> str:
    """Where the next modified-date pass starts (QuickBooks-local, no offset).

    Anything modified after this pass started carries a TimeModified at or after the company's
    high water at that moment (captured in :func:`start_pass`), so that minus the overlap is
    safe whatever the QuickBooks machine's clock and zone. Without any timestamp yet, a
    single-request pass may use its own latest TimeModified; failing that, the earliest local
    time anywhere when the pass started (windows.py).
    """
    overlap = run.tuning.overlap
    high_water = stream_extra(cursor).hw_start
    if isinstance(high_water, str) and high_water:
        return windows.incremental_lower_bound(started, overlap, high_water)
    single_request = not rt.iterator or cursor.pages <= 1
    if cursor.pass_max_modified and single_request:
        return windows.incremental_lower_bound(started, overlap, cursor.pass_max_modified)
    if cursor.pass_kind == "incremental" and cursor.incremental_from:
        return cursor.incremental_from
    return windows.incremental_lower_bound(started, overlap)

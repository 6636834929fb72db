"""Smaller requests after a page that could not be taken, back to the configured size after
pages that could.

A page can be too big to take: over the SOAP body limit (the WSGI guard refuses it, so the
answer never reaches the sync), too big for the SOAP layer's parser (a fault, likewise), not
readable, or refused by QuickBooks' request processor (an HRESULT; QuickBooks runs out of
memory building a huge iterator). Asking the same request again would fail the same way for
ever (§5: never resend unchanged), so each of these halves the stream's page size
(MaxReturned, §6.4) and narrows the window of its first pass (the TxnDate window of
transactions, the modified-date window of lists); a list without iterator, which QuickBooks
answers whole, is then fetched in modified-date windows. Pages taken in a row undo one halving:
:data:`GROW_AFTER` of them at first, twice as many after each failure (so a stream whose pages
keep being too big at the configured size does not fail every few pages), until the stream is
back at its configured size. The state is the stream's (``StreamExtra``), so it survives
sessions.

A page that got no answer at all — the session ended between sending it and taking its
answer — counts as one that could not be taken: the body limit and a fault in the SOAP layer
look exactly like that from here. A dropped connection looks the same; it costs a smaller
page for a few pages, never data.
"""

from __future__ import annotations

import logging

from models import StreamCursor
from qbwc_server.records.record_type import RecordType
from qbwc_server.sync import windows
from qbwc_server.sync.run import SyncRun
from qbwc_server.sync.state import StreamExtra, editing_extra, stream_extra
from qbwc_server.sync.windows import Window

log = logging.getLogger(__name__)

GROW_AFTER = 4  # pages taken in a row before one halving is undone (doubled per failure)
MAX_SHRINK = 10  # 1/1024 of the configured size: a page size of 1 for any sensible setting
MAX_GROW_DOUBLINGS = 6  # at most 4 x 64 = 256 pages before growing once more


def scaled(configured: int, extra: StreamExtra) -> int:
    """A configured size (page, window target) under the stream's halvings."""
    return max(1, configured >> extra.shrink)


def window_aim(run: SyncRun, rt: RecordType, cursor: StreamCursor) -> int:
    """How many records a new window is sized for: the window target plus a quarter page.
    A window's last records ride along with the page before them when they are at most half
    a page more (:func:`with_tail`), so windows of the target to the target plus half a page
    take the same pages: aiming at the middle of that range fills them (a 20,000-vendor file
    at the defaults: 46 pages of ~435 records became ~40), while a window that comes out
    larger than the maximum is still cut before it is paged through."""
    extra = stream_extra(cursor)
    configured = run.tuning.list_page_size if rt.is_list else run.tuning.txn_page_size
    target = scaled(run.tuning.window_target, extra)
    page = scaled(configured, extra)
    return target + page // 4 if page < target else target


def with_tail(page_size: int, cursor: StreamCursor) -> int:
    """The next page of a window also takes the window's last records when they are at most
    half a page more (one round trip instead of a page and a small remainder); not while the
    stream's pages are being shrunk."""
    if cursor.window_total is None or stream_extra(cursor).shrink:
        return page_size
    left = cursor.window_total - cursor.window_records
    return left if page_size < left <= page_size * 3 // 2 else page_size


def sent(cursor: StreamCursor, request_id: str) -> None:
    """A request of this stream is on its way; its answer clears the mark."""
    with editing_extra(cursor) as extra:
        extra.awaiting = request_id


def answered(cursor: StreamCursor) -> None:
    if stream_extra(cursor).awaiting is not None:
        with editing_extra(cursor) as extra:
            extra.awaiting = None


def unanswered(cursor: StreamCursor) -> bool:
    """The stream's last request got no answer (its session ended in between)."""
    return stream_extra(cursor).awaiting is not None


def taken(cursor: StreamCursor) -> None:
    """A page was taken: enough in a row undo one halving."""
    extra = stream_extra(cursor)
    if extra.shrink == 0 and extra.failures == 0:
        return
    with editing_extra(cursor) as extra:
        extra.successes += 1
        if extra.successes < GROW_AFTER << min(extra.failures, MAX_GROW_DOUBLINGS):
            return
        extra.successes = 0
        if extra.shrink > 0:
            extra.shrink -= 1
        else:
            extra.failures = 0  # at the configured size again, and it works


def shrink(
    run: SyncRun, rt: RecordType, cursor: StreamCursor, why: str, *, narrow: bool = True
) -> bool:
    """Make the stream's next request smaller; False when it cannot get any smaller.
    ``narrow``: also narrow the window of a first pass in flight."""
    extra = stream_extra(cursor)
    if extra.shrink >= MAX_SHRINK:
        return False
    with editing_extra(cursor) as extra:
        extra.shrink += 1
        extra.successes = 0
        extra.failures += 1
        extra.awaiting = None
    run.state.live = None  # the next page starts a fresh iterator, of the new size
    if narrow and cursor.pass_kind == "initial":
        _narrow_window(rt, cursor, None if rt.is_list else run.history_start())
    log.warning(
        "company %s: %s: %s; asking for smaller pages (1/%d of the configured size)",
        run.company.id, rt.name, why, 1 << (extra.shrink),
    )  # fmt: skip
    return True


def _narrow_window(rt: RecordType, cursor: StreamCursor, history: str | None) -> None:
    """The first half of the window in flight; a list answered whole, and a pass's opening
    look at its whole range (windows.whole_range), walk windows from the first one."""
    axis = windows.axis_of(rt.is_list)
    current = Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds)
    if (cursor.window_span_seconds == 0 and rt.is_list) or windows.is_whole(current):
        first = windows.first_window(axis, history)
        cursor.window_from, cursor.window_to = first.start, first.end
        cursor.window_span_seconds = first.span_seconds
    else:
        half = windows.split(axis, current)
        if half is not None:
            cursor.window_to = half.end
            cursor.window_span_seconds = half.span_seconds
    cursor.window_pages = 0
    cursor.window_records = 0
    cursor.window_total = None

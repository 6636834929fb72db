"""Window arithmetic for first passes (historical sync): pure functions, no database.

Transactions are fetched in TxnDateRangeFilter windows (dates), iterator lists in
FromModifiedDate/ToModifiedDate windows (QuickBooks-local datetimes without offset, §6.5). A
window is sized so it holds about TARGET records; one that turns out much larger is split
before it is paged through, so a dropped session never has to redo more than one window
(the rework bound documented in the README).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

Axis = Literal["txn_date", "modified"]

DAY = 86400
MIN_SPAN = {"txn_date": DAY, "modified": 3600}
MAX_SPAN = 20 * 365 * DAY
FIRST_SPAN = 180 * DAY
# The span of a first pass's opening look at its whole range (:func:`whole_range`): longer
# than any real window's (spans are clamped to MAX_SPAN), so it says what the window is.
WHOLE_SPAN = MAX_SPAN + 1
# Windows before the first data: QuickBooks Desktop's oldest plausible data.
FLOOR = {"txn_date": "1999-12-31", "modified": "1999-12-31T23:59:59"}
# QuickBooks writes local wall-clock time; no place on Earth is more than 14 h ahead of UTC,
# so UTC + 14 h is past every QuickBooks machine's "now".
AHEAD_OF_UTC = timedelta(hours=14)
BEHIND_UTC = timedelta(hours=12)


def axis_of(is_list: bool) -> Axis:
    """Iterator lists window by modification time, transactions by TxnDate."""
    return "modified" if is_list else "txn_date"


@dataclass(frozen=True)
class Window:
    start: str | None  # inclusive; None = from the beginning
    end: str | None  # inclusive; None = open-ended (up to "now" and beyond)
    span_seconds: int


def _parse(axis: Axis, value: str) -> datetime:
    if axis == "txn_date":
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    return datetime.fromisoformat(value[:19])


def _format(axis: Axis, value: datetime) -> str:
    if axis == "txn_date":
        return value.date().isoformat()
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _step(axis: Axis) -> timedelta:
    return timedelta(days=1) if axis == "txn_date" else timedelta(seconds=1)


def horizon(axis: Axis, now: datetime | None = None) -> datetime:
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    return now + AHEAD_OF_UTC + (timedelta(days=1) if axis == "txn_date" else timedelta())


def first_window(axis: Axis, history_start: str | None) -> Window:
    """history_start: a date (transactions from that day on) or None for everything."""
    if history_start:
        start = _parse(axis, history_start)
        end = start + timedelta(seconds=FIRST_SPAN) - _step(axis)
        return Window(_format(axis, start), _format(axis, end), FIRST_SPAN)
    return Window(None, FLOOR[axis], FIRST_SPAN)


def whole_range(axis: Axis, history_start: str | None) -> Window:
    """A first pass opens with its whole range (from ``history_start`` or the beginning, to
    no end): the first page's ``iteratorRemainingCount`` says how many records the stream has
    (§6.4). A stream holding at most the window maximum — most of a company file's streams,
    and every empty one — is then one window, asked with the other streams' opening pages in
    one message set (sync/batch.py); a denser one is cut to a first window at once
    (:func:`dense_end`, else :func:`first_window`), its first page kept."""
    start = _format(axis, _parse(axis, history_start)) if history_start else None
    return Window(start, None, WHOLE_SPAN)


def is_whole(window: Window) -> bool:
    return window.span_seconds > MAX_SPAN


def clamp_span(axis: Axis, span: int) -> int:
    return max(MIN_SPAN[axis], min(MAX_SPAN, int(span)))


def next_window(
    axis: Axis, previous: Window, span_seconds: int, now: datetime | None = None
) -> Window | None:
    """The window after ``previous``; None when ``previous`` was open-ended (pass complete)."""
    if previous.end is None:
        return None
    start = _parse(axis, previous.end) + _step(axis)
    span = clamp_span(axis, span_seconds)
    end = start + timedelta(seconds=span) - _step(axis)
    if end >= horizon(axis, now):
        return Window(_format(axis, start), None, span)
    return Window(_format(axis, start), _format(axis, end), span)


def split(axis: Axis, window: Window, now: datetime | None = None) -> Window | None:
    """The first half of a window that holds too many records; None when it cannot shrink."""
    if window.start is None:
        return None  # the "everything before" window: keep it whole (rare, old data)
    start = _parse(axis, window.start)
    end = _parse(axis, window.end) if window.end is not None else horizon(axis, now)
    span = (end - start).total_seconds()
    if span < 2 * MIN_SPAN[axis]:
        return None
    half = clamp_span(axis, int(span // 2))
    new_end = start + timedelta(seconds=half) - _step(axis)
    return Window(window.start, _format(axis, new_end), half)


def dense_end(
    axis: Axis,
    window: Window,
    seen: list[str],
    total: int,
    target: int,
    now: datetime | None = None,
) -> Window | None:
    """The first part of a too-dense window (``total`` records, about ``target`` wanted),
    sized by the TimeModified values its first page revealed (``seen``, QuickBooks-local, in
    answer order), not by halving again and again (each split asks its first page again):

    - answered in TimeModified order (the page holds the window's earliest records): the
      page's own density, extrapolated from its first to ``target`` records;
    - in another order (the page samples the whole window): the ``target / total`` quantile.

    Only the window's end moves, never its start, so a wrong guess costs a page, never a
    record. None when the page says nothing usable (the caller halves instead)."""
    if axis != "modified" or len(seen) < 2 or total <= target:
        return None
    if window.start is None and not is_whole(window):
        return None  # the "everything before the floor" window: kept whole
    ordered = all(a <= b for a, b in itertools.pairwise(seen))
    if ordered:
        first, last = _parse(axis, seen[0]), _parse(axis, seen[-1])
        reach = (last - first) * (target / len(seen))
        end = first + reach
    else:
        values = sorted(seen)
        end = _parse(axis, values[min(len(values) - 1, int(len(values) * target / total))])
    # Without a start (the whole range), the earliest record seen stands in for it: what
    # lies before it is at most what the page did not show.
    start = _parse(axis, window.start or min(seen))
    old_end = _parse(axis, window.end) if window.end is not None else horizon(axis, now)
    end = max(end, start + timedelta(seconds=MIN_SPAN[axis]) - _step(axis))
    if end >= old_end:
        return None
    span = clamp_span(axis, int((end - start).total_seconds()) + 1)
    return Window(window.start, _format(axis, end), span)


def adapt_span(axis: Axis, span_seconds: int, records: int, target: int) -> int:
    """Size the next window from the density of the one just finished."""
    if records <= 0:
        return clamp_span(axis, span_seconds * 4)  # empty: grow fast through quiet years
    factor = target / records
    factor = max(0.25, min(4.0, factor))
    return clamp_span(axis, int(span_seconds * factor))


def remaining_span_seconds(axis: Axis, window: Window, now: datetime | None = None) -> float:
    """Seconds from the end of ``window`` to the horizon (0 when open-ended)."""
    if window.end is None:
        return 0.0
    return max(0.0, (horizon(axis, now) - _parse(axis, window.end)).total_seconds())


def wall_clock(time_modified: str) -> str:
    """'2024-03-10T02:30:00-08:00' -> '2024-03-10T02:30:00' (QuickBooks-local, §6.5)."""
    return time_modified[:19]


def incremental_lower_bound(
    pass_started: datetime, overlap: timedelta, watermark: str | None = None
) -> str:
    """Lower bound for the next modified-date pass, in QuickBooks-local time without offset.

    With a watermark (the greatest TimeModified of a complete pass) the bound is the watermark
    minus the overlap: anything modified later carries a later wall-clock time. Without one we
    cannot know the QuickBooks machine's zone, so we take the earliest local time anywhere at
    the moment the pass started (UTC - 12 h) minus the overlap. The overlap absorbs the hour a
    DST change repeats and clock skew; re-fetched records are de-duplicated by EditSequence.
    """
    if watermark:
        bound = datetime.fromisoformat(wall_clock(watermark)) - overlap
    else:
        bound = pass_started.astimezone(UTC).replace(tzinfo=None) - BEHIND_UTC - overlap
    return bound.strftime("%Y-%m-%dT%H:%M:%S")

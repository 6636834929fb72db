"""sync/windows.py: the window arithmetic of first passes, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from models import StreamCursor
from qbwc_server.config import SyncTuning
from qbwc_server.records.types import RECORD_TYPES
from qbwc_server.sync import sizing, windows
from qbwc_server.sync.windows import DAY, FIRST_SPAN, MAX_SPAN, MIN_SPAN, Window

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def test_axis_of_lists_and_transactions() -> None:
    assert windows.axis_of(True) == "modified"
    assert windows.axis_of(False) == "txn_date"


def test_first_window_from_a_history_start() -> None:
    first = windows.first_window("txn_date", "2024-01-01")
    assert first == Window("2024-01-01", "2024-06-28", FIRST_SPAN)  # 180 days, inclusive end
    listed = windows.first_window("modified", "2024-01-01")
    assert listed == Window("2024-01-01T00:00:00", "2024-06-28T23:59:59", FIRST_SPAN)


def test_first_window_without_history_start_takes_everything_before_the_floor() -> None:
    assert windows.first_window("txn_date", None) == Window(None, "1999-12-31", FIRST_SPAN)
    assert windows.first_window("modified", None) == Window(None, "1999-12-31T23:59:59", FIRST_SPAN)


def test_next_window_starts_the_day_after_and_is_clamped() -> None:
    previous = Window("2024-01-01", "2024-01-31", 31 * DAY)
    following = windows.next_window("txn_date", previous, 10 * DAY, NOW)
    assert following == Window("2024-02-01", "2024-02-10", 10 * DAY)
    tiny = windows.next_window("txn_date", previous, 1, NOW)
    assert tiny == Window("2024-02-01", "2024-02-01", MIN_SPAN["txn_date"])
    modified = windows.next_window("modified", Window(None, "2024-01-01T00:00:00", 0), 1, NOW)
    assert modified == Window("2024-01-01T00:00:01", "2024-01-01T01:00:00", 3600)


def test_next_window_reaching_now_is_open_ended_and_the_last() -> None:
    previous = Window("2026-01-01", "2026-05-31", 151 * DAY)
    last = windows.next_window("txn_date", previous, 180 * DAY, NOW)
    assert last == Window("2026-06-01", None, 180 * DAY)
    assert windows.next_window("txn_date", last, 180 * DAY, NOW) is None


def test_split_halves_a_window_and_refuses_below_the_minimum() -> None:
    window = Window("2024-01-01", "2024-12-31", 366 * DAY)
    half = windows.split("txn_date", window, NOW)
    assert half == Window("2024-01-01", "2024-06-30", 365 * DAY // 2)
    assert windows.split("txn_date", Window("2024-01-01", "2024-01-01", DAY), NOW) is None
    # The open-ended window splits against the horizon; the "everything before" one never.
    assert windows.split("txn_date", Window("2026-06-01", None, 0), NOW) is not None
    assert windows.split("txn_date", Window(None, "1999-12-31", FIRST_SPAN), NOW) is None


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (0, 4 * 10 * DAY),  # empty: grow fast
        (1000, 10 * DAY),  # on target: keep
        (2000, 5 * DAY),  # twice too dense: halve
        (100000, int(10 * DAY * 0.25)),  # far too dense: at most a quarter at once
        (10, 40 * DAY),  # sparse: at most four times at once
    ],
)
def test_adapt_span_follows_the_density(records: int, expected: int) -> None:
    assert windows.adapt_span("txn_date", 10 * DAY, records, 1000) == expected


def test_adapt_span_stays_within_the_bounds() -> None:
    assert windows.adapt_span("txn_date", MAX_SPAN, 0, 1000) == MAX_SPAN
    assert windows.adapt_span("modified", 3600, 10**6, 1000) == MIN_SPAN["modified"]


def test_remaining_span_to_the_horizon() -> None:
    assert windows.remaining_span_seconds("txn_date", Window("2026-06-01", None, 0), NOW) == 0
    ahead = windows.remaining_span_seconds("txn_date", Window(None, "2026-06-14", 0), NOW)
    # From the window's last day to UTC + 14 h + a day past now.
    assert ahead == (datetime(2026, 6, 17, 2) - datetime(2026, 6, 14)).total_seconds()


def test_wall_clock_drops_the_offset() -> None:
    assert windows.wall_clock("2024-03-10T02:30:00-08:00") == "2024-03-10T02:30:00"


def test_incremental_lower_bound_from_a_watermark_minus_the_overlap() -> None:
    bound = windows.incremental_lower_bound(NOW, timedelta(hours=2), "2024-03-10T02:30:00-07:00")
    assert bound == "2024-03-10T00:30:00"  # local wall clock, the offset ignored (§6.5)


def test_incremental_lower_bound_without_watermark_is_the_earliest_local_time() -> None:
    bound = windows.incremental_lower_bound(NOW, timedelta(hours=2))
    assert bound == "2026-06-14T22:00:00"  # UTC 12:00 - 12 h (UTC-12) - 2 h overlap


def _stamps(start: str, count: int, step_seconds: int) -> list[str]:
    first = datetime.fromisoformat(start)
    return [(first + timedelta(seconds=i * step_seconds)).isoformat() for i in range(count)]


def test_a_dense_window_in_modified_order_is_cut_by_the_first_page_density() -> None:
    # 20,000 records from 2009 on; the first page (500, one a minute) starts in 2022.
    window = Window("2009-11-09T00:00:00", None, 630720000)
    seen = _stamps("2022-07-01T00:00:00", 500, 60)
    cut = windows.dense_end("modified", window, seen, 20000, 1000, NOW)
    assert cut is not None and cut.start == window.start
    # Twice the page's reach: about 1,000 records at that density (halving would have needed
    # about ten splits, each asking the first page again).
    assert cut.end == "2022-07-01T16:38:00"
    assert (
        cut.span_seconds
        == int((datetime(2022, 7, 1, 16, 38) - datetime(2009, 11, 9)).total_seconds()) + 1
    )


def test_a_dense_window_in_another_order_is_cut_at_the_target_quantile() -> None:
    window = Window("2024-01-01T00:00:00", "2024-12-31T23:59:59", 366 * DAY)
    # The page samples the whole window (answered in creation order, say): one a day, shuffled.
    seen = _stamps("2024-01-01T00:00:00", 360, DAY)
    seen = seen[::2] + seen[1::2]
    cut = windows.dense_end("modified", window, seen, 3600, 900, NOW)
    assert cut is not None
    assert cut.end == sorted(seen)[90]  # 900 / 3600 of the way through the sample


def test_dense_end_gives_up_when_the_page_says_nothing_usable() -> None:
    window = Window("2024-01-01T00:00:00", "2024-01-02T00:00:00", DAY)
    seen = _stamps("2024-01-01T00:00:00", 500, 1)
    assert windows.dense_end("txn_date", window, seen, 5000, 1000, NOW) is None  # dates: halve
    assert windows.dense_end("modified", Window(None, "1999-12-31T23:59:59", 0), seen, 5000,
                             1000, NOW) is None  # fmt: skip
    assert windows.dense_end("modified", window, seen[:1], 5000, 1000, NOW) is None
    assert windows.dense_end("modified", window, seen, 900, 1000, NOW) is None  # not dense
    # The estimate reaches the window's end: no cut (the caller halves).
    late = _stamps("2024-01-01T20:00:00", 500, 60)
    assert windows.dense_end("modified", window, late, 5000, 1000, NOW) is None


def test_dense_end_keeps_at_least_the_minimum_span() -> None:
    window = Window("2024-01-01T00:00:00", "2024-12-31T23:59:59", 366 * DAY)
    same = ["2024-03-01T10:00:00"] * 500  # all written in the same second
    cut = windows.dense_end("modified", window, same, 5000, 1000, NOW)
    assert cut is not None and cut.end == "2024-03-01T10:00:00"  # that second is included
    early = ["2024-01-01T00:00:10"] * 500
    cut = windows.dense_end("modified", window, early, 5000, 1000, NOW)
    assert cut is not None and cut.end == "2024-01-01T00:59:59"
    assert cut.span_seconds == MIN_SPAN["modified"]


def test_a_first_pass_opens_with_its_whole_range() -> None:
    whole = windows.whole_range("txn_date", "2024-01-01")
    assert whole == Window("2024-01-01", None, windows.WHOLE_SPAN)
    assert windows.is_whole(whole)
    assert windows.whole_range("modified", None) == Window(None, None, windows.WHOLE_SPAN)
    # No real window is taken for the whole range: spans are clamped below it.
    assert not windows.is_whole(Window("2024-01-01", None, MAX_SPAN))
    assert windows.clamp_span("txn_date", windows.WHOLE_SPAN * 2) == MAX_SPAN
    # The whole range has no end: once taken, the pass is complete.
    assert windows.next_window("txn_date", whole, FIRST_SPAN, NOW) is None


def test_a_dense_whole_range_is_cut_from_its_first_records() -> None:
    whole = windows.whole_range("modified", None)
    seen = _stamps("2022-07-01T00:00:00", 100, 60)  # answered in TimeModified order
    cut = windows.dense_end("modified", whole, seen, 20000, 1000, NOW)
    assert cut is not None and cut.start is None  # nothing is older than the first record
    assert cut.end == "2022-07-01T16:30:00"  # ten times the page's reach: ~1,000 records
    assert not windows.is_whole(cut)
    assert cut.span_seconds == 16 * 3600 + 30 * 60 + 1  # measured from the first record
    # A sample of the whole range (another order): the target quantile, start still None.
    daily = _stamps("2022-01-01T00:00:00", 100, DAY)
    cut = windows.dense_end("modified", whole, daily[::2] + daily[1::2], 400, 100, NOW)
    assert cut is not None and cut.start is None and cut.end == daily[25]
    # The everything-before-the-floor window stays whole, as before.
    floor = windows.first_window("modified", None)
    assert windows.dense_end("modified", floor, seen, 20000, 1000, NOW) is None


def test_new_windows_aim_a_quarter_page_past_the_target() -> None:
    """A window's last records up to half a page more ride along with the page before them:
    aiming at target + page/4 fills the pages of a window (sizing.window_aim)."""
    tuning = SyncTuning(list_page_size=500, txn_page_size=100, window_target=1000)
    run: Any = SimpleNamespace(tuning=tuning)
    vendors, bills = RECORD_TYPES["vendors"], RECORD_TYPES["bills"]
    cursor = StreamCursor(company_id=1, stream="vendors", extra={})
    assert sizing.window_aim(run, vendors, cursor) == 1125
    assert sizing.window_aim(run, bills, cursor) == 1025
    cursor.extra = {"shrink": 1}  # halved pages and target
    assert sizing.window_aim(run, vendors, cursor) == 500 + 62
    big_pages: Any = SimpleNamespace(tuning=SyncTuning(list_page_size=2000, window_target=1000))
    assert sizing.window_aim(big_pages, vendors, StreamCursor(extra={})) == 1000

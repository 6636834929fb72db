"""Sync windows and pause (issue 11 item 6), driven by the simulator through the real app.

The server's schedule clock (``services/sync_schedule.now``) is replaced by a controllable one:
outside the window the historical transaction windows wait — where they stopped — while the
lists, incremental passes and write-back go on; once the window opens the first sync finishes.
A pause makes authenticate answer ``none`` with a postpone and says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from qbwc_server.services import sync_schedule
from qbwc_server.sim.report import Outcome
from tests.profile.helpers import status_of
from tests.sync.expected import LIST_STREAMS, TXN_STREAMS
from tests.sync.helpers import compare_all, first_txn_date, generate_current

WINDOW = {"start": "19:00", "end": "07:00", "timezone": "America/New_York"}
NOON_NEW_YORK = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 12:00 EST: closed
EVENING_NEW_YORK = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 20:00 EST: open


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    controlled = Clock(NOON_NEW_YORK)
    monkeypatch.setattr(sync_schedule, "now", controlled)
    return controlled


def test_the_window_arithmetic_spans_midnight_in_the_companys_zone() -> None:
    assert not sync_schedule.in_window(WINDOW, NOON_NEW_YORK)
    assert sync_schedule.in_window(WINDOW, EVENING_NEW_YORK)
    assert sync_schedule.in_window(WINDOW, datetime(2026, 12, 8, 11, 59, tzinfo=UTC))  # 06:59
    assert not sync_schedule.in_window(WINDOW, datetime(2026, 12, 8, 12, 0, tzinfo=UTC))
    assert sync_schedule.next_opening(WINDOW, NOON_NEW_YORK) == datetime(
        2026, 12, 8, 0, 0, tzinfo=UTC
    )
    assert sync_schedule.last_closing(WINDOW, NOON_NEW_YORK) == datetime(
        2026, 12, 7, 12, 0, tzinfo=UTC
    )
    # Summer time: 19:00 EDT is 23:00 UTC.
    july = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert sync_schedule.next_opening(WINDOW, july) == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    day = {"start": "09:00", "end": "17:01", "timezone": "UTC"}  # the end is not in it
    assert sync_schedule.in_window(day, NOON_NEW_YORK)
    assert not sync_schedule.in_window(day, NOON_NEW_YORK + timedelta(minutes=1))
    assert not sync_schedule.in_window(day, EVENING_NEW_YORK)
    assert sync_schedule.in_window(None, NOON_NEW_YORK)


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("19:00-07:00", "sync_window"),
        ({"start": "19:00", "end": "07:00"}, "sync_window.timezone"),
        ({"start": "7:00", "end": "19:00", "timezone": "UTC"}, "sync_window.start"),
        ({"start": "19:00", "end": "24:00", "timezone": "UTC"}, "sync_window.end"),
        ({"start": "19:00", "end": "19:00", "timezone": "UTC"}, "sync_window.end"),
        ({"start": "19:00", "end": "07:00", "timezone": "Mars/Olympus"}, "sync_window.timezone"),
        (
            {"start": "19:00", "end": "07:00", "timezone": "../../etc/passwd"},
            "sync_window.timezone",
        ),
        ({"start": "19:00", "end": "07:00", "timezone": 5}, "sync_window.timezone"),
        ({**WINDOW, "days": "weekdays"}, "sync_window.days"),
    ],
)
def test_a_bad_sync_window_is_a_clear_422(inproc_app: Any, value: Any, field: str) -> None:
    _, api = inproc_app()
    _, created = api.request("POST", "/api/companies", {"name": "Window Co"})
    status, body = api.request("PATCH", f"/api/companies/{created['id']}", {"sync_window": value})
    assert status == 422, body
    assert body["error"]["field"] == field, body


@pytest.mark.parametrize(
    "value",
    [
        "tomorrow",
        "2026-12-07T08:00:00",  # no offset: whose 8 o'clock?
        "2000-01-01T00:00:00Z",  # the past
        "2999-01-01T00:00:00Z",  # more than a year
        12,
    ],
)
def test_a_bad_pause_is_a_clear_422(inproc_app: Any, value: Any) -> None:
    _, api = inproc_app()
    _, created = api.request("POST", "/api/companies", {"name": "Pause Co"})
    status, body = api.request(
        "PATCH", f"/api/companies/{created['id']}", {"paused_until": value, "name": "Renamed"}
    )
    assert status == 422 and body["error"]["field"] == "paused_until", body
    # Nothing changed: every value is checked before any is applied.
    assert api.get(f"/api/companies/{created['id']}")["name"] == "Pause Co"


def test_a_sync_window_defers_the_historical_windows_until_it_opens(
    inproc_rig: Any, clock: Clock
) -> None:
    company = generate_current("tiny", seed=21)
    rig = inproc_rig(company, first_txn_date(company))
    status, view = rig.api.request(
        "PATCH", f"/api/companies/{rig.company_id}", {"sync_window": WINDOW}
    )
    assert status == 200 and view["sync_window"] == WINDOW

    # Noon in New York: lists sync, the historical transaction windows wait.
    closed = rig.run_session()
    fetched = set(closed.records_by_type)
    assert "VendorRet" in fetched and "AccountRet" in fetched
    assert not fetched & {"BillRet", "BillPaymentCheckRet", "CheckRet", "PurchaseOrderRet"}
    compare_all(rig, LIST_STREAMS).assert_equal()
    streams = rig.streams()
    assert all(streams[name]["records"] in (0, None) for name in TXN_STREAMS)
    shown = status_of(rig)
    assert shown["state"] == "Syncing"  # the first sync is not finished
    assert shown["problem"]["code"] == "sync_window"
    assert shown["problem"]["needs_attention"] is False
    assert "19:00-07:00 America/New_York" in shown["problem"]["detail"]
    assert "2026-12-07 19:00 America/New_York" in shown["problem"]["detail"]
    assert shown["progress"]["stage"] == (
        "Historical sync waits for the sync window: it continues at 19:00 America/New_York"
    )
    assert shown["progress"]["eta_seconds"] is None

    # Still closed an hour later: still nothing historical.
    clock.at += timedelta(hours=1)
    assert not {"BillRet"} & set(rig.run_session().records_by_type)

    # 20:00 in New York: the historical sync runs and the first sync finishes.
    clock.at = EVENING_NEW_YORK
    for _ in range(5):
        rig.run_session()
        if status_of(rig)["state"] == "Connected to Server":
            break
    shown = status_of(rig)
    assert shown["state"] == "Connected to Server" and shown["problem"] is None
    compare_all(rig).assert_equal()


def test_the_historical_sync_continues_where_it_stopped(inproc_rig: Any, clock: Clock) -> None:
    company = generate_current("tiny", seed=22)
    # Windows of ~10 bills: the bills (more than the window maximum) walk windows.
    rig = inproc_rig(company, first_txn_date(company), QBWC_TXN_PAGE_SIZE=3, QBWC_WINDOW_TARGET=10)
    rig.api.request("PATCH", f"/api/companies/{rig.company_id}", {"sync_window": WINDOW})
    clock.at = EVENING_NEW_YORK

    def close_after_some_bills(report: Any, _value: int) -> None:
        if len(rig.records("bills")) >= 6:  # stored (a first look's page is read twice)
            clock.at = NOON_NEW_YORK + timedelta(days=1)  # the window closes mid-session

    rig.wc.on_progress = close_after_some_bills
    first = rig.run_session()
    rig.wc.on_progress = None
    bills_before = len(rig.records("bills"))
    total = len([r for r in company.records("Bill")])
    assert 6 <= bills_before < total, (bills_before, total)
    assert first.records_by_type.get("BillRet", 0) < total
    assert rig.streams()["bills"]["mode"] != "incremental"

    clock.at = EVENING_NEW_YORK + timedelta(days=1)
    later = rig.run_session()
    # It went on from its window, not from the start of the history.
    assert later.records_by_type.get("BillRet", 0) <= total - bills_before + 10
    for _ in range(4):
        if status_of(rig)["state"] == "Connected to Server":
            break
        rig.run_session()
    compare_all(rig).assert_equal()


def test_a_pause_answers_none_with_a_postpone_and_says_why(inproc_rig: Any) -> None:
    rig = inproc_rig(generate_current("tiny", seed=23), history_start="all")
    rig.run_session()
    until = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    status, view = rig.api.request(
        "PATCH", f"/api/companies/{rig.company_id}", {"paused_until": until.isoformat()}
    )
    assert status == 200, view
    assert view["paused_until"] == until.isoformat() and view["paused_at"]
    shown = status_of(rig)
    assert shown["state"] == "Paused"
    assert shown["problem"]["code"] == "paused" and until.strftime("%H:%M") in str(
        shown["problem"]["detail"]
    )

    paused = rig.run_session(expect=Outcome.NONE)
    assert paused.auth_status == "none"
    assert paused.postpone_seconds is not None and 3600 < paused.postpone_seconds <= 7201
    assert not paused.requests

    status, view = rig.api.request(
        "PATCH", f"/api/companies/{rig.company_id}", {"paused_until": None}
    )
    assert status == 200 and view["paused_until"] is None and view["paused_at"] is None
    assert status_of(rig)["state"] == "Connected to Server"
    rig.run_session()

"""Large bodies of a live session are admitted from memory only for tickets this process
resolved moments ago (engine/tickets.py RecentlyLive); anything else is looked up."""

from __future__ import annotations

import time

import pytest

from qbwc_server.engine import tickets
from qbwc_server.engine.tickets import RecentlyLive


def test_a_noted_ticket_is_live_for_a_short_while_only(monkeypatch: pytest.MonkeyPatch) -> None:
    live = RecentlyLive()
    live.note("t1", seconds_left=3600)
    assert "t1" in live and "t2" not in live
    later = time.monotonic() + RecentlyLive.LIVE_FOR + 1
    monkeypatch.setattr(tickets.time, "monotonic", lambda: later)
    assert "t1" not in live


def test_never_past_the_tickets_own_expiry() -> None:
    live = RecentlyLive()
    live.note("t1", seconds_left=-1)  # expired: never admitted from memory
    assert "t1" not in live


def test_forgotten_when_closed_and_bounded() -> None:
    live = RecentlyLive()
    live.note("t1", seconds_left=60)
    live.forget("t1")
    assert "t1" not in live
    for n in range(RecentlyLive.MAX_TICKETS + 10):
        live.note(f"x{n}", seconds_left=60)
    assert "x0" not in live and f"x{RecentlyLive.MAX_TICKETS + 9}" in live


def test_seen_live_never_admits_an_empty_ticket() -> None:
    assert not tickets.seen_live("")

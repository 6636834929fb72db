"""Times on the pages: relative words, the exact time on hover, never raw ISO."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qbwc_server.web.timefmt import ago, day, duration, exact, relative

NOW = datetime(2026, 12, 6, 14, 3, 12, 123456, tzinfo=UTC)


def test_relative_words() -> None:
    assert relative(NOW - timedelta(seconds=5), NOW) == "just now"
    assert relative(NOW - timedelta(seconds=40), NOW) == "a few seconds ago"
    assert relative(NOW - timedelta(minutes=12, seconds=50), NOW) == "12 minutes ago"
    assert relative(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert relative(NOW - timedelta(hours=26), NOW) == "1 day ago"
    assert relative(NOW + timedelta(days=7) - timedelta(seconds=20), NOW) == "in 7 days"
    assert relative(NOW + timedelta(hours=3, minutes=59, seconds=50), NOW) == "in 4 hours"


def test_the_exact_time_is_on_hover_without_microseconds() -> None:
    html = str(ago(NOW.isoformat()))
    assert 'title="6 Dec 2026, 14:03:12 UTC"' in html
    assert 'datetime="2026-12-06T14:03:12+00:00"' in html and "123456" not in html
    assert exact("2026-12-06T14:03:12.5") == "6 Dec 2026, 14:03:12 UTC"  # naive means UTC
    assert str(ago(None)) == '<span class="muted">never</span>'
    assert str(ago(None, "not yet")) == '<span class="muted">not yet</span>'


def test_days_and_durations() -> None:
    assert day("2025-01-13") == "13 Jan 2025"
    assert day("all") == "the beginning (all history)"
    assert duration(None) == "not measured yet"
    assert duration(42) == "42 seconds"
    assert duration(3599) == "about 1 h 0 min"
    assert duration(65 * 60) == "about 1 h 5 min"
    assert duration(4 * 60 + 1) == "about 5 min"

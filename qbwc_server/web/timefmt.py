"""Times as people read them: "12 minutes ago", with the exact time on hover.

The status read model gives ISO instants (UTC, with microseconds); a page never prints them.
``ago`` writes ``<time datetime="..." title="6 Dec 2026, 14:03:12 UTC">12 minutes ago</time>``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from markupsafe import Markup, escape

from models import utcnow


def parse_instant(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def exact(value: str | datetime | None) -> str:
    """``6 Dec 2026, 14:03:12 UTC`` (no microseconds), or "" for no time."""
    at = parse_instant(value)
    if at is None:
        return ""
    at = at.astimezone(UTC)
    return f"{at.day} {at:%b %Y, %H:%M:%S} UTC"


def _amount(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "a few seconds" if seconds >= 10 else "moments"


def relative(value: str | datetime | None, now: datetime | None = None) -> str:
    """``12 minutes ago`` / ``in 3 hours`` / ``just now``."""
    at = parse_instant(value)
    if at is None:
        return ""
    seconds = int(((now or utcnow()) - at).total_seconds())
    if abs(seconds) < 10:
        return "just now"
    if seconds < 0:  # a deadline set "7 days from now" a moment ago still reads "in 7 days"
        return f"in {_amount((-seconds + 59) // 60 * 60)}"
    return f"{_amount(seconds)} ago"


def ago(value: str | datetime | None, never: str = "never") -> Markup:
    """The relative time in a ``<time>`` element whose title is the exact time."""
    at = parse_instant(value)
    if at is None:
        return Markup('<span class="muted">{}</span>').format(never)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        at.astimezone(UTC).isoformat(timespec="seconds"), exact(at), relative(at)
    )


def day(value: str | None) -> str:
    """``2024-01-31`` -> ``31 Jan 2024``; "all" -> "the beginning"."""
    if not value:
        return ""
    if value == "all":
        return "the beginning (all history)"
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return str(escape(value))
    return f"{d.day} {d:%b %Y}"


def duration(seconds: float | int | None, unknown: str = "not measured yet") -> str:
    """``about 1 h 5 min`` / ``about 3 min`` / ``42 seconds``."""
    if seconds is None:
        return unknown
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    hours, rest = divmod(seconds, 3600)
    minutes = (rest + 59) // 60
    if minutes == 60:
        hours, minutes = hours + 1, 0
    return f"about {hours} h {minutes} min" if hours else f"about {minutes} min"


def span_seconds(start: str | None, end: str | None) -> float | None:
    a, b = parse_instant(start), parse_instant(end)
    if a is None or b is None:
        return None
    return (b - a).total_seconds()


FILTERS = {"ago": ago, "exact": exact, "day": day, "duration": duration}

__all__ = ["FILTERS", "ago", "day", "duration", "exact", "parse_instant", "relative"]

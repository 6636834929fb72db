"""When a company may sync: its sync window and its pause (``PATCH /api/companies/{id}``).

- ``sync_window`` ``{"start": "19:00", "end": "07:00", "timezone": "America/New_York"}``: the
  heavy historical transaction windows (the first pass of transaction streams) run only within
  these hours, in that zone; list passes, incremental passes and write-back go on at any time.
  ``end`` before ``start`` spans midnight. None: any time.
- ``paused_until``: until then authenticate answers ``none`` with a postpone (services/
  sync_gate.py) and the company's state is ``Paused``.

The clock is :func:`now` (UTC), which tests replace to move time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models import Company, utcnow
from qbwc_server.services.errors import Invalid

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_WINDOW_KEYS = ("start", "end", "timezone")
MAX_PAUSE = timedelta(days=366)


def now() -> datetime:
    """The schedule's clock (an aware UTC instant)."""
    return utcnow()


# --- validation --------------------------------------------------------------------------------


def _hhmm(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise Invalid(f'{field} must be a time of day "HH:MM" from 00:00 to 23:59', field=field)
    return value


def zone(name: Any, field: str = "sync_window.timezone") -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``America/New_York``); :class:`Invalid` otherwise."""
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise Invalid(
            f'{field} must be an IANA time zone name like "America/New_York"', field=field
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            f'{field}: unknown time zone {name!r}; use an IANA name like "America/New_York"',
            field=field,
        ) from None


def validate_sync_window(value: Any) -> dict[str, str] | None:
    """``{"start", "end", "timezone"}`` as stored, or None (any time)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(
            'sync_window must be null or {"start": "19:00", "end": "07:00", '
            '"timezone": "America/New_York"}',
            field="sync_window",
        )
    unknown = sorted(set(value) - set(_WINDOW_KEYS))
    if unknown:
        raise Invalid(
            f"sync_window: unknown field {unknown[0]!r}; accepted: start, end, timezone",
            field=f"sync_window.{unknown[0] or '(empty name)'}",
        )
    for key in _WINDOW_KEYS:
        if key not in value:
            raise Invalid(f"sync_window.{key} is required", field=f"sync_window.{key}")
    start = _hhmm(value["start"], "sync_window.start")
    end = _hhmm(value["end"], "sync_window.end")
    if start == end:
        raise Invalid(
            "sync_window.end must differ from sync_window.start (null means any time)",
            field="sync_window.end",
        )
    zone(value["timezone"])
    return {"start": start, "end": end, "timezone": value["timezone"]}


def validate_paused_until(value: Any, at: datetime | None = None) -> datetime | None:
    """An ISO 8601 instant with its offset (``2026-12-07T08:00:00-05:00``, ``...Z``) in the
    next 366 days, or None (not paused)."""
    if value is None:
        return None
    field = "paused_until"
    if not isinstance(value, str) or len(value) > 40:
        raise Invalid(
            'paused_until must be null or a time like "2026-12-07T08:00:00-05:00"', field=field
        )
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(
            f'paused_until: {value!r} is not a time like "2026-12-07T08:00:00-05:00"', field=field
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise Invalid(
            'paused_until needs its UTC offset ("...-05:00" or "...Z"): whose 8 o\'clock?',
            field=field,
        )
    at = at or now()
    until = parsed.astimezone(UTC)
    if until <= at:
        raise Invalid("paused_until is in the past; null resumes the sync", field=field)
    if until - at > MAX_PAUSE:
        raise Invalid("paused_until must be within a year from now", field=field)
    return until


# --- the pause ----------------------------------------------------------------------------------


class Pausable(Protocol):
    paused_until: datetime | None


def is_paused(company: Pausable, at: datetime | None = None) -> bool:
    return company.paused_until is not None and company.paused_until > (at or now())


def set_pause(company: Company, until: datetime | None, at: datetime | None = None) -> None:
    """Pause until ``until`` (None resumes). ``paused_at`` stays when a pause is extended."""
    at = at or now()
    if until is None:
        company.paused_until = None
        company.paused_at = None
        return
    if not is_paused(company, at):
        company.paused_at = at
    company.paused_until = until


# --- the sync window ----------------------------------------------------------------------------


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_window(window: dict[str, str] | None, at: datetime | None = None) -> bool:
    """Whether ``at`` (default: now) lies in the window; always True without one."""
    if not window:
        return True
    local = (at or now()).astimezone(zone(window["timezone"])).time().replace(tzinfo=None)
    start, end = _clock(window["start"]), _clock(window["end"])
    if start < end:
        return start <= local < end
    return local >= start or local < end  # spans midnight


def _local(window: dict[str, str], key: str, at: datetime, days: range) -> datetime:
    """The first of ``window[key]`` on the local days ``days`` from ``at``'s that is after
    ``at`` (days counting up) or at/before it (counting down), in UTC."""
    tz = zone(window["timezone"])
    local = at.astimezone(tz)
    moment = _clock(window[key])
    for offset in days:
        candidate = datetime.combine(local.date() + timedelta(days=offset), moment, tzinfo=tz)
        instant = candidate.astimezone(UTC)
        if (instant > at) == (days.step > 0):
            return instant
    raise AssertionError("a time of day recurs within three days")


def next_opening(window: dict[str, str] | None, at: datetime | None = None) -> datetime | None:
    """When the window next opens (UTC); None without a window or while it is open."""
    at = at or now()
    if not window or in_window(window, at):
        return None
    return _local(window, "start", at, range(0, 3))


def last_closing(window: dict[str, str] | None, at: datetime | None = None) -> datetime | None:
    """When the window last closed (UTC), while it is closed; None otherwise."""
    at = at or now()
    if not window or in_window(window, at):
        return None
    return _local(window, "end", at, range(0, -3, -1))


def historical_allowed(company: Company, at: datetime | None = None) -> bool:
    """Whether the historical transaction windows may run now (the sync steps ask)."""
    return in_window(company.sync_window, at)


def describe_window(window: dict[str, str] | None) -> str | None:
    """``19:00-07:00 America/New_York``."""
    if not window:
        return None
    return f"{window['start']}-{window['end']} {window['timezone']}"

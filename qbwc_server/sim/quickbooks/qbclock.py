"""The QuickBooks machine's local clock and how QuickBooks writes and reads timestamps.

§6.5/§6.7 of the protocol doc (and jsgoupil/quickbooks-sync README "Handling Timestamps"):
QuickBooks stamps TimeCreated/TimeModified with the *local wall-clock time* of the machine it runs
on plus a UTC offset, and during daylight-saving time it writes the *standard-time* offset (e.g.
``-08:00`` in Pacific summer instead of ``-07:00``). Query datetimes without an offset are read as
local wall-clock time; datetimes carrying exactly the offset QuickBooks itself writes round-trip.

The simulation keeps wall-clock time (naive ``datetime``) as the truth and converts at the edges.
US daylight-saving rules (since 2007) are built in so that no time-zone database is needed.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

_EPOCH = datetime(1970, 1, 1)
_DOTNET_EPOCH_TICKS = 621355968000000000  # .NET ticks at 1970-01-01T00:00:00Z


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (6 - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


@functools.lru_cache(maxsize=512)
def _us_dst_bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(_nth_sunday(year, 3, 2), datetime.min.time()).replace(hour=2)
    end = datetime.combine(_nth_sunday(year, 11, 1), datetime.min.time()).replace(hour=2)
    return start, end


@functools.lru_cache(maxsize=8)
def _dst_transition_keys(first_year: int = 1970, last_year: int = 2100) -> tuple[int, ...]:
    """Wall keys of every DST start/end, ascending (start, end, start, end …)."""
    keys: list[int] = []
    for year in range(first_year, last_year + 1):
        start, end = _us_dst_bounds(year)
        keys.extend((wall_key(start), wall_key(end)))
    return tuple(keys)


@dataclass(frozen=True)
class LocalZone:
    """A US-style zone: fixed standard offset, DST from the 2nd Sunday of March 02:00 to the
    1st Sunday of November 02:00 (local wall time)."""

    standard_offset_hours: int = -8
    observes_dst: bool = True

    def is_dst(self, wall: datetime) -> bool:
        if not self.observes_dst:
            return False
        start, end = _us_dst_bounds(wall.year)
        return start <= wall < end

    def true_offset_seconds(self, key: int) -> int:
        """UTC offset in seconds at wall key ``key`` (fast path for bulk generation)."""
        base = self.standard_offset_hours * 3600
        if not self.observes_dst:
            return base
        position = bisect.bisect_right(_dst_transition_keys(), key)
        return base + (3600 if position % 2 == 1 else 0)

    def true_offset(self, wall: datetime) -> timedelta:
        return timedelta(hours=self.standard_offset_hours + (1 if self.is_dst(wall) else 0))

    def standard_offset(self) -> timedelta:
        return timedelta(hours=self.standard_offset_hours)


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass
class QBClock:
    """Settable simulated "QuickBooks machine local time"; moves only when told to."""

    now: datetime = field(default_factory=lambda: datetime(2024, 6, 14, 9, 30, 0))
    zone: LocalZone = field(default_factory=LocalZone)
    dst_offset_quirk: bool = True

    def advance(self, delta: timedelta) -> None:
        self.now = self.now + delta

    def set(self, wall: datetime) -> None:
        self.now = wall.replace(tzinfo=None, microsecond=0)

    # --- writing -----------------------------------------------------------------------------
    def written_offset(self, wall: datetime) -> timedelta:
        """The offset QuickBooks puts after a timestamp (§6.5: standard offset during DST)."""
        if self.dst_offset_quirk:
            return self.zone.standard_offset()
        return self.zone.true_offset(wall)

    def stamp(self, wall: datetime) -> str:
        """A TimeCreated/TimeModified string as QuickBooks writes it."""
        return wall.strftime("%Y-%m-%dT%H:%M:%S") + format_offset(self.written_offset(wall))

    def epoch_seconds(self, wall: datetime) -> int:
        """The real instant of a wall-clock time, as Unix seconds (IDs, EditSequence)."""
        utc = wall - self.zone.true_offset(wall)
        return int((utc - _EPOCH).total_seconds())

    def epoch_seconds_of_key(self, key: int) -> int:
        """:meth:`epoch_seconds` for a :func:`wall_key` (no datetime arithmetic)."""
        return key - self.zone.true_offset_seconds(key)

    def dotnet_ticks(self, wall: datetime) -> int:
        """.NET DateTime ticks (100 ns since 0001-01-01 UTC), as in QBWC's AppLock value."""
        return _DOTNET_EPOCH_TICKS + self.epoch_seconds(wall) * 10_000_000

    # --- reading -----------------------------------------------------------------------------
    def to_wall(self, text: str) -> datetime:
        """Interpret a DATETIMETYPE/DATETYPE from a request as local wall-clock time.

        Without an offset: local time as is (§6.5). With an offset: QuickBooks' own arithmetic,
        i.e. the instant is shifted by the offset QuickBooks *would write* at that wall time, so
        its own strings round-trip exactly and a "correct" DST offset lands an hour off.
        """
        m = _DATETIME_RE.match(text.strip())
        if m is None:
            raise ValueError(f"not a qbXML date/time: {text!r}")
        year, month, day, hour, minute, second, tz = m.groups()
        wall = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
        if tz is None:
            return wall
        if tz == "Z":
            given = timedelta(0)
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            given = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return wall - given + self.written_offset(wall)


def wall_key(wall: datetime) -> int:
    """A sortable integer for a wall-clock time (seconds since 1970-01-01 wall time)."""
    return int((wall - _EPOCH).total_seconds())


def parse_stamp(text: str) -> datetime:
    """The wall-clock part of a stamp QuickBooks wrote (its offset is ignored)."""
    return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")

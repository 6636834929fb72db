"""The read sync's typed state: per session (:class:`SessionState`, kept in the ``qbwc_sessions``
row) and per stream beyond the cursor's columns (:class:`StreamExtra`, the cursor's ``extra``).

Both are stored as JSON with the key names they always had, so a session in flight when the
server is upgraded carries on; unknown keys are ignored and missing ones take their defaults.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

from models import StreamCursor


@dataclass
class LiveIterator:
    """An iterator QuickBooks holds for this session (§6.4: it dies with the session)."""

    stream: str
    pass_kind: str  # "initial" | "incremental" | "reconcile"
    id: str  # iteratorID
    window: list[str | None]  # [window_from, window_to] it was started for

    def to_json(self) -> dict[str, Any]:
        return {"stream": self.stream, "pass": self.pass_kind, "id": self.id, "window": self.window}

    @classmethod
    def from_json(cls, data: Any) -> LiveIterator | None:
        if not isinstance(data, Mapping) or not data.get("id"):
            return None
        window = data.get("window")
        return cls(
            stream=str(data.get("stream")),
            pass_kind=str(data.get("pass")),
            id=str(data["id"]),
            window=list(window) if isinstance(window, list) else [None, None],
        )


@dataclass
class SessionState:
    """Where the read sync stands within one QBWC session."""

    queue: list[str] | None = None  # steps still to do this session; None = not planned yet
    processed: int = 0  # records handled this session (progress)
    started_at: str | None = None  # ISO instant the session's sync started
    live: LiveIterator | None = None
    iterator_restarts: dict[str, int] = field(default_factory=dict)  # per stream, §6.4
    # Streams whose data may have gone back in time: stream -> the vanished record's id, or
    # "" when it came back older (restore detection; settled after the deletion sweep).
    restore_suspects: dict[str, str] = field(default_factory=dict)
    balance_pages: int = 0  # vendor balance re-reads sent (request ids)
    feed_start: int | None = None  # the change feed's head when the session's sync started
    # A request built while gathering a batch that could not join it: sent next (sync/batch.py)
    prepared: tuple[str, dict[str, Any]] | None = None
    # Progress: the records estimated to remain in the queued steps after the first, and
    # those steps (sync/planner.py Planner.progress: counted again when they change).
    later_estimate: tuple[list[str], float] | None = None

    @classmethod
    def from_json(cls, data: Any) -> SessionState:
        data = data if isinstance(data, Mapping) else {}
        queue = data.get("queue")
        return cls(
            queue=list(queue) if isinstance(queue, list) else None,
            processed=int(data.get("processed") or 0),
            started_at=data.get("started_at"),
            live=LiveIterator.from_json(data.get("iter")),
            iterator_restarts=dict(data.get("iterator_restarts") or {}),
            restore_suspects=dict(data.get("restore_suspects") or {}),
            balance_pages=int(data.get("balance_pages") or 0),
            feed_start=_int_or_none(data.get("feed_start")),
            prepared=_prepared(data.get("prepared")),
            later_estimate=_later_estimate(data.get("later")),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"processed": self.processed}
        if self.queue is not None:
            out["queue"] = list(self.queue)
        if self.started_at is not None:
            out["started_at"] = self.started_at
        if self.live is not None:
            out["iter"] = self.live.to_json()
        if self.iterator_restarts:
            out["iterator_restarts"] = dict(self.iterator_restarts)
        if self.restore_suspects:
            out["restore_suspects"] = dict(self.restore_suspects)
        if self.balance_pages:
            out["balance_pages"] = self.balance_pages
        if self.feed_start is not None:
            out["feed_start"] = self.feed_start
        if self.prepared is not None:
            out["prepared"] = [self.prepared[0], dict(self.prepared[1])]
        if self.later_estimate is not None:
            out["later"] = [list(self.later_estimate[0]), self.later_estimate[1]]
        return out


def _prepared(value: Any) -> tuple[str, dict[str, Any]] | None:
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        return (value[0], dict(value[1])) if isinstance(value[1], Mapping) else None
    return None


def _later_estimate(value: Any) -> tuple[list[str], float] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], list)
        and all(isinstance(name, str) for name in value[0])
        and isinstance(value[1], int | float)
        and not isinstance(value[1], bool)
    ):
        return list(value[0]), float(value[1])
    return None  # absent (a session from before) or not ours: counted again


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


@dataclass
class StreamExtra:
    """A stream's state that has no column of its own (``stream_cursors.extra``)."""

    skip_code: int | None = None  # the status that made QuickBooks refuse the stream (3250)
    reconcile_requested: bool = False  # reconcile ids at the next pass (API, restore, horizon)
    reconcile_stage: str | None = None  # "scan" (listing ids) | "fetch" (re-reading records)
    watermark_id: str | None = None  # the record whose TimeModified set the watermark
    pass_max_id: str | None = None  # the record with the newest TimeModified of this pass
    hw_start: str | None = None  # the company's high water when this pass started
    # Pages that could not be taken halve the page size and narrow the window; pages taken in
    # a row undo one halving, more of them the more often it failed (sync/sizing.py).
    shrink: int = 0
    successes: int = 0
    failures: int = 0
    awaiting: str | None = None  # request id of the stream's request that is not answered yet
    # A first pass cut from its opening look at the whole range: ``records_seen`` once every
    # record that look counted has been read (sync/passes.py: the last window is open-ended).
    pass_end_seen: int | None = None
    # vendors only: the change feed position up to which every stored vendor's Balance counts
    # every AP transaction (records/vendor_balances.py, sync/steps/vendor_balances.py).
    balances_settled: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> StreamExtra:
        data = data if isinstance(data, Mapping) else {}
        known = _EXTRA_DEFAULTS  # keys the class knows (read on every cursor, many per call)
        values = {k: v for k, v in data.items() if k in known}
        extra = cls(**values)
        extra.reconcile_requested = bool(extra.reconcile_requested)
        extra.shrink = int(extra.shrink or 0)
        extra.successes = int(extra.successes or 0)
        extra.failures = int(extra.failures or 0)
        return extra

    def to_json(self) -> dict[str, Any]:
        values = self.__dict__
        return {
            name: values[name]
            for name, default in _EXTRA_DEFAULTS.items()
            if values[name] != default
        }


# Each field of StreamExtra and its default, worked out once: a call reads and writes the
# extras of every stream it touches, some of them several times.
_EXTRA_DEFAULTS: dict[str, Any] = {
    f.name: getattr(StreamExtra(), f.name) for f in fields(StreamExtra)
}


def stream_extra(cursor: StreamCursor) -> StreamExtra:
    return StreamExtra.from_json(cursor.extra)


@contextmanager
def editing_extra(cursor: StreamCursor) -> Iterator[StreamExtra]:
    """``with editing_extra(cursor) as extra: extra.x = ...`` — written back on exit (a new
    dict, so SQLAlchemy sees the JSON column change)."""
    extra = stream_extra(cursor)
    yield extra
    cursor.extra = extra.to_json()

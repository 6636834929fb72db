"""A data stream's turn in the session: one step per declared record type.

The turn decides whether the stream can go now (its preference is on, it is not skipped or
waiting for a retry), starts a pass or — when one is due — a reconciliation, and then asks
for pages until the pass (or the session) ends. Answers go to the pass they belong to.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models import StreamCursor, utcnow
from qbwc_server.records.record_type import RecordType
from qbwc_server.services import sync_schedule
from qbwc_server.sync import passes, sizing
from qbwc_server.sync.run import Outbound, SyncRun, preference_on
from qbwc_server.sync.state import stream_extra
from qbwc_server.sync.steps.base import CursorStep
from qbwc_server.sync.steps.pages import StreamPass
from qbwc_server.sync.steps.reconciliation import Reconciliation

FEATURE_OFF = 3250  # §6.3: the company file has the feature turned off
RETRY_FEATURE_AFTER = timedelta(days=1)


class StreamStep(CursorStep):
    asked_ahead = True  # its request reads only its own cursor (sync/batch.py)

    def __init__(self, rt: RecordType) -> None:
        self.rt = rt
        self.name = rt.name
        self.reconciliation = Reconciliation(rt)
        self.stream_pass = StreamPass(rt)

    def request(self, run: SyncRun) -> Outbound | None:
        rt = self.rt
        cursor = run.cursor(rt.name)
        now = utcnow()
        if not preference_on(run.company, rt.requires_preference):
            run.skip(cursor, f"turned off in this company file ({rt.requires_preference})")
            return None
        if cursor.phase == "skipped":
            if (
                stream_extra(cursor).skip_code == FEATURE_OFF
                and cursor.last_pass_completed_at
                and (now - cursor.last_pass_completed_at < RETRY_FEATURE_AFTER)
            ):
                return None
            # Preference on now (or a day has passed since a 3250): try again from scratch.
            _restart(cursor)
        if cursor.retry_after is not None and cursor.retry_after > now:
            return None
        if historical_deferred(run, rt, cursor):
            return None
        if sizing.unanswered(cursor):
            sizing.shrink(run, rt, cursor, "its last request got no answer (a page too large?)")
        built = self._next(run, cursor, now)
        sizing.sent(cursor, built[1]["rid"])
        return built

    def _next(self, run: SyncRun, cursor: StreamCursor, now: datetime) -> Outbound:
        rt = self.rt
        if cursor.pass_started_at is None:
            if cursor.phase == "incremental" and self.reconciliation.due(run, cursor, now):
                self.reconciliation.start(run, cursor, now)
            else:
                passes.start_pass(run, rt, cursor, now)
        if cursor.pass_kind == "reconcile":
            built = self.reconciliation.request(run, cursor)
            if built is not None:
                return built
            passes.start_pass(run, rt, cursor, now)  # reconciled: now the incremental pass
        return self.stream_pass.request(run, cursor)

    def answered(self, run: SyncRun, cursor: StreamCursor) -> None:
        sizing.answered(cursor)

    def needs_savepoint(self, meta: dict[str, Any], response: str) -> bool:
        # A reconciliation pass marks deleted what an answer lacks: an empty one writes too.
        return meta.get("pass") == "reconcile" or super().needs_savepoint(meta, response)

    def smaller(self, run: SyncRun, cursor: StreamCursor, why: str) -> bool:
        return sizing.shrink(run, self.rt, cursor, why)

    def take(self, run: SyncRun, cursor: StreamCursor, meta: dict[str, Any], response: str) -> None:
        if meta.get("pass") == "reconcile":
            self.reconciliation.take(run, cursor, meta, response)
        else:
            self.stream_pass.take(run, cursor, meta, response)


def historical_deferred(run: SyncRun, rt: RecordType, cursor: StreamCursor) -> bool:
    """The company's sync window is closed and this is a transaction stream's historical pass:
    it waits, where it stopped, for the window to open; lists, incremental passes and
    write-back go on (services/sync_schedule.py)."""
    return (
        not rt.is_list
        and cursor.phase == "initial"
        and not sync_schedule.historical_allowed(run.company)
    )


def _restart(cursor: StreamCursor) -> None:
    cursor.phase = "initial"
    cursor.pass_kind = "initial"
    cursor.skipped_reason = None
    cursor.window_from = cursor.window_to = None
    cursor.window_span_seconds = 0

"""The restore probe: the first step of every session.

A company file restored from a backup goes back in time, even when it is edited again before
our next run (then the modified-date check of the stream passes, ``sync/passes.py``
``detect_restore``, sees newer records and stays quiet): the record that set a stream's
watermark comes back with an older TimeModified, or not at all. One small message set per
session asks every stream for that record at once; what looks restored becomes a suspect that
the deletion sweep of the same session settles (``sync/planner.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from qbwc_server.qbxml.parse import QbxmlParseError, Record, ResponseStart, iter_response
from qbwc_server.qbxml.queries import ListQuery, TxnQuery
from qbwc_server.records.queries import records_query
from qbwc_server.records.types import DECLARED
from qbwc_server.sync import windows
from qbwc_server.sync.run import Outbound, SyncRun, UnexpectedResponse
from qbwc_server.sync.state import stream_extra
from qbwc_server.sync.steps.base import Step

log = logging.getLogger(__name__)

RESTORE_PROBE = "restore_probe"


class RestoreProbe(Step):
    name = RESTORE_PROBE

    def request(self, run: SyncRun) -> Outbound | None:
        probes: list[ListQuery | TxnQuery] = []
        asked: dict[str, list[str]] = {}
        cursors = run.cursors()
        for rt in DECLARED:
            cursor = cursors.get(rt.name)
            record_id = stream_extra(cursor).watermark_id if cursor else None
            if not cursor or not cursor.watermark or not isinstance(record_id, str):
                continue
            rid = f"probe:{rt.name}"[:50]
            only = [rt.id_key, "EditSequence", "TimeModified"]
            probes.append(records_query(rt, rid, ids=[record_id], only=only))
            asked[rid] = [rt.name, record_id, cursor.watermark]
        if not probes:
            return None
        # Its answers come back as one (sync/batch.py): ``rids`` under ``rid`` when batched.
        meta = {"kind": "probe", "stream": self.name, "rid": self.name, "rids": list(asked)}
        return run.document(probes), {**meta, "asked": asked}

    def on_response(self, run: SyncRun, meta: dict[str, Any], response: str) -> None:
        try:
            self._suspects(run, meta, response)
        except (QbxmlParseError, UnexpectedResponse) as exc:
            log.warning("company %s: restore probe unreadable: %s", run.company.id, exc)
        run.finish(self.name)

    def _suspects(self, run: SyncRun, meta: dict[str, Any], response: str) -> None:
        asked: dict[str, list[str]] = meta.get("asked") or {}
        found: dict[str, str | None] = {}
        current: str | None = None
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                current = event.status.request_id
            elif isinstance(event, Record) and current in asked:
                modified = event.data.get("TimeModified")
                found[current] = modified if isinstance(modified, str) else None
        suspects = run.state.restore_suspects
        for rid, (stream_name, record_id, watermark) in asked.items():
            modified = found.get(rid)
            if modified is not None and windows.wall_clock(modified) >= windows.wall_clock(
                watermark
            ):
                continue  # still there, same or newer: no sign of a restore
            # Gone (maybe deleted: the deletion sweep decides) or older than we saw it.
            suspects[stream_name] = record_id if modified is None else ""

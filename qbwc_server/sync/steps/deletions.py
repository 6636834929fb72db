"""The deletion sweeps: ListDeletedQuery and TxnDeletedQuery once per session, after the data
streams (§6.5: deletions are invisible to modified-date queries, and QuickBooks reports them
for ~90 days only — older gaps are the reconciliation's job)."""

from __future__ import annotations

from typing import Any

from models import StreamCursor, utcnow
from qbwc_server.qbxml.other_queries import ListDeletedQuery, TxnDeletedQuery
from qbwc_server.qbxml.parse import (
    Record,
    ResponseEnd,
    ResponseStart,
    ResponseStatus,
    iter_response,
)
from qbwc_server.records import deletions, vendor_balances
from qbwc_server.records.types import DECLARED, TYPE_FOR_DEL_TYPE
from qbwc_server.sync import windows
from qbwc_server.sync.run import Outbound, SyncRun, check_start, preference_on
from qbwc_server.sync.steps.base import CursorStep

LIST_DELETIONS = "list_deletions"
TXN_DELETIONS = "txn_deletions"
DELETION_STREAMS = (LIST_DELETIONS, TXN_DELETIONS)


class DeletionSweep(CursorStep):
    asked_ahead = True  # its request reads only its own cursor (sync/batch.py)

    def __init__(self, name: str) -> None:
        self.name = name
        self.lists = name == LIST_DELETIONS

    def request(self, run: SyncRun) -> Outbound | None:
        cursor = run.cursor(self.name)
        if cursor.retry_after is not None and cursor.retry_after > utcnow():
            return None
        cursors = run.cursors()
        types = [
            del_type
            for rt in DECLARED
            if rt.is_list == self.lists
            and getattr(cursors.get(rt.name), "phase", None) != "skipped"
            and preference_on(run.company, rt.requires_preference)
            for del_type in rt.del_types
        ]
        if not types:
            return None
        # §6.5: deletions are kept ~90 days; ask from the watermark minus the overlap.
        since = (
            windows.incremental_lower_bound(utcnow(), run.tuning.overlap, cursor.watermark)
            if cursor.watermark
            else None
        )
        rid = f"{self.name}:{cursor.pages + 1}"[:50]
        query: ListDeletedQuery | TxnDeletedQuery
        if self.lists:
            query = ListDeletedQuery(list_del_types=types, deleted_from=since, request_id=rid)
        else:
            query = TxnDeletedQuery(txn_del_types=types, deleted_from=since, request_id=rid)
        return run.deleted_document(query), {"kind": "deleted", "stream": self.name, "rid": rid}

    def take(self, run: SyncRun, cursor: StreamCursor, meta: dict[str, Any], response: str) -> None:
        status: ResponseStatus | None = None
        by_type: dict[str, list[str]] = {}
        latest = cursor.watermark
        count = 0
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                check_start(event, meta)
            elif isinstance(event, Record):
                data = event.data
                del_type = data.get("ListDelType") or data.get("TxnDelType")
                record_id = data.get("ListID") or data.get("TxnID")
                type_name = TYPE_FOR_DEL_TYPE.get(str(del_type))
                if type_name and isinstance(record_id, str):
                    by_type.setdefault(type_name, []).append(record_id)
                    count += 1
                deleted = data.get("TimeDeleted")
                if isinstance(deleted, str) and (
                    latest is None or windows.wall_clock(deleted) > windows.wall_clock(latest)
                ):
                    latest = deleted
            elif isinstance(event, ResponseEnd):
                status = event.status
        if not run.answered(status, cursor):
            return
        suspects = run.state.restore_suspects
        for type_name, ids in by_type.items():
            run.mark_vendors(
                vendor_balances.stored_vendors(run.session, run.company.id, type_name, ids)
            )
            deletions.mark_deleted(run.session, run.company.id, type_name, ids)
            if suspects.get(type_name) in set(ids):
                suspects.pop(type_name)  # the watermark record was deleted: no restore
        now = utcnow()
        cursor.watermark = latest
        cursor.phase = "incremental"
        cursor.pages += 1
        cursor.records_seen += count
        cursor.last_page_at = now
        cursor.passes_completed += 1
        cursor.last_pass_completed_at = now
        cursor.consecutive_errors = 0
        cursor.last_error = None
        cursor.retry_after = None
        run.count(count)
        run.finish(self.name)

"""A stream's reconciliation pass: the safety net for restored company files and long gaps
(``sync/reconcile.py`` keeps the marks and says when it runs).

Two stages, each resumable: *scan* lists every ListID/TxnID with its EditSequence (only those
elements, 1,000 per page), marking what we lack or hold in another version; *fetch* re-reads
those records by id, 50 per request. When nothing is left to fetch, what QuickBooks did not
list is marked deleted and the stream's incremental pass follows in the same turn.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import StreamCursor, utcnow
from qbwc_server.qbxml.parse import (
    Record,
    ResponseEnd,
    ResponseStart,
    ResponseStatus,
    iter_response,
)
from qbwc_server.qbxml.queries import ListQuery, TxnQuery
from qbwc_server.records import store, vendor_balances
from qbwc_server.records.queries import by_ids_query, records_query
from qbwc_server.records.record_type import RecordType
from qbwc_server.sync import reconcile, sizing
from qbwc_server.sync.run import Outbound, SyncRun, check_start
from qbwc_server.sync.state import editing_extra, stream_extra

# Reconciliation pages carry only ids and EditSequences (IncludeRetElement): tiny records.
SCAN_PAGE_SIZE = 1000
FETCH_BY_ID = 50  # ids per re-fetch request
SCAN, FETCH = "scan", "fetch"


class Reconciliation:
    """A stream's reconciliation: started when due, then scan and fetch requests, in the
    stream's turn of the session (``sync/steps/stream.py``)."""

    def __init__(self, rt: RecordType) -> None:
        self.rt = rt

    def due(self, run: SyncRun, cursor: StreamCursor, now: datetime) -> bool:
        if stream_extra(cursor).reconcile_requested:
            return True
        if cursor.last_reconciled_at is None:
            return False
        return now - cursor.last_reconciled_at >= run.tuning.reconcile_interval

    def start(self, run: SyncRun, cursor: StreamCursor, now: datetime) -> None:
        rt = self.rt
        reconcile.discard(run.session, run.company.id, rt.name)
        cursor.pass_kind = "reconcile"
        cursor.pass_started_at = now
        cursor.window_from = None if rt.is_list else run.history_start()
        cursor.window_to = None
        cursor.window_pages = 0
        cursor.window_records = 0
        cursor.window_total = None
        with editing_extra(cursor) as extra:
            extra.reconcile_stage = SCAN
            extra.reconcile_requested = False
        run.state.live = None

    def request(self, run: SyncRun, cursor: StreamCursor) -> Outbound | None:
        """The next scan page or re-fetch; None when the reconciliation is complete."""
        rt = self.rt
        stage = stream_extra(cursor).reconcile_stage or SCAN
        rid = f"{rt.name}:r{cursor.pages + 1}"[:50]
        meta: dict[str, Any] = {
            "kind": "page", "stream": rt.name, "pass": "reconcile", "stage": stage, "rid": rid,
        }  # fmt: skip
        query: ListQuery | TxnQuery
        if stage == SCAN:
            iterator, iterator_id = run.iterator_for(rt, cursor, "reconcile")
            query = records_query(
                rt,
                rid,
                iterator=iterator,
                iterator_id=iterator_id,
                page_size=sizing.scaled(SCAN_PAGE_SIZE, stream_extra(cursor)),
                txn_date_from=None if rt.is_list else cursor.window_from,
                only=[rt.id_key, "EditSequence"],
            )
            meta["iterator"] = iterator
            return run.document([query]), meta
        batch = sizing.scaled(FETCH_BY_ID, stream_extra(cursor))
        ids = reconcile.ids_to_fetch(run.session, run.company.id, rt.name, batch)
        if not ids:
            self._complete(run, cursor)
            return None
        meta["ids"] = ids
        return run.document([by_ids_query(rt, rid, ids)]), meta

    def _complete(self, run: SyncRun, cursor: StreamCursor) -> None:
        rt = self.rt
        reconcile.finish(run.session, run.company.id, rt.name)
        cursor.last_reconciled_at = utcnow()
        # The old watermark may belong to data that no longer exists (a restored file); the next
        # incremental pass sets a new one from what is there.
        cursor.watermark = None
        cursor.pass_started_at = None
        cursor.pass_kind = "incremental"
        with editing_extra(cursor) as extra:
            extra.reconcile_stage = None

    def take(self, run: SyncRun, cursor: StreamCursor, meta: dict[str, Any], response: str) -> None:
        rt = self.rt
        stage = meta.get("stage")
        if stage != stream_extra(cursor).reconcile_stage or cursor.pass_kind != "reconcile":
            return  # an answer to a stage we have moved past
        status: ResponseStatus | None = None
        pairs: list[tuple[str, str | None]] = []
        batch: list[Record] = []
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                check_start(event, meta)
            elif isinstance(event, Record):
                record_id = event.data.get(rt.id_key)
                if not isinstance(record_id, str):
                    continue
                if stage == SCAN:
                    sequence = event.data.get("EditSequence")
                    pairs.append((record_id, sequence if isinstance(sequence, str) else None))
                else:
                    batch.append(event)
            elif isinstance(event, ResponseEnd):
                status = event.status
        if not run.answered(status, cursor):
            return
        cursor.pages += 1
        cursor.last_page_at = utcnow()
        sizing.taken(cursor)
        run.count(len(pairs) + len(batch))
        if stage == FETCH:
            if batch:
                stored = store.upsert_records(run.session, run.company.id, rt.name, batch)
                run.mark_vendors(vendor_balances.changed_vendors(rt.name, batch, stored))
            reconcile.fetched(run.session, run.company.id, rt.name, list(meta["ids"]))
            return
        reconcile.mark_seen(run.session, run.company.id, rt.name, pairs)
        remaining = status.iterator_remaining_count or 0
        if rt.iterator and remaining > 0 and status.iterator_id:
            run.keep_iterator(rt, cursor, "reconcile", status.iterator_id)
            return
        run.state.live = None
        with editing_extra(cursor) as extra:
            extra.reconcile_stage = FETCH

"""A stream's data pages: the request for the next page of its pass, and taking the answer.

The request follows the cursor (``sync/passes.py``): a modified-date range for lists and for
incremental passes, a TxnDate window for the historical pass of transactions, an iterator
where the query takes one (§6.4). The answer goes to storage as one stream of records (one
feed lock, as few statements as possible), noting on the way what the cursor needs: the newest
TimeModified (the watermark, kept as QuickBooks wrote it, §6.5), the vendors whose Balance the
stored transactions moved, transactions re-dated before the look-back date.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from models import StreamCursor
from qbwc_server.qbxml.parse import (
    Record,
    ResponseEnd,
    ResponseStart,
    ResponseStatus,
    iter_response,
)
from qbwc_server.qbxml.status import StatusPolicy, bookkeeper_message, classify
from qbwc_server.records import deletions, store, vendor_balances
from qbwc_server.records.queries import records_query
from qbwc_server.records.record_type import RecordType
from qbwc_server.sync import batch, passes, sizing, windows
from qbwc_server.sync.run import ANSWERED, Outbound, SyncRun, check_start
from qbwc_server.sync.state import editing_extra, stream_extra
from qbwc_server.sync.windows import Window


class StreamPass:
    """A stream's initial or incremental pass, page by page (``sync/passes.py`` moves the
    cursor)."""

    def __init__(self, rt: RecordType) -> None:
        self.rt = rt

    def request(self, run: SyncRun, cursor: StreamCursor) -> Outbound:
        rt = self.rt
        iterator, iterator_id = run.iterator_for(rt, cursor, cursor.pass_kind)
        rid = f"{rt.name}:{cursor.pages + 1}"[:50]
        configured = run.tuning.list_page_size if rt.is_list else run.tuning.txn_page_size
        page_size = sizing.scaled(configured, stream_extra(cursor))
        if iterator == "Continue":
            page_size = sizing.with_tail(page_size, cursor)
        elif iterator == "Start" and cursor.window_pages:
            # A fresh iterator starts the window again (a new session, or another stream
            # took the session's iterator, §6.4): its counts start again with it.
            cursor.window_pages = 0
            cursor.window_records = 0
        first_look = self._first_look(cursor, iterator)
        if first_look and rt.iterator:
            # The opening look at a whole range learns the stream's size: a small page is
            # enough, and keeps a message set of many streams' opening pages small.
            page_size = min(page_size, batch.FIRST_LOOK_PAGE)
        by_modified = rt.is_list or cursor.pass_kind == "incremental"
        query = records_query(
            rt,
            rid,
            iterator=iterator,
            iterator_id=iterator_id,
            page_size=page_size,
            modified_from=cursor.window_from if by_modified else None,
            modified_to=cursor.window_to if by_modified else None,
            txn_date_from=None if by_modified else cursor.window_from,
            txn_date_to=None if by_modified else cursor.window_to,
        )
        meta: dict[str, Any] = {
            "kind": "page",
            "stream": rt.name,
            "window": [cursor.window_from, cursor.window_to],
            "pass": cursor.pass_kind,
            "iterator": iterator,
            "rid": rid,
        }
        if first_look:
            meta["first_look"] = page_size if rt.iterator else batch.FIRST_LOOK_PAGE
        return run.document([query]), meta

    def _first_look(self, cursor: StreamCursor, iterator: str | None) -> bool:
        """Whether this request is a first pass's opening look at a stream (sync/batch.py):
        the first page of its whole range, its size not known yet, or a list QuickBooks
        answers whole. A window started again (its size known) is not: it goes alone."""
        if cursor.pass_kind != "initial" or iterator == "Continue":
            return False
        if not self.rt.iterator:
            return cursor.window_span_seconds == 0
        whole = Window(cursor.window_from, cursor.window_to, cursor.window_span_seconds)
        return windows.is_whole(whole) and cursor.window_total is None

    def take(self, run: SyncRun, cursor: StreamCursor, meta: dict[str, Any], response: str) -> None:
        rt = self.rt
        if meta.get("window") != [cursor.window_from, cursor.window_to]:
            # An answer to a window we have since moved past (duplicate delivery): ignore.
            return
        status: ResponseStatus | None = None
        received = 0
        max_modified = cursor.pass_max_modified
        newest = windows.wall_clock(max_modified) if max_modified else None
        history = run.history_start() if not rt.is_list else None
        out_of_range: list[str] = []
        max_id: object = None
        drop_old = bool(history) and cursor.pass_kind == "incremental"
        vendor_by_id: dict[str, str] = {}  # AP transaction -> the vendor whose Balance it moves
        vendor_of = vendor_balances.vendor_of if rt.balance_vendor_ref else None
        seen: list[str] = []  # TimeModified in answer order: sizes a split window

        def kept_records() -> Iterator[Record]:
            """The page's records to store, noting what the cursor needs on the way."""
            nonlocal status, received, max_modified, newest, max_id
            wall_clock = windows.wall_clock
            for event in iter_response(response):
                if isinstance(event, Record):
                    received += 1
                    data = event.data
                    modified = data.get("TimeModified")
                    if modified.__class__ is str:
                        local = wall_clock(modified)
                        seen.append(local)
                        if newest is None or local > newest:
                            max_modified = modified
                            newest = local
                            max_id = data.get("ListID") or data.get("TxnID")
                    if drop_old:
                        txn_date = data.get("TxnDate")
                        if isinstance(txn_date, str) and history and txn_date < history:
                            # Older than the look-back date: not ours to keep. If we hold it (it
                            # was re-dated into the past), it leaves our set like a deletion.
                            txn_id = data.get("TxnID")
                            if isinstance(txn_id, str):
                                out_of_range.append(txn_id)
                            continue
                    if vendor_of is not None:
                        vendor = vendor_of(rt.name, data)
                        if vendor is not None:
                            vendor_by_id[str(data.get("TxnID"))] = vendor
                    yield event
                elif isinstance(event, ResponseStart):
                    check_start(event, meta)
                    announced.append(event.record_ids)
                elif isinstance(event, ResponseEnd):
                    status = event.status

        # The page's record ids, from its one ResponseStart: storage writes the new records
        # while they are read (records/store.py).
        announced: list[tuple[str, ...] | None] = []
        stored = store.upsert_records(
            run.session,
            run.company.id,
            rt.name,
            kept_records(),
            expected_ids=lambda: announced[0] if len(announced) == 1 else None,
        )
        if vendor_by_id:
            # Only what changed: an overlap re-read of an unchanged bill moved no balance; a
            # bill given to another vendor moved the one it had before too.
            run.mark_vendors(
                {vendor_by_id.get(i, "") for i in stored.changed_ids} | set(stored.prior_vendors)
            )
        if out_of_range:
            run.mark_vendors(
                vendor_balances.stored_vendors(run.session, run.company.id, rt.name, out_of_range)
            )
            deletions.mark_deleted(run.session, run.company.id, rt.name, out_of_range)
        if status is None:
            run.stream_error(cursor, "QuickBooks answered without a status for the request")
            return
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy in ANSWERED:
            if max_modified != cursor.pass_max_modified and isinstance(max_id, str):
                with editing_extra(cursor) as extra:
                    extra.pass_max_id = max_id  # which record set it (restore detection)
            passes.page_done(run, rt, cursor, status, received, max_modified, seen)
            return
        self._refused(run, cursor, status, policy)

    def _refused(
        self, run: SyncRun, cursor: StreamCursor, status: ResponseStatus, policy: StatusPolicy
    ) -> None:
        rt = self.rt
        text = bookkeeper_message(status.status_code, status.status_severity, status.status_message)
        if policy == StatusPolicy.FEATURE_OFF:
            run.skip(cursor, text, code=status.status_code)
            run.finish(rt.name)
            return
        if policy == StatusPolicy.ITERATOR_INVALID:
            # §6.4: the iterator is gone; restart this window with a fresh one, once.
            restarts = run.state.iterator_restarts
            if restarts.get(rt.name, 0) < 1:
                restarts[rt.name] = restarts.get(rt.name, 0) + 1
                run.state.live = None
                cursor.window_pages = 0
                cursor.window_records = 0
                return
        run.stream_error(cursor, text)

"""The last step of a session: re-read the vendors whose Balance moved without an edit of the
vendor (records/vendor_balances.py explains why), 100 per request, storing those that differ.

A session whose AP passes and transaction deletion sweep all ran to their end in it *settles*
the balances: the vendors stored since the last settled session, in sessions that ended before
their AP passes did, are re-read too (their Balance may count a transaction that was deleted
before the server read it), and the vendors' cursor keeps the change-feed position up to which
every stored Balance counts every AP transaction.

A re-read that could not be taken makes the next one smaller, like the vendors' own pages
(it shares their sizing, sync/sizing.py)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from models import StreamCursor
from qbwc_server.qbxml.parse import (
    QbxmlParseError,
    Record,
    ResponseEnd,
    ResponseStart,
    ResponseStatus,
    iter_response,
)
from qbwc_server.qbxml.status import StatusPolicy, classify
from qbwc_server.records import store, vendor_balances
from qbwc_server.records.feed import feed_head
from qbwc_server.records.queries import by_ids_query
from qbwc_server.records.types import DECLARED, RecordError, record_type
from qbwc_server.sync import sizing
from qbwc_server.sync.run import (
    ANSWERED,
    Outbound,
    SyncRun,
    UnexpectedResponse,
    check_start,
    preference_on,
)
from qbwc_server.sync.state import editing_extra, stream_extra
from qbwc_server.sync.steps.base import Step
from qbwc_server.sync.steps.deletions import TXN_DELETIONS

log = logging.getLogger(__name__)

VENDOR_BALANCES = vendor_balances.MARKS


class VendorBalances(Step):
    name = VENDOR_BALANCES

    def idle(self, run: SyncRun) -> bool:
        """No vendor to re-read (the preference is off, or none is marked); a session that
        settles the balances notes so here."""
        vendors = record_type("vendors")
        if not preference_on(run.company, vendors.requires_preference):
            return True
        settled = _settles(run)  # reads every cursor: the vendors' among them
        sizes = run.cursor(vendors.name)
        if settled:
            _mark_unsettled(run, sizes)
        if vendor_balances.marked(run.session, run.company.id, 1):
            return False
        if settled:  # every stored Balance counts every AP transaction read so far
            with editing_extra(sizes) as extra:
                extra.balances_settled = feed_head(run.session, run.company.id)
        return True

    def request(self, run: SyncRun) -> Outbound | None:
        if self.idle(run):
            return None
        vendors = record_type("vendors")
        sizes = run.cursor(vendors.name)
        if sizing.unanswered(sizes):
            self._smaller(run, "a vendor re-read got no answer (too large?)")
        limit = sizing.scaled(vendor_balances.REFRESH_BY_ID, stream_extra(sizes))
        ids = vendor_balances.marked(run.session, run.company.id, limit)
        run.state.balance_pages += 1
        rid = f"{self.name}:{run.state.balance_pages}"
        meta = {"kind": "refresh", "stream": self.name, "rid": rid, "ids": ids}
        sizing.sent(sizes, rid)
        return run.document([by_ids_query(vendors, rid, ids)]), meta

    def on_response(self, run: SyncRun, meta: dict[str, Any], response: str) -> None:
        sizing.answered(run.cursor("vendors"))
        try:
            with run.session.begin_nested():
                self._store(run, meta, response)
        except (QbxmlParseError, UnexpectedResponse, RecordError) as exc:
            log.warning("company %s: vendor re-read failed: %s", run.company.id, exc)
            if isinstance(exc, QbxmlParseError):
                self._smaller(run, "a vendor re-read could not be read")
            run.finish(self.name)  # marks kept: next session

    def on_hresult(self, run: SyncRun, meta: dict[str, Any], hresult: str, message: str) -> None:
        sizing.answered(run.cursor("vendors"))
        self._smaller(run, f"QuickBooks could not answer a vendor re-read ({hresult})")
        run.finish(self.name)  # marks kept: next session

    def _smaller(self, run: SyncRun, why: str) -> None:
        vendors = record_type("vendors")
        sizing.shrink(run, vendors, run.cursor(vendors.name), why, narrow=False)

    def _store(self, run: SyncRun, meta: dict[str, Any], response: str) -> None:
        status: ResponseStatus | None = None
        batch: list[Record] = []
        for event in iter_response(response):
            if isinstance(event, ResponseStart):
                check_start(event, meta)
            elif isinstance(event, Record):
                batch.append(event)
            elif isinstance(event, ResponseEnd):
                status = event.status
        if status is None:
            raise UnexpectedResponse("QuickBooks answered without a status for the request")
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy == StatusPolicy.RETRY_LATER:
            run.finish(self.name)  # marks kept: next session
            return
        if batch:
            store.upsert_records(
                run.session, run.company.id, "vendors", batch, compare_documents=True
            )
        # Also on an error: the request is never sent again unchanged (§5); a vendor that is
        # gone is the deletion sweep's business.
        ids = [str(i) for i in meta.get("ids", [])]
        vendor_balances.unmark(run.session, run.company.id, ids)
        run.count(len(batch))
        if policy not in ANSWERED:
            log.warning(
                "company %s: vendor re-read refused (%s): %s",
                run.company.id, status.status_code, status.status_message,
            )  # fmt: skip


def _settles(run: SyncRun) -> bool:
    """Whether this session ran every AP pass (the streams that move vendor balances) and the
    transaction deletion sweep to their end: then a vendor stored in it before them, or
    re-read after them, counts every AP transaction there is."""
    started = run.state.started_at
    if not isinstance(started, str) or run.state.feed_start is None:
        return False
    since = datetime.fromisoformat(started)
    cursors = run.cursors()
    for name in (
        *(rt.name for rt in DECLARED if rt.balance_vendor_ref is not None),
        TXN_DELETIONS,
    ):
        cursor = cursors.get(name)
        if cursor is None:
            return False
        if cursor.phase == "skipped" and name != TXN_DELETIONS:
            continue
        done = cursor.last_pass_completed_at
        if done is None or done < since:
            return False
    return True


def _mark_unsettled(run: SyncRun, sizes: StreamCursor) -> None:
    """Mark the vendors stored since the last settled session and before this one started:
    sessions that ended before their AP passes did (records/vendor_balances.py)."""
    start = run.state.feed_start
    assert start is not None
    settled = stream_extra(sizes).balances_settled or 0
    if start <= settled:
        return
    count = vendor_balances.mark_stored_between(run.session, run.company.id, settled, start)
    with editing_extra(sizes) as extra:
        extra.balances_settled = start
    if count:
        log.info(
            "company %s: re-reading %d vendors stored by sessions that ended before their AP "
            "passes", run.company.id, count,
        )  # fmt: skip

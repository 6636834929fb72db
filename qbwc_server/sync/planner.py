"""The read sync's planner: which step asks QuickBooks next, and which step an answer goes to.

A session's work order is the registered steps (``sync/steps/__init__.py``): the restore
probe, one step per declared record type, the deletion sweeps, the vendor balance re-read. The
planner keeps the order of what is left in the session's state, asks the first step for its
next request, and moves on when a step has nothing more for this session. Per stream, a
persisted cursor (``models.StreamCursor``) says where the stream stands; everything the
planner needs between calls is in the database, so any worker can answer any call.

After the deletion sweep it settles the restore suspects: a stream whose newest record went
back in time without a deletion means a restored backup, and every stream reconciles its ids
in that same session (README "Restored files and long gaps").
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from models import Company, utcnow
from qbwc_server.config import DEFAULT_TUNING, SyncTuning
from qbwc_server.qbxml.batch import combine, split
from qbwc_server.qbxml.parse import QbxmlParseError
from qbwc_server.records.feed import feed_head
from qbwc_server.records.types import DECLARED, RECORD_TYPES
from qbwc_server.services import restore
from qbwc_server.sync import batch, sizing
from qbwc_server.sync.progress import estimate_remaining
from qbwc_server.sync.reconcile import request_reconcile
from qbwc_server.sync.run import Outbound, SyncRun
from qbwc_server.sync.state import SessionState, editing_extra, stream_extra
from qbwc_server.sync.steps import DELETION_STREAMS, STEPS, STREAM_STEPS, WORK_ORDER

log = logging.getLogger(__name__)

DELETION_HORIZON = timedelta(days=80)  # §6.5: a margin under QuickBooks' ~90 days


class Planner:
    def __init__(
        self,
        session: Session,
        company: Company,
        state: SessionState,
        version: str,
        tuning: SyncTuning = DEFAULT_TUNING,
    ) -> None:
        self.run = SyncRun(session, company, state, version, tuning)
        self.state = state

    # --- the work order -----------------------------------------------------------------------
    def _queue(self) -> list[str]:
        if self.state.queue is None:
            self.state.queue = [step.name for step in WORK_ORDER]
            self.state.processed = 0
            self.state.started_at = utcnow().isoformat()
            self.state.feed_start = feed_head(self.run.session, self.run.company.id)
            self._reconcile_past_deletion_horizon()
            self._reconcile_after_restore()
        return self.state.queue

    def _reconcile_after_restore(self) -> None:
        """The customer said the file was restored from a backup (services/restore.py):
        every stream compares its ids with QuickBooks in this session."""
        company = self.run.company
        if restore.reconcile_wanted(company):
            log.info("company %s: restored on %s: reconciling ids", company.id, company.restored_on)
            self._request_reconcile()
            restore.reconcile_started(company)

    def _request_reconcile(self) -> None:
        """Every stream reconciles its ids (sync/reconcile.py), with the cursors of this call
        (no statement to find them again; the ones missing are made)."""
        cursors = {rt.name: self.run.cursor(rt.name) for rt in DECLARED}
        request_reconcile(self.run.session, self.run.company.id, cursors)

    def _reconcile_past_deletion_horizon(self) -> None:
        """§6.5: QuickBooks reports deletions for ~90 days. If our last sweep is older than
        that (the PC was off for months), deletions may have been missed: reconcile ids."""
        cursors = self.run.cursors()
        sweeps = [cursors.get(name) for name in DELETION_STREAMS]
        last = [c.last_pass_completed_at for c in sweeps if c and c.last_pass_completed_at]
        if not last or utcnow() - min(last) < DELETION_HORIZON:
            return
        self._request_reconcile()

    def _settle_restore_suspects(self) -> bool:
        """After the deletion sweep: a stream whose newest record vanished without a deletion
        went back in time (a restored backup). Reconcile every stream now. True if re-queued."""
        suspects = self.state.restore_suspects
        if not suspects:
            return False
        log.warning(
            "company %s: data went back in time in %s: restored from a backup? reconciling ids",
            self.run.company.id, ", ".join(sorted(suspects)),
        )  # fmt: skip
        self.state.restore_suspects = {}
        self._request_reconcile()
        self.state.queue = [*STREAM_STEPS, *DELETION_STREAMS]
        return True

    def has_more(self) -> bool:
        if not self._queue():
            self._settle_restore_suspects()
        return bool(self._queue())

    def drop_idle(self) -> None:
        """After an answer: the steps at the head of the queue that have nothing to ask this
        session (``Step.idle``: the vendor balance re-read with no vendor marked) leave it
        now, so that answer ends the session with 100 instead of one more exchange of a
        request that only ends it (engine/conversation.py company_ping)."""
        queue = self._queue()
        while queue and STEPS[queue[0]].idle(self.run):
            self.run.finish(queue[0])
            if not queue and self._settle_restore_suspects():
                queue = self._queue()

    def lists_done(self) -> bool:
        """Whether every list stream has had its turn in this session (restore suspects
        settled first: a restore puts the lists back in the queue)."""
        self.has_more()
        return not any(_is_list_stream(name) for name in self._queue())

    # --- requests and answers -----------------------------------------------------------------
    def next_request(self) -> Outbound | None:
        prepared = self.state.prepared
        if prepared is not None:  # built while gathering a batch; it could not join it
            self.state.prepared = None
            if batch.cost(prepared[1]):  # a first look only the budget kept out: it opens the next
                return self._gather(prepared)
            self._on_its_way(prepared[1])
            return prepared
        queue = self._queue()
        while queue:
            name = queue[0]
            alone = self._lost_in_a_batch(name, clear=True)
            built = STEPS[name].request(self.run)
            if built is not None:
                return self._gather(built) if batch.joins(built[1]) and not alone else built
            self.run.finish(name)
            if not queue and self._settle_restore_suspects():
                queue = self._queue()
        return None

    def _gather(self, first: Outbound) -> Outbound:
        """``first`` and the requests of the steps after it that can join it, in one message
        set (sync/batch.py)."""
        self.run.cursors()  # the streams after it: every cursor in one query, not one by one
        parts = [first]
        budget = self.run.tuning.first_look_budget - batch.cost(first[1])
        queue = self._queue()
        leader = str(first[1].get("stream"))
        after = queue[queue.index(leader) + 1 :] if leader in queue else queue[1:]
        for name in list(after):
            if len(parts) >= batch.MAX_REQUESTS or not STEPS[name].asked_ahead:
                break
            if self._lost_in_a_batch(name, clear=False):
                break  # it goes alone at its turn
            built = STEPS[name].request(self.run)
            if built is None:
                self.run.finish(name)  # nothing to ask this session
                continue
            if not batch.joins(built[1]) or batch.cost(built[1]) > budget:
                self.state.prepared = built  # sent next: alone, or opening the next batch
                self._mark_lost(built[1])  # until it is on its way
                break
            budget -= batch.cost(built[1])
            parts.append(built)
        if len(parts) == 1:
            self._on_its_way(first[1])
            return first
        for _, meta in parts:
            self._mark_lost(meta)
        document = combine([qbxml for qbxml, _ in parts], self.run.version)
        return document, batch.batch_meta([meta for _, meta in parts])

    # A batch whose answer never came says nothing about one page's size (sync/sizing.py reads
    # a request without an answer as "too large?" and halves the stream's pages): its streams
    # are marked instead, and each asks alone the next time, where sizing works as always.
    def _mark_lost(self, meta: dict[str, Any]) -> None:
        cursor = self.run.existing(str(meta.get("stream")))
        if cursor is not None:
            with editing_extra(cursor) as extra:
                extra.awaiting = batch.LOST

    def _lost_in_a_batch(self, name: str, *, clear: bool) -> bool:
        cursor = self.run.existing(name)
        if cursor is None or stream_extra(cursor).awaiting != batch.LOST:
            return False
        if clear:
            sizing.answered(cursor)
        return True

    def _on_its_way(self, meta: dict[str, Any]) -> None:
        """A prepared request leaves: the stream's own mark, as if sent when it was built."""
        cursor = self.run.existing(str(meta.get("stream")))
        if cursor is not None and meta.get("kind") == "page" and meta.get("rid"):
            sizing.sent(cursor, str(meta["rid"]))

    def handle_response(self, meta: dict[str, Any], response: str) -> None:
        parts = batch.parts_of(meta)
        if parts is None:
            self._answer(meta, response)
            return
        self.run.cursors()  # the batch's streams: every cursor in one query, not one by one
        together = {str(p["rid"]): p["rids"] for p in parts if isinstance(p.get("rids"), list)}
        try:
            answers = split(response, together)
        except QbxmlParseError as exc:
            for part in parts:
                self.handle_hresult(part, "", f"the answer could not be read ({exc})")
            return
        for part in parts:
            self._lost_in_a_batch(str(part.get("stream")), clear=True)  # it came
            answer = answers.get(str(part.get("rid")))
            if answer is None:
                self.handle_hresult(part, "", "QuickBooks sent no answer to this request")
            else:
                self._answer(part, answer)
        self._live_stream_first()

    def _live_stream_first(self) -> None:
        """After a batch: the session holds one live iterator (§6.4: the last stream of the
        batch with more pages kept it). That stream goes on first, to its pass's end; another
        stream with more pages starts its iterator again after it (its first page asked once
        more). Without this, two such streams took the iterator from each other forever."""
        live = self.state.live
        queue = self.state.queue
        if live is None or queue is None or live.stream not in queue:
            return
        queue.remove(live.stream)
        queue.insert(0, live.stream)

    def _answer(self, meta: dict[str, Any], response: str) -> None:
        step = STEPS.get(str(meta.get("stream")))
        if step is not None:
            step.on_response(self.run, meta, response)

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        """The request processor threw instead of answering (§3.5, §5)."""
        for part in batch.parts_of(meta) or [meta]:
            self._lost_in_a_batch(str(part.get("stream")), clear=True)  # an answer came
            step = STEPS.get(str(part.get("stream")))
            if step is not None:
                step.on_hresult(self.run, part, hresult, message)

    # --- progress -----------------------------------------------------------------------------
    def progress(self) -> int:
        """A real percentage from the work done this session and what is known to remain."""
        queue = self._queue()
        if not queue:
            return 100
        done = self.state.processed
        start = self.run.history_start()
        first, later = queue[0], queue[1:]
        remaining = self._remaining(first, start) + self._later_remaining(later, start)
        # Each queued step costs at least one request even when it returns nothing.
        remaining += len(queue)
        total = done + remaining
        if total <= 0:
            return 99
        return max(0, min(99, int(100 * done / total)))

    def _remaining(self, name: str, start: str | None) -> float:
        cursor = self.run.existing(name) if name in RECORD_TYPES else None
        return estimate_remaining(name, cursor, start)

    def _later_remaining(self, later: list[str], start: str | None) -> float:
        """What remains in the steps queued after the first. Their cursors do not move while
        the first step pages through its stream, so this is counted when those steps change
        (the first one finished) and kept in the session's state between calls: counting it
        on every call read and loaded every cursor of the company, about 0.9 ms of CPU a page
        (issue 13). Any other use of one of their cursors (a batch, a deletion sweep, a
        reconciliation requested) forgets it: sync/run.py ``SyncRun.existing``. The
        percentage is never lower than the last one sent (engine/conversation.py)."""
        kept = self.state.later_estimate
        if kept is not None and kept[0] == later:
            return kept[1]
        self.run.read_ahead(later)  # several unread: every cursor in one statement
        value = sum(self._remaining(name, start) for name in later)
        self.state.later_estimate = (list(later), value)
        return value


def _is_list_stream(name: str) -> bool:
    rt = RECORD_TYPES.get(name)
    return rt is not None and rt.is_list

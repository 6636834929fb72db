"""Delivering queued operations inside QBWC sessions, exactly once (issue 5, parts 2-4).

The session driver (``engine/driver.py``) asks :class:`WriteBack` for the next request and hands it
the answers, inside the one database transaction of each SOAP call. :class:`WriteBack` chooses
what to do next and hands it to a step: sending (``sending.py``), settling an unknown outcome
(``settling.py``), the vendor conflicts (``conflicts.py``), reading records back
(``read_back.py``); what an operation *is* comes from its kind (``kinds/``). All state lives in the
``operations`` rows and in the session's JSON state, so any worker can answer any call and a
server restart mid-session loses nothing.

Exactly once
------------
An Add whose outcome is unknown is never sent again blindly:

1. Before the request leaves, in the same transaction that returns it to the Web Connector, the
   operation becomes ``sent`` with the message set's random ``newMessageSetID`` and the
   ``requestID``; the record carries the operation's ExternalGUID. If that transaction does not
   commit, nothing was sent.
2. The answer (a Ret, or a status code) settles it. No answer — the session dropped after the
   request left, the response was lost (an HRESULT came back), the server restarted, the
   response could not be read — leaves it ``sent``.
3. A ``sent`` operation is settled before anything else in the next request of the same session
   (after an HRESULT) or first thing in the next session: SDK error recovery (§6.2) asks
   QuickBooks with ``oldMessageSetID`` what became of that message set. QuickBooks keeps the
   outcome of a message set sent with ``newMessageSetID``; it answers the stored status and,
   for an Add that worked, the new ListID/TxnID (ErrorRecovery). That answers it: done (and the
   record is read back and stored), or the Add's error status, handled as if it had come back
   directly.
4. If QuickBooks has no record of the message set (messageSetStatusCode ≠ 0: it never got it,
   or its recovery state is gone), the marker decides: the candidates (the vendor of that name;
   the vendor's bills or payments of that date) are read with their ExternalGUID. Ours there:
   done. Not there: QuickBooks never saved it, and only then is it sent again (a new attempt,
   with a new message set id).

Why it is safe: the record and its marker are written by QuickBooks in one step, and the
Web Connector talks to QuickBooks strictly one request at a time. Once the Web Connector asks
for the recovery request, the earlier request has either been processed (then error recovery
reports it, and the marker is on the record) or it never reached QuickBooks (then neither
exists). Checks are never skipped: no new write goes out while any operation's outcome is
unknown, so the message set QuickBooks remembers is always the one asked about, even on a
QuickBooks that keeps only the latest. A status check's own answer can be lost too: it repeats
``newMessageSetID`` so QuickBooks keeps the record, and asking again is harmless. A vendor.update
(a Mod) is idempotent: with no record of its message set it is re-read and applied again.

The window that stays open: a Web Connector that goes silent for longer than the sync lease
*while QuickBooks is still processing its Add*, while another Web Connector on another PC with
the same company file takes over and checks first. QuickBooks serialises requests per company
file, so this needs a multi-user file and an Add slower than the lease (120 s by default).

Where writes go in a session
----------------------------
- Settling ``sent`` operations comes first, before the read sync: it is one small request and
  every other write waits for it.
- New writes go right after the read sync's *list* streams (accounts, terms, vendors, items,
  customers, ...) have had their pass in this session, and before the transaction streams. The
  references are then as fresh as the sync can make them, and writes never wait behind a long
  historical (transaction) sync: operations queued while it runs go out between its pages.
- A session whose read sync has nothing left carries on with the remaining writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from models import Operation, utcnow
from qbwc_server.qbxml.parse import QbxmlParseError, parse_response
from qbwc_server.writeback import queue, read_back, requests
from qbwc_server.writeback.catalog import (
    NEEDS_ATTENTION,
    QUEUED,
    SENT,
    STEP_LOOKUP,
    STEP_MATCH,
    STEP_RECOVER,
    STEP_REREAD,
)
from qbwc_server.writeback.conflicts import Match, Reread
from qbwc_server.writeback.context import WriteContext
from qbwc_server.writeback.sending import SEND, Send
from qbwc_server.writeback.settling import Lookup, Recover
from qbwc_server.writeback.steps import Outbound, WriteStep

log = logging.getLogger(__name__)

PARSE_ERROR = "0x80040400"  # §5: QuickBooks could not parse the request: nothing was processed
_LOCK_FREE_STATES = (SENT, QUEUED)
STEPS: dict[str, WriteStep] = {
    step.name: step for step in (Send(), Recover(), Lookup(), Reread(), Match())
}


@dataclass(frozen=True)
class Action:
    step: str  # send | recover | lookup | reread | match | fetch
    op: Operation | None = None
    fetch: dict[str, str] | None = None


class WriteBack:
    """One SOAP call's view of the company's write-back queue."""

    def __init__(self, ctx: WriteContext) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.state = ctx.state
        self.blocked: list[Operation] = []

    # ------------------------------------------------------------------ choosing
    def _next_action(self, allow_sends: bool) -> Action | None:
        """What to do next; no side effects (has_more() asks the same question). Queued
        operations whose dependency failed are noted in ``self.blocked``."""
        ctx = self.ctx
        self.blocked = []
        if not ctx.open_operations:  # nothing queued or sent when the call began
            return Action(read_back.FETCH, fetch=self.state.fetch[0]) if self.state.fetch else None
        now = utcnow()
        unresolved = False
        # Not SKIP LOCKED here: a sent operation must never be overlooked (a retry/cancel
        # request may hold its row for a moment); the lease decides who settles it.
        for op in queue.sent_operations(self.session, ctx.company.id):
            if not queue.lease_free(self.session, op, ctx.holder, now):
                return None  # another live session is settling it: no writes from us now
            if op.id in self.state.tried:
                unresolved = True
                continue
            return Action(op.step if op.step in (STEP_RECOVER, STEP_LOOKUP) else STEP_RECOVER, op)
        if self.state.fetch:
            return Action(read_back.FETCH, fetch=self.state.fetch[0])
        if unresolved or not allow_sends:
            # §6.2: while an outcome is unknown no other message set may replace QuickBooks'
            # record of it.
            return None
        tried = set(self.state.tried)
        for op in queue.due_queued(self.session, ctx.company.id, now, lock=True):
            if op.id in tried:
                continue
            if not queue.dependencies_done(self.session, op):
                if op.step is None and queue.blocked_by(self.session, op) is not None:
                    self.blocked.append(op)
                continue
            if not queue.lease_free(self.session, op, ctx.holder, now):
                continue
            if op.step in (STEP_REREAD, STEP_MATCH):
                return Action(op.step, op)
            return Action(SEND, op)
        return None

    def has_more(self) -> bool:
        return self._next_action(allow_sends=True) is not None

    def remaining(self) -> int:
        if not self.ctx.open_operations:
            return len(self.state.fetch)
        left = queue.count_open(self.session, self.ctx.company.id, exclude=self.state.tried)
        return left + len(self.state.fetch)

    def progress(self) -> int:
        done = self.state.done
        left = self.remaining()
        if left <= 0:
            return 100
        return min(99, int(100 * done / (done + left)))

    # ------------------------------------------------------------------ requests
    def next_request(self, allow_sends: bool) -> Outbound | None:
        for _ in range(1000):  # each round settles one operation; bounded for safety
            action = self._next_action(allow_sends)
            for op in self.blocked:
                # Its dependency failed after it was queued (a race with validation).
                dep = queue.blocked_by(self.session, op)
                if dep is not None:
                    queue.fail_dependents(self.session, dep)
            if action is None:
                return None
            try:
                with self.session.begin_nested():
                    built = self._build(action)
            except (requests.Unresolved, ValueError) as exc:
                # A builder refused a value (the payload was validated, so this is our bug or
                # data that changed since): never send something QuickBooks would reject.
                if action.op is None:
                    self.ctx.drop_fetch()
                    continue
                log.warning("operation %s: cannot build request: %s", action.op.id, exc)
                op = action.op
                # A sent operation keeps its step: its outcome is still to be found out.
                keep = op.step if op.state == SENT else None
                self.ctx.settle(
                    op, NEEDS_ATTENTION, f"Could not build the request: {exc}", step=keep
                )
                continue
            if built is not None:
                return built
        return None

    def _build(self, action: Action) -> Outbound | None:
        ctx = self.ctx
        if action.step == read_back.FETCH:
            assert action.fetch is not None
            return read_back.request(ctx, action.fetch)
        op = action.op
        assert op is not None
        if not queue.take_lease(self.session, op, ctx.holder, ctx.lease_seconds):
            self.state.tried.append(op.id)  # taken by someone else meanwhile
            return None
        meta: dict[str, Any] = {"kind": "write", "step": action.step, "op": op.id}
        return STEPS[action.step].request(ctx, op, meta)

    # ------------------------------------------------------------------ answers
    def handle_response(self, meta: dict[str, Any], response: str) -> None:
        step = meta.get("step")
        if step == read_back.FETCH:
            read_back.on_answer(self.ctx, meta, response)
            return
        op = self._op(meta, response)
        if op is None:
            return
        try:
            parsed = parse_response(response)
        except QbxmlParseError as exc:
            self.ctx.no_answer(op, meta, "", f"QuickBooks sent an answer we could not read: {exc}")
            return
        handler = STEPS.get(str(step))
        if handler is not None:
            handler.on_answer(self.ctx, op, meta, parsed)

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        """The request processor threw instead of answering (§3.5, §5)."""
        step = meta.get("step")
        if step == read_back.FETCH:
            self.ctx.drop_fetch(meta)
            return
        op = self._op(meta)
        if op is None:
            return
        text = f"QuickBooks did not answer ({hresult}): {message}".strip()
        if step == SEND and hresult.strip().lower() == PARSE_ERROR:
            # §5: the document was refused before anything in it ran; resending it unchanged
            # would only loop (qbwc/qbwc#53).
            self.ctx.settle(
                op,
                NEEDS_ATTENTION,
                "QuickBooks could not read the request (a problem on our side, not in your "
                f"data); it was not saved. ({hresult}: {message})",
                hresult,
            )
            return
        self.ctx.no_answer(op, meta, hresult, text)

    def _op(self, meta: dict[str, Any], response: str = "") -> Operation | None:
        """The operation the answer is for, if this session still drives it."""
        op = self.session.get(Operation, meta.get("op"))
        if op is None or op.company_id != self.ctx.company.id:
            return None
        current = (
            op.state in _LOCK_FREE_STATES
            and op.leased_by == self.ctx.holder
            and (meta.get("msid") is None or meta.get("msid") == op.message_set_id)
        )
        if current:
            return op
        if meta.get("step") == SEND:
            self.ctx.stray(op, meta, response)
        return None

"""Sending an operation, and what its answer makes of it.

Before the request leaves, in the same transaction that returns it to the Web Connector, the
operation becomes ``sent`` with a random ``newMessageSetID`` and the ``requestID``; the record
carries the operation's ExternalGUID (§6.2). If that transaction does not commit, nothing was
sent. The answer settles it: done (the record is stored), queued again later (locks, busy),
failed with words a bookkeeper can act on, or — no answer — still ``sent``, to be settled
(writeback/settling.py).
"""

from __future__ import annotations

from typing import Any

from models import Operation, utcnow
from qbwc_server.qbxml.parse import ParsedResponse, ParsedRs
from qbwc_server.qbxml.status import StatusPolicy, bookkeeper_message, classify
from qbwc_server.writeback import queue, requests
from qbwc_server.writeback.catalog import (
    FAILED,
    MAX_SEND_ATTEMPTS,
    NEEDS_ATTENTION,
    QUEUED,
    SENT,
    STEP_RECOVER,
    STEP_REREAD,
    retry_delay,
)
from qbwc_server.writeback.context import WriteContext
from qbwc_server.writeback.kinds import KINDS
from qbwc_server.writeback.kinds.base import WriteArgs
from qbwc_server.writeback.steps import Outbound, WriteStep

SEND = "send"


class Send(WriteStep):
    name = SEND

    def request(self, ctx: WriteContext, op: Operation, meta: dict[str, Any]) -> Outbound | None:
        if op.attempts >= MAX_SEND_ATTEMPTS:
            ctx.settle(
                op,
                NEEDS_ATTENTION,
                f"Not sent again: QuickBooks refused it {op.attempts} times. "
                + (op.error_message or ""),
                op.error_code,
            )
            return None
        kind = KINDS[op.type]
        edit_sequence = None
        if not kind.is_add:
            # A Mod names the version it changes (§6.7): without it, read the record first.
            edit_sequence = kind.edit_sequence(ctx, op)
            if edit_sequence is None:
                ctx.requeue(op, STEP_REREAD)
                return None
        rid = f"wb{op.id}-{op.attempts + 1}"
        msid = requests.new_message_set_id()
        builder = kind.write_request(
            op.resolved, WriteArgs(rid, op.external_guid, ctx.resolve, edit_sequence)
        )
        doc = requests.send_document(builder, version=ctx.version, message_set_id=msid)
        # Committed with the answer to sendRequestXML: from here on the outcome must be
        # settled before this operation (or any other) is sent again.
        now = utcnow()
        op.state = SENT
        op.step = STEP_RECOVER
        op.attempts += 1
        op.message_set_id = msid
        op.request_id = rid
        op.sent_at = now
        op.updated_at = now
        op.not_before = None
        meta.update({"msid": msid, "rid": rid})
        return doc, meta

    def on_answer(
        self, ctx: WriteContext, op: Operation, meta: dict[str, Any], parsed: ParsedResponse
    ) -> None:
        rs = ctx.rs(parsed, meta.get("rid"))
        if rs is None:
            ctx.no_answer(op, meta, "", "QuickBooks answered another request than ours.")
            return
        apply_status(ctx, op, rs, recovered=False)


def apply_status(ctx: WriteContext, op: Operation, rs: ParsedRs, *, recovered: bool) -> None:
    """What QuickBooks' status for the write (direct, or remembered by error recovery) makes
    of the operation."""
    status = rs.status
    kind = KINDS[op.type]
    policy = classify(status.status_code, status.status_severity, status.status_message)
    text = bookkeeper_message(status.status_code, status.status_severity, status.status_message)
    code = status.status_code
    if policy in (StatusPolicy.SUCCESS, StatusPolicy.WARNING):
        record = rs.records[0] if rs.records else None
        if record is not None:
            ctx.done(op, record.data, recovered=recovered)
            ctx.upsert(kind.record_type, [record])
        elif rs.error_recovery and rs.error_recovery.get(kind.id_key):
            ctx.done(op, rs.error_recovery, recovered=True)
            ctx.want_fetch(kind.record_type, str(rs.error_recovery[kind.id_key]))
        else:
            ctx.settle(op, NEEDS_ATTENTION, f"QuickBooks said OK but sent no record. {text}")
        return
    if "closing date" in status.status_message.lower() or policy == StatusPolicy.CLOSED_PERIOD:
        ctx.settle(
            op,
            FAILED,
            "The date is on or before the company's closing date in QuickBooks (a closed "
            "period). Change the date, or ask the person with the closing-date password. "
            f"(QuickBooks {code}: {status.status_message})",
            code,
        )
        return
    if policy in (StatusPolicy.RETRY_LATER, StatusPolicy.NOT_PROCESSED):
        _retry_later(ctx, op, text, code)
        return
    if kind.on_refused(ctx, op, policy, text, code):
        return
    if policy in (StatusPolicy.NEEDS_ATTENTION, StatusPolicy.ITERATOR_INVALID):
        ctx.settle(op, NEEDS_ATTENTION, text, code)
        return
    ctx.settle(op, FAILED, kind.failure_words(policy, text), code)


def _retry_later(ctx: WriteContext, op: Operation, text: str, code: int | str | None) -> None:
    if op.attempts >= MAX_SEND_ATTEMPTS:
        ctx.settle(
            op,
            NEEDS_ATTENTION,
            f"QuickBooks was still busy after {op.attempts} tries; retry when the record "
            f"is free. {text}",
            code,
        )
        return
    now = utcnow()
    op.state = QUEUED
    op.step = None
    op.not_before = now + retry_delay(op.attempts)
    op.leased_by = None
    op.lease_expires_at = None
    op.updated_at = now
    queue.set_error(op, f"Will try again later: {text}", code)
    ctx.state.tried.append(op.id)  # not again in this session

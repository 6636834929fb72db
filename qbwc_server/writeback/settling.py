"""Settling an operation whose outcome is unknown (it was sent; no answer came back).

First SDK error recovery (§6.2, Intuit's ErrRecovery samples): a status check with
``oldMessageSetID`` asks QuickBooks what became of that message set. It reports the stored
status and, for an Add that worked, the new ListID/TxnID: that settles it. The check repeats
the id as ``newMessageSetID``, so QuickBooks keeps its record and a lost answer to the check is
harmless.

If QuickBooks has no record of the message set (it never got it, or its recovery state is
gone), the marker decides: the kind's candidates (the vendor of that name; the vendor's bills
or payments of that date) are read with their ExternalGUID. Ours there: done. Not there:
QuickBooks never saved it, and only then is it sent again. A Mod is idempotent: it is re-read
and applied again. Why this is safe: ``writeback/delivery.py``.
"""

from __future__ import annotations

from typing import Any

from models import Operation
from qbwc_server.qbxml.parse import ParsedResponse
from qbwc_server.qbxml.status import StatusPolicy, bookkeeper_message, classify
from qbwc_server.writeback import requests
from qbwc_server.writeback.catalog import SENT, STEP_LOOKUP, STEP_RECOVER, STEP_REREAD
from qbwc_server.writeback.context import WriteContext
from qbwc_server.writeback.kinds import KINDS
from qbwc_server.writeback.matching import same_guid
from qbwc_server.writeback.sending import apply_status
from qbwc_server.writeback.steps import Outbound, WriteStep


class Recover(WriteStep):
    """The error-recovery status check of the message set the operation went in."""

    name = STEP_RECOVER

    def request(self, ctx: WriteContext, op: Operation, meta: dict[str, Any]) -> Outbound | None:
        if not op.message_set_id:
            op.step = STEP_LOOKUP
            return None
        meta["msid"] = op.message_set_id
        return requests.recovery_document(ctx.version, op.message_set_id), meta

    def on_answer(
        self, ctx: WriteContext, op: Operation, meta: dict[str, Any], parsed: ParsedResponse
    ) -> None:
        if op.state != SENT:
            return
        remembered = None
        if parsed.message_set_status_code in (0, None):
            remembered = ctx.rs(parsed, op.request_id)
        if remembered is None or parsed.message_set_status_code not in (0, None):
            # QuickBooks has no record of that message set: look for the marker.
            if KINDS[op.type].is_add:
                op.step = STEP_LOOKUP
            else:
                # A Mod is idempotent: read the current EditSequence and apply it again.
                ctx.requeue(op, STEP_REREAD)
            return
        apply_status(ctx, op, remembered, recovered=True)


class Lookup(WriteStep):
    """Look for the operation's ExternalGUID on the records that could be ours."""

    name = STEP_LOOKUP

    def request(self, ctx: WriteContext, op: Operation, meta: dict[str, Any]) -> Outbound | None:
        kind = KINDS[op.type]
        if not kind.is_add:
            ctx.requeue(op, STEP_REREAD)
            return None
        rid = f"wl{op.id}-{op.recovery_attempts + 1}"
        meta["rid"] = rid
        doc = kind.marker_lookup(
            op.resolved, version=ctx.version, request_id=rid, resolve=ctx.resolve
        )
        return doc, meta

    def on_answer(
        self, ctx: WriteContext, op: Operation, meta: dict[str, Any], parsed: ParsedResponse
    ) -> None:
        if op.state != SENT:
            return
        rs = ctx.rs(parsed, meta.get("rid"))
        if rs is None:
            ctx.no_answer(op, meta, "", "QuickBooks answered another request than ours.")
            return
        status = rs.status
        policy = classify(status.status_code, status.status_severity, status.status_message)
        if policy not in (StatusPolicy.SUCCESS, StatusPolicy.WARNING, StatusPolicy.EMPTY_SUCCESS):
            text = bookkeeper_message(
                status.status_code, status.status_severity, status.status_message
            )
            ctx.no_answer(op, meta, str(status.status_code), text)
            return
        kind = KINDS[op.type]
        for record in rs.records:
            if same_guid(record.data.get("ExternalGUID"), op.external_guid):
                ctx.done(op, record.data, recovered=True)
                if kind.lookup_has_whole_record:
                    ctx.upsert(kind.record_type, [record])
                else:
                    ctx.want_fetch(kind.record_type, str(record.data.get(kind.id_key)))
                return
        # Not in QuickBooks: the earlier request never got there. Only now send it again.
        ctx.requeue(op, None)

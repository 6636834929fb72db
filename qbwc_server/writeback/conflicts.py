"""The vendor conflicts: a ``vendor.update`` refused as stale (3200) re-reads the vendor and is
applied again with the fresh EditSequence; a ``vendor.create`` refused because the name is in
use (3100) reads the vendor of that name and links it when it is the same vendor
(writeback/matching.py). The kinds send their operations here (``kinds/vendor.py``).
"""

from __future__ import annotations

from typing import Any

from models import Operation
from qbwc_server.qbxml.parse import ParsedResponse
from qbwc_server.qbxml.status import StatusPolicy, classify
from qbwc_server.writeback import requests
from qbwc_server.writeback.catalog import FAILED, STEP_MATCH, STEP_REREAD
from qbwc_server.writeback.context import WriteContext
from qbwc_server.writeback.matching import differences, is_same_vendor
from qbwc_server.writeback.steps import Outbound, WriteStep


class Reread(WriteStep):
    name = STEP_REREAD

    def request(self, ctx: WriteContext, op: Operation, meta: dict[str, Any]) -> Outbound | None:
        rid = f"wr{op.id}-{op.conflict_retries}"
        meta["rid"] = rid
        list_id = ctx.resolve(op.resolved["vendor"], "list_id")
        return requests.vendor_by_id(ctx.version, rid, list_id), meta

    def on_answer(
        self, ctx: WriteContext, op: Operation, meta: dict[str, Any], parsed: ParsedResponse
    ) -> None:
        rs = ctx.rs(parsed, meta.get("rid"))
        if rs is None or not rs.records:
            code = rs.status.status_code if rs is not None else None
            if rs is not None and classify(code or 0, rs.status.status_severity) in (
                StatusPolicy.NOT_FOUND,
                StatusPolicy.EMPTY_SUCCESS,
            ):
                ctx.settle(
                    op,
                    FAILED,
                    "The vendor no longer exists in QuickBooks (it was probably deleted).",
                    code,
                )
                return
            ctx.no_answer(op, meta, str(code or ""), "QuickBooks did not return the vendor.")
            return
        ctx.upsert("vendors", rs.records)
        op.step = None  # the next action sends the VendorMod with the fresh EditSequence


class Match(WriteStep):
    name = STEP_MATCH

    def request(self, ctx: WriteContext, op: Operation, meta: dict[str, Any]) -> Outbound | None:
        rid = f"wm{op.id}"
        meta["rid"] = rid
        return requests.vendor_by_name(ctx.version, rid, op.resolved["name"]), meta

    def on_answer(
        self, ctx: WriteContext, op: Operation, meta: dict[str, Any], parsed: ParsedResponse
    ) -> None:
        rs = ctx.rs(parsed, meta.get("rid"))
        name = op.resolved.get("name", "")
        if rs is None:
            ctx.no_answer(op, meta, "", "QuickBooks did not answer the vendor lookup.")
            return
        if not rs.records:
            ctx.settle(
                op,
                FAILED,
                f'The name "{name}" is already used in QuickBooks by a customer, employee or '
                "other name (names must be unique across those lists). Choose another vendor "
                "name.",
                3100,
            )
            return
        existing = rs.records[0]
        if is_same_vendor(op.resolved, existing.data, op.external_guid):
            ctx.upsert("vendors", [existing])
            ctx.done(op, existing.data, recovered=False, linked=True)
            return
        diff = ", ".join(differences(op.resolved, existing.data))
        ctx.settle(
            op,
            FAILED,
            f'A different vendor named "{name}" already exists in QuickBooks (its {diff} '
            "differ). Use another name, or update that vendor instead.",
            3100,
        )

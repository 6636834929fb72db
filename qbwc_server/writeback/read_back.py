"""Reading back records a write changed, in the same session: a record the answer did not
carry whole (error recovery reports only its id), the bills a payment paid. They are read the
way the read sync reads them (records/queries.py), so the row stored equals the sync's."""

from __future__ import annotations

from typing import Any

from qbwc_server.writeback import requests
from qbwc_server.writeback.context import WriteContext
from qbwc_server.writeback.steps import Outbound

FETCH = "fetch"


def request(ctx: WriteContext, wanted: dict[str, str]) -> Outbound:
    ctx.state.fetch_n += 1
    rid = f"wf{ctx.state.fetch_n}"
    doc = requests.read_back(ctx.version, rid, wanted["type"], wanted["id"])
    return doc, {"kind": "write", "step": FETCH, "rid": rid, **wanted}


def on_answer(ctx: WriteContext, meta: dict[str, Any], response: str) -> None:
    ctx.drop_fetch(meta)
    ctx.store(meta.get("type", ""), response, meta.get("rid"))

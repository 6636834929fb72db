"""Asking several streams at once (issue 13: what a fleet of incremental syncs costs).

An incremental session asks every stream what changed since its watermark and sweeps the
deletions: some twenty requests, almost all answered with nothing, each its own round trip —
two SOAP calls, two transactions, the session row and the cursor written each time. Most of a
busy server's CPU went there. QuickBooks takes many requests in one message set and answers
each with its own ``requestID`` (``qbxml/batch.py``), so the planner (``sync/planner.py``)
sends those requests together:

- a request **joins** a batch when it opens an incremental pass of a stream (no iterator, or
  ``iterator="Start"``) or a deletion sweep — small by nature: only what changed since the last
  session — or when it is a first pass's opening look at a stream's whole range
  (``sync/windows.py whole_range``: a page of at most :data:`FIRST_LOOK_PAGE` records, or a
  list QuickBooks answers whole). A first sync thus learns every stream's size, and fetches
  every small or empty stream whole, in one or two message sets instead of a round trip per
  stream and window. The opening looks of one message set ask at most
  ``QBWC_FIRST_LOOK_BUDGET`` records together (1,500 by default, ``config.py``
  ``SyncTuning``; a list answered whole counts as a page of :data:`FIRST_LOOK_PAGE`), so the
  answer stays the size of one or two ordinary pages.
  Windows of a dense stream, reconciliations and iterator continuations go alone (their
  pages are full ones, sized one at a time by ``sync/sizing.py``);
- the restore probe (``sync/steps/restore_probe.py``), a session's first request, leads the
  batch when it has anything to ask: its requests (one per stream with a watermark, a record
  each) travel with the streams' and come back as one answer (``rids``: its requests' ids,
  answered together under its ``rid``), taken first, as if it had come alone — one round trip
  less per incremental session. Nothing asked ahead reads what it finds: its suspects are
  settled after the deletion sweeps, which answer later in the same batch or after it;
- only steps whose request does not depend on the answers before it are asked ahead
  (:attr:`~qbwc_server.sync.steps.base.Step.asked_ahead`): the stream steps and the deletion
  sweeps, never the vendor balance re-read, which reads what the session's answers stored;
- a request built while gathering that cannot join is kept in the session state and sent next
  (a step's request is never built twice) — alone, or opening the next batch when it may join
  one and only the budget kept it out;
- each answer goes to its step as if it had come alone, in the order asked; an answer missing
  from the response is that request's error, and the stream tries again at a later session;
- a batch whose answer never came (the connection dropped) is no sign of a page too large: its
  streams do not shrink their pages (``sync/sizing.py``) but ask alone at their next turn, where
  a request without an answer counts as it always did.
"""

from __future__ import annotations

from typing import Any

BATCH = "batch"  # meta["kind"] of a message set holding several steps' requests
MAX_REQUESTS = 24  # requests in one message set: every stream and both sweeps fit
FIRST_LOOK_PAGE = 100  # records of a first pass's opening look at a stream (MaxReturned)
OPENING = (None, "Start")
# A stream's ``awaiting`` mark (sync/sizing.py) while its request travels in a batch.
LOST = "batch"


def joins(meta: dict[str, Any]) -> bool:
    """Whether the request described by ``meta`` may share a message set with others."""
    kind = meta.get("kind")
    if kind in ("deleted", "probe"):
        return True
    if kind != "page" or meta.get("iterator") not in OPENING:
        return False
    return meta.get("pass") == "incremental" or bool(meta.get("first_look"))


def cost(meta: dict[str, Any]) -> int:
    """What a joining request counts against the first looks' budget: the records an
    opening look may bring; incremental pages and deletion sweeps bring only what changed."""
    look = meta.get("first_look")
    return look if isinstance(look, int) else 0


def batch_meta(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": BATCH, "stream": BATCH, "parts": parts}


def parts_of(meta: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The metas of a batch's requests, in order; None for a request sent alone."""
    if meta.get("kind") != BATCH:
        return None
    parts = meta.get("parts")
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


__all__ = [
    "BATCH",
    "FIRST_LOOK_PAGE",
    "MAX_REQUESTS",
    "batch_meta",
    "cost",
    "joins",
    "parts_of",
]

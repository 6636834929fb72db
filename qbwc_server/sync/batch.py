"""Asking several streams at once (issue 13: what a fleet of incremental syncs costs).

An incremental session asks every stream what changed since its watermark and sweeps the
deletions: some twenty requests, almost all answered with nothing, each its own round trip —
two SOAP calls, two transactions, the session row and the cursor written each time. Most of a
busy server's CPU went there. QuickBooks takes many requests in one message set and answers
each with its own ``requestID`` (``qbxml/batch.py``), so the planner (``sync/planner.py``)
sends those requests together:

- a request **joins** a batch when it opens an incremental pass of a stream (no iterator, or
  ``iterator="Start"``) or a deletion sweep — small by nature: only what changed since the last
  session; first and historical passes, reconciliations and iterator continuations go alone
  (their pages are full ones, sized one at a time by ``sync/sizing.py``);
- only steps whose request does not depend on the answers before it are asked ahead
  (:attr:`~qbwc_server.sync.steps.base.Step.asked_ahead`): the stream steps and the deletion
  sweeps, never the vendor balance re-read, which reads what the session's answers stored;
- a request built while gathering that cannot join is kept in the session state and sent next
  (a step's request is never built twice);
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
OPENING = (None, "Start")
# A stream's ``awaiting`` mark (sync/sizing.py) while its request travels in a batch.
LOST = "batch"


def joins(meta: dict[str, Any]) -> bool:
    """Whether the request described by ``meta`` may share a message set with others."""
    kind = meta.get("kind")
    if kind == "deleted":
        return True
    return kind == "page" and meta.get("pass") == "incremental" and meta.get("iterator") in OPENING


def batch_meta(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": BATCH, "stream": BATCH, "parts": parts}


def parts_of(meta: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The metas of a batch's requests, in order; None for a request sent alone."""
    if meta.get("kind") != BATCH:
        return None
    parts = meta.get("parts")
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


__all__ = ["BATCH", "MAX_REQUESTS", "batch_meta", "joins", "parts_of"]

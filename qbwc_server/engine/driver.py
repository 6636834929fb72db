"""The session driver: what the conversation asks for the next qbXML request and hands
responses to.

The conversation (``engine/conversation.py``) knows nothing about object types; it calls, once
per SOAP call and inside that call's transaction:

- ``next_request()`` in sendRequestXML: the next request document, or None when nothing is left;
- ``handle_response()`` / ``handle_hresult()`` in receiveResponseXML;
- ``progress()`` for the percentage receiveResponseXML returns.

It combines the read sync (``sync/planner.py``) with the write-back queue
(``writeback/delivery.py``): settling write-backs whose outcome is unknown comes first, new
write-backs go once the read sync's list streams have had their pass in this session (fresh
references) and before or between the transaction pages, so they never wait behind a long
historical sync. See ``qbwc_server/writeback/delivery.py`` for why.

All state the driver needs between calls lives in the database (the session's ``state`` and
the stream cursors), so any worker can answer any call. The driver reads and writes the call's
working copy of the session's state (``SyncContext.state``); the conversation puts it on the
row once, when the call is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import Company, QbwcSession
from qbwc_server.config import Settings
from qbwc_server.sync.planner import Planner
from qbwc_server.sync.state import SessionState
from qbwc_server.writeback.context import WriteContext, WriteState
from qbwc_server.writeback.delivery import WriteBack

WRITE_KIND = "write"  # meta["kind"] of write-back requests


@dataclass
class OutboundRequest:
    qbxml: str
    meta: dict[str, Any] = field(default_factory=dict)  # JSON-able; comes back with the answer


@dataclass
class SyncContext:
    session: Session
    company: Company
    qbwc_session: QbwcSession
    settings: Settings
    qbxml_version: str
    state: dict[str, Any]  # the call's working copy of qbwc_session.state
    open_operations: bool = True  # a write-back was queued or sent when the call began


class SyncDriver:
    """Drives one QBWC session's requests for a verified company file."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        state = ctx.state  # from_json copies what it keeps: the typed states share nothing
        self.sync_state = SessionState.from_json(state.get("sync"))
        self.planner = Planner(
            ctx.session, ctx.company, self.sync_state, ctx.qbxml_version, ctx.settings.tuning
        )
        self.write_state = WriteState.from_json(state.get("writes"))
        self.writes = WriteBack(
            WriteContext(
                ctx.session,
                ctx.company,
                ctx.qbwc_session,
                version=ctx.qbxml_version,
                lease_seconds=ctx.settings.sync_lease_seconds,
                state=self.write_state,
                open_operations=ctx.open_operations,
            )
        )

    def _save(self) -> None:
        self.ctx.state["sync"] = self.sync_state.to_json()
        self.ctx.state["writes"] = self.write_state.to_json()

    def next_request(self) -> OutboundRequest | None:
        built = self.writes.next_request(allow_sends=self.planner.lists_done())
        if built is None:
            built = self.planner.next_request()
        if built is None:
            built = self.writes.next_request(allow_sends=True)
        self._save()
        if built is None:
            return None
        qbxml, meta = built
        return OutboundRequest(qbxml=qbxml, meta=meta)

    def handle_response(self, meta: dict[str, Any], response: str) -> None:
        if meta.get("kind") == WRITE_KIND:
            self.writes.handle_response(meta, response)
        else:
            self.planner.handle_response(meta, response)
        self._save()

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        if meta.get("kind") == WRITE_KIND:
            self.writes.handle_hresult(meta, hresult, message)
        else:
            self.planner.handle_hresult(meta, hresult, message)
        self._save()

    def has_more(self) -> bool:
        """Whether the session has more to ask, after an answer. With no write-back left, the
        read sync's steps that have nothing to ask are dropped first (Planner.drop_idle)."""
        if not self.writes.has_more():
            self.planner.drop_idle()
            self._save()
            return self.planner.has_more()
        return True

    def progress(self) -> int:
        reads = self.planner.progress() if self.planner.has_more() else 100
        self._save()  # the planner keeps part of its estimate for the next call
        return min(reads, self.writes.progress())

"""The sync driver: what the engine asks for the next qbXML request and hands responses to.

The engine (the QBWC conversation) knows nothing about object types; it calls, once per SOAP
call and inside that call's transaction:

- ``next_request()`` in sendRequestXML: the next request document, or None when nothing is left;
- ``handle_response()`` / ``handle_hresult()`` in receiveResponseXML;
- ``progress()`` for the percentage receiveResponseXML returns.

All state the driver needs between calls lives in the database (the session's ``state`` and
the stream cursors), so any worker can answer any call.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import Company, QbwcSession
from qbwc_server.config import Settings
from qbwc_server.sync.planner import Planner


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
    owner_id: str
    qbxml_version: str


class SyncDriver:
    """Drives one QBWC session's requests for a verified company file."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        # Deep copies: a nested list changed in place would make the JSON column compare equal
        # to its loaded value, and SQLAlchemy would then skip the UPDATE.
        state = copy.deepcopy(ctx.qbwc_session.state or {})
        self.sync_state: dict[str, Any] = state.get("sync") or {}
        self.planner = Planner(
            ctx.session, ctx.company, self.sync_state, ctx.qbxml_version, ctx.settings.tuning
        )

    def _save(self) -> None:
        # Reassign the JSON column so SQLAlchemy writes it.
        state = copy.deepcopy(self.ctx.qbwc_session.state or {})
        state["sync"] = copy.deepcopy(self.sync_state)
        self.ctx.qbwc_session.state = state

    def next_request(self) -> OutboundRequest | None:
        built = self.planner.next_request()
        self._save()
        if built is None:
            return None
        qbxml, meta = built
        return OutboundRequest(qbxml=qbxml, meta=meta)

    def handle_response(self, meta: dict[str, Any], response: str) -> None:
        self.planner.handle_response(meta, response)
        self._save()

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        self.planner.handle_hresult(meta, hresult, message)
        self._save()

    def has_more(self) -> bool:
        return self.planner.has_more()

    def progress(self) -> int:
        return self.planner.progress()

"""The sync driver: what the engine asks for the next qbXML request and hands responses to.

The engine (the QBWC conversation) knows nothing about object types; it calls, once per SOAP
call and inside that call's transaction:

- ``next_request()`` in sendRequestXML: the next request document, or None when nothing is left;
- ``handle_response()`` / ``handle_hresult()`` in receiveResponseXML;
- ``progress()`` for the percentage receiveResponseXML returns.

All state the driver needs between calls lives in the database (the session's ``state`` and,
for the data sync, the stream cursors), so any worker can answer any call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import Company, QbwcSession
from qbwc_server.config import Settings


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
        self.state: dict[str, Any] = ctx.qbwc_session.state.setdefault("sync", {})

    # The foundation only refreshes the company record; the data sync plugs in here.
    def next_request(self) -> OutboundRequest | None:
        if self.state.get("company_refreshed"):
            return None
        from qbwc_server.sync.company_refresh import company_query

        return OutboundRequest(
            qbxml=company_query(self.ctx.qbxml_version, self.ctx.owner_id),
            meta={"kind": "company_refresh"},
        )

    def handle_response(self, meta: dict[str, Any], response: str) -> None:
        if meta.get("kind") == "company_refresh":
            self.state["company_refreshed"] = True

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        # A request QuickBooks rejected is never resent unchanged (§5, qbwc/qbwc#53).
        if meta.get("kind") == "company_refresh":
            self.state["company_refreshed"] = True

    def has_more(self) -> bool:
        return not self.state.get("company_refreshed")

    def progress(self) -> int:
        return 100 if not self.has_more() else 0

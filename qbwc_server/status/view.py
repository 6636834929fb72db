"""One company's status as the API (``GET /api/companies/{id}``), the pages and
``qbwc-server company show`` show it: settings and binding (``services/companies.py``), the
state and current problem (``services/company_states.py``, ``services/problems.py``), progress
while syncing, the Web Connectors seen, streams, record counts, sessions, errors and the
write-back queue. It only reads; nothing here drives a session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import Company, utcnow
from qbwc_server.config import Settings
from qbwc_server.records.read import record_counts
from qbwc_server.services.companies import company_view
from qbwc_server.services.connectors import list_connectors
from qbwc_server.services.sessions import recent_events, recent_sessions
from qbwc_server.status.progress import sync_progress
from qbwc_server.status.streams import stream_status
from qbwc_server.sync.cursors import load_cursors
from qbwc_server.writeback.service import operations_summary


def company_status(session: Session, company: Company, settings: Settings) -> dict[str, Any]:
    """Everything the Company Profile shows about one company."""
    now = utcnow()
    view = company_view(company, settings)
    status = view["status"]
    cursors = load_cursors(session, company.id)
    status["progress"] = sync_progress(session, company, status["state"], cursors, now)
    status["connectors"] = list_connectors(session, company, now)
    view["recent_sessions"] = recent_sessions(session, company.id, 10)
    view["recent_errors"] = recent_events(session, company.id, 20)
    view["streams"] = stream_status(session, company)
    view["record_counts"] = record_counts(session, company.id)
    view["operations"] = operations_summary(session, company.id)
    return view

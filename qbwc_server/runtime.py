"""What every request handler needs: settings and the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models import Company
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.services.companies import company_view
from qbwc_server.services.sessions import recent_events, recent_sessions
from qbwc_server.sync.planner import stream_status
from qbwc_server.sync.storage import record_counts
from qbwc_server.writeback.service import operations_summary


@dataclass
class Runtime:
    settings: Settings
    db: Database

    def status_view(self, session: Session, company: Company) -> dict[str, Any]:
        """Settings and status of one company: binding, last contact, sessions, errors."""
        view = company_view(company, self.settings)
        view["recent_sessions"] = recent_sessions(session, company.id, 10)
        view["recent_errors"] = recent_events(session, company.id, 20)
        view["streams"] = stream_status(session, company)
        view["record_counts"] = record_counts(session, company.id)
        view["operations"] = operations_summary(session, company.id)
        return view

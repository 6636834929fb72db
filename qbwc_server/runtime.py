"""What every request handler needs: settings and the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models import Company
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.status import company_status


@dataclass
class Runtime:
    settings: Settings
    db: Database

    def status_view(self, session: Session, company: Company) -> dict[str, Any]:
        """Settings and status of one company (``qbwc_server/status.py``)."""
        return company_status(session, company, self.settings)

"""How many companies are in each status state — for the ``qbwc_companies{state}`` gauge and
``qbwc-server status``.

ISSUE 11 REPLACES THE BODY of :func:`company_state` (the Company Profile builds the real state
machine behind ``status.state``). Until then the state is what the company row already knows,
exactly as ``company_view`` reports it today: "Never connected", "Connected to Server" or
"Not connected". The other states of issue 11 are listed so the gauge exposes every series
from the start (at 0 until issue 11 computes them).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, utcnow
from qbwc_server.config import Settings
from qbwc_server.services.companies import is_connected

# The states of the company status (issue 11), in the order a dashboard lists them.
COMPANY_STATES = (
    "Never connected",
    "Waiting for confirmation",
    "Syncing",
    "Connected to Server",
    "Not connected",
    "Needs attention",
    "Paused",
)


def company_state(company: Company, settings: Settings, now: datetime) -> str:
    """The status state of one company. Issue 11: replace this body with the real one."""
    if company.last_contact_at is None:
        return "Never connected"
    return "Connected to Server" if is_connected(company, settings, now) else "Not connected"


def company_state_counts(session: Session, settings: Settings) -> dict[str, int]:
    """Companies per state (every state of COMPANY_STATES present, zeros included)."""
    now = utcnow()
    counts: Counter[str] = Counter({state: 0 for state in COMPANY_STATES})
    for company in session.scalars(select(Company)):
        counts[company_state(company, settings, now)] += 1
    return dict(counts)

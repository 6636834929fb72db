"""Questions authenticate asks before opening QuickBooks: is there anything to do?"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import Company
from qbwc_server.writeback import queue


def has_pending_writes(session: Session, company: Company) -> bool:
    """True when a write-back can go now: a queued operation whose dependencies are done and
    whose retry time has come, or a sent one whose outcome must be settled. Write-backs never
    wait for the sync interval."""
    return queue.has_pending_work(session, company.id)

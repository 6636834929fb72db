"""Questions authenticate asks before opening QuickBooks: is there anything to do?"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import Company


def has_pending_writes(session: Session, company: Company) -> bool:
    """True when write-backs are queued for this company (they never wait for the interval).

    The write-back queue (operations) is not built yet; until it is, there is never one.
    """
    del session, company
    return False

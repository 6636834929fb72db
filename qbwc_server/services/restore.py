""" "QuickBooks file restored from a backup?" — the restore date the customer guide asks for.

The customer gives the date the company file was restored (``POST
/api/companies/{id}/restore``, the profile's form). The server keeps it and the next Web
Connector run reconciles every stream: it compares every ListID/TxnID and EditSequence with
QuickBooks, re-reads what changed and marks deleted what the backup does not have
(``sync/reconcile.py``; the sync planner starts it, ``sync/planner.py``). The restore probe finds
most restores by itself; the date makes sure, and tells support when it happened.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from models import Company, utcnow
from qbwc_server.services.company_rows import get_company
from qbwc_server.services.errors import Invalid


def validate_restored_on(value: Any, today: date | None = None) -> str:
    field = "restored_on"
    if not isinstance(value, str):
        raise Invalid('restored_on is required: the restore date as "YYYY-MM-DD"', field=field)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f'restored_on: {value!r} is not a date "YYYY-MM-DD"', field=field) from None
    if len(value) != 10:
        raise Invalid(f'restored_on: {value!r} is not a date "YYYY-MM-DD"', field=field)
    if parsed.year < 1990:
        raise Invalid("restored_on must be 1990 or later", field=field)
    if parsed > (today or utcnow().date()):
        raise Invalid("restored_on must not be in the future", field=field)
    return parsed.isoformat()


def record_restore(session: Session, company_id: Any, restored_on: Any) -> Company:
    """Keep the restore date and ask for a reconciliation at the next Web Connector run (which
    is due at once). 404 for an unknown company, 422 for a bad date."""
    company = get_company(session, company_id, for_update=True)
    company.restored_on = validate_restored_on(restored_on)
    now = utcnow()
    company.restore_recorded_at = now
    company.restore_reconcile_started_at = None
    company.last_complete_sync_at = None  # do not wait for the sync interval
    company.updated_at = now
    session.flush()
    return company


def reconcile_wanted(company: Company) -> bool:
    """A restore was recorded and no session has started its reconciliation yet."""
    recorded = company.restore_recorded_at
    started = company.restore_reconcile_started_at
    return recorded is not None and (started is None or started < recorded)


def reconcile_started(company: Company, at: datetime | None = None) -> None:
    company.restore_reconcile_started_at = at or utcnow()


def restore_view(company: Company) -> dict[str, Any] | None:
    """``restore`` of the company view; None when no restore was recorded."""
    if company.restored_on is None:
        return None
    recorded, started = company.restore_recorded_at, company.restore_reconcile_started_at
    return {
        "restored_on": company.restored_on,
        "recorded_at": recorded.isoformat() if recorded else None,
        "reconcile_started_at": started.isoformat() if started else None,
        "reconcile_pending": reconcile_wanted(company),
    }

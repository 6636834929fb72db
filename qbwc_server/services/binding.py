"""Which company file a company syncs: the binding, and Begin Sync (issue 11 item 3).

A company with ``confirm_binding`` (the default for new companies) does not bind on first
contact. That session reads the open file's identity — company name, path, product and version
from the Web Connector's company data, the vendor and bill counts from one cheap query — stores
it here as the *pending* binding and ends without syncing; the company is ``Waiting for
confirmation`` until a person looks at it on the Company Profile and either confirms it
(:func:`confirm_binding`, **Begin Sync**: the next run syncs) or rejects it
(:func:`reset_binding`: forgotten; the next run reads the open file again). ``reset_binding``
also forgets a confirmed binding (the company moved to another file).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import Company, utcnow
from qbwc_server.services import problems
from qbwc_server.services.company_rows import get_company
from qbwc_server.services.company_states import waiting_for_confirmation
from qbwc_server.services.errors import Conflict

WAITING = "waiting_for_confirmation"  # the help catalog entry of a pending binding
PENDING_FIELDS = (
    "company_name",
    "file_path",
    "file_stamp",
    "product",
    "version",
    "machine_name",
    "vendor_count",
    "bill_count",
    "seen_at",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def is_waiting(company: Company) -> bool:
    """A file was read and nobody confirmed or rejected it yet."""
    return waiting_for_confirmation(company)


def needs_confirmation(company: Company) -> bool:
    """The next first contact must stop at the file's identity instead of binding."""
    return company.bound_at is None and bool(company.confirm_binding)


def record_pending(company: Company, identity: dict[str, Any], at: datetime | None = None) -> None:
    """Keep what a first-contact session read about the open file (the engine calls this) and
    make ``waiting_for_confirmation`` the company's problem. Unknown keys are dropped."""
    at = at or utcnow()
    pending = {key: identity.get(key) for key in PENDING_FIELDS}
    pending["seen_at"] = at.isoformat()
    company.pending_binding = pending
    problems.set_problem(company, WAITING, None, at)


def confirm_binding(session: Session, company_id: Any) -> Company:
    """Begin Sync: bind the company to the file waiting for confirmation; the next Web
    Connector run syncs it (no waiting for the sync interval). :class:`Conflict` (409) when no
    file is waiting; :class:`NotFound` (404) for an unknown company."""
    company = get_company(session, company_id, for_update=True)
    pending = company.pending_binding
    if company.bound_at is not None:
        raise Conflict("the company is bound to a company file already", field="binding")
    if not pending:
        raise Conflict(
            "no company file is waiting for confirmation: run the Web Connector (Update "
            "Selected) with the company file open first",
            field="binding",
        )
    now = utcnow()
    company.bound_at = now
    company.bound_file_stamp = pending.get("file_stamp")
    company.bound_company_name = pending.get("company_name")
    company.bound_file_path = pending.get("file_path")
    company.pending_binding = None
    company.last_complete_sync_at = None  # due at the next run
    problems.clear_problem(company)
    company.updated_at = now
    session.flush()
    return company


def reset_binding(session: Session, company_id: Any) -> Company:
    """Forget the company file: a confirmed binding (the company moved to another file) or one
    waiting for confirmation (rejected: not this company's file). The next Web Connector run
    reads the open file again — and, with ``confirm_binding``, waits for a person again."""
    company = get_company(session, company_id, for_update=True)
    forget_binding(company)
    session.flush()
    return company


def forget_binding(company: Company) -> None:
    """:func:`reset_binding` on a loaded (row-locked) company."""
    company.bound_at = None
    company.bound_file_stamp = None
    company.bound_company_name = None
    company.bound_file_path = None
    company.pending_binding = None
    company.last_error = None
    problems.clear_problem(company)
    company.updated_at = utcnow()


def binding_view(company: Company) -> dict[str, Any]:
    """``binding`` of the company view: the bound file, how the first contact binds, and the
    file waiting for confirmation."""
    bound = company.bound_at is not None
    pending = company.pending_binding
    return {
        "bound": bound,
        "bound_at": _iso(company.bound_at),
        "company_name": company.bound_company_name,
        "file_path": company.bound_file_path,
        "file_stamp": company.bound_file_stamp,
        "product": company.qb_product if bound else None,
        "version": company.qb_version if bound else None,
        "confirm_binding": bool(company.confirm_binding),
        "pending": {key: pending.get(key) for key in PENDING_FIELDS} if pending else None,
    }

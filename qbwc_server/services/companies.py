"""Company service: create, configure, rotate keys, reset bindings, describe status.

The API, the pages, the CLI and the QBWC engine all call these functions; none of them touches
company rows directly.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, utcnow
from qbwc_server.config import Settings, new_guid
from qbwc_server.services import binding, connector_keys, restore, sync_schedule

# The lookup every company service starts from, kept here too for this module's callers.
from qbwc_server.services.company_rows import get_company as get_company
from qbwc_server.services.company_states import company_state, is_connected, lease_live
from qbwc_server.services.errors import Invalid, refuse_unknown_fields
from qbwc_server.services.problems import current_problem

APP_NAME_PREFIX = "AP Sync"
MAX_NAME = 200
# Characters QBWC cannot carry in an AppName (it becomes a registry key name) or that would
# confuse the QuickBooks authorization dialog.
_APP_NAME_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


@dataclass(frozen=True)
class CreatedCompany:
    company: Company
    connector_key: str  # shown once, never stored


# XML 1.0 cannot carry control characters or lone surrogates; the name goes into the .qwc.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("name is required and must be a non-empty string", field="name")
    name = name.strip()
    if _NOT_XML.search(name):
        raise Invalid("name must not contain control characters", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(f"name must be at most {MAX_NAME} characters", field="name")
    return name


def validate_interval(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("sync_interval_minutes must be a whole number", field="sync_interval_minutes")
    if value < 0 or value > 7 * 24 * 60:
        raise Invalid(
            "sync_interval_minutes must be between 0 and 10080 (one week)",
            field="sync_interval_minutes",
        )
    return value


def validate_history_start(value: Any) -> str:
    if value == "all":
        return "all"
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.year >= 1900:
            if parsed > utcnow().date():
                raise Invalid("history_start must not be in the future", field="history_start")
            return parsed.isoformat()
    raise Invalid('history_start must be a date like "2023-01-01" or "all"', field="history_start")


def validate_confirm_binding(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("confirm_binding must be true or false", field="confirm_binding")
    return value


def default_history_start(now: datetime) -> str:
    # Two years before creation (the historical sync look-back).
    try:
        return now.date().replace(year=now.year - 2).isoformat()
    except ValueError:  # 29 February
        return (now.date() - timedelta(days=730)).isoformat()


def app_name_for(name: str, company_id: int) -> str:
    clean = _APP_NAME_UNSAFE.sub(" ", name)
    clean = re.sub(r"\s+", " ", clean).strip()[:60]
    return f"{APP_NAME_PREFIX} - {clean} (#{company_id})"


def create_company(
    session: Session,
    name: Any,
    *,
    sync_interval_minutes: Any = 15,
    history_start: Any = None,
    confirm_binding: Any = True,
) -> CreatedCompany:
    """A new company with its Connector Key (returned once). ``confirm_binding`` (default
    true): the first Web Connector contact waits for a person to confirm the company file
    (services/binding.py); false binds the file open at first contact at once."""
    name = _validate_name(name)
    interval = validate_interval(sync_interval_minutes)
    confirm = validate_confirm_binding(confirm_binding)
    now = utcnow()
    start = (
        default_history_start(now)
        if history_start is None
        else validate_history_start(history_start)
    )
    key = connector_keys.generate_key()
    company = Company(
        name=name,
        username="qbwc-" + secrets.token_hex(5),
        file_id=new_guid(),
        app_name="pending-" + secrets.token_hex(8),
        key_hash=connector_keys.hash_key(key),
        key_version=1,
        key_rotated_at=now,
        sync_interval_minutes=interval,
        history_start=start,
        confirm_binding=confirm,
        created_at=now,
        updated_at=now,
    )
    session.add(company)
    session.flush()  # assigns the id, which makes the AppName unique
    company.app_name = app_name_for(name, company.id)
    session.flush()
    return CreatedCompany(company=company, connector_key=key)


def list_companies(session: Session) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.id)))


def find_by_username(session: Session, username: str) -> Company | None:
    return session.scalars(select(Company).where(Company.username == username)).first()


UPDATABLE = {
    "name",
    "sync_interval_minutes",
    "history_start",
    "sync_window",
    "paused_until",
    "confirm_binding",
}


def update_company(session: Session, company: Company, changes: dict[str, Any]) -> Company:
    """Change settings (``UPDATABLE``); every value is checked before any is changed.
    ``paused_until`` null resumes; ``sync_window`` null allows any time."""
    refuse_unknown_fields(changes, UPDATABLE, "setting")
    checks: dict[str, Any] = {
        "name": _validate_name,
        "sync_interval_minutes": validate_interval,
        "history_start": validate_history_start,
        "sync_window": sync_schedule.validate_sync_window,
        "paused_until": sync_schedule.validate_paused_until,
        "confirm_binding": validate_confirm_binding,
    }
    valid = {key: checks[key](value) for key, value in changes.items()}
    for key, value in valid.items():
        if key == "paused_until":
            sync_schedule.set_pause(company, value)
        else:
            # The AppName stays when the name changes: the customer's Web Connector has it.
            setattr(company, key, value)
    company.updated_at = utcnow()
    session.flush()
    return company


def rotate_key(session: Session, company: Company) -> str:
    """New key; the old one and every ticket it authenticated stop working at once."""
    key = connector_keys.generate_key()
    company.key_hash = connector_keys.hash_key(key)
    company.key_version += 1
    company.key_rotated_at = utcnow()
    # Whoever held the sync lease with the old key must not keep driving QuickBooks.
    company.lease_ticket = None
    company.lease_expires_at = None
    session.flush()
    return key


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def next_sync_due(company: Company) -> datetime | None:
    if company.last_complete_sync_at is None:
        return None
    return company.last_complete_sync_at + timedelta(minutes=company.sync_interval_minutes)


def next_sync_at(company: Company, now: datetime) -> datetime | None:
    """When the server next starts sync work for a Web Connector that calls: now when it is due,
    the end of the sync interval otherwise; None while nothing can sync before a person acts
    (no company file bound yet)."""
    if company.bound_at is None:
        return None
    due = next_sync_due(company)
    return now if due is None or due <= now else due


def company_view(company: Company, settings: Settings) -> dict[str, Any]:
    """The company's settings, binding and status from its row alone (cheap enough for lists);
    ``qbwc_server/status`` adds progress, connectors, streams and history for one company."""
    now = utcnow()
    return {
        "id": company.id,
        "name": company.name,
        "username": company.username,
        "file_id": company.file_id,
        "app_name": company.app_name,
        "sync_interval_minutes": company.sync_interval_minutes,
        "history_start": company.history_start,
        "sync_window": company.sync_window,
        "paused_until": _iso(company.paused_until),
        "paused_at": _iso(company.paused_at),
        "key_version": company.key_version,
        "key_rotated_at": _iso(company.key_rotated_at),
        "created_at": _iso(company.created_at),
        "binding": binding.binding_view(company),
        "restore": restore.restore_view(company),
        "quickbooks": {
            "product": company.qb_product,
            "version": company.qb_version,
            "country": company.qb_country,
            "supported_qbxml_versions": company.qb_supported_versions or [],
            "company_name": company.qb_company_name,
            "file_path": company.qb_file_path,
            "preferences": company.qb_preferences or {},
        },
        "status": {
            "state": company_state(company, settings, now),
            "problem": current_problem(company),  # the schedule's clock (sync_schedule.now)
            "connected": is_connected(company, settings, now),
            "last_contact_at": _iso(company.last_contact_at),
            "last_session_outcome": company.last_session_outcome,
            "last_error": company.last_error,
            "last_error_at": _iso(company.last_error_at),
            "last_sync": _iso(company.last_complete_sync_at),
            "last_complete_sync_at": _iso(company.last_complete_sync_at),
            "first_sync_completed_at": _iso(company.first_sync_completed_at),
            "next_sync": _iso(next_sync_at(company, now)),
            "next_sync_due_at": _iso(next_sync_due(company)),
            "sync_in_progress": lease_live(company, now),
        },
    }

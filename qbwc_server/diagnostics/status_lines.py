"""``qbwc-server status``: one line per company — state, last contact, problem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, utcnow
from qbwc_server.config import Settings
from qbwc_server.services.company_states import company_state
from qbwc_server.services.problems import problem_entry


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _problem(company: Company) -> str | None:
    """The current problem's title (the help catalog's words), else the last error."""
    entry = problem_entry(company.problem_code)
    if entry is not None:
        return entry.title
    return (company.last_error or "").replace("\n", " ") or None


def company_statuses(session: Session, settings: Settings) -> list[dict[str, Any]]:
    now = utcnow()
    rows = []
    for company in session.scalars(select(Company).order_by(Company.id)):
        rows.append(
            {
                "id": company.id,
                "name": company.name,
                "state": company_state(company, settings, now),
                "last_contact_at": company.last_contact_at.isoformat()
                if company.last_contact_at
                else None,
                "last_contact": _ago(company.last_contact_at, now),
                "problem": _problem(company),
            }
        )
    return rows


def format_lines(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no companies yet (qbwc-server company create NAME)"
    out = [f"{'id':>5}  {'name':<24} {'state':<24} {'last contact':<14} problem"]
    for row in rows:
        out.append(
            f"{row['id']:>5}  {row['name'][:24]:<24} {row['state']:<24} "
            f"{row['last_contact']:<14} {row['problem'] or '-'}"
        )
    return "\n".join(out)

"""A company's current problem: one help catalog entry (qbwc_server/help) and since when.

The engine names problems by their catalog code (``wrong_company_file``, ``0x80040408``, ...)
and this module keeps the code on the company; the profile, ``company show``, the session page
and the text the Web Connector shows all read the same entry. The company-specific details
(which file was open, QuickBooks' own text) stay in ``companies.last_error``.

Some problems need a person (``Needs attention``); others are only worth knowing while they
last (``INFORMATIONAL``: the next run carries on by itself).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Company
from qbwc_server.help import catalog
from qbwc_server.help.entry import HelpEntry
from qbwc_server.services import sync_schedule

# Problems that resolve themselves at the next run: shown, but the company does not "need
# attention" for them.
INFORMATIONAL = frozenset(
    {
        "session_incomplete",
        "sync_taken_over",
        "another_connector_syncing",
        "no_sync_due",
        "sync_window",
        "database_unavailable",
    }
)


def problem_entry(code: str | None) -> HelpEntry | None:
    """The catalog entry for a stored problem code; an HRESULT the catalog does not list gets
    the catalog's general HRESULT entry. None for no code."""
    if not code:
        return None
    found = catalog.lookup(code)
    if found is not None:
        return found
    if code.lower().startswith("0x"):
        value = catalog.hresult_value(code)
        if value is not None:
            return catalog.hresult_entry(value)
    return None


def problem_code_for_hresult(hresult: str | None) -> str | None:
    """The catalog spelling of an HRESULT (``0x80040408``), None when it is not one."""
    value = catalog.hresult_value(hresult or "")
    return catalog.hresult_code(value) if value else None


def needs_attention(code: str | None) -> bool:
    return bool(code) and code not in INFORMATIONAL


def set_problem(company: Company, code: str, detail: str | None, now: datetime) -> None:
    """Make ``code`` the company's current problem (``detail``: what the profile adds to the
    entry's words). ``since`` stays when the same problem happens again."""
    if problem_entry(code) is None:
        raise ValueError(f"no help catalog entry for problem {code!r}")
    if company.problem_code != code or company.problem_since is None:
        company.problem_since = now
    company.problem_code = code
    company.last_error = detail
    company.last_error_at = now


def clear_problem(company: Company, *, except_codes: frozenset[str] = frozenset()) -> None:
    """The problem is over (the file was verified, a session completed)."""
    if company.problem_code is None or company.problem_code in except_codes:
        return
    company.problem_code = None
    company.problem_since = None
    company.last_error = None


def problem_view(
    code: str | None, since: datetime | None, detail: str | None
) -> dict[str, Any] | None:
    """``{code, kind, title, cause, steps, who, since, detail, needs_attention}`` or None."""
    found = problem_entry(code)
    if found is None:
        return None
    view: dict[str, Any] = found.as_dict()
    view["since"] = since.isoformat() if since is not None else None
    view["detail"] = detail
    view["needs_attention"] = needs_attention(found.code)
    return view


def current_problem(company: Company, at: datetime | None = None) -> dict[str, Any] | None:
    """``status.problem``: the pause while it lasts (a setting, not an event: nothing stores
    it as a problem), else the stored problem, else — during the first sync — the sync window
    that holds the historical sync back right now."""
    at = at or sync_schedule.now()
    if sync_schedule.is_paused(company, at):
        assert company.paused_until is not None
        detail = f"Paused until {company.paused_until:%Y-%m-%d %H:%M} UTC."
        return problem_view("paused", company.paused_at, detail)
    if company.problem_code:
        return problem_view(company.problem_code, company.problem_since, company.last_error)
    window = company.sync_window
    if company.bound_at is not None and company.first_sync_completed_at is None and window:
        opens = sync_schedule.next_opening(window, at)
        if opens is not None:
            local = opens.astimezone(sync_schedule.zone(window["timezone"]))
            detail = (
                f"Sync window {sync_schedule.describe_window(window)}: the historical sync "
                f"continues at {local:%Y-%m-%d %H:%M} {window['timezone']}."
            )
            return problem_view("sync_window", sync_schedule.last_closing(window, at), detail)
    return None

"""The company's state: the one word the profile, the companies list, ``company show``,
``qbwc-server status`` and the ``qbwc_companies{state}`` gauge show (README "Company status").

Exactly one state holds; they are checked in this order, the first that holds wins:

1. ``Paused`` — someone paused the sync until a time that has not come yet.
2. ``Waiting for confirmation`` — a Web Connector reached us with a company file that a person
   must confirm (Begin Sync) before anything syncs.
3. ``Syncing`` — a Web Connector holds the company's sync lease: a session is exchanging data
   right now.
4. ``Needs attention`` — the current problem needs a person (a wrong company file, QuickBooks not
   running, ...: every problem except the ones the next run resolves by itself,
   ``services/problems.py`` INFORMATIONAL).
5. ``Never connected`` — no Web Connector has logged in with the right Connector Key yet.
6. ``Syncing`` — the first sync (every stream's first pass) has started and is not finished, and
   the Web Connector called within the connected window: it goes on at the next run.
7. ``Connected to Server`` — bound to a company file, first sync finished, and the Web Connector
   called within the connected window.
8. ``Not connected`` — anything else: the Web Connector has not called within the connected
   window (the PC is off, asleep, or QuickBooks/the Web Connector is closed), or the company has
   no confirmed company file.

The connected window is the larger of ``QBWC_CONNECTED_WINDOW_SECONDS`` and twice the company's
sync interval (a connector on a two-hour schedule is still connected an hour after its run).

Everything here reads the company row only, so counting thousands of companies per state is
one query (:func:`count_by_state`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from models import Company, utcnow
from qbwc_server.config import Settings
from qbwc_server.services.problems import needs_attention
from qbwc_server.services.sync_schedule import is_paused

PAUSED = "Paused"
WAITING_FOR_CONFIRMATION = "Waiting for confirmation"
SYNCING = "Syncing"
NEEDS_ATTENTION = "Needs attention"
NEVER_CONNECTED = "Never connected"
CONNECTED = "Connected to Server"
NOT_CONNECTED = "Not connected"

# Every state, in the order a dashboard lists them (issue 11 names them; a contract).
COMPANY_STATES: tuple[str, ...] = (
    NEVER_CONNECTED,
    WAITING_FOR_CONFIRMATION,
    SYNCING,
    CONNECTED,
    NOT_CONNECTED,
    NEEDS_ATTENTION,
    PAUSED,
)


class StateFacts(Protocol):
    """The company columns the state is computed from."""

    last_contact_at: datetime | None
    sync_interval_minutes: int
    bound_at: datetime | None
    first_sync_completed_at: datetime | None
    problem_code: str | None
    lease_ticket: str | None
    lease_expires_at: datetime | None
    paused_until: datetime | None
    pending_binding: dict[str, Any] | None


STATE_COLUMNS = (
    Company.last_contact_at,
    Company.sync_interval_minutes,
    Company.bound_at,
    Company.first_sync_completed_at,
    Company.problem_code,
    Company.lease_ticket,
    Company.lease_expires_at,
    Company.paused_until,
    Company.pending_binding,
)


def connected_window(company: StateFacts, settings: Settings) -> timedelta:
    return max(
        timedelta(seconds=settings.connected_window_seconds),
        timedelta(minutes=2 * company.sync_interval_minutes),
    )


def is_connected(company: StateFacts, settings: Settings, now: datetime | None = None) -> bool:
    """The Web Connector called within the connected window."""
    now = now or utcnow()
    return (
        company.last_contact_at is not None
        and now - company.last_contact_at <= connected_window(company, settings)
    )


def lease_live(company: StateFacts, now: datetime) -> bool:
    return (
        company.lease_ticket is not None
        and company.lease_expires_at is not None
        and company.lease_expires_at > now
    )


def first_sync_running(company: StateFacts) -> bool:
    return company.bound_at is not None and company.first_sync_completed_at is None


def waiting_for_confirmation(company: StateFacts) -> bool:
    """A first contact read a company file that nobody confirmed or rejected yet."""
    return company.bound_at is None and company.pending_binding is not None


def company_state(company: StateFacts, settings: Settings, now: datetime | None = None) -> str:
    """The one state that holds now (the order is the module's docstring)."""
    now = now or utcnow()
    if is_paused(company, now):
        return PAUSED
    if waiting_for_confirmation(company):
        return WAITING_FOR_CONFIRMATION
    if lease_live(company, now):
        return SYNCING
    if needs_attention(company.problem_code):
        return NEEDS_ATTENTION
    if company.last_contact_at is None:
        return NEVER_CONNECTED
    if is_connected(company, settings, now) and company.bound_at is not None:
        return SYNCING if first_sync_running(company) else CONNECTED
    return NOT_CONNECTED


def count_by_state(session: Session, settings: Settings) -> dict[str, int]:
    """Companies per state, every state present (zeros included): the ``qbwc_companies{state}``
    gauge and dashboards. Reads only the columns the state needs."""
    now = utcnow()
    counts: Counter[str] = Counter(dict.fromkeys(COMPANY_STATES, 0))
    for company in session.scalars(select(Company).options(load_only(*STATE_COLUMNS))):
        counts[company_state(company, settings, now)] += 1
    return dict(counts)

"""The setup page's live checklist: where the person at the QuickBooks PC stands, in words.

Five steps, from the company row, its setup link and the status read model (state from
``services/company_states.py``, progress from ``status/progress.py``, Web Connectors seen from
``services/connectors.py``); the first step not done is the current one:

1. **Connector downloaded** — through this link, or a Web Connector has reached us already;
2. **Web Connector reached us** — it logged in with the right Connector Key;
3. **Right company file confirmed** — the company is bound to the open QuickBooks file;
4. **First sync** — every record type had its first pass (percent and time left meanwhile);
5. **Connected to Server** — the state the customer guide ends with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from models import Company, SetupLink
from qbwc_server.config import Settings
from qbwc_server.services.companies import company_view
from qbwc_server.services.company_states import CONNECTED, SYNCING, WAITING_FOR_CONFIRMATION
from qbwc_server.services.connectors import list_connectors
from qbwc_server.services.setup_links import last_wrong_key_at
from qbwc_server.status.progress import sync_progress
from qbwc_server.sync.cursors import load_cursors

DONE = "done"
CURRENT = "current"
LATER = "later"


@dataclass(frozen=True)
class Moment:
    """A time as people read it: "12 minutes ago", with the exact time for the hover."""

    iso: str
    ago: str
    exact: str


def moment(value: datetime | None, now: datetime) -> Moment | None:
    if value is None:
        return None
    return Moment(value.isoformat(), ago(value, now), exact(value))


def exact(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%A %d %B %Y, %H:%M UTC")


def ago(value: datetime, now: datetime) -> str:
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return "in " + duration(-seconds)
    if seconds < 60:
        return "just now"
    return duration(seconds) + " ago"


def duration(seconds: int) -> str:
    """``"12 minutes"``, ``"1 hour 20 minutes"``, ``"3 days"`` (the two largest units)."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return _count(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return _count(hours, "hour") + (f" {_count(rest, 'minute')}" if rest else "")
    days, hours = divmod(hours, 24)
    return _count(days, "day") + (f" {_count(hours, 'hour')}" if hours else "")


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def time_left(eta_seconds: int | None) -> str:
    if eta_seconds is None:
        return "time left not known yet"
    if eta_seconds < 60:
        return "less than a minute left"
    return f"about {duration(eta_seconds)} left"


def pending_file(company: Company, now: datetime) -> dict[str, Any] | None:
    """The company file a Web Connector found, waiting for Begin Sync: what the person at the
    PC compares with the file open in QuickBooks."""
    pending = company.pending_binding
    if not pending:
        return None
    product = " ".join(str(pending[k]) for k in ("product", "version") if pending.get(k))
    rows = [
        ("Company name in QuickBooks", pending.get("company_name")),
        ("Company file", pending.get("file_path")),
        ("QuickBooks", product or None),
        ("Computer", pending.get("machine_name")),
        ("Vendors", pending.get("vendor_count")),
        ("Bills", pending.get("bill_count")),
    ]
    seen = pending.get("seen_at")
    try:
        seen_at = datetime.fromisoformat(str(seen)) if seen else None
    except ValueError:
        seen_at = None
    return {
        "rows": [(label, value) for label, value in rows if value not in (None, "")],
        "seen_at": str(seen or ""),
        "seen": moment(seen_at, now),
    }


def every(minutes: int) -> str:
    """How often the Web Connector runs (the .qwc asks for at least every minute)."""
    return "every minute" if minutes <= 1 else f"every {duration(minutes * 60)}"


def _step(
    key: str, title: str, done: bool, detail: str, percent: int | None = None
) -> dict[str, Any]:
    return {"key": key, "title": title, "done": done, "detail": detail, "percent": percent}


def setup_status(
    session: Session, link: SetupLink, company: Company, settings: Settings, now: datetime
) -> dict[str, Any]:
    """What the setup page shows about the company: ``state``, ``steps``, ``problem``,
    ``binding``, ``progress`` and the link's own ``expires``."""
    view = company_view(company, settings)
    status = view["status"]
    state: str = status["state"]
    progress = sync_progress(session, company, state, load_cursors(session, company.id), now)
    connectors = list_connectors(session, company, now)
    reached = company.last_contact_at is not None
    bound = company.bound_at is not None
    first_done = company.first_sync_completed_at is not None

    downloaded_at = link.connector_downloaded_at
    if downloaded_at is not None:
        download_detail = f"Downloaded {ago(downloaded_at, now)}."
    elif reached:
        download_detail = "Added to a Web Connector already."
    else:
        download_detail = "Click Download Connector (step 1), then open the file you saved."

    wrong_key_at = last_wrong_key_at(session, company)
    if wrong_key_at is not None and (
        company.last_contact_at is None or wrong_key_at > company.last_contact_at
    ):
        reach_detail = (
            f"A Web Connector called with a wrong Connector Key {ago(wrong_key_at, now)}. Paste "
            "the current key into its Password box (or generate a new one), then click Update "
            "Selected."
        )
    elif company.last_contact_at is not None:
        last = connectors[0] if connectors else None
        where = f" from {last['machine_name']}" if last and last["machine_name"] else ""
        reach_detail = f"Last call {ago(company.last_contact_at, now)}{where}."
    else:
        reach_detail = (
            "Waiting for the Web Connector: paste the Connector Key, then click Update Selected."
        )

    if bound:
        confirm_detail = f"QuickBooks file: {company.bound_company_name or 'unnamed'}" + (
            f" ({company.bound_file_path})." if company.bound_file_path else "."
        )
    elif state == WAITING_FOR_CONFIRMATION:
        confirm_detail = (
            "Waiting for you: check the file under “Is this the right QuickBooks file?” and "
            "click Begin Sync."
        )
    else:
        confirm_detail = "Open this company's file in QuickBooks before you click Update Selected."

    percent: int | None = None
    if first_done:
        assert company.first_sync_completed_at is not None
        sync_detail = f"Finished {ago(company.first_sync_completed_at, now)}."
    elif progress is not None and progress.get("first_sync"):
        percent = int(progress["percent"])
        sync_detail = f"{percent}% done, {time_left(progress['eta_seconds'])}. {progress['stage']}."
    elif bound:
        sync_detail = (
            "Started; it goes on at the next Web Connector run (click Update Selected, or wait for "
            "the next scheduled run)."
        )
    else:
        sync_detail = "Takes 5 minutes to 2 hours. Keep the PC awake and the Web Connector open."

    connected = state == CONNECTED
    steps = [
        _step(
            "downloaded",
            "Connector downloaded",
            downloaded_at is not None or reached,
            download_detail,
        ),
        _step("reached", "Web Connector reached us", reached, reach_detail),
        _step("confirmed", "Right company file confirmed", bound, confirm_detail),
        _step("first_sync", "First sync", first_done, sync_detail, percent=percent),
        _step(
            "connected",
            "Connected to Server",
            connected,
            "All set: later syncs run by themselves."
            if connected
            else "Shown when the first sync has finished and the Web Connector keeps calling.",
        ),
    ]
    current = next((s for s in steps if not s["done"]), None)
    for s in steps:
        s["status"] = DONE if s["done"] else (CURRENT if s is current else LATER)
    problem = status["problem"]
    pending = pending_file(company, now) if state == WAITING_FOR_CONFIRMATION else None
    if pending is not None:
        problem = None  # the question below says it, with the buttons that answer it
    return {
        "state": state,
        "syncing": state == SYNCING,
        "connected": connected,
        "waiting_for_confirmation": state == WAITING_FOR_CONFIRMATION,
        "steps": steps,
        "problem": problem if problem and problem.get("needs_attention") else None,
        "progress": progress,
        "binding": view["binding"],
        "pending": pending,
        "last_contact": moment(company.last_contact_at, now),
        "expires": moment(link.expires_at, now),
    }


__all__ = [
    "Moment",
    "ago",
    "duration",
    "every",
    "exact",
    "moment",
    "pending_file",
    "setup_status",
    "time_left",
]

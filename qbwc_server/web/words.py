"""The words the pages use for the server's codes: session outcomes, write-back states and
types, data streams. Nothing here reads the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from qbwc_server.help import catalog
from qbwc_server.services.company_states import (
    CONNECTED,
    NEEDS_ATTENTION,
    NEVER_CONNECTED,
    NOT_CONNECTED,
    PAUSED,
    SYNCING,
    WAITING_FOR_CONFIRMATION,
)
from qbwc_server.status.words import NOUNS, STEP_WORDS

# The CSS class of each state's badge (colour is never the only cue: the badge has the words).
STATE_BADGES: dict[str, str] = {
    NEVER_CONNECTED: "badge-new",
    WAITING_FOR_CONFIRMATION: "badge-wait",
    SYNCING: "badge-busy",
    CONNECTED: "badge-ok",
    NOT_CONNECTED: "badge-off",
    NEEDS_ATTENTION: "badge-bad",
    PAUSED: "badge-wait",
}

# What each state means, one sentence under the badge on the profile.
STATE_MEANING: dict[str, str] = {
    NEVER_CONNECTED: "No Web Connector has reached this server with this company's Connector "
    "Key yet. Follow the steps under Connect QuickBooks.",
    WAITING_FOR_CONFIRMATION: "A Web Connector reached us with a QuickBooks company file. "
    "Check that it is the right file, then click Begin Sync.",
    SYNCING: "The Web Connector is exchanging data with QuickBooks now. Keep the PC awake and "
    "QuickBooks open until this says Connected to Server.",
    CONNECTED: "The Web Connector calls on schedule and the first sync is complete.",
    NOT_CONNECTED: "The Web Connector has not called recently: the PC may be off or asleep, or "
    "QuickBooks or the Web Connector is closed.",
    NEEDS_ATTENTION: "Something stops the sync. The problem below says what to do.",
    PAUSED: "Syncing is paused. Nothing is read from or written to QuickBooks until it resumes.",
}

OUTCOMES: dict[str, str] = {
    "in_progress": "Running",
    "completed": "Finished",
    "none": "Nothing to do",
    "error": "Stopped by an error",
    "connection_error": "Could not open QuickBooks",
    "nvu": "Wrong Connector Key",
    "throttled": "Too many attempts",
    "wrong_file": "Wrong company file",
    "busy": "Another Web Connector was syncing",
    "incomplete": "Stopped before the end",
    "waiting_for_confirmation": "Waiting for confirmation",
    "paused": "Paused",
}

OPERATION_STATES: dict[str, str] = {
    "queued": "Waiting to be sent",
    "sent": "Sent, waiting for QuickBooks",
    "done": "Done",
    "failed": "Failed",
    "needs_attention": "Needs attention",
    "cancelled": "Cancelled",
}

OPERATION_TYPES: dict[str, str] = {
    "vendor.create": "New vendor",
    "vendor.update": "Vendor change",
    "bill.create": "New bill",
    "bill_payment.check.create": "Bill payment by check",
    "bill_payment.credit_card.create": "Bill payment by credit card",
}

MODES: dict[str, str] = {
    "not started": "Not started",
    "initial": "First sync",
    "historical": "Reading history",
    "incremental": "Up to date",
    "skipped": "Skipped",
}


# QuickBooks preferences a skipped type names, as the QuickBooks Preferences window calls them.
PREFERENCES: dict[str, str] = {
    "IsMultiCurrencyOn": "Multiple currencies is turned off in this QuickBooks file",
    "IsUsingInventory": "Inventory is turned off in this QuickBooks file",
}
_TURNED_OFF = "turned off in this company file ("


# The pause lengths the profile offers (form value -> words, length).
PAUSE_CHOICES: dict[str, tuple[str, timedelta]] = {
    "1h": ("1 hour", timedelta(hours=1)),
    "4h": ("4 hours", timedelta(hours=4)),
    "1d": ("1 day", timedelta(days=1)),
    "3d": ("3 days", timedelta(days=3)),
    "7d": ("1 week", timedelta(days=7)),
    "30d": ("30 days", timedelta(days=30)),
}

# Time zones offered for the sync window (North America first: QuickBooks Desktop's market);
# a company's own zone is offered too when it is another one.
TIME_ZONES: tuple[str, ...] = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Halifax",
    "America/St_Johns",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
    "UTC",
)


def time_zones(current: str | None) -> tuple[str, ...]:
    """The zones the sync window form offers, the company's own first when it is not listed."""
    return TIME_ZONES if not current or current in TIME_ZONES else (current, *TIME_ZONES)


def skipped_words(reason: str | None) -> str:
    """Why a type is skipped, in the customer's words."""
    if not reason:
        return "QuickBooks cannot send this kind of record"
    if reason.startswith(_TURNED_OFF) and reason.endswith(")"):
        preference = reason[len(_TURNED_OFF) : -1]
        return PREFERENCES.get(preference, f"{preference} is turned off in this QuickBooks file")
    return reason[0].upper() + reason[1:]


def outcome_words(outcome: str | None) -> str:
    return OUTCOMES.get(outcome or "", (outcome or "").replace("_", " ").capitalize())


def operation_state_words(state: str) -> str:
    return OPERATION_STATES.get(state, state.replace("_", " ").capitalize())


def operation_type_words(op_type: str) -> str:
    return OPERATION_TYPES.get(op_type, op_type)


def stream_label(name: str) -> str:
    if name in STEP_WORDS:
        return STEP_WORDS[name]
    return NOUNS.get(name, name.replace("_", " ")).capitalize()


def stream_row(stream: dict[str, Any]) -> dict[str, Any]:
    """A data table row: what the type is, how many records, the last change, a note in words
    (never "None")."""
    mode = str(stream.get("mode") or "not started")
    note = ""
    if mode == "skipped":
        note = skipped_words(stream.get("skipped_reason"))
    elif stream.get("last_error"):
        note = f"Will try again: {stream['last_error']}"
    elif stream.get("estimated_remaining"):
        note = f"About {stream['estimated_remaining']} records still to read"
    records = stream.get("records")
    return {
        "name": stream["name"],
        "label": stream_label(str(stream["name"])),
        "mode": MODES.get(mode, mode.capitalize()),
        "records": "—" if records is None else f"{records:,}",
        "is_check": records is None,
        "last_change": stream.get("last_page_at"),
        "note": note,
    }


def explain(code: str | None, message: str | None = None) -> dict[str, Any] | None:
    """The help catalog entry for an error code or a sentence the server said, as a dict."""
    found = catalog.lookup(code) if code else None
    if found is None:
        found = catalog.problem_for_message(message)
    return found.as_dict() if found is not None else None


__all__ = [
    "STATE_BADGES",
    "STATE_MEANING",
    "explain",
    "operation_state_words",
    "operation_type_words",
    "outcome_words",
    "stream_row",
]

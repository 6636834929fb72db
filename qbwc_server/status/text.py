"""``qbwc-server company show``: the company status as text, the same facts the profile shows
(state, problem with its steps, progress, Web Connectors, streams)."""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from models import utcnow

WIDTH = 88


def when(value: str | None, now: datetime | None = None, never: str = "never") -> str:
    """``2026-12-06 14:03:12 UTC (12 min ago)`` from an ISO instant."""
    if not value:
        return never
    at = datetime.fromisoformat(value)
    now = now or utcnow()
    seconds = int((now - at).total_seconds())
    ahead = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size or unit == "s":
            amount = f"{seconds // size} {unit}"
            break
    relative = f"in {amount}" if ahead else f"{amount} ago"
    return f"{at:%Y-%m-%d %H:%M:%S} UTC ({relative})"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "not measured yet"
    hours, rest = divmod(max(0, seconds), 3600)
    minutes = (rest + 59) // 60
    return f"about {hours} h {minutes} min" if hours else f"about {minutes} min"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


def status_lines(view: dict[str, Any], now: datetime | None = None) -> list[str]:
    status = view["status"]
    lines = [f"status:          {status['state']}"]
    progress = status.get("progress")
    if progress:
        lines.append(
            f"progress:        {progress['percent']} % - {progress['stage']}; time left: "
            f"{duration(progress.get('eta_seconds'))}"
        )
    problem = status.get("problem")
    if problem:
        lines.append(f"problem:         {problem['title']} ({problem['code']})")
        lines.append(f"                 since {when(problem.get('since'), now)}")
        if problem.get("detail"):
            lines += _wrap(problem["detail"], " " * 17)
        lines += _wrap(problem["cause"], " " * 17)
        lines.append(f"what to do ({problem['who']}):")
        for number, step in enumerate(problem["steps"], 1):
            lines += _wrap(step, f"  {number}. ")
    lines.append(f"last contact:    {when(status.get('last_contact_at'), now)}")
    lines.append(f"last sync:       {when(status.get('last_sync'), now)}")
    lines.append(
        f"next sync:       {when(status.get('next_sync'), now, never='after a person acts')}"
    )
    connectors = status.get("connectors") or []
    if connectors:
        lines.append("Web Connectors (last 30 days):")
        for c in connectors:
            name = c.get("machine_name") or "PC not named yet"
            holds = "  <- syncing now" if c.get("holds_sync") else ""
            lines.append(
                f"  {name} at {c['remote_addr']}, QBWC {c.get('client_version') or '?'}, "
                f"last seen {when(c['last_seen_at'], now)}{holds}"
            )
    return lines


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def binding_lines(binding: dict[str, Any], now: datetime | None = None) -> list[str]:
    """The bound company file, or the one waiting for confirmation (Begin Sync)."""
    pending = binding.get("pending")
    if binding["bound"]:
        product = " ".join(p for p in (binding.get("product"), binding.get("version")) if p)
        lines = [f"company file:    {binding['company_name']} ({binding['file_path']})"]
        if product:
            lines.append(f"                 {product}")
        lines.append(f"                 bound {when(binding.get('bound_at'), now)}")
        return lines
    if pending:
        product = " ".join(p for p in (pending.get("product"), pending.get("version")) if p)
        return [
            f"company file:    waiting for confirmation: {pending.get('company_name')} "
            f"({pending.get('file_path')})",
            f"                 {product or 'product unknown'}; "
            f"{_count(pending.get('vendor_count'))} vendors, "
            f"{_count(pending.get('bill_count'))} bills; read "
            f"{when(pending.get('seen_at'), now)}",
            "                 confirm: qbwc-server company confirm-binding ID; reject: "
            "qbwc-server company reset-binding ID",
        ]
    how = "waits for confirmation" if binding.get("confirm_binding") else "binds at once"
    return [f"company file:    not connected yet (the first contact {how})"]


def schedule_lines(view: dict[str, Any], now: datetime | None = None) -> list[str]:
    """Sync window, pause and restore date."""
    window = view.get("sync_window")
    lines = [
        "sync window:     "
        + (
            f"{window['start']}-{window['end']} {window['timezone']} (historical sync only)"
            if window
            else "any time"
        )
    ]
    if view.get("paused_until"):
        lines.append(f"paused until:    {when(view['paused_until'], now)}")
    restore = view.get("restore")
    if restore:
        reconcile = (
            "reconciles at the next run"
            if restore.get("reconcile_pending")
            else f"reconciliation started {when(restore.get('reconcile_started_at'), now)}"
        )
        lines.append(f"restored on:     {restore['restored_on']} ({reconcile})")
    return lines


def format_company(view: dict[str, Any], now: datetime | None = None) -> str:
    lines = [
        f"id:              {view['id']}",
        f"name:            {view['name']}",
        f"user name:       {view['username']}",
        f"app name:        {view['app_name']}",
        f"file id:         {view['file_id']}",
        f"sync every:      {view['sync_interval_minutes']} min",
        f"history from:    {view['history_start']}",
        *schedule_lines(view, now),
        *binding_lines(view["binding"], now),
        *status_lines(view, now),
    ]
    streams = view.get("streams") or []
    if streams:
        lines.append("")
        lines.append(f"{'stream':<26} {'mode':<12} {'records':>8}  {'watermark':<26} note")
        for s in streams:
            note = s.get("skipped_reason") or s.get("last_error") or ""
            if s.get("estimated_remaining"):
                note = f"~{s['estimated_remaining']} left " + note
            records = "" if s.get("records") is None else str(s["records"])
            lines.append(
                f"{s['name']:<26} {s['mode']:<12} {records:>8}  "
                f"{(s.get('watermark') or ''):<26} {note}".rstrip()
            )
    return "\n".join(lines)

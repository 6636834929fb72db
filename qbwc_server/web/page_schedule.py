"""When the sync may run, from the Company Profile: Pause (for a chosen time) and Resume, and
the sync window (the hours the heavy historical reads may run). ``services/sync_schedule.py``
checks every value; the PATCH of the API changes the same fields."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from models import utcnow
from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import companies as svc
from qbwc_server.services.errors import Invalid
from qbwc_server.web import forms
from qbwc_server.web.page_profile import back_to_profile, render_profile
from qbwc_server.web.words import PAUSE_CHOICES


def _change(
    rt: Runtime, caller: Caller, company_id: str, changes: dict[str, Any], done: str
) -> Response:
    try:
        with rt.db.transaction() as s:
            company = svc.get_company(s, company_id, for_update=True)
            svc.update_company(s, company, changes)
            cid = company.id
    except Invalid as exc:
        return render_profile(rt, caller, company_id, status=422, schedule_error=exc.message)
    return back_to_profile(cid, done)


def pause(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    choice = PAUSE_CHOICES.get(forms.text(request, "pause_for"))
    if choice is None:
        return render_profile(
            rt, caller, company_id, status=422, schedule_error="Choose how long to pause."
        )
    until = (utcnow() + choice[1]).isoformat(timespec="seconds")
    return _change(rt, caller, company_id, {"paused_until": until}, "paused")


def resume(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    return _change(rt, caller, company_id, {"paused_until": None}, "resumed")


def sync_window(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    if request.form.get("any_time"):
        return _change(rt, caller, company_id, {"sync_window": None}, "window")
    window = {
        "start": forms.text(request, "window_start")[:5],
        "end": forms.text(request, "window_end")[:5],
        "timezone": forms.text(request, "window_timezone"),
    }
    return _change(rt, caller, company_id, {"sync_window": window}, "window")


_C = "/companies/<company_id>"
ROUTES = [
    (Rule(f"{_C}/pause", methods=["POST"], endpoint="page_pause"), pause),
    (Rule(f"{_C}/resume", methods=["POST"], endpoint="page_resume"), resume),
    (Rule(f"{_C}/sync-window", methods=["POST"], endpoint="page_sync_window"), sync_window),
]

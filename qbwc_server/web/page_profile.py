"""Company Profile (``/companies/{id}``) and Download Connector (the company's .qwc file).

The profile shows the status read model (``qbwc_server/status``) for people: the state badge,
the current problem with its steps, progress, Web Connectors, the bound company file, data,
the write-back queue, sessions and the settings form. It refreshes itself (a small script)
while something is moving; without JavaScript it is complete, only not live.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import companies as svc
from qbwc_server.services.company_states import SYNCING, WAITING_FOR_CONFIRMATION
from qbwc_server.services.qwc import connector_file, download_headers
from qbwc_server.web import words
from qbwc_server.web.rendering import render
from qbwc_server.writeback.service import list_operations, operation_view

REFRESH_SECONDS = 10
LIVE_STATES = (SYNCING, WAITING_FOR_CONFIRMATION)
RETRYABLE = ("failed", "needs_attention")
CANCELLABLE = ("queued", "failed", "needs_attention")

# What the page says after a form did its work (``?done=...`` of the redirect), and the part of
# the page (its id) where it says it: the redirect scrolls there.
NOTICES: dict[str, tuple[str, str]] = {
    "settings": ("settings", "Settings saved."),
    "binding-reset": (
        "binding",
        "The company file is forgotten. The next Web Connector run reads the file open in "
        "QuickBooks again.",
    ),
    "begin-sync": (
        "summary",
        "Confirmed. The first sync starts at the next Web Connector run: click Update Selected "
        "in the Web Connector, or wait for its schedule.",
    ),
    "paused": ("summary", "Syncing is paused."),
    "resumed": ("summary", "Syncing resumes at the next Web Connector run."),
    "window": ("schedule", "Sync window saved."),
    "restore": (
        "restore",
        "Restore date recorded. The next Web Connector run checks every record against QuickBooks.",
    ),
    "retried": (
        "operations",
        "The operation is back in the queue. It is sent at the next Web Connector run.",
    ),
    "cancelled": ("operations", "The operation is cancelled. It will not be sent to QuickBooks."),
    "setup-link-revoked": ("connect", "The setup link stopped working."),
}


def back_to_profile(company_id: int, done: str) -> Response:
    """After a form's POST: the profile (GET) saying what happened, where it happened."""
    section = NOTICES[done][0]
    return redirect(f"/companies/{company_id}?done={done}#{section}", 303)


def _operation_row(op: Any) -> dict[str, Any]:
    view = operation_view(op)
    error = view["error"] or {}
    view["explanation"] = words.explain(
        str(error["code"]) if error.get("code") is not None else None, error.get("message")
    )
    view["can_retry"] = op.state in RETRYABLE
    view["can_cancel"] = op.state in CANCELLABLE
    return view


def profile_context(rt: Runtime, company_id: str, *, live: bool = False) -> dict[str, Any]:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id)
        view = rt.status_view(s, company)
        operations = [_operation_row(op) for op in list_operations(s, company.id, limit=20)]
    state = view["status"]["state"]
    streams = view.get("streams") or []
    started = any(st.get("mode") != "not started" for st in streams)
    return {
        "c": view,
        "operations": operations,
        "streams": [words.stream_row(st) for st in streams] if started else [],
        # Only a page fetched with GET reloads itself (a form's answer must not be posted again).
        "refresh": REFRESH_SECONDS if live and state in LIVE_STATES else None,
        "refresh_url": f"/companies/{view['id']}",
        "pause_choices": words.PAUSE_CHOICES,
        "time_zones": words.time_zones((view.get("sync_window") or {}).get("timezone")),
    }


def render_profile(
    rt: Runtime,
    caller: Caller,
    company_id: str,
    *,
    status: int = 200,
    live: bool = False,
    settings_form: dict[str, Any] | None = None,
    **messages: str | None,
) -> Response:
    """The profile; ``messages``: ``notice``, ``alert`` (top of the page) and the errors of
    its forms (``settings_error``, ``schedule_error``, ``restore_error``)."""
    context = profile_context(rt, company_id, live=live)
    return render(
        "company.html", status, caller=caller, settings_form=settings_form, **messages, **context
    )


def show(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    section, notice = NOTICES.get(request.args.get("done", ""), ("", None))
    return render_profile(rt, caller, company_id, notice=notice, notice_section=section, live=True)


def download(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    """Download Connector: this company's .qwc file (the Web Connector opens it)."""
    text, name = connector_file(rt.db, rt.settings, company_id)
    return Response(text, mimetype="application/x-qwc", headers=download_headers(name))


ROUTES = [
    (Rule("/companies/<company_id>", methods=["GET"], endpoint="page_company"), show),
    (
        Rule("/companies/<company_id>/connector.qwc", methods=["GET"], endpoint="page_qwc"),
        download,
    ),
]

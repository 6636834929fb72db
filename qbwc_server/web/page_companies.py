"""Companies (``/``): every company's state at a glance, a filter by state, and the New company
form (``POST /companies``), whose answer shows the new Connector Key once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import companies as svc
from qbwc_server.services.company_states import COMPANY_STATES
from qbwc_server.services.errors import Invalid
from qbwc_server.web import forms
from qbwc_server.web.page_key import key_page
from qbwc_server.web.rendering import render

DEFAULT_INTERVAL = 15


def index(
    rt: Runtime,
    request: Request,
    caller: Caller,
    *,
    form: dict[str, Any] | None = None,
    error: Invalid | None = None,
) -> Response:
    wanted = request.args.get("state") or ""
    if wanted not in COMPANY_STATES:
        wanted = ""
    with rt.db.transaction() as s:
        views = [svc.company_view(c, rt.settings) for c in svc.list_companies(s)]
    counts = Counter(v["status"]["state"] for v in views)
    shown = [v for v in views if not wanted or v["status"]["state"] == wanted]
    return render(
        "index.html",
        422 if error else 200,
        caller=caller,
        companies=shown,
        total=len(views),
        states=[(state, counts.get(state, 0)) for state in COMPANY_STATES],
        wanted=wanted,
        form=form or {"sync_interval_minutes": DEFAULT_INTERVAL},
        error=error,
    )


def create(rt: Runtime, request: Request, caller: Caller) -> Response:
    form = {
        "name": forms.text(request, "name"),
        "sync_interval_minutes": forms.text(request, "sync_interval_minutes"),
        "history_start": forms.text(request, "history_start"),
        "history_all": bool(request.form.get("history_all")),
    }
    try:
        interval = forms.whole_number(request, "sync_interval_minutes", "Sync every (minutes)")
        with rt.db.transaction() as s:
            created = svc.create_company(
                s,
                form["name"],
                sync_interval_minutes=interval,
                history_start=forms.history_start(request),
            )
            view = svc.company_view(created.company, rt.settings)
    except Invalid as exc:
        return index(rt, request, caller, form=form, error=exc)
    return key_page(caller, view, created.connector_key, created=True)


ROUTES = [
    (Rule("/", methods=["GET"], endpoint="page_index"), index),
    (Rule("/companies", methods=["POST"], endpoint="page_create"), create),
]

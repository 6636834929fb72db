"""What the Company Profile's forms change: the settings, and Retry / Cancel of a write-back
operation (the company file's and the schedule's forms are in ``page_file.py`` and
``page_schedule.py``). Each is a POST that redirects back to the profile with what happened
(``?done=``), or shows the profile again with the refusal."""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import companies as svc
from qbwc_server.services.errors import Conflict, Invalid, NotFound
from qbwc_server.web import forms
from qbwc_server.web.page_profile import back_to_profile, render_profile
from qbwc_server.writeback import service as writeback


def save_settings(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    form = {
        "sync_interval_minutes": forms.text(request, "sync_interval_minutes"),
        "history_start": forms.text(request, "history_start"),
        "history_all": bool(request.form.get("history_all")),
    }
    try:
        changes: dict[str, object] = {
            "sync_interval_minutes": forms.whole_number(
                request, "sync_interval_minutes", "Sync every (minutes)"
            )
        }
        start = forms.history_start(request)
        if start is not None:
            changes["history_start"] = start
        with rt.db.transaction() as s:
            company = svc.get_company(s, company_id, for_update=True)
            svc.update_company(s, company, changes)
            cid = company.id
    except Invalid as exc:
        return render_profile(
            rt, caller, company_id, status=422, settings_error=exc.message, settings_form=form
        )
    return back_to_profile(cid, "settings")


def _operation_action(
    rt: Runtime, caller: Caller, company_id: str, op_id: str, retry: bool
) -> Response:
    try:
        with rt.db.transaction() as s:
            company = svc.get_company(s, company_id)
            writeback.get_operation(s, op_id, company.id)
            if retry:
                writeback.retry_operation(s, op_id)
            else:
                writeback.cancel_operation(s, op_id)
            cid = company.id
    except (Conflict, Invalid) as exc:
        return render_profile(rt, caller, company_id, status=exc.status, alert=exc.message)
    except NotFound as exc:
        return render_profile(rt, caller, company_id, status=404, alert=exc.message)
    return back_to_profile(cid, "retried" if retry else "cancelled")


def retry(rt: Runtime, request: Request, caller: Caller, company_id: str, op_id: str) -> Response:
    return _operation_action(rt, caller, company_id, op_id, retry=True)


def cancel(rt: Runtime, request: Request, caller: Caller, company_id: str, op_id: str) -> Response:
    return _operation_action(rt, caller, company_id, op_id, retry=False)


_OP = "/companies/<company_id>/operations/<op_id>"
ROUTES = [
    (
        Rule("/companies/<company_id>/settings", methods=["POST"], endpoint="page_settings"),
        save_settings,
    ),
    (Rule(f"{_OP}/retry", methods=["POST"], endpoint="page_op_retry"), retry),
    (Rule(f"{_OP}/cancel", methods=["POST"], endpoint="page_op_cancel"), cancel),
]

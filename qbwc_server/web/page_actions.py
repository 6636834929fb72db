"""What the Company Profile's forms change: Reset binding (after a confirmation), the settings,
and Retry / Cancel of a write-back operation. Each is a POST that redirects back to the
profile with what happened (``?done=``), or shows the profile again with the refusal."""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import binding
from qbwc_server.services import companies as svc
from qbwc_server.services.errors import Conflict, Invalid, NotFound
from qbwc_server.web import forms
from qbwc_server.web.page_profile import render_profile
from qbwc_server.web.rendering import render
from qbwc_server.writeback import service as writeback


def _back(company_id: int, done: str, anchor: str = "") -> Response:
    return redirect(f"/companies/{company_id}?done={done}{anchor}", 303)


def ask_reset(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        view = svc.company_view(svc.get_company(s, company_id), rt.settings)
    bound = view["binding"]
    file_words = (
        f"“{bound['company_name']}” ({bound['file_path']})"
        if bound["bound"]
        else "the company file"
    )
    return render(
        "confirm.html",
        caller=caller,
        c=view,
        title="Reset the company file binding?",
        paragraphs=[
            f"This server forgets that {view['name']} syncs with {file_words}.",
            "The next time a Web Connector runs, the company file open in QuickBooks on that PC "
            "becomes this company's file. Do this only when the company file was moved, "
            "replaced or connected by mistake.",
            "The data already synced stays.",
        ],
        action=f"/companies/{view['id']}/binding/reset",
        button="Reset binding",
        danger=True,
    )


def reset(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        cid = binding.reset_binding(s, company_id).id
    return _back(cid, "binding-reset")


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
    return _back(cid, "settings", "#settings")


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
    return _back(cid, "retried" if retry else "cancelled", "#operations")


def retry(rt: Runtime, request: Request, caller: Caller, company_id: str, op_id: str) -> Response:
    return _operation_action(rt, caller, company_id, op_id, retry=True)


def cancel(rt: Runtime, request: Request, caller: Caller, company_id: str, op_id: str) -> Response:
    return _operation_action(rt, caller, company_id, op_id, retry=False)


_OP = "/companies/<company_id>/operations/<op_id>"
ROUTES = [
    (
        Rule("/companies/<company_id>/binding/reset", methods=["GET"], endpoint="page_unbind_ask"),
        ask_reset,
    ),
    (
        Rule("/companies/<company_id>/binding/reset", methods=["POST"], endpoint="page_unbind"),
        reset,
    ),
    (
        Rule("/companies/<company_id>/settings", methods=["POST"], endpoint="page_settings"),
        save_settings,
    ),
    (Rule(f"{_OP}/retry", methods=["POST"], endpoint="page_op_retry"), retry),
    (Rule(f"{_OP}/cancel", methods=["POST"], endpoint="page_op_cancel"), cancel),
]

"""The company file on the Company Profile: Begin Sync (confirm the file a Web Connector found),
Not this file / Reset binding (after a confirmation), and "QuickBooks file restored from a
backup?" (the restore date; the next run checks every record against QuickBooks).

The services are ``services/binding.py`` and ``services/restore.py``.
"""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import binding, restore
from qbwc_server.services import companies as svc
from qbwc_server.services.errors import Conflict, Invalid
from qbwc_server.web import forms
from qbwc_server.web.page_profile import back_to_profile, render_profile
from qbwc_server.web.rendering import render


def begin_sync(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    try:
        with rt.db.transaction() as s:
            cid = binding.confirm_binding(s, company_id).id
    except Conflict as exc:
        return render_profile(rt, caller, company_id, status=409, alert=exc.message)
    return back_to_profile(cid, "begin-sync")


def ask_reset(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        view = svc.company_view(svc.get_company(s, company_id), rt.settings)
    found = view["binding"]
    if found["bound"]:
        title = "Reset the company file binding?"
        named = f"“{found['company_name']}” ({found['file_path']})"
        paragraphs = [
            f"This server forgets that {view['name']} syncs with {named}.",
            "The next time a Web Connector runs, it reads the company file open in QuickBooks "
            "on that PC"
            + (", and waits for you to confirm it here." if found["confirm_binding"] else "")
            + " Do this only when the company file was moved, replaced or connected by mistake.",
            "The data already synced stays.",
        ]
        button = "Reset binding"
    else:
        pending = found.get("pending") or {}
        title = "Not the right company file?"
        paragraphs = [
            f"This server forgets the file “{pending.get('company_name') or 'unknown'}” "
            f"({pending.get('file_path') or 'path not known'}); nothing was synced from it.",
            "At the QuickBooks PC, open the right company file for "
            f"{view['name']} and run the Web Connector again (Update Selected). It then asks "
            "here again.",
        ]
        button = "Forget this file"
    return render(
        "confirm.html",
        caller=caller,
        c=view,
        title=title,
        paragraphs=paragraphs,
        action=f"/companies/{view['id']}/binding/reset",
        button=button,
        danger=True,
    )


def reset(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        cid = binding.reset_binding(s, company_id).id
    return back_to_profile(cid, "binding-reset")


def record_restore(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    try:
        with rt.db.transaction() as s:
            cid = restore.record_restore(s, company_id, forms.text(request, "restored_on")).id
    except Invalid as exc:
        message = exc.message.replace("restored_on", "The restore date")
        return render_profile(rt, caller, company_id, status=422, restore_error=message)
    return back_to_profile(cid, "restore")


_FILE = "/companies/<company_id>"
ROUTES = [
    (Rule(f"{_FILE}/binding/confirm", methods=["POST"], endpoint="page_begin_sync"), begin_sync),
    (Rule(f"{_FILE}/binding/reset", methods=["GET"], endpoint="page_unbind_ask"), ask_reset),
    (Rule(f"{_FILE}/binding/reset", methods=["POST"], endpoint="page_unbind"), reset),
    (Rule(f"{_FILE}/restore", methods=["POST"], endpoint="page_restore"), record_restore),
]

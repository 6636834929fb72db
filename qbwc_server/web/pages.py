"""Server-rendered pages: the support page QBWC checks, and the company profile pages."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Throttled, identify
from qbwc_server.services import companies as svc
from qbwc_server.web import signin
from qbwc_server.web.rendering import error_page, not_found, render
from qbwc_server.writeback.service import list_operations, operation_view

RULES = [
    Rule("/", methods=["GET"], endpoint="page_index"),
    Rule("/support", methods=["GET"], endpoint="page_support"),
    Rule("/login", methods=["GET", "POST"], endpoint="page_login"),
    Rule("/logout", methods=["POST", "GET"], endpoint="page_logout"),
    Rule("/companies/<company_id>", methods=["GET"], endpoint="page_company"),
    Rule("/static/<name>", methods=["GET"], endpoint="page_static"),
]

# The pages' assets (qbwc_server/web/static), read once. Same-origin files are all the pages'
# Content-Security-Policy allows (security/headers.py), so styles and scripts live here.
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
STATIC_FILES: dict[str, tuple[bytes, str]] = {
    entry.name: (entry.read_bytes(), STATIC_TYPES[suffix])
    for entry in resources.files("qbwc_server.web").joinpath("static").iterdir()
    if (suffix := "." + entry.name.rsplit(".", 1)[-1]) in STATIC_TYPES
}


def register(url_map: Map) -> None:
    for rule in RULES:
        url_map.add(rule.empty())


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    if endpoint == "page_support":
        # QBWC checks AppSupport answers 200/202 (QBWC1003/1004, §4.1).
        return render("support.html", public_url=rt.settings.public_url)
    if endpoint == "page_static":
        return _static(request, str(args["name"]))
    try:
        caller = identify(request, rt.settings, rt.db)
    except Throttled as throttled:
        return signin.throttled_page(throttled.refusal)
    if caller is not None:
        reason = caller.csrf_refusal(request, rt.settings, form_ok=True)
        if reason:
            return error_page(403, f"Refused: {reason}.", caller)
    if endpoint == "page_login":
        return signin.login(rt, request, caller)
    if endpoint == "page_logout":
        return signin.logout(rt, request, caller)
    if caller is None:
        return redirect(signin.SIGNED_OUT)
    if endpoint == "page_index":
        with rt.db.transaction() as s:
            views = [svc.company_view(c, rt.settings) for c in svc.list_companies(s)]
        return render("index.html", caller=caller, companies=views)
    if endpoint == "page_company":
        with rt.db.transaction() as s:
            company = svc.get_company(s, args["company_id"])
            view = rt.status_view(s, company)
            recent_operations = [
                operation_view(op) for op in list_operations(s, company.id, limit=20)
            ]
        return render("company.html", caller=caller, c=view, recent_operations=recent_operations)
    return not_found(request, caller)


def _static(request: Request, name: str) -> Response:
    found = STATIC_FILES.get(name)
    if found is None:
        return not_found(request)
    body, mimetype = found
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=3600"  # no company data in here
    return response

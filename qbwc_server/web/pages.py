"""Server-rendered pages: the support page QBWC checks, and the company profile pages."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from qbwc_server.api.http import bearer_ok, session_cookie
from qbwc_server.runtime import Runtime
from qbwc_server.services import companies as svc
from qbwc_server.writeback.service import list_operations, operation_view

_env = Environment(
    loader=PackageLoader("qbwc_server.web", "templates"),
    autoescape=select_autoescape(["html"]),
)

RULES = [
    Rule("/", endpoint="page_index"),
    Rule("/support", endpoint="page_support"),
    Rule("/login", methods=["GET", "POST"], endpoint="page_login"),
    Rule("/logout", methods=["POST", "GET"], endpoint="page_logout"),
    Rule("/companies/<company_id>", endpoint="page_company"),
    Rule("/static/<name>", endpoint="page_static"),
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


def render(name: str, status: int = 200, **context: Any) -> Response:
    html = _env.get_template(name).render(**context)
    return Response(html, status=status, mimetype="text/html")


def error_page(rt: Runtime, status: int, message: str) -> Response:
    return render("error.html", status=status, status_code=status, message=message)


def not_found(rt: Runtime, request: Request) -> Response:
    return error_page(rt, 404, f"Nothing here: {request.path}")


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    if endpoint == "page_support":
        # QBWC checks AppSupport answers 200/202 (QBWC1003/1004, §4.1).
        return render("support.html", public_url=rt.settings.public_url)
    if endpoint == "page_static":
        return _static(rt, request, str(args["name"]))
    if endpoint == "page_login":
        return _login(rt, request)
    if endpoint == "page_logout":
        response = redirect("/login")
        response.delete_cookie("qbwc_admin")
        return response
    if not bearer_ok(request, rt.settings):
        return redirect("/login")
    if endpoint == "page_index":
        with rt.db.transaction() as s:
            views = [svc.company_view(c, rt.settings) for c in svc.list_companies(s)]
        return render("index.html", companies=views)
    if endpoint == "page_company":
        with rt.db.transaction() as s:
            company = svc.get_company(s, args["company_id"])
            view = rt.status_view(s, company)
            recent_operations = [
                operation_view(op) for op in list_operations(s, company.id, limit=20)
            ]
        return render("company.html", c=view, recent_operations=recent_operations)
    return not_found(rt, request)


def _static(rt: Runtime, request: Request, name: str) -> Response:
    found = STATIC_FILES.get(name)
    if found is None:
        return not_found(rt, request)
    body, mimetype = found
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=3600"  # no company data in here
    return response


def _login(rt: Runtime, request: Request) -> Response:
    if not rt.settings.admin_token:
        return error_page(rt, 503, "Pages are disabled until QBWC_ADMIN_TOKEN is set.")
    if request.method == "POST":
        token = request.form.get("token", "")
        if token and hmac.compare_digest(token.encode(), rt.settings.admin_token.encode()):
            response = redirect("/")
            response.set_cookie(
                "qbwc_admin",
                session_cookie(rt.settings.admin_token),
                httponly=True,
                samesite="Strict",
                secure=rt.settings.public_url.startswith("https://"),
            )
            return response
        return render("login.html", status=401, error="That token is not right.")
    return render("login.html", error=None)

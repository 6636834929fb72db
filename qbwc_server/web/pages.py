"""Server-rendered pages: routing, sign-in and CSRF in front of every page.

Each page lives in its own module (``page_*.py``) with its ``ROUTES``: (rule, handler) pairs; a
handler is ``handler(rt, request, caller, **url_args) -> Response`` and runs only for a signed-in
caller whose state-changing request passed the CSRF check. GET never changes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Throttled, identify
from qbwc_server.services.errors import ServiceError
from qbwc_server.web import (
    page_actions,
    page_companies,
    page_file,
    page_key,
    page_profile,
    page_schedule,
    page_session,
    page_setup_link,
    signin,
)
from qbwc_server.web.rendering import error_page, not_found, render

Handler = Callable[..., Response]

RULES = [
    Rule("/support", methods=["GET"], endpoint="page_support"),
    Rule("/login", methods=["GET", "POST"], endpoint="page_login"),
    Rule("/logout", methods=["POST", "GET"], endpoint="page_logout"),
    Rule("/static/<name>", methods=["GET"], endpoint="page_static"),
]

HANDLERS: dict[str, Handler] = {}
_PAGES = (
    page_companies,
    page_profile,
    page_key,
    page_file,
    page_schedule,
    page_actions,
    page_session,
    page_setup_link,
)
for _module in _PAGES:
    for _rule, _handler in _module.ROUTES:
        RULES.append(_rule)
        HANDLERS[str(_rule.endpoint)] = _handler

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
    handler = HANDLERS.get(endpoint)
    if handler is None:
        return not_found(request, caller)
    try:
        return handler(rt, request, caller, **args)
    except ServiceError as exc:  # no such company, session or operation; a refused change
        return error_page(exc.status, exc.message, caller)


def _static(request: Request, name: str) -> Response:
    found = STATIC_FILES.get(name)
    if found is None:
        return not_found(request)
    body, mimetype = found
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=3600"  # no company data in here
    return response


__all__ = ["error_page", "handle", "not_found", "register"]

"""Signing in and out of the pages.

``POST /login`` with the admin token starts a session (``services/admin_sessions``) and sets its
cookie; ``POST /logout`` (with the CSRF token) revokes it, so the cookie is dead even where a
copy of it survives. ``GET /logout`` changes nothing: it shows the button that signs out.
"""

from __future__ import annotations

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import (
    SESSION,
    Caller,
    bearer_matches,
    clear_session_cookie,
    cookie_name,
    set_session_cookie,
)
from qbwc_server.security.csrf import cross_site_reason
from qbwc_server.services import admin_sessions
from qbwc_server.web.rendering import error_page, render

SIGNED_OUT = "/login"
HOME = "/"


def login(rt: Runtime, request: Request, caller: Caller | None) -> Response:
    settings = rt.settings
    if not settings.admin_token:
        return error_page(503, "Pages are disabled until QBWC_ADMIN_TOKEN is set.")
    if request.method != "POST":
        if caller is not None:
            return redirect(HOME, 303)
        return render("login.html", error=None)
    reason = cross_site_reason(request, settings)
    if reason:
        return error_page(403, f"Sign-in refused: {reason}.")
    token = request.form.get("token", "")
    if not bearer_matches(token, settings):
        return render("login.html", 401, error="That token is not right.")
    with rt.db.transaction() as s:
        old = request.cookies.get(cookie_name(settings))
        if old:
            admin_sessions.revoke(s, old)
        started = admin_sessions.start(
            s,
            settings,
            client_addr=request.remote_addr,
            user_agent=request.headers.get("User-Agent"),
        )
    response = redirect(HOME, 303)
    set_session_cookie(response, settings, started.token, started.expires_at)
    return response


def logout(rt: Runtime, request: Request, caller: Caller | None) -> Response:
    """The caller's CSRF token was checked before (pages.handle) for a session's POST."""
    if request.method != "POST":
        if caller is None or caller.via != SESSION:
            return redirect(SIGNED_OUT, 303)
        return render("logout.html", caller=caller)
    if caller is not None and caller.session_token:
        with rt.db.transaction() as s:
            admin_sessions.revoke(s, caller.session_token)
    response = redirect(SIGNED_OUT, 303)
    clear_session_cookie(response, rt.settings)
    return response


__all__ = ["login", "logout"]

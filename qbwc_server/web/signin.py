"""Signing in and out of the pages.

``POST /login`` with the admin token starts a session (``services/admin_sessions``) and sets its
cookie; wrong tokens count against the client's budget (``services/signin_throttle``).
``POST /logout`` (with the CSRF token) revokes the session, so the cookie is dead even where a
copy of it survives. ``GET /logout`` changes nothing: it shows the button that signs out.
"""

from __future__ import annotations

import logging

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from qbwc_server.net import client_ip
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
from qbwc_server.services import admin_sessions, signin_throttle
from qbwc_server.web.rendering import error_page, render

log = logging.getLogger(__name__)

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
    client = client_ip(request.environ, settings)
    with rt.db.transaction() as s:
        signin_throttle.serialize(s)  # check, compare and count as one step on every worker
        refused = signin_throttle.refusal(s, settings, client)
        if refused is not None:
            log.debug("sign-in not tried: %s is throttled", client)
            return throttled_page(refused)
        if not bearer_matches(token, settings):
            signin_throttle.record_failure(s, settings, client)
            log.warning("wrong admin token on the sign-in page from %s", client)
            return render("login.html", 401, error="That token is not right.")
        signin_throttle.clear(s, client)
        old = request.cookies.get(cookie_name(settings))
        if old:
            admin_sessions.revoke(s, old)
        started = admin_sessions.start(
            s, settings, client_addr=client, user_agent=request.headers.get("User-Agent")
        )
    response = redirect(HOME, 303)
    set_session_cookie(response, settings, started.token, started.expires_at)
    return response


def throttled_page(refused: signin_throttle.Refusal) -> Response:
    response = render("login.html", 429, error=refused.message())
    response.headers["Retry-After"] = str(refused.retry_after_seconds())
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


__all__ = ["login", "logout", "throttled_page"]

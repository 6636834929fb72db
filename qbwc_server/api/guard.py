"""What every ``/api`` request passes before its handler: credentials, CSRF, content type.

- no or wrong credentials → 401; too many wrong tokens from this client → 429 with
  ``Retry-After`` (``services/signin_throttle.py``);
- a cookie-authenticated state change without our origin and CSRF token → 403
  (``security/csrf.py``; bearer-token clients are not affected);
- a request body that is not ``application/json`` (UTF-8) → 415. Browsers send text/plain,
  form and multipart bodies cross-site without asking; JSON they must ask for (CORS preflight,
  which this server never grants), so only JSON is read;
- a query parameter holding a control character (``%00`` ...) → 400 naming it: no filter,
  cursor or id legitimately has one, and PostgreSQL refuses NUL in any string.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request, Response

from qbwc_server.api.http import json_error
from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Throttled, identify
from qbwc_server.security.csrf import SAFE_METHODS


def has_body(request: Request) -> bool:
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return True
    return bool(request.content_length)


def is_json(request: Request) -> bool:
    mimetype = request.mimetype
    if mimetype != "application/json" and not (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    ):
        return False
    charset = request.mimetype_params.get("charset")
    return charset is None or charset.strip().lower() in ("utf-8", "utf8")


_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def bad_query_parameter(request: Request) -> Response | None:
    for name, values in request.args.lists():
        if _CONTROL.search(name):
            return json_error(400, "a query parameter name holds a control character", "query")
        if any(_CONTROL.search(v) for v in values):
            return json_error(400, f"{name}: holds a control character", name[:100] or "query")
    return None


def refusal(rt: Runtime, request: Request) -> Response | None:
    """None to let the request in, else the answer that refuses it."""
    try:
        caller = identify(request, rt.settings, rt.db)
    except Throttled as throttled:
        response = json_error(429, throttled.refusal.message(), "Authorization")
        response.headers["Retry-After"] = str(throttled.refusal.retry_after_seconds())
        return response
    if caller is None:
        msg = (
            "missing or wrong admin token (Authorization: Bearer $QBWC_ADMIN_TOKEN)"
            if rt.settings.admin_token
            else "the admin API is disabled: set QBWC_ADMIN_TOKEN"
        )
        return json_error(401, msg)
    reason = caller.csrf_refusal(request, rt.settings, form_ok=False)
    if reason:
        return json_error(403, reason)
    if request.method not in SAFE_METHODS and has_body(request) and not is_json(request):
        got = request.headers.get("Content-Type") or "none"
        return json_error(
            415,
            f"request body must be JSON (Content-Type: application/json; UTF-8), got {got[:100]}",
            "Content-Type",
        )
    return bad_query_parameter(request)


__all__ = ["bad_query_parameter", "has_body", "is_json", "refusal"]

"""Rendering the pages' templates, with what every page needs to know about its viewer.

Every template gets ``signed_in``, ``csrf_token`` (the session's CSRF token, or None) and
``csrf_field`` (the hidden ``<input>`` a state-changing form must carry: put ``{{ csrf_field }}``
inside every ``<form method="post">``; ``security/csrf.py`` checks it).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from werkzeug.wrappers import Request, Response

from qbwc_server.security.admin_auth import Caller
from qbwc_server.security.csrf import FORM_FIELD
from qbwc_server.web import words
from qbwc_server.web.timefmt import FILTERS

_env = Environment(
    loader=PackageLoader("qbwc_server.web", "templates"),
    autoescape=select_autoescape(["html"]),
)
_env.filters.update(FILTERS)
_env.filters.update(
    outcome=words.outcome_words,
    op_state=words.operation_state_words,
    op_type=words.operation_type_words,
)
_env.globals.update(badges=words.STATE_BADGES, meaning=words.STATE_MEANING)


def render(
    name: str, status: int = 200, *, caller: Caller | None = None, **context: Any
) -> Response:
    token = caller.csrf_token if caller is not None else None
    context.setdefault("signed_in", caller is not None)
    context.setdefault("csrf_token", token)
    context.setdefault(
        "csrf_field",
        Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{escape(token)}">')
        if token
        else Markup(""),
    )
    html = _env.get_template(name).render(**context)
    return Response(html, status=status, mimetype="text/html")


ERROR_TITLES = {
    403: "Refused",
    404: "Not found",
    409: "Not possible right now",
    422: "Not accepted",
    429: "Too many attempts",
    503: "Not available",
}


def error_page(status: int, message: str, caller: Caller | None = None) -> Response:
    title = ERROR_TITLES.get(status, "Something went wrong")
    text = message[:1].upper() + message[1:]
    return render(
        "error.html", status, caller=caller, status_code=status, title=title, message=text
    )


def not_found(request: Request, caller: Caller | None = None) -> Response:
    return error_page(404, f"Nothing here: {request.path}", caller)


__all__ = ["error_page", "not_found", "render"]

"""Generate Connector Key: a confirmation (the old key stops working at once), then the new key,
shown once, with a Copy button and the steps to paste it into the Web Connector."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import companies as svc
from qbwc_server.web.rendering import render


def key_page(caller: Caller, company: dict[str, Any], key: str, *, created: bool) -> Response:
    """The page that shows a Connector Key: the only time it is ever shown."""
    return render("key.html", caller=caller, c=company, key=key, created=created)


def confirm(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        view = svc.company_view(svc.get_company(s, company_id), rt.settings)
    return render(
        "confirm.html",
        caller=caller,
        c=view,
        title="Generate a new Connector Key?",
        paragraphs=[
            "The current Connector Key stops working at once. Every Web Connector that uses it "
            "(on every PC) cannot sync until the new key is pasted into it.",
            "The new key is shown once, on the next page. Copy it then.",
        ],
        action=f"/companies/{view['id']}/connector-key",
        button="Generate new Connector Key",
        danger=True,
    )


def rotate(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        key = svc.rotate_key(s, company)
        view = svc.company_view(company, rt.settings)
    return key_page(caller, view, key, created=False)


ROUTES = [
    (
        Rule("/companies/<company_id>/connector-key", methods=["GET"], endpoint="page_key_ask"),
        confirm,
    ),
    (
        Rule("/companies/<company_id>/connector-key", methods=["POST"], endpoint="page_key_new"),
        rotate,
    ),
]

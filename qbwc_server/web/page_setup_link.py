"""Setup link from the Company Profile: a link for the person at the QuickBooks PC, who has no
sign-in here (``services/setup_links.py``; the page it opens is ``web/setup_page.py``). Made
with a POST, shown once with a Copy button; Revoke stops it at once."""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import companies as svc
from qbwc_server.services import setup_links
from qbwc_server.web.page_profile import back_to_profile
from qbwc_server.web.rendering import render


def create(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        created = setup_links.create(s, company)
        view = svc.company_view(company, rt.settings)
    return render(
        "setup_link_new.html",
        caller=caller,
        c=view,
        url=setup_links.setup_url(rt.settings.public_url, created.token),
        expires_at=created.expires_at.isoformat(),
    )


def revoke(rt: Runtime, request: Request, caller: Caller, company_id: str) -> Response:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        setup_links.revoke(s, company)
        cid = company.id
    return back_to_profile(cid, "setup-link-revoked")


_C = "/companies/<company_id>/setup-link"
ROUTES = [
    (Rule(_C, methods=["POST"], endpoint="page_setup_link"), create),
    (Rule(f"{_C}/revoke", methods=["POST"], endpoint="page_setup_link_revoke"), revoke),
]

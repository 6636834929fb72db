"""JSON API: a company's setup link for the person at the QuickBooks PC
(``services/setup_links.py``; the page it opens is ``web/setup_page.py``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.api.guard import has_body
from qbwc_server.api.http import json_response, read_json
from qbwc_server.runtime import Runtime
from qbwc_server.services import companies as svc
from qbwc_server.services import setup_links
from qbwc_server.services.errors import refuse_unknown_fields

log = logging.getLogger(__name__)

RULES = [
    Rule("/api/companies/<company_id>/setup-link", methods=["POST"], endpoint="setup_link_create"),
    Rule(
        "/api/companies/<company_id>/setup-link", methods=["DELETE"], endpoint="setup_link_revoke"
    ),
]


def register(url_map: Map) -> None:
    for rule in RULES:
        url_map.add(rule.empty())


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    return HANDLERS[endpoint](rt, request, **args)


def _create(rt: Runtime, request: Request, company_id: str) -> Response:
    body = read_json(request) if has_body(request) else {}
    refuse_unknown_fields(body, {"expires_in_hours"})
    hours = setup_links.lifetime_hours(body)
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        created = setup_links.create(s, company, hours)
        cid = company.id
    log.info("setup link created for company %s, valid for %s hours", cid, hours)
    return json_response(
        {
            "url": setup_links.setup_url(rt.settings.public_url, created.token),
            "expires_at": created.expires_at.isoformat(),
        },
        201,
    )


def _revoke(rt: Runtime, request: Request, company_id: str) -> Response:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        revoked = setup_links.revoke(s, company)
        cid = company.id
    if revoked:
        log.info("setup link of company %s revoked", cid)
    return json_response({"revoked": revoked})


HANDLERS: dict[str, Any] = {
    "setup_link_create": _create,
    "setup_link_revoke": _revoke,
}

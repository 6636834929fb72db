"""JSON API: companies, Connector Keys and .qwc files (issue: foundation, §9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.api.http import json_error, json_response, read_json
from qbwc_server.runtime import Runtime
from qbwc_server.services import binding, restore
from qbwc_server.services import companies as svc
from qbwc_server.services.errors import Invalid, refuse_unknown_fields
from qbwc_server.services.ids import parse_positive
from qbwc_server.services.qwc import connector_file, download_headers

MAX_SESSIONS = 200

RULES = [
    Rule("/api/companies", methods=["GET"], endpoint="list"),
    Rule("/api/companies", methods=["POST"], endpoint="create"),
    Rule("/api/companies/<company_id>", methods=["GET"], endpoint="show"),
    Rule("/api/companies/<company_id>", methods=["PATCH"], endpoint="update"),
    Rule("/api/companies/<company_id>/connector-key", methods=["POST"], endpoint="rotate"),
    Rule("/api/companies/<company_id>/binding", methods=["DELETE"], endpoint="reset_binding"),
    Rule(
        "/api/companies/<company_id>/binding/confirm", methods=["POST"], endpoint="confirm_binding"
    ),
    Rule("/api/companies/<company_id>/restore", methods=["POST"], endpoint="restore"),
    Rule("/api/companies/<company_id>/qwc", methods=["GET"], endpoint="qwc"),
    Rule("/api/companies/<company_id>/sessions", methods=["GET"], endpoint="sessions"),
    Rule("/api/companies/<company_id>/sessions/<session_id>", methods=["GET"], endpoint="session"),
    Rule("/api/companies/<company_id>/reconcile", methods=["POST"], endpoint="reconcile"),
]


def register(url_map: Map) -> None:
    for rule in RULES:
        url_map.add(rule.empty())


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    handler = HANDLERS[endpoint]
    return handler(rt, request, **args)


def _create(rt: Runtime, request: Request) -> Response:
    body = read_json(request)
    refuse_unknown_fields(
        body, {"name", "sync_interval_minutes", "history_start", "confirm_binding"}
    )
    with rt.db.transaction() as s:
        created = svc.create_company(
            s,
            body.get("name"),
            sync_interval_minutes=body.get("sync_interval_minutes", 15),
            history_start=body.get("history_start"),
            confirm_binding=body.get("confirm_binding", True),
        )
        view = svc.company_view(created.company, rt.settings)
    view["connector_key"] = created.connector_key
    return json_response(view, 201, headers={"Location": f"/api/companies/{view['id']}"})


def _list(rt: Runtime, request: Request) -> Response:
    with rt.db.transaction() as s:
        data = [svc.company_view(c, rt.settings) for c in svc.list_companies(s)]
    return json_response({"data": data})


def _show(rt: Runtime, request: Request, company_id: str) -> Response:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id)
        return json_response(rt.status_view(s, company))


def _update(rt: Runtime, request: Request, company_id: str) -> Response:
    body = read_json(request)
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        svc.update_company(s, company, body)
        return json_response(svc.company_view(company, rt.settings))


def _rotate(rt: Runtime, request: Request, company_id: str) -> Response:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        key = svc.rotate_key(s, company)
        view = svc.company_view(company, rt.settings)
    view["connector_key"] = key
    return json_response(view)


def _reset_binding(rt: Runtime, request: Request, company_id: str) -> Response:
    """Reject the company file waiting for confirmation, or forget the bound one."""
    with rt.db.transaction() as s:
        company = binding.reset_binding(s, company_id)
        return json_response(svc.company_view(company, rt.settings))


def _confirm_binding(rt: Runtime, request: Request, company_id: str) -> Response:
    """Begin Sync: bind the company file waiting for confirmation (409 when none waits)."""
    with rt.db.transaction() as s:
        company = binding.confirm_binding(s, company_id)
        return json_response(svc.company_view(company, rt.settings))


def _restore(rt: Runtime, request: Request, company_id: str) -> Response:
    """The company file was restored from a backup on ``restored_on``: keep the date and
    reconcile every stream at the next run."""
    body = read_json(request)
    refuse_unknown_fields(body, {"restored_on"})
    with rt.db.transaction() as s:
        company = restore.record_restore(s, company_id, body.get("restored_on"))
        return json_response(svc.company_view(company, rt.settings), 202)


def _qwc(rt: Runtime, request: Request, company_id: str) -> Response:
    text, name = connector_file(rt.db, rt.settings, company_id)
    return Response(text, mimetype="application/x-qwc", headers=download_headers(name))


def _sessions(rt: Runtime, request: Request, company_id: str) -> Response:
    from qbwc_server.services.sessions import recent_sessions

    raw = request.args.get("limit") or "50"
    limit = parse_positive(raw, MAX_SESSIONS)
    if limit is None:
        raise Invalid(f"limit must be a whole number from 1 to {MAX_SESSIONS}", field="limit")
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id)
        return json_response({"data": recent_sessions(s, company.id, limit)})


def _session(rt: Runtime, request: Request, company_id: str, session_id: str) -> Response:
    """One session with its events and, when the audit trail kept it, its qbXML exchange."""
    from qbwc_server.audit.views import get_session, session_detail

    raw = request.args.get("bodies", "true").strip().lower()
    if raw not in ("true", "false"):
        return json_error(422, "bodies: expected true or false", "bodies")
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id)
        row = get_session(s, session_id, company.id)
        return json_response(session_detail(s, row, rt.settings, bodies=raw == "true"))


def _reconcile(rt: Runtime, request: Request, company_id: str) -> Response:
    """After the customer restored the company file from a backup (or to be sure): compare
    every id and EditSequence with QuickBooks at the next session (sync/reconcile.py)."""
    from qbwc_server.sync.reconcile import request_reconcile

    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id, for_update=True)
        streams = request_reconcile(s, company.id)
        # Do not wait for the sync interval: the next Web Connector run reconciles.
        company.last_complete_sync_at = None
    return json_response({"reconcile_requested": True, "streams": streams}, 202)


HANDLERS: dict[str, Any] = {
    "list": _list,
    "create": _create,
    "show": _show,
    "update": _update,
    "rotate": _rotate,
    "reset_binding": _reset_binding,
    "confirm_binding": _confirm_binding,
    "restore": _restore,
    "qwc": _qwc,
    "sessions": _sessions,
    "session": _session,
    "reconcile": _reconcile,
}

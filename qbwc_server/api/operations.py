"""JSON API of the write-back queue (issue 5).

``POST /api/companies/{id}/operations`` with ``{"type", "idempotency_key", "payload"}`` → 201
with the operation; the same key again → 200 with the first operation (409 if the type or
payload differ). Validation errors → 422 naming the field (``error.field``; every problem in
``error.errors``). ``GET .../operations/{op_id}``, ``GET .../operations?state=&type=&limit=&
cursor=`` (newest first; ``next_cursor`` pages on), ``POST .../operations/{op_id}/retry`` and
``.../cancel``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.api.http import json_response, read_json
from qbwc_server.runtime import Runtime
from qbwc_server.services import companies as companies_svc
from qbwc_server.services.errors import Invalid
from qbwc_server.services.ids import MAX_ROW_ID, parse_positive
from qbwc_server.writeback import service as svc
from qbwc_server.writeback.validation import PayloadInvalid

RULES = [
    Rule("/api/companies/<company_id>/operations", methods=["POST"], endpoint="op_create"),
    Rule("/api/companies/<company_id>/operations", methods=["GET"], endpoint="op_list"),
    Rule("/api/companies/<company_id>/operations/<op_id>", methods=["GET"], endpoint="op_show"),
    Rule(
        "/api/companies/<company_id>/operations/<op_id>/retry",
        methods=["POST"],
        endpoint="op_retry",
    ),
    Rule(
        "/api/companies/<company_id>/operations/<op_id>/cancel",
        methods=["POST"],
        endpoint="op_cancel",
    ),
]


def register(url_map: Map) -> None:
    for rule in RULES:
        url_map.add(rule.empty())


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    try:
        return HANDLERS[endpoint](rt, request, **args)
    except PayloadInvalid as exc:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        body = {
            "error": {"status": 422, "message": exc.message, "field": exc.field, "errors": errors}
        }
        return json_response(body, 422)


def _create(rt: Runtime, request: Request, company_id: str) -> Response:
    body = read_json(request)
    with rt.db.transaction() as s:
        company = companies_svc.get_company(s, company_id)
        queued = svc.queue_operation(s, company, body)
        view = svc.operation_view(queued.operation)
    if queued.created:
        location = f"/api/companies/{view['company_id']}/operations/{view['id']}"
        return json_response(view, 201, headers={"Location": location})
    return json_response(view, 200)


def _int_arg(request: Request, name: str, default: int | None, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_positive(raw, maximum)
    if value is None:
        raise Invalid(f"{name} must be a whole number from 1 to {maximum}", field=name)
    return value


def _list(rt: Runtime, request: Request, company_id: str) -> Response:
    limit = _int_arg(request, "limit", 100, svc.LIST_LIMIT_MAX) or 100
    before = _int_arg(request, "cursor", None, MAX_ROW_ID)
    with rt.db.transaction() as s:
        company = companies_svc.get_company(s, company_id)
        ops = svc.list_operations(
            s,
            company.id,
            state=request.args.get("state") or None,
            op_type=request.args.get("type") or None,
            limit=limit,
            before=before,
        )
        data = [svc.operation_view(op) for op in ops]
    next_cursor = str(data[-1]["id"]) if len(data) >= max(1, min(limit, 500)) else None
    return json_response({"data": data, "next_cursor": next_cursor})


def _show(rt: Runtime, request: Request, company_id: str, op_id: str) -> Response:
    with rt.db.transaction() as s:
        company = companies_svc.get_company(s, company_id)
        return json_response(svc.operation_view(svc.get_operation(s, op_id, company.id)))


def _retry(rt: Runtime, request: Request, company_id: str, op_id: str) -> Response:
    with rt.db.transaction() as s:
        company = companies_svc.get_company(s, company_id)
        svc.get_operation(s, op_id, company.id)
        return json_response(svc.operation_view(svc.retry_operation(s, op_id)))


def _cancel(rt: Runtime, request: Request, company_id: str, op_id: str) -> Response:
    with rt.db.transaction() as s:
        company = companies_svc.get_company(s, company_id)
        svc.get_operation(s, op_id, company.id)
        return json_response(svc.operation_view(svc.cancel_operation(s, op_id)))


HANDLERS: dict[str, Any] = {
    "op_create": _create,
    "op_list": _list,
    "op_show": _show,
    "op_retry": _retry,
    "op_cancel": _cancel,
}

"""JSON API of the help catalog (issue 11, item 4).

``GET /api/help`` lists every entry (``?kind=qbwc|hresult|qbxml_status|server`` and
``?q=words`` narrow it); ``GET /api/help/{code}`` returns one — ``QBWC1012``, ``0x80040408``
(or ``80040408``), ``3100``, ``wrong_company_file``; case does not matter. An unknown code is a
404 JSON error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.api.http import json_response
from qbwc_server.help import catalog
from qbwc_server.runtime import Runtime
from qbwc_server.services.errors import Invalid, NotFound

RULES = [
    Rule("/api/help", methods=["GET"], endpoint="help_list"),
    Rule("/api/help/<code>", methods=["GET"], endpoint="help_show"),
]
LIST_PARAMS = frozenset({"kind", "q"})


def register(url_map: Map) -> None:
    for rule in RULES:
        url_map.add(rule.empty())


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    return HANDLERS[endpoint](request, **args)


def _list(request: Request) -> Response:
    for name in request.args:
        if name not in LIST_PARAMS:
            raise Invalid(f"{name}: unknown parameter; known: kind, q", field=name)
    kind = request.args.get("kind") or None
    if kind is not None and kind not in catalog.KINDS:
        raise Invalid(f"kind must be one of {', '.join(catalog.KINDS)}", field="kind")
    found = catalog.entries(kind=kind, query=request.args.get("q"))
    return json_response({"data": [item.as_dict() for item in found], "count": len(found)})


def _show(request: Request, code: str) -> Response:
    item = catalog.lookup(code)
    if item is None:
        shown = code if len(code) <= 40 else code[:40] + "..."
        raise NotFound(
            f"no help entry for code {shown!r}; GET /api/help lists them (QBWC codes as "
            "QBWC1012, HRESULTs as 0x80040408, qbXML statuses as numbers)",
            field="code",
        )
    return json_response(item.as_dict())


HANDLERS: dict[str, Any] = {"help_list": _list, "help_show": _show}

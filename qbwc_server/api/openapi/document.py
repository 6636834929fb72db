"""Assembles the OpenAPI 3.1 document from the per-module ``PATHS`` and checks it against the
registered routes."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from werkzeug.routing import Map

from qbwc_server import __version__
from qbwc_server.api.openapi import companies, help_catalog, operations, records, setup_links
from qbwc_server.api.openapi.components import ERROR_RESPONSES, SCHEMAS, error_response

MODULES = (companies, operations, records, help_catalog, setup_links)
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_PARAM_RE = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")

DESCRIPTION = """\
The JSON API of qbwc-server: companies (one per QuickBooks company file), their Connector Keys
and .qwc files, QBWC session history, the synced QuickBooks records and their change feed, and
write-back operations. Every route needs `Authorization: Bearer <QBWC_ADMIN_TOKEN>`. Errors are
JSON: `{"error": {"status", "message", "field"?}}`.
"""


def openapi_path(rule: str) -> str:
    """``/api/companies/<company_id>`` -> ``/api/companies/{company_id}``."""
    return _PARAM_RE.sub(r"{\1}", rule)


@functools.cache
def _document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for module in MODULES:
        for path, methods in module.PATHS.items():
            target = paths.setdefault(path, {})
            for method, operation in methods.items():
                if method in target:
                    raise ValueError(f"{method.upper()} {path} documented twice")
                operation = copy.deepcopy(operation)
                responses = operation.setdefault("responses", {})
                if operation.get("security") != []:
                    for status, text in ERROR_RESPONSES.items():
                        responses.setdefault(status, error_response(text))
                target[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "qbwc-server API", "version": __version__, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"adminToken": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "QBWC_ADMIN_TOKEN",
                }
            },
        },
    }


def document() -> dict[str, Any]:
    return _document()


def undocumented_routes(url_map: Map) -> tuple[list[str], list[str]]:
    """(routes without an operation in the document, documented operations without a route)."""
    documented = {
        (path, method) for path, methods in document()["paths"].items() for method in methods
    }
    registered = set()
    for rule in url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods or ():
            if method.lower() in HTTP_METHODS:
                registered.add((openapi_path(rule.rule), method.lower()))
    missing = sorted(f"{m.upper()} {p}" for p, m in registered - documented)
    stale = sorted(f"{m.upper()} {p}" for p, m in documented - registered)
    return missing, stale

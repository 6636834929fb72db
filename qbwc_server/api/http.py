"""Small HTTP helpers shared by the JSON API and the pages."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from qbwc_server.api.json_body import MAX_BODY_BYTES, BodyTooLarge, parse_object
from qbwc_server.services.errors import ServiceError


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, indent=None, separators=(",", ":"), default=str),
        status=status,
        mimetype="application/json",
        headers=headers,
    )


def json_error(status: int, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"error": {"status": status, "message": message}}
    if field:
        body["error"]["field"] = field
    return json_response(body, status)


def service_error(exc: ServiceError) -> Response:
    return json_error(exc.status, exc.message, exc.field)


def read_json(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request's JSON object (``api/json_body.py`` says what is refused and why)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BodyTooLarge(f"request body over {max_bytes} bytes", field="body")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"request body over {max_bytes} bytes", field="body")
    return parse_object(raw)

"""``GET /metrics``: the Prometheus text exposition, behind a bearer token.

``QBWC_METRICS_TOKEN`` lets a scraper in without the admin token; the admin token is always
accepted too. With neither configured the endpoint is off (401 saying how to turn it on): the
numbers say how many companies there are and how busy the server is.
"""

from __future__ import annotations

import hmac

from werkzeug.wrappers import Request, Response

from qbwc_server.runtime import Runtime


def _token_ok(request: Request, tokens: list[str]) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    presented = given.strip().encode()
    # Compare with every configured token (constant time each), so timing tells nothing.
    matches = [hmac.compare_digest(presented, token.encode()) for token in tokens]
    return any(matches)


def metrics_response(rt: Runtime, request: Request) -> Response:
    tokens = [t for t in (rt.settings.metrics_token, rt.settings.admin_token) if t]
    if not tokens:
        return Response(
            "metrics are disabled: set QBWC_METRICS_TOKEN (or QBWC_ADMIN_TOKEN)\n",
            status=401,
            mimetype="text/plain",
        )
    if not _token_ok(request, tokens):
        return Response(
            "missing or wrong token (Authorization: Bearer $QBWC_METRICS_TOKEN)\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    from qbwc_server.observability.metrics import exposition

    body, content_type = exposition(rt.db, rt.settings)
    return Response(body, status=200, headers={"Content-Type": content_type})

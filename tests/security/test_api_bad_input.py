"""Bad input to ``/api``: always a JSON 4xx naming what was wrong, never a 5xx or an HTML page
(issue 9: an offset date at year 1, a 23-digit id or cursor, JSON nested 10,000 deep gave 500)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Company, Operation
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.security.http_util import Reply, api_call, fetch

HUGE = "1" * 23
BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JSON_HEADERS = {**BEARER, "Content-Type": "application/json"}


def cursor(*parts: object) -> str:
    from qbwc_server.api.records import encode_cursor

    return encode_cursor(*parts)


def assert_clean(reply: Reply, status: int, field: str | None) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:300])
    error = reply.json()["error"]
    assert error["status"] == status
    assert error.get("field") == field, error
    assert error["message"]
    return dict(error)


@pytest.fixture
def company(server: LiveServer) -> dict[str, Any]:
    reply = api_call(server, "POST", "/api/companies", {"name": "Input Co"})
    assert reply.status == 201
    body = dict(reply.json())
    op = api_call(
        server,
        "POST",
        f"/api/companies/{body['id']}/operations",
        {"type": "vendor.create", "idempotency_key": "k", "payload": {"name": "V"}},
    )
    assert op.status == 201
    body["op"] = op.json()["id"]
    return body


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
        "2024-13-01T00:00:00",
        "2024-01-01T25:00:00",
        "yesterday",
        "\x00",
    ],
)
def test_modified_since_out_of_range_or_malformed(
    server: LiveServer, company: dict[str, Any], value: str
) -> None:
    from urllib.parse import quote

    path = f"/api/companies/{company['id']}/records/vendors?modified_since={quote(value)}"
    assert_clean(api_call(server, "GET", path), 400, "modified_since")


def test_modified_since_at_the_edges_of_the_calendar_is_answered(
    server: LiveServer, company: dict[str, Any]
) -> None:
    base = f"/api/companies/{company['id']}/records/vendors?modified_since="
    for value in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T05:00:00+05:00"):
        reply = api_call(server, "GET", base + value.replace("+", "%2B"))
        assert reply.status == 200, (value, reply.body[:200])
        assert reply.json()["data"] == []


@pytest.mark.parametrize("name", ["from", "to"])
def test_transaction_dates_malformed(
    server: LiveServer, company: dict[str, Any], name: str
) -> None:
    for value in ("0000-01-01", "10000-01-01", "2024-02-30", "%00"):
        path = f"/api/companies/{company['id']}/records/bills?{name}={value}"
        assert_clean(api_call(server, "GET", path), 400, name)


# --- ids and cursors ---------------------------------------------------------------------------


def every_route(cid: str, op: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/api/companies/{cid}", None),
        ("PATCH", f"/api/companies/{cid}", {"name": "X"}),
        ("POST", f"/api/companies/{cid}/connector-key", None),
        ("DELETE", f"/api/companies/{cid}/binding", None),
        ("GET", f"/api/companies/{cid}/qwc", None),
        ("GET", f"/api/companies/{cid}/sessions", None),
        ("POST", f"/api/companies/{cid}/reconcile", None),
        ("GET", f"/api/companies/{cid}/records/vendors", None),
        ("GET", f"/api/companies/{cid}/changes", None),
        ("GET", f"/api/companies/{cid}/operations", None),
        (
            "POST",
            f"/api/companies/{cid}/operations",
            {"type": "vendor.create", "idempotency_key": "n", "payload": {"name": "N"}},
        ),
        ("GET", f"/api/companies/{cid}/operations/{op}", None),
        ("POST", f"/api/companies/{cid}/operations/{op}/retry", None),
        ("POST", f"/api/companies/{cid}/operations/{op}/cancel", None),
    ]


@pytest.mark.parametrize("bad", [HUGE, "-" + HUGE, "9" * 400, "2147483648", "0", "-1", "1e3"])
def test_out_of_range_company_id_in_every_route(
    server: LiveServer, company: dict[str, Any], bad: str
) -> None:
    for method, path, body in every_route(bad, str(company["op"])):
        reply = api_call(server, method, path, body)
        error = assert_clean(reply, 404, "company_id")
        assert "no company" in error["message"]


@pytest.mark.parametrize("bad", [HUGE, "2147483648", "0", "-7", "x"])
def test_out_of_range_operation_id(server: LiveServer, company: dict[str, Any], bad: str) -> None:
    routes = every_route(str(company["id"]), bad)[-3:]
    for method, path, body in routes:
        error = assert_clean(api_call(server, method, path, body), 404, "op_id")
        assert "no operation" in error["message"]


@pytest.mark.parametrize("bad", [HUGE, "-" + HUGE, "abc", "1.5", "0", "-3"])
def test_operations_cursor_and_limit(server: LiveServer, company: dict[str, Any], bad: str) -> None:
    base = f"/api/companies/{company['id']}/operations"
    assert_clean(api_call(server, "GET", f"{base}?cursor={bad}"), 422, "cursor")
    assert_clean(api_call(server, "GET", f"{base}?limit={bad}"), 422, "limit")


def test_sessions_limit(server: LiveServer, company: dict[str, Any]) -> None:
    base = f"/api/companies/{company['id']}/sessions"
    for bad in (HUGE, "abc", "0", "-1"):
        assert_clean(api_call(server, "GET", f"{base}?limit={bad}"), 422, "limit")
    assert api_call(server, "GET", f"{base}?limit=200").status == 200


def test_change_feed_cursor_with_a_huge_position(
    server: LiveServer, company: dict[str, Any]
) -> None:
    scope = str(company["id"])
    for position in (HUGE, "9" * 5000, str(2**63)):
        path = f"/api/companies/{scope}/changes?since={cursor('c1', scope, position)}"
        assert_clean(api_call(server, "GET", path), 400, "since")
    path = f"/api/companies/{scope}/changes?since={cursor('c1', scope, 2**63 - 1)}"
    assert api_call(server, "GET", path).status == 200


@pytest.mark.parametrize(
    "position", ["\x00", "80000001-\x00", "a" * 5000, "\ud800"], ids=["nul", "nul2", "long", "sur"]
)
def test_record_cursor_with_a_hostile_position(
    server: LiveServer, company: dict[str, Any], position: str
) -> None:
    import base64

    raw = f"r2:{company['id']}/vendors:{position}".encode("utf-8", "surrogatepass")
    crafted = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    path = f"/api/companies/{company['id']}/records/vendors?cursor={crafted}"
    assert_clean(api_call(server, "GET", path), 400, "cursor")


@pytest.mark.parametrize("name", ["vendor", "cursor", "since", "active", "include_deleted"])
def test_control_characters_in_query_values(
    server: LiveServer, company: dict[str, Any], name: str
) -> None:
    kind = "changes" if name == "since" else "records/bills"
    path = f"/api/companies/{company['id']}/{kind}?{name}=a%00b"
    assert_clean(api_call(server, "GET", path), 400, name)


# --- bodies ------------------------------------------------------------------------------------


def deep(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


def deep_object(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.mark.parametrize(
    "body",
    [
        deep(10_000),
        '{"name": ' + deep(10_000) + "}",
        '{"name": "x", "extra": ' + deep_object(100_000) + "}",
        '{"name": "x", "sync_interval_minutes": ' + deep(65) + "}",
    ],
    ids=["array", "in-name", "object-100k", "just-past-the-limit"],
)
def test_deeply_nested_json(server: LiveServer, db: Any, body: str) -> None:
    reply = fetch(server, "POST", "/api/companies", headers=JSON_HEADERS, body=body)
    error = assert_clean(reply, 400, "body")
    assert "nested" in error["message"]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 0


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        (b'{"name": "x", "sync_interval_minutes": NaN}', 400, "body"),
        (b'{"name": "x", "sync_interval_minutes": Infinity}', 400, "body"),
        (b'{"name": "x", "sync_interval_minutes": 1e999}', 400, "body"),
        (b'{"name": "x", "sync_interval_minutes": -1e999}', 400, "body"),
        (b'{"name": "x", "sync_interval_minutes": ' + b"9" * 5000 + b"}", 400, "body"),
        (
            b'{"name": "x", "sync_interval_minutes": ' + HUGE.encode() + b"}",
            422,
            "sync_interval_minutes",
        ),
        (b'{"name": "x", "sync_interval_minutes": 15.5}', 422, "sync_interval_minutes"),
        (b'{"name": "a", "name": "b"}', 400, "body"),
        (b'{"name": "\\u0000x"}', 422, "name"),
        (b'{"name": "\\ud800"}', 422, "name"),
        (b'{"name": "\xff\xfe"}', 400, "body"),
        ('{"name": "x"}'.encode("utf-16"), 400, "body"),
        (b"\xef\xbb\xbf" + b'{"name": "x"}', 400, "body"),
        (b'{"name": "x"', 400, "body"),
        (b'{"name": "x"} trailing', 400, "body"),
        (b"[]", 400, "body"),
        (b'"a string"', 400, "body"),
        (b"null", 400, "body"),
        (b'{"name": "x", "history_start": "0001-01-01"}', 422, "history_start"),
        (b'{"name": "x", "history_start": ' + HUGE.encode() + b"}", 422, "history_start"),
        (b'{"name": ' + HUGE.encode() + b"}", 422, "name"),
        (b'{"name": "' + b"x" * 300 + b'"}', 422, "name"),
    ],
)
def test_malformed_company_bodies(
    server: LiveServer, db: Any, raw: bytes, status: int, field: str | None
) -> None:
    reply = fetch(server, "POST", "/api/companies", headers=JSON_HEADERS, body=raw)
    error = assert_clean(reply, status, field or "sync_interval_minutes")
    assert error
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 0


def test_body_over_the_limit_is_413(server: LiveServer, db: Any) -> None:
    raw = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    reply = fetch(server, "POST", "/api/companies", headers=JSON_HEADERS, body=raw)
    assert_clean(reply, 413, "body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "vendor.create", "idempotency_key": "a\x00b", "payload": {"name": "V"}}, None),
        ({"type": "vendor.create", "idempotency_key": "\ud800", "payload": {"name": "V"}}, None),
        (
            {"type": "vendor.create", "idempotency_key": "x" * 10_000, "payload": {"name": "V"}},
            None,
        ),
        ({"type": "vendor.create", "idempotency_key": 12, "payload": {"name": "V"}}, None),
        ({"type": "vendor.create", "idempotency_key": "k2", "payload": {"name": "\x00"}}, None),
        ({"type": "vendor.create", "idempotency_key": "k3", "payload": {"name": "\ud800"}}, None),
        ({"type": "\x00", "idempotency_key": "k4", "payload": {}}, "type"),
        (
            {
                "type": "bill.create",
                "idempotency_key": "k5",
                "payload": {"vendor": {"list_id": "\x00"}},
            },
            None,
        ),
        (
            {
                "type": "bill.create",
                "idempotency_key": "k6",
                "payload": {"vendor": {"operation_id": int(HUGE)}},
            },
            None,
        ),
        (
            {
                "type": "vendor.create",
                "idempotency_key": "k7",
                "payload": {"name": "V", "x": [[[[[[]]]]]]},
            },
            None,
        ),
    ],
    ids=[
        "nul-key",
        "surrogate-key",
        "long-key",
        "int-key",
        "nul-name",
        "surrogate-name",
        "nul-type",
        "nul-ref",
        "huge-op-ref",
        "unknown-nested",
    ],
)
def test_malformed_operations(
    server: LiveServer, db: Any, company: dict[str, Any], body: dict[str, Any], field: str | None
) -> None:
    with db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(Operation))
    raw = json.dumps(body)  # \ud800 and \x00 go out escaped, as any JSON encoder writes them
    reply = fetch(
        server, "POST", f"/api/companies/{company['id']}/operations", headers=JSON_HEADERS, body=raw
    )
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    error = reply.json()["error"]
    assert error.get("field"), error
    if field:
        assert error["field"] == field
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Operation)) == before


def test_api_errors_are_json_even_from_the_framework(server: LiveServer) -> None:
    """Errors raised by werkzeug itself (bad request line pieces, methods) answer JSON too."""
    replies = [
        fetch(server, "OPTIONS", "/api/companies", headers=BEARER),
        fetch(server, "TRACE", "/api/companies", headers=BEARER),
        fetch(server, "GET", "/api/companies/1/records/" + "%ff" * 10, headers=BEARER),
        fetch(server, "GET", "/api/%00", headers=BEARER),
    ]
    for reply in replies:
        assert 400 <= reply.status < 500, (reply.status, reply.body[:200])
        assert reply.headers["content-type"].startswith("application/json"), reply.headers
        assert reply.json()["error"]["status"] == reply.status


def test_pages_with_an_out_of_range_company_id_are_404(server: LiveServer) -> None:
    from tests.security.http_util import sign_in

    browser = sign_in(server)
    for bad in (HUGE, "2147483648", "0", "%00"):
        reply = fetch(server, "GET", f"/companies/{bad}", headers=browser.headers())
        assert reply.status == 404, (bad, reply.status)
        assert reply.headers["content-type"].startswith("text/html")

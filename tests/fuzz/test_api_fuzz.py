"""Fuzzing the JSON API over HTTP: malformed, oversized, deeply nested and mis-encoded bodies,
hostile query values and path segments, wrong content types, huge numbers, unicode and control
characters. Every answer is a valid JSON answer or a clean JSON 4xx naming what was wrong —
never a 5xx, an HTML page, a hang (each request has a timeout) or a partial write (a refused
request leaves the database exactly as it was).

Cases found by fuzzing or by the issue stay here as ``@example``s (the corpus).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.fuzz.budget import count, fuzz_settings
from tests.fuzz.snapshot import digest

TIMEOUT = 30  # seconds; a request that takes longer is a hang
CLEAN_ERRORS = {400, 404, 405, 409, 413, 415, 422}
NAMED = {400, 413, 415, 422}  # these name the bad parameter in error.field
RECORD_TYPES = ["vendors", "bills", "accounts", "items", "checks", "bill_payment_checks"]


# --- the server and its database -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(migrated_db: Any, database_url: str) -> Iterator[LiveServer]:
    srv = LiveServer(migrated_db, database_url)
    yield srv
    srv.close()


@pytest.fixture
def world(server: LiveServer, db: Any) -> dict[str, Any]:
    """Company 1 with operation 1 (queued), on an emptied database."""
    status, body = request(server, "POST", "/api/companies", {"name": "Fuzz Co"})
    assert status == 201, body
    payload = {"type": "vendor.create", "idempotency_key": "seed", "payload": {"name": "Seed"}}
    status, op = request(server, "POST", f"/api/companies/{body['id']}/operations", payload)
    assert status == 201, op
    # The product OwnerID is generated on first use (at start-up outside tests; the emptied
    # database lost it): make it exist now, so no fuzz case sees that one-time write.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    conn.request(
        "GET",
        f"/api/companies/{body['id']}/qwc",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert conn.getresponse().status == 200
    conn.close()
    return {"server": server, "db": db, "cid": body["id"], "op": op["id"]}


def request(
    server: LiveServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str | None = "application/json",
) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if data is not None and content_type is not None:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        # Refused before the body was read (415, 413), the server may answer and close while a
        # large body is still being sent (found by the long form): then read that answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        ctype = resp.getheader("Content-Type", "")
    finally:
        conn.close()
    assert resp.status < 500, (method, path, resp.status, payload[:500])
    assert ctype.startswith("application/json"), (method, path, resp.status, ctype, payload[:300])
    return resp.status, json.loads(payload)


MAX_SEGMENT = 1200  # see MAX_QUERY


def segment(text: str) -> str:
    """A path segment, percent-encoded (lone surrogates go out as the bytes that encode them)."""
    encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")[:MAX_SEGMENT]
    return encoded[: encoded.rfind("%")] if "%" in encoded[-2:] else encoded


def check_answer(status: int, body: Any, what: Any) -> None:
    if status >= 400:
        assert status in CLEAN_ERRORS, (status, body, what)
        error = body["error"]
        assert error["status"] == status, (body, what)
        assert isinstance(error["message"], str) and error["message"].strip(), (body, what)
        if status in NAMED:
            assert error.get("field"), (body, what)


# --- strategies ----------------------------------------------------------------------------------

hostile_text = st.one_of(
    st.text(),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cs", "Co", "Cn", "Zs"])),
    st.sampled_from(
        ["\x00", "\ud800", "\udfff", "\ufeff", "\u202e", "\U0001d54f" * 50, "'; DROP TABLE x;--"]
    ),
    st.integers(min_value=0, max_value=6000).map(lambda n: "9" * n),
    st.integers(min_value=0, max_value=300).map(lambda n: "x" * (n * 37)),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)

json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(hostile_text, children, max_size=5)
    ),
    max_leaves=25,
)

KNOWN_KEYS = [
    "name",
    "sync_interval_minutes",
    "history_start",
    "type",
    "idempotency_key",
    "payload",
    "vendor",
    "expense_lines",
    "list_id",
    "operation_id",
]


@st.composite
def shaped_objects(draw: st.DrawFn) -> dict[str, Any]:
    """Objects with the keys the routes read, holding anything."""
    keys = draw(st.lists(st.sampled_from(KNOWN_KEYS), max_size=6, unique=True))
    obj: dict[str, Any] = {k: draw(json_values) for k in keys}
    if "type" in obj and draw(st.booleans()):
        obj["type"] = draw(
            st.sampled_from(
                ["vendor.create", "vendor.update", "bill.create", "bill_payment.check.create"]
            )
        )
    return obj


def _encode(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


nesting = st.integers(min_value=1, max_value=20_000)
json_bodies = st.one_of(
    st.tuples(shaped_objects(), st.booleans()).map(lambda t: _encode(*t)),
    st.tuples(json_values, st.booleans()).map(lambda t: _encode(*t)),
    st.binary(max_size=3000),
    nesting.map(lambda n: ("[" * n + "]" * n).encode()),
    nesting.map(lambda n: ('{"name":' * n + "1" + "}" * n).encode()),
    st.tuples(shaped_objects(), st.integers(min_value=0, max_value=200)).map(
        lambda t: _encode(t[0], True)[: t[1]]  # truncated
    ),
    st.tuples(shaped_objects(), st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])).map(
        lambda t: json.dumps(t[0], ensure_ascii=False).encode(t[1], "replace")
    ),
    st.sampled_from(
        [
            b'{"name": "x", "sync_interval_minutes": NaN}',
            b'{"name": "x", "sync_interval_minutes": -Infinity}',
            b'{"name": "x", "sync_interval_minutes": 1e999}',
            b'{"name": "a", "name": "b"}',
            b"\xef\xbb\xbf{}",
            b'{"name": "\\ud800"}',
            b'{"name": "\\u0000"}',
            b"{" + b" " * 100_000 + b"}",
            b'{"name": "' + b"x" * (1024 * 1024) + b'"}',
        ]
    ),
)

content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=UTF-16",
            "application/problem+json",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=zz",
            "application/xml",
            "",
        ]
    ),
    st.none(),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
)


def body_routes(cid: int, op: int) -> list[tuple[str, str]]:
    return [
        ("POST", "/api/companies"),
        ("PATCH", f"/api/companies/{cid}"),
        ("POST", f"/api/companies/{cid}/operations"),
        ("POST", f"/api/companies/{cid}/operations/{op}/retry"),
        ("POST", f"/api/companies/{cid}/connector-key"),
        ("POST", f"/api/companies/{cid}/restore"),
        ("POST", f"/api/companies/{cid}/binding/confirm"),
        ("POST", f"/api/companies/{cid}/setup-link"),
    ]


# --- the fuzz tests ------------------------------------------------------------------------------


@fuzz_settings()
@given(route=st.integers(0, 7), raw=json_bodies, content_type=content_types)
@example(route=0, raw=b"[" * 10_000 + b"]" * 10_000, content_type="application/json")
@example(route=0, raw=b'{"name": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", content_type=None)
@example(
    route=2,
    raw=b'{"type": "bill.create", "idempotency_key": "k", "payload": '
    b'{"vendor": {"operation_id": 11111111111111111111111}}}',
    content_type="application/json",
)
@example(
    route=2,
    raw=b'{"type": "vendor.create", "idempotency_key": "k", "payload": {"name": "\\ud800"}}',
    content_type="application/json",
)
@example(route=1, raw=b'{"sync_interval_minutes": 1e999}', content_type="application/json")
@example(
    route=1,
    raw=b'{"sync_window": {"start": "19:00", "end": "07:00", "timezone": "../../etc/passwd"}}',
    content_type="application/json",
)
@example(route=1, raw=b'{"paused_until": "9999-12-31T23:59:59+14:00"}', content_type=None)
@example(route=5, raw=b'{"restored_on": "0001-01-01"}', content_type="application/json")
@example(route=7, raw=b'{"expires_in_hours": 1e999}', content_type="application/json")
@example(route=7, raw=b'{"expires_in_hours": 99999999999999999999}', content_type=None)
@example(route=4, raw=b'{"x": 1}', content_type="text/plain")  # the cross-site form body
# Found by the fuzzer: a key with an empty name was reported with an empty `field`.
@example(route=0, raw=b'{"":null}', content_type="application/json")
@example(route=1, raw=b'{" ":1}', content_type="application/json")
@example(route=2, raw=b'{"":1}', content_type="application/json")
def test_fuzz_json_bodies(
    world: dict[str, Any], route: int, raw: bytes, content_type: str | None
) -> None:
    count("api-json-bodies")
    method, path = body_routes(world["cid"], world["op"])[route]
    before = digest(world["db"])
    status, body = request(world["server"], method, path, raw=raw, content_type=content_type)
    check_answer(status, body, (method, path, raw[:200], content_type))
    if status >= 400:
        assert digest(world["db"]) == before, (method, path, status, body)


query_names = st.one_of(
    st.sampled_from(
        [
            "limit",
            "cursor",
            "modified_since",
            "active",
            "include_deleted",
            "vendor",
            "from",
            "to",
            "since",
            "state",
            "type",
        ]
    ),
    hostile_text,
)


@st.composite
def cursors(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["r1", "r2", "c1", "x"]))
    scope = draw(st.sampled_from(["1", "2", "1/vendors", "2/bills", "vendors", ""]) | hostile_text)
    position = draw(
        st.sampled_from(["0", "1", "1" * 23, str(2**63), "-1", "80000001-1234567890"])
        | hostile_text
    )
    text = f"{kind}:{scope}:{position}".encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


query_values = st.one_of(
    hostile_text,
    cursors(),
    st.integers().map(str),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-14:00",
            "0001-01-01",
            "9999-12-31",
            "2024-02-30",
            "1" * 23,
            "true",
            "all",
            "latest",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
)


# The longest request line servers take (gunicorn's limit_request_line is 4094; a longer one is
# refused by the server itself, before the app): queries are cut to fit.
MAX_QUERY = 3500


def bounded_query(params: list[tuple[str, str]]) -> str:
    pairs: list[str] = []
    for name, value in params:
        pair = urlencode([(name, value)], encoding="utf-8", errors="surrogatepass")
        if sum(len(p) + 1 for p in pairs) + len(pair) > MAX_QUERY:
            pair = pair[: max(0, MAX_QUERY - sum(len(p) + 1 for p in pairs))]
            pair = pair[: pair.rfind("%")] if "%" in pair[-3:] else pair  # no split escape
        pairs.append(pair)
    return "&".join(p for p in pairs if p)


@fuzz_settings()
@given(
    route=st.integers(0, 5),
    record_type=st.sampled_from(RECORD_TYPES) | hostile_text,
    params=st.lists(st.tuples(query_names, query_values), max_size=5),
)
@example(route=0, record_type="vendors", params=[("modified_since", "0001-01-01T00:00:00+05:00")])
@example(route=1, record_type="vendors", params=[("since", "YzE6MToxMTExMTExMTExMTExMTExMTExMTEx")])
@example(route=2, record_type="vendors", params=[("cursor", "1" * 23)])
def test_fuzz_query_values(
    world: dict[str, Any], route: int, record_type: str, params: list[tuple[str, str]]
) -> None:
    count("api-query-values")
    cid = world["cid"]
    path = [
        f"/api/companies/{cid}/records/{segment(record_type)}",
        f"/api/companies/{cid}/changes",
        f"/api/companies/{cid}/operations",
        f"/api/companies/{cid}/sessions",
        f"/api/companies/{cid}",
        "/api/companies",
    ][route]
    query = bounded_query(params)
    before = digest(world["db"])
    status, body = request(world["server"], "GET", f"{path}?{query}" if query else path)
    check_answer(status, body, (path, params))
    assert digest(world["db"]) == before  # GET never writes


@fuzz_settings()
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"]),
    template=st.sampled_from(
        [
            "/api/companies/{a}",
            "/api/companies/{a}/qwc",
            "/api/companies/{a}/binding",
            "/api/companies/{a}/connector-key",
            "/api/companies/{a}/setup-link",
            "/api/companies/{a}/operations/{b}",
            "/api/companies/{a}/operations/{b}/cancel",
            "/api/companies/{a}/records/{b}",
            "/api/{a}",
        ]
    ),
    a=st.one_of(hostile_text, st.integers().map(str)),
    b=st.one_of(hostile_text, st.integers().map(str)),
)
@example(method="GET", template="/api/companies/{a}", a="1" * 23, b="1")
@example(method="POST", template="/api/companies/{a}/operations/{b}/cancel", a="1", b="1" * 23)
def test_fuzz_path_segments(
    world: dict[str, Any], method: str, template: str, a: str, b: str
) -> None:
    count("api-path-segments")
    path = template.format(a=segment(a), b=segment(b))
    before = digest(world["db"])
    conn_method = method
    if method == "HEAD":
        conn = http.client.HTTPConnection("127.0.0.1", world["server"].port, timeout=TIMEOUT)
        try:
            conn.request("HEAD", path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            resp = conn.getresponse()
            resp.read()
        finally:
            conn.close()
        assert resp.status < 500
        assert resp.getheader("Content-Type", "").startswith("application/json")
    else:
        status, body = request(world["server"], conn_method, path)
        check_answer(status, body, (method, path))
        if status >= 400:
            assert digest(world["db"]) == before, (method, path, status)

"""The admin JSON API over real HTTP: companies, settings, status, key rotation, errors."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from models import Company, utcnow
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.foundation.helpers import QbwcSessionDriver, api, create_company, make_hcp, qwc_fields


@pytest.fixture(scope="module")
def shared_server(migrated_db: Any, database_url: str) -> Iterator[LiveServer]:
    # One server per module: stopping a server costs half a second.
    server = LiveServer(migrated_db, database_url)
    yield server
    server.close()


@pytest.fixture
def server(shared_server: LiveServer) -> LiveServer:
    """The shared live server. The database is not emptied per test (a TRUNCATE of every table
    costs most of a second on PostgreSQL): tests use their own companies and relative counts."""
    return shared_server


def raw_request(
    server: LiveServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    result = resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    conn.close()
    return result


def forget_failed_sign_ins(db: Any) -> None:
    from models import SigninFailure

    with db.transaction() as s:
        s.execute(delete(SigninFailure))


def company_count(db: Any) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Company)) or 0)


def assert_json_error(status: int, body: Any, expected_status: int) -> dict[str, Any]:
    assert status == expected_status, body
    assert isinstance(body, dict), body
    error = body["error"]
    assert error["status"] == expected_status
    assert isinstance(error["message"], str) and error["message"].strip()
    return dict(error)


# --- create -----------------------------------------------------------------------------------


def test_create_returns_201_with_id_username_and_key(server: LiveServer, migrated_db: Any) -> None:
    before = company_count(migrated_db)
    status, body, headers = api(server.url, "POST", "/api/companies", {"name": "Acme Supplies"})
    assert status == 201, body
    assert headers["Content-Type"].startswith("application/json")
    assert isinstance(body["id"], int)
    assert body["username"] and body["connector_key"].startswith("QBWC-")
    assert headers["Location"] == f"/api/companies/{body['id']}"
    assert body["name"] == "Acme Supplies"
    assert body["sync_interval_minutes"] == 15
    # Default look-back: two years before creation.
    created = datetime.fromisoformat(body["created_at"]).date()
    start = date.fromisoformat(body["history_start"])
    if (created.month, created.day) == (2, 29):
        assert abs((created - start).days - 730) <= 1
    else:
        assert start == created.replace(year=created.year - 2)
    assert body["file_id"].startswith("{") and body["file_id"].endswith("}")
    assert body["status"]["state"] == "Never connected"
    assert body["binding"]["bound"] is False
    assert company_count(migrated_db) == before + 1


def test_create_with_settings(server: LiveServer) -> None:
    a = create_company(server.url, "Every Run", sync_interval_minutes=0, history_start="all")
    assert a["sync_interval_minutes"] == 0
    assert a["history_start"] == "all"
    b = create_company(
        server.url, "Since 2021", sync_interval_minutes=60, history_start="2021-03-15"
    )
    assert b["sync_interval_minutes"] == 60
    assert b["history_start"] == "2021-03-15"
    status, shown, _ = api(server.url, "GET", f"/api/companies/{b['id']}")
    assert status == 200
    assert (shown["sync_interval_minutes"], shown["history_start"]) == (60, "2021-03-15")


def test_names_get_distinct_usernames_file_ids_and_app_names(server: LiveServer) -> None:
    a = create_company(server.url, "Same Name")
    b = create_company(server.url, "Same Name")
    assert a["username"] != b["username"]
    assert a["file_id"] != b["file_id"]
    assert a["app_name"] != b["app_name"]
    assert "Same Name" in a["app_name"]


TOMORROW = (utcnow().date() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"name": 42}, "name"),
        ({"name": ["Acme"]}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Acme", "sync_interval_minutes": -1}, "sync_interval_minutes"),
        ({"name": "Acme", "sync_interval_minutes": "15"}, "sync_interval_minutes"),
        ({"name": "Acme", "sync_interval_minutes": 1.5}, "sync_interval_minutes"),
        ({"name": "Acme", "sync_interval_minutes": True}, "sync_interval_minutes"),
        ({"name": "Acme", "sync_interval_minutes": None}, "sync_interval_minutes"),
        ({"name": "Acme", "sync_interval_minutes": 10 * 24 * 60}, "sync_interval_minutes"),
        ({"name": "Acme", "history_start": "2023-13-01"}, "history_start"),
        ({"name": "Acme", "history_start": "2023-02-30"}, "history_start"),
        ({"name": "Acme", "history_start": "yesterday"}, "history_start"),
        ({"name": "Acme", "history_start": "01/02/2023"}, "history_start"),
        ({"name": "Acme", "history_start": 2023}, "history_start"),
        ({"name": "Acme", "history_start": TOMORROW}, "history_start"),
        ({"name": "Acme", "history_start": "1850-01-01"}, "history_start"),
        ({"name": "Acme", "color": "red"}, "color"),
        # Identity and secrets are the server's to choose, never the caller's.
        ({"name": "Acme", "connector_key": "QBWC-AAAA-BBBB"}, "connector_key"),
        ({"name": "Acme", "username": "admin"}, "username"),
    ],
)
def test_create_validation_errors_name_the_field_and_write_nothing(
    server: LiveServer, migrated_db: Any, body: dict[str, Any], field: str
) -> None:
    before = company_count(migrated_db)
    status, answer, headers = api(server.url, "POST", "/api/companies", body)
    assert 400 <= status < 500
    assert headers["Content-Type"].startswith("application/json")
    error = assert_json_error(status, answer, 422)
    assert error["field"] == field
    assert company_count(migrated_db) == before


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"name=Acme", b'["Acme"]', b"null", b'"Acme"', b"\xff\xfe{}"],
    ids=["broken", "form", "array", "null", "string", "bad-utf8"],
)
def test_body_that_is_not_a_json_object_is_refused(
    server: LiveServer, migrated_db: Any, raw: bytes
) -> None:
    before = company_count(migrated_db)
    status, headers, data = raw_request(
        server,
        "POST",
        "/api/companies",
        raw,
        {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )
    assert headers["content-type"].startswith("application/json")
    assert_json_error(status, json.loads(data), 400)
    assert company_count(migrated_db) == before


# --- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
        {"Authorization": "Bearer "},
        {"X-Admin-Token": ADMIN_TOKEN},
    ],
    ids=["none", "wrong", "longer", "shorter", "basic", "bare", "empty", "other-header"],
)
def test_requests_without_the_admin_token_get_401(
    server: LiveServer, migrated_db: Any, headers: dict[str, str]
) -> None:
    existing = create_company(server.url, "Secret Co")
    before = company_count(migrated_db)
    for method, path in [
        ("GET", "/api/companies"),
        ("GET", f"/api/companies/{existing['id']}"),
        ("POST", "/api/companies"),
        ("PATCH", f"/api/companies/{existing['id']}"),
        ("POST", f"/api/companies/{existing['id']}/connector-key"),
        ("GET", f"/api/companies/{existing['id']}/qwc"),
        ("GET", "/api/companies/999999"),
    ]:
        body = b'{"name": "Intruder", "sync_interval_minutes": 1}' if method != "GET" else None
        forget_failed_sign_ins(migrated_db)  # wrong tokens are throttled after 10 (429)
        status, resp_headers, data = raw_request(server, method, path, body, headers)
        assert resp_headers["content-type"].startswith("application/json"), (method, path)
        error = assert_json_error(status, json.loads(data), 401)
        assert "Secret Co" not in data.decode()
        assert "token" in error["message"].lower()
    # Nothing was created, changed or rotated.
    status, shown, _ = api(server.url, "GET", f"/api/companies/{existing['id']}")
    assert (shown["name"], shown["sync_interval_minutes"]) == ("Secret Co", 15)
    assert shown["key_version"] == 1
    assert company_count(migrated_db) == before


def test_admin_api_is_closed_when_no_token_is_configured(server_factory: Any) -> None:
    server = server_factory(QBWC_ADMIN_TOKEN="")
    for token in (None, ADMIN_TOKEN, ""):
        status, body, _ = api(server.url, "GET", "/api/companies", token=token)
        error = assert_json_error(status, body, 401)
        assert "QBWC_ADMIN_TOKEN" in error["message"]


# --- read -------------------------------------------------------------------------------------


def test_list_and_show(server: LiveServer) -> None:
    a = create_company(server.url, "Alpha")
    b = create_company(server.url, "Beta", sync_interval_minutes=5)
    status, listed, _ = api(server.url, "GET", "/api/companies")
    assert status == 200
    ids = [c["id"] for c in listed["data"]]
    assert ids == sorted(ids)
    mine = [(c["id"], c["name"]) for c in listed["data"] if c["id"] in (a["id"], b["id"])]
    assert mine == [(a["id"], "Alpha"), (b["id"], "Beta")]
    status, shown, _ = api(server.url, "GET", f"/api/companies/{b['id']}")
    assert status == 200
    for key in ("id", "name", "username", "file_id", "app_name", "history_start"):
        assert shown[key] == b[key]
    assert shown["sync_interval_minutes"] == 5
    status_part = shown["status"]
    for key in ("state", "last_contact_at", "last_session_outcome", "last_error"):
        assert key in status_part
    assert shown["binding"] == {
        "bound": False,
        "bound_at": None,
        "company_name": None,
        "file_path": None,
        "file_stamp": None,
        "product": None,
        "version": None,
        "confirm_binding": False,  # tests/foundation/helpers.py create_company
        "pending": None,
    }
    assert shown["recent_sessions"] == []


def test_a_wrong_key_changes_nothing_the_customer_sees(server: LiveServer) -> None:
    company = create_company(server.url, "Status Co")
    path = f"/api/companies/{company['id']}"
    _, before, _ = api(server.url, "GET", path)
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.authenticate(company["username"], "QBWC-AAAA-BBBB-CCCC")[1] == "nvu"
    status, shown, _ = api(server.url, "GET", path)
    assert status == 200
    # Anyone can send a wrong key for a public user name: it is no working connection, and it
    # neither overwrites the company's status nor fills its session history (issue 9).
    assert shown["status"]["last_contact_at"] is None
    assert shown["status"]["state"] == "Never connected"
    assert shown["status"] == before["status"]
    assert shown["recent_sessions"] == []


def test_contact_is_recorded_while_a_session_runs(server: LiveServer) -> None:
    company = create_company(server.url, "Contact Co")
    qwc = qwc_fields(server.url, company["id"])
    path = f"/api/companies/{company['id']}"
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    _, after_auth, _ = api(server.url, "GET", path)
    assert wc.send_request(make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"]))
    _, after_send, _ = api(server.url, "GET", path)
    for shown in (after_auth, after_send):
        assert shown["status"]["sync_in_progress"] is True
        assert shown["status"]["last_contact_at"] is not None
        # A session holds the sync lease: the company is syncing (its first sync, at that).
        assert shown["status"]["state"] == "Syncing"
        assert shown["status"]["progress"]["first_sync"] is True


@pytest.mark.parametrize("company_id", ["999999", "abc", "0", "-1"])
def test_unknown_company_is_404_json_everywhere(server: LiveServer, company_id: str) -> None:
    create_company(server.url, "Only One")
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"sync_interval_minutes": 5}),
        ("POST", "/connector-key", None),
        ("GET", "/qwc", None),
        ("DELETE", "/binding", None),
        ("GET", "/sessions", None),
    ]:
        status, answer, _ = api(server.url, method, f"/api/companies/{company_id}{suffix}", body)
        error = assert_json_error(status, answer, 404)
        assert company_id in error["message"] or "no company" in error["message"]


def test_unknown_route_and_method_are_json_errors(server: LiveServer) -> None:
    status, body, _ = api(server.url, "GET", "/api/nothing-here")
    assert_json_error(status, body, 404)
    status, body, _ = api(server.url, "DELETE", "/api/companies")
    assert_json_error(status, body, 405)


# --- update -----------------------------------------------------------------------------------


def test_patch_changes_settings_and_keeps_identity(server: LiveServer) -> None:
    company = create_company(server.url, "Before")
    path = f"/api/companies/{company['id']}"
    status, body, _ = api(
        server.url,
        "PATCH",
        path,
        {"name": "After", "sync_interval_minutes": 0, "history_start": "2020-01-01"},
    )
    assert status == 200, body
    status, shown, _ = api(server.url, "GET", path)
    assert (shown["name"], shown["sync_interval_minutes"], shown["history_start"]) == (
        "After",
        0,
        "2020-01-01",
    )
    # What the customer's Web Connector already holds does not change with a rename.
    for key in ("username", "file_id", "app_name", "key_version"):
        assert shown[key] == company[key]
    status, body, _ = api(server.url, "PATCH", path, {"history_start": "all"})
    assert status == 200 and body["history_start"] == "all"
    assert body["name"] == "After"  # fields not sent are kept


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Renamed", "sync_interval_minutes": -5}, "sync_interval_minutes"),
        ({"name": "Renamed", "history_start": "not-a-date"}, "history_start"),
        ({"name": ""}, "name"),
        ({"sync_interval_minutes": "often"}, "sync_interval_minutes"),
        ({"name": "Renamed", "username": "someone-else"}, "username"),
        ({"name": "Renamed", "key_hash": "0" * 64}, "key_hash"),
    ],
)
def test_bad_patch_changes_nothing(server: LiveServer, body: dict[str, Any], field: str) -> None:
    company = create_company(server.url, "Stable", sync_interval_minutes=30)
    path = f"/api/companies/{company['id']}"
    status, answer, _ = api(server.url, "PATCH", path, body)
    error = assert_json_error(status, answer, 422)
    assert error["field"] == field
    _, shown, _ = api(server.url, "GET", path)
    assert shown["name"] == "Stable"
    assert shown["sync_interval_minutes"] == 30
    assert shown["history_start"] == company["history_start"]
    assert shown["username"] == company["username"]
    wc = QbwcSessionDriver(server.qbwc_url)  # the key still works: the hash was not replaced
    assert wc.authenticate(company["username"], company["connector_key"])[1] != "nvu"


def test_patch_with_a_non_json_body_is_refused(server: LiveServer) -> None:
    company = create_company(server.url, "Plain")
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    path = f"/api/companies/{company['id']}"
    # Not declared as JSON: 415, whatever it holds (security: only JSON bodies are read).
    status, _, data = raw_request(server, "PATCH", path, b"sync_interval_minutes=5", bearer)
    assert assert_json_error(status, json.loads(data), 415)["field"] == "Content-Type"
    # Declared as JSON but is not: 400.
    json_type = {**bearer, "Content-Type": "application/json"}
    status, _, data = raw_request(server, "PATCH", path, b"sync_interval_minutes=5", json_type)
    assert assert_json_error(status, json.loads(data), 400)["field"] == "body"


# --- key rotation -----------------------------------------------------------------------------


def test_rotate_returns_a_new_key_and_the_old_one_gets_nvu(server: LiveServer) -> None:
    company = create_company(server.url, "Rotating")
    status, rotated, _ = api(server.url, "POST", f"/api/companies/{company['id']}/connector-key")
    assert status == 200, rotated
    new_key = rotated["connector_key"]
    assert new_key.startswith("QBWC-") and new_key != company["connector_key"]
    assert rotated["key_version"] == company["key_version"] + 1
    for key in ("id", "username", "file_id", "app_name"):
        assert rotated[key] == company[key]

    old = QbwcSessionDriver(server.qbwc_url)
    assert old.authenticate(company["username"], company["connector_key"])[1] == "nvu"
    new = QbwcSessionDriver(server.qbwc_url)
    answer = new.authenticate(company["username"], new_key)
    assert answer[1] != "nvu" and answer[0]

    # Rotating again retires the second key as well.
    _, again, _ = api(server.url, "POST", f"/api/companies/{company['id']}/connector-key")
    assert again["connector_key"] not in (new_key, company["connector_key"])
    assert QbwcSessionDriver(server.qbwc_url).authenticate(company["username"], new_key)[1] == (
        "nvu"
    )

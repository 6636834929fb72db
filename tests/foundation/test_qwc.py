"""The per-company .qwc file (protocol doc §4): every element, escaping, URL rules, OwnerID."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import etree
from sqlalchemy import func, select

from models import Company
from qbwc_server.app import create_app
from tests.conftest import LiveServer, make_settings
from tests.foundation.helpers import api, create_company

GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")
REQUIRED = (
    "AppName",
    "AppID",
    "AppURL",
    "AppDescription",
    "AppSupport",
    "UserName",
    "OwnerID",
    "FileID",
    "QBType",
)


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


@pytest.fixture
def restart(server: LiveServer, migrated_db: Any, database_url: str) -> Iterator[Any]:
    """``restart(**env)``: a brand-new app (``create_app``) over the same database and port,
    as after a process restart with other settings; the original app comes back afterwards."""
    original_app, original_settings = server.app, server.settings

    def start(**overrides: Any) -> LiveServer:
        server.settings = make_settings(database_url, server.port, **overrides)
        server.app = create_app(server.settings, migrated_db)
        return server

    yield start
    server.app, server.settings = original_app, original_settings


def parse_qwc(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


def download(server: LiveServer, company_id: int) -> tuple[bytes, dict[str, str]]:
    req = urllib.request.Request(f"{server.url}/api/companies/{company_id}/qwc")
    req.add_header("Authorization", f"Bearer {server.settings.admin_token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
        return resp.read(), dict(resp.headers.items())


def fields(data: bytes) -> dict[str, str]:
    root = parse_qwc(data)
    assert root.tag == "QBWCXML"
    return {str(el.tag): (el.text or "") for el in root.iter() if isinstance(el.tag, str)}


def test_qwc_has_every_element_with_the_right_values(server: LiveServer) -> None:
    company = create_company(server.url, "Acme Supplies")
    data, headers = download(server, company["id"])
    assert data.startswith(b"<?xml")
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    filename = re.search(r'filename="([^"]+)"', disposition)
    assert filename and filename.group(1).endswith(".qwc")
    assert "Acme-Supplies" in filename.group(1)
    assert headers["Content-Type"].split(";")[0] in ("application/x-qwc", "text/xml")

    f = fields(data)
    for name in REQUIRED:
        assert name in f, name
    assert f["AppName"] == company["app_name"]
    assert f["AppID"] == ""
    assert f["AppURL"] == server.url + "/qbwc"
    assert 0 < len(f["AppDescription"]) <= 80
    assert f["AppSupport"] == server.url + "/support"
    assert f["UserName"] == company["username"]
    assert GUID.match(f["OwnerID"]), f["OwnerID"]
    assert f["FileID"] == company["file_id"] and GUID.match(f["FileID"])
    assert f["OwnerID"] != f["FileID"]
    assert f["QBType"] == "QBFS"
    assert f["IsReadOnly"] == "false"  # writes need a read-write connection (§4.1)
    assert f["RunEveryNMinutes"] == "15"
    scheduler = parse_qwc(data).find("Scheduler")
    assert scheduler is not None and scheduler.find("RunEveryNMinutes") is not None


def test_qwc_never_contains_the_key(server: LiveServer) -> None:
    company = create_company(server.url, "No Secrets")
    data, _ = download(server, company["id"])
    key = company["connector_key"]
    body = key[len("QBWC-") :]
    text = data.decode("utf-8")
    for secret in (key, body, body.replace("-", ""), body.lower()):
        assert secret not in text
    assert "Password" not in {str(el.tag) for el in parse_qwc(data).iter()}


def test_support_url_is_on_the_same_host_and_answers_200(server: LiveServer) -> None:
    company = create_company(server.url, "Support Check")
    f = fields(download(server, company["id"])[0])
    app, support = urlsplit(f["AppURL"]), urlsplit(f["AppSupport"])
    assert (support.scheme, support.hostname, support.port) == (app.scheme, app.hostname, app.port)
    with urllib.request.urlopen(f["AppSupport"], timeout=30) as resp:  # no credentials
        assert resp.status in (200, 202)  # QBWC1003/1004 otherwise
    # The AppURL really is the SOAP endpoint.
    from tests.soap_util import call, result

    status, answer = call(f["AppURL"], "serverVersion")
    assert status == 200 and result(answer, "serverVersion") is not None


@pytest.mark.parametrize(("interval", "minutes"), [(0, "1"), (1, "1"), (15, "15"), (240, "240")])
def test_scheduler_minutes_follow_the_interval_and_are_at_least_one(
    server: LiveServer, interval: int, minutes: str
) -> None:
    company = create_company(server.url, "Timed", sync_interval_minutes=interval)
    assert fields(download(server, company["id"])[0])["RunEveryNMinutes"] == minutes


def test_patched_interval_shows_in_the_next_download(server: LiveServer) -> None:
    company = create_company(server.url, "Retimed")
    api(server.url, "PATCH", f"/api/companies/{company['id']}", {"sync_interval_minutes": 45})
    assert fields(download(server, company["id"])[0])["RunEveryNMinutes"] == "45"


@pytest.mark.parametrize(
    "name",
    [
        'Tom & Jerry\'s <Café> "Fine" Ünïcødé',
        "A&B",
        "<![CDATA[x]]> & ]]>",
        "R&D &amp; Co",
        "Société Générale — 東京",
    ],
)
def test_special_characters_are_escaped_in_the_qwc(server: LiveServer, name: str) -> None:
    company = create_company(server.url, name)
    data, _ = download(server, company["id"])
    f = fields(data)  # parses: nothing broke the XML
    # The description carries the exact name, decoded back to the original characters.
    assert name in f["AppDescription"] or len(f["AppDescription"]) == 80
    assert f["AppName"] == company["app_name"]
    for ch in ("&", "Café", "東京", "Ünïcødé", "'"):
        if ch in name:
            assert ch in f["AppDescription"]
    text = data.decode("utf-8")
    if "&" in name:
        assert "&amp;" in text
    if "<" in name:
        assert "&lt;" in text and "<Café>" not in text


def test_long_names_keep_the_description_within_80_characters(server: LiveServer) -> None:
    company = create_company(server.url, "Very Long Company Name " * 8)
    f = fields(download(server, company["id"])[0])
    assert len(f["AppDescription"]) <= 80
    assert f["AppName"] == company["app_name"]


@pytest.mark.parametrize("name", ["Acme\x01Corp", "Acme\x00Corp", "Acme\ud800Corp", "Acme\x1bCo"])
def test_names_that_cannot_go_into_xml_are_refused_or_cleaned(
    server: LiveServer, migrated_db: Any, name: str
) -> None:
    with migrated_db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(Company))
    status, body, _ = api(server.url, "POST", "/api/companies", {"name": name})
    if status == 201:
        fields(download(server, body["id"])[0])  # the .qwc must still be well-formed XML
        return
    assert status == 422, body
    assert body["error"]["field"] == "name"
    with migrated_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == before


# --- AppURL rules (§4.1: https, or http on localhost; never an IP address) --------------------


@pytest.mark.parametrize(
    "public_url",
    ["http://example.com", "http://qb.example.com:8080/base", "ftp://example.com"],
)
def test_plain_http_public_url_is_refused_with_a_clear_error(restart: Any, public_url: str) -> None:
    if public_url.startswith("ftp"):
        # Not even a start-up: config refuses it before any .qwc is asked for.
        from qbwc_server.config import ConfigError

        with pytest.raises(ConfigError, match="QBWC_PUBLIC_URL"):
            restart(QBWC_PUBLIC_URL=public_url)
        return
    srv = restart(QBWC_PUBLIC_URL=public_url)
    company = create_company(srv.url, "Insecure")
    status, body, headers = api(srv.url, "GET", f"/api/companies/{company['id']}/qwc")
    assert status in (400, 422), body
    assert headers["Content-Type"].startswith("application/json")
    message = body["error"]["message"]
    assert "https" in message and "QBWC_PUBLIC_URL" in message


@pytest.mark.parametrize(
    "public_url",
    ["http://127.0.0.1:8000", "https://10.0.0.5", "https://[::1]:8443", "https://192.168.1.20/qb"],
)
def test_ip_address_public_url_is_refused(restart: Any, public_url: str) -> None:
    srv = restart(QBWC_PUBLIC_URL=public_url)
    company = create_company(srv.url, "By Address")
    status, body, _ = api(srv.url, "GET", f"/api/companies/{company['id']}/qwc")
    assert status in (400, 422), body
    assert "QBWC_PUBLIC_URL" in body["error"]["message"]
    assert "IP" in body["error"]["message"] or "host name" in body["error"]["message"]


@pytest.mark.parametrize(
    "public_url",
    ["https://qb.example.com", "https://qb.example.com:8443/ap/", "http://localhost:8000"],
)
def test_https_and_http_localhost_are_accepted(restart: Any, public_url: str) -> None:
    srv = restart(QBWC_PUBLIC_URL=public_url)
    company = create_company(srv.url, "Secure")
    f = fields(download(srv, company["id"])[0])
    base = public_url.rstrip("/")
    assert f["AppURL"] == base + "/qbwc"
    assert f["AppSupport"] == base + "/support"


# --- OwnerID: one per product, stable -----------------------------------------------------------


def test_owner_id_is_stable_across_downloads_companies_and_restarts(restart: Any) -> None:
    srv = restart()
    first_app = srv.app
    a = create_company(srv.url, "First")
    b = create_company(srv.url, "Second")
    owner = fields(download(srv, a["id"])[0])["OwnerID"]
    assert fields(download(srv, a["id"])[0])["OwnerID"] == owner
    fb = fields(download(srv, b["id"])[0])
    assert fb["OwnerID"] == owner  # one per application, not per .qwc (§4.1)
    assert fb["FileID"] != fields(download(srv, a["id"])[0])["FileID"]
    # A restart: a brand-new app object over the same database.
    srv = restart()
    assert srv.app is not first_app
    assert fields(download(srv, a["id"])[0])["OwnerID"] == owner


def test_owner_id_comes_from_qbwc_owner_id_when_set(restart: Any) -> None:
    given = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    srv = restart(QBWC_OWNER_ID=given)
    company = create_company(srv.url, "Configured")
    assert fields(download(srv, company["id"])[0])["OwnerID"] == "{" + given.upper() + "}"

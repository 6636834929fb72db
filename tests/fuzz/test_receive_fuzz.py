"""Fuzzing receiveResponseXML inside a real Web Connector session: no partial writes.

Each case is a new company whose Web Connector authenticated and was sent its first request (a
page of accounts); the answer the fake QuickBooks gives is mutated (truncated, spliced with
DTDs, entities, huge attributes, deep nesting, control characters, stray markup, parts cut or
repeated) and sent back over the real WSGI app. Whatever the server answers, the page is
stored whole or not at all: the company holds no accounts, or exactly the distinct accounts
the page carries as our parser reads it — never some of them. A page that cannot be read
stores nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func, select
from werkzeug.test import Client

from models.records import QbAccount
from qbwc_server.qbxml.parse import QbxmlParseError, parse_response
from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.qwc import parse_qwc
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.fuzz.budget import CASES, count, fuzz_settings
from tests.fuzz.hostile_xml import Edit, edited
from tests.soap_util import TNS, envelope, make_hcp
from tests.sync.helpers import generate_current

REQUEST_ID = re.compile(r'requestID="([^"]+)"')


@functools.cache
def quickbooks() -> FakeQuickBooks:
    return FakeQuickBooks(generate_current("tiny", seed=7))


@functools.cache
def answer_to(request: str) -> str:
    """The fake QuickBooks' answer to the session's first request (the same for every new
    company: a first page of accounts)."""
    qb = quickbooks()
    qb.company.data_ext = []  # no company's stamps: any FileID is taken
    qb.open_session(app_name="fuzz", owner_id="{00000000-0000-0000-0000-00000000000B}", file_id="f")
    return qb.process(request)


class Session:
    """The app in-process and the calls a Web Connector makes."""

    def __init__(self, client: Client, db: Any) -> None:
        self.client = client
        self.db = db

    def call(self, op: str, params: list[tuple[str, Any]]) -> tuple[int, Any]:
        response = self.client.post(
            "/qbwc",
            data=envelope(op, params, errors="surrogatepass"),
            headers={"Content-Type": "text/xml"},
        )
        root = etree.fromstring(response.get_data())
        result = root.find(f".//{{{TNS}}}{op}Result")
        if op == "authenticate" and result is not None:
            return response.status_code, [s.text or "" for s in result]
        return response.status_code, (None if result is None else result.text or "")

    def open(self) -> tuple[int, str, str]:
        """A new company, authenticated and sent its first request: (id, ticket, request)."""
        bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        created = self.client.post(  # bound at first contact: no Begin Sync to wait for
            "/api/companies", json={"name": "Fuzz Co", "confirm_binding": False}, headers=bearer
        )
        assert created.status_code == 201, created.get_data()
        company = created.get_json()
        qwc = self.client.get(f"/api/companies/{company['id']}/qwc", headers=bearer)
        info = parse_qwc(qwc.get_data())
        _, (ticket, *_) = self.call(
            "authenticate",
            [("strUserName", info.username), ("strPassword", company["connector_key"])],
        )
        hcp = make_hcp(owner_id=info.owner_id, file_id=info.file_id)
        status, request = self.call(
            "sendRequestXML",
            [
                ("ticket", ticket),
                ("strHCPResponse", hcp),
                ("strCompanyFileName", r"C:\QB\Acme.QBW"),
                ("qbXMLCountry", "US"),
                ("qbXMLMajorVers", 13),
                ("qbXMLMinorVers", 0),
            ],
        )
        assert status == 200 and "AccountQueryRq" in request, request
        return int(company["id"]), ticket, request

    def accounts(self, company_id: int) -> int:
        with self.db.engine.connect() as conn:
            query = (
                select(func.count())
                .select_from(QbAccount)
                .where(QbAccount.company_id == company_id)
            )
            return int(conn.execute(query).scalar_one())


@pytest.fixture
def session(migrated_db: Any, database_url: str, db: Any) -> Iterator[Session]:
    from qbwc_server.app import create_app

    yield Session(Client(create_app(make_settings(database_url, 8000), db)), db)


def accounts_in(page: str, request_id: str) -> set[str] | None:
    """The distinct ListIDs of the page's accounts as our parser reads it; None if unreadable."""
    try:
        parsed = parse_response(page)
    except QbxmlParseError:
        return None
    rs = parsed.by_request_id(request_id)
    if rs is None:
        return set()
    return {str(r.get("ListID")) for r in rs.data}


@fuzz_settings(max_examples=max(30, CASES // 20))  # a case is a whole session: ~8 calls
@given(data=st.data())
@example(data=None)  # the page as QuickBooks sent it: stored whole
@example(data=Edit("</AccountRet>", "</AccountRet><!&#1;DOCTYPE x>", 3))
@example(data=Edit("</AccountQueryRs>", ""))  # cut after the last account
@example(data=Edit("<AccountRet>", "<AccountRet><ListID>\x01</ListID>", 2))
@example(data=Edit.prefix("\ud800"))  # cannot be sent as UTF-8: a fault, nothing stored
def test_fuzz_receive_response_never_stores_part_of_a_page(session: Session, data: Any) -> None:
    company_id, ticket, request = session.open()
    page = edited(answer_to(request), data)
    count("receive")
    request_id = REQUEST_ID.search(request).group(1)  # type: ignore[union-attr]
    status, result = session.call(
        "receiveResponseXML",
        [("ticket", ticket), ("response", page), ("hresult", ""), ("message", "")],
    )
    assert status in (200, 400, 500), (status, result)
    stored = session.accounts(company_id)
    expected = accounts_in(page, request_id)
    if data is None:
        assert expected and stored == len(expected) and int(result) >= 0
    assert stored == 0 or (expected is not None and stored == len(expected)), (
        stored,
        None if expected is None else len(expected),
        result,
    )

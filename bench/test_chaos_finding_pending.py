"""PENDING: a sync gap the chaos run found; it FAILS today, so it is kept out of the suite
(``tests/``) until the sync is fixed; then it moves to ``tests/sync``.

    .venv/bin/python -m pytest bench/test_chaos_finding_pending.py -q

Found by ``bench/chaos.py`` (seed 11, first defaults: company 8, vendor 80000047-1736201130:
server Balance 308.85, QuickBooks 0.00). The first sync is interrupted after the vendors were
read (their Balance includes every open bill) and before the historical bill pass reached an
old open bill; the bookkeeper deletes that bill. QuickBooks' Balance goes down, the vendor's
TimeModified does not move, and the deletion (TxnDeletedRet) names no vendor and is of a bill
the server never stored: nothing marks the vendor for the Balance re-read (sync/balances.py),
so the server keeps the old Balance until a reconciliation (7 days).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qbwc_server.app import create_app
from qbwc_server.db import Database, upgrade
from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.soap_client import Transport
from qbwc_server.sim.wsgi_transport import WsgiTransport
from tests.conftest import make_settings
from tests.sync.helpers import (
    Api,
    compare_all,
    first_txn_date,
    generate_current,
    lapse_lease,
    make_rig,
)

AP_TYPES = ("Bill", "BillPaymentCheck", "BillPaymentCreditCard", "VendorCredit", "ItemReceipt",
            "Check", "CreditCardCharge", "CreditCardCredit", "PurchaseOrder")  # fmt: skip


class DropAfterBillQuery:
    """The connection drops right after the server hands out its first BillQueryRq."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.armed = True

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        status, content_type, payload = self.inner(path, body, headers)
        if self.armed and b"BillQueryRq" in payload:
            self.armed = False
            raise ConnectionResetError("dropped after the server sent a BillQueryRq")
        return status, content_type, payload


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'finding.db'}"
    db = Database(url)
    upgrade(db)
    yield create_app(make_settings(url, 80), db)
    db.dispose()


def test_vendor_balance_when_a_bill_is_deleted_before_the_first_sync_reads_it(app: Any) -> None:
    company = generate_current("tiny", seed=11008)  # chaos seed 11, company 8
    transport = DropAfterBillQuery(WsgiTransport(app))
    rig = make_rig(
        app=app,
        api=Api(app=app),
        qb=FakeQuickBooks(company),
        schema=None,
        history_start=first_txn_date(company),
        transport=transport,
    )
    first = rig.run_session(expect=None)
    assert first.outcome == Outcome.TRANSPORT_ERROR, first.outcome
    stored = {v["list_id"]: v for v in rig.records("vendors")}
    assert stored, "the vendors were read before the bills"
    # An open bill nothing links to, of a vendor with no other AP transaction (any other one
    # stored later would mark the vendor for the re-read and hide the gap).
    ap_vendors: list[str] = []
    for qb_type in AP_TYPES:
        for txn in company.records(qb_type):
            ref = txn.get("VendorRef") or txn.get("PayeeEntityRef") or {}
            ap_vendors.append(str(ref.get("ListID")))
    bill = next(
        b
        for b in company.records("Bill")
        if not b.get("LinkedTxn")
        and b.get("OpenAmount") != "0.00"
        and ap_vendors.count(b["VendorRef"]["ListID"]) == 1
    )
    assert bill["VendorRef"]["ListID"] in stored
    company.delete("Bill", bill["TxnID"])
    for _ in range(3):
        lapse_lease(app.rt.db, rig.company_id)
        assert rig.run_session().outcome == Outcome.COMPLETED
    compare_all(rig).assert_equal()

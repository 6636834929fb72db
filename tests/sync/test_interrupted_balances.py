"""Vendor balances across an interrupted session (found by the chaos run, issue 13 item 5).

A vendor's Balance is what QuickBooks computed from every open bill, credit and payment at the
moment the server read the vendor. The server keeps it right by re-reading a vendor whenever a
stored AP transaction of it changes (records/vendor_balances.py); within a session that runs to
its end the vendors it read need nothing more, because its AP passes came after them. When a
session is cut off between reading vendors and reading the AP transactions, the vendors it read
count transactions the server has not seen; if one of those is deleted before a later session
reads it, the deletion names no vendor and the server never stored it, so nothing says which
vendor moved. Each case cuts a session right after the server asked for its first bills page,
deletes such a bill in QuickBooks, and lets the following sessions run: afterwards the server
must hold exactly what QuickBooks holds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.soap_client import Transport
from qbwc_server.sim.wsgi_transport import WsgiTransport
from tests.sync.helpers import (
    Rig,
    compare_all,
    first_txn_date,
    generate_current,
    lapse_lease,
    make_rig,
)

AP_TYPES = ("Bill", "BillPaymentCheck", "BillPaymentCreditCard", "VendorCredit", "ItemReceipt",
            "Check", "CreditCardCharge", "CreditCardCredit", "PurchaseOrder")  # fmt: skip


class DropAfterBillQuery:
    """When armed, the connection drops right after the server hands out the first page
    request of the bills' pass (the server has committed everything before it; the Web
    Connector never sees the request). The restore probe's BillQueryRq does not count."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.armed = False

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        status, content_type, payload = self.inner(path, body, headers)
        if self.armed and b"BillQueryRq" in payload and b"bills:" in payload:
            self.armed = False
            raise ConnectionResetError("dropped after the server sent a BillQueryRq")
        return status, content_type, payload


def _rig(inproc_app: Any, request_schema: Any, company: CompanyFile, **env: Any) -> tuple[Rig, Any]:
    app, api = inproc_app(**env)
    transport = DropAfterBillQuery(WsgiTransport(app))
    rig = make_rig(
        app=app,
        api=api,
        qb=FakeQuickBooks(company),
        schema=request_schema,
        history_start=first_txn_date(company),
        transport=transport,
    )
    return rig, transport


def _lonely_open_bill(company: CompanyFile) -> dict[str, Any]:
    """An open bill nothing links to, of a vendor with no other AP transaction: any other one
    the server stored later would mark the vendor for a re-read and hide the gap."""
    ap_vendors: list[str] = []
    for qb_type in AP_TYPES:
        for txn in company.records(qb_type):
            ref = txn.get("VendorRef") or txn.get("PayeeEntityRef") or {}
            ap_vendors.append(str(ref.get("ListID")))
    return next(
        b
        for b in company.records("Bill")
        if not b.get("LinkedTxn")
        and b.get("OpenAmount") not in (None, "0.00")
        and ap_vendors.count(b["VendorRef"]["ListID"]) == 1
    )


def _balance(rig: Rig, vendor_id: str) -> str:
    return str({v["list_id"]: v for v in rig.records("vendors")}[vendor_id]["balance"])


def _settle(rig: Rig, db: Any, sessions: int = 2) -> None:
    for _ in range(sessions):
        lapse_lease(db, rig.company_id)
        rig.company.clock.advance(timedelta(minutes=15))
        assert rig.run_session().outcome == Outcome.COMPLETED


def test_bill_deleted_after_an_interrupted_first_sync_read_its_vendor(
    db: Any, inproc_app: Any, request_schema: Any
) -> None:
    company = generate_current("tiny", seed=11008)  # chaos seed 11, company 8
    # The lists' opening looks fill the first message set, the bills' open the second.
    rig, transport = _rig(inproc_app, request_schema, company, QBWC_FIRST_LOOK_BUDGET=1000)
    transport.armed = True
    first = rig.run_session(expect=None)
    assert first.outcome == Outcome.TRANSPORT_ERROR, first.outcome
    assert rig.records("vendors"), "the vendors were read before the bills"
    assert not rig.records("bills"), "no bill was read before the drop"

    bill = _lonely_open_bill(company)
    vendor_id = bill["VendorRef"]["ListID"]
    before = company.get("Vendor", vendor_id)["Balance"]  # type: ignore[index]
    company.delete("Bill", bill["TxnID"])
    assert company.get("Vendor", vendor_id)["Balance"] != before  # type: ignore[index]

    _settle(rig, db)
    assert _balance(rig, vendor_id) == company.get("Vendor", vendor_id)["Balance"]  # type: ignore[index]
    compare_all(rig).assert_equal()


def test_bill_deleted_after_an_interrupted_incremental_session_read_its_vendor(
    db: Any, inproc_app: Any, request_schema: Any
) -> None:
    company = generate_current("tiny", seed=11009)
    rig, transport = _rig(inproc_app, request_schema, company)
    rig.run_session()
    compare_all(rig).assert_equal()

    # After a complete sync: a bill is entered for a vendor, and the vendor is edited, so the
    # next session reads the vendor (its Balance counting the new bill) before the bills...
    vendor_id = next(v["ListID"] for v in company.records("Vendor") if v.get("IsActive", True))
    company.clock.advance(timedelta(minutes=15))
    account = next(a["ListID"] for a in company.records("Account") if a["AccountType"] == "Expense")
    new_bill = company.add(
        "Bill",
        {
            "VendorRef": {"ListID": vendor_id},
            "ExpenseLineRet": [{"AccountRef": {"ListID": account}, "Amount": "321.00"}],
        },
    )
    company.edit("Vendor", vendor_id, {"Phone": "555-0100"})
    # ... and is cut off before it reads the bills; then the new bill is deleted. An incremental
    # session asks vendors and bills in one message (sync/batch.py): cut there, nothing is
    # read; the next session asks each stream alone (a lost batch), so its cut falls between.
    stored_before = _balance(rig, vendor_id)
    for _ in range(2):
        company.clock.advance(timedelta(minutes=15))
        transport.armed = True
        cut = rig.run_session(expect=None)
        assert cut.outcome == Outcome.TRANSPORT_ERROR, cut.outcome
        assert not transport.armed, "the session never asked for bills"
        lapse_lease(db, rig.company_id)
        if _balance(rig, vendor_id) != stored_before:
            break  # the vendor was read, the bills were not
    assert _balance(rig, vendor_id) == company.get("Vendor", vendor_id)["Balance"]  # type: ignore[index]
    company.clock.advance(timedelta(minutes=5))
    company.delete("Bill", new_bill)

    _settle(rig, db)
    assert _balance(rig, vendor_id) == company.get("Vendor", vendor_id)["Balance"]  # type: ignore[index]
    compare_all(rig).assert_equal()

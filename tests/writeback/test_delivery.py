"""Each operation type through real QBWC sessions: the read sync, then the writes, in the fake
QuickBooks; where writes go in a session; authenticate opening sessions for queued writes."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lxml import etree
from sqlalchemy import select

from models.records import QbBill, QbBillPaymentCheck, QbVendor
from qbwc_server.services import companies as company_svc
from qbwc_server.writeback import service
from tests.conftest import make_settings
from tests.writeback.support import (
    Bench,
    account,
    active_vendor,
    make_bench,
    open_bill,
    real_requests,
    validate_requests,
)

Schema = Callable[[str], etree.XMLSchema]


def is_write(request: str) -> bool:
    return "MessageSetID" in request or 'requestID="w' in request


def read_kind(request: str) -> str | None:
    """The query element of a read-sync request (not one of ours)."""
    if is_write(request):
        return None
    start = request.index("<QBXMLMsgsRq")
    tag = request[request.index("<", start + 1) + 1 :].split(" ", 1)[0].split(">", 1)[0]
    return tag


def txn_queries(request: str) -> set[str]:
    """The transaction queries of a read-sync request (a message set may hold several)."""
    if is_write(request):
        return set()
    asked = set(re.findall(r"<(\w+QueryRq)[ >]", request))
    return asked - LIST_QUERIES - {"CompanyQueryRq", "ListDeletedQueryRq", "TxnDeletedQueryRq"}


LIST_QUERIES = {
    "AccountQueryRq",
    "ClassQueryRq",
    "StandardTermsQueryRq",
    "DateDrivenTermsQueryRq",
    "VendorTypeQueryRq",
    "CurrencyQueryRq",
    "SalesTaxCodeQueryRq",
    "OtherNameQueryRq",
    "VendorQueryRq",
    "ItemQueryRq",
    "CustomerQueryRq",
}


def all_types_payloads(b: Bench) -> dict[str, Any]:
    vendor = active_vendor(b)
    terms = b.qb_records("StandardTerms")[0]["Name"]
    customer = b.qb_records("Customer")[1]["FullName"]
    cls = b.qb_records("Class")[0]["Name"]
    paid = open_bill(b)
    return {
        "existing_vendor": vendor,
        "paid_bill": paid,
        "vendor.create": {
            "name": "Zenith Office Wholesale",
            "company_name": "Zenith Office Wholesale LLC",
            "first_name": "Dana",
            "last_name": "Ortiz",
            "email": "ap@zenith.example",
            "phone": "(555) 010-2030",
            "address": {
                "addr1": "Zenith Office Wholesale",
                "addr2": "400 Market St",
                "city": "Denver",
                "state": "CO",
                "postal_code": "80202",
                "country": "US",
            },
            "terms": {"full_name": terms},
            "account_number": "ZOW-7781",
            "tax_id": "12-3456789",
            "is_1099": True,
        },
        "vendor.update": {
            "vendor": {"list_id": vendor["ListID"]},
            "phone": "(555) 999-0000",
            "email": "billing@vendor.example",
        },
        "bill.create": {
            "ap_account": {"full_name": "Accounts Payable"},
            "txn_date": "2024-06-10",
            "due_date": "2024-07-10",
            "ref_number": "ZOW-INV-42",
            "terms": {"full_name": terms},
            "memo": "June supplies — café order",
            "expense_lines": [
                {
                    "account": {"full_name": "Office Supplies"},
                    "amount": "120.50",
                    "memo": "Toner & paper",
                    "class": {"full_name": cls},
                },
                {
                    "account": {"full_name": "Shipping & Delivery"},
                    "amount": "15.00",
                    "customer": {"full_name": customer},
                },
            ],
            "item_lines": [
                {"item": {"full_name": "Freight 1"}, "quantity": "2", "cost": "5.25"},
                {"item": {"full_name": "Consulting"}, "amount": "300.00", "memo": "Setup"},
            ],
        },
        "bill_payment.credit_card.create": {
            "vendor": {"list_id": paid["VendorRef"]["ListID"]},
            "credit_card_account": {"full_name": "Company Visa"},
            "txn_date": "2024-06-12",
            "ref_number": "VISA-77",
            "memo": "Paid by card",
            "applied_to": [{"bill": {"txn_id": paid["TxnID"]}, "amount": "20.00"}],
        },
    }


def queue_all_types(b: Bench) -> dict[str, dict[str, Any]]:
    p = all_types_payloads(b)
    ops: dict[str, dict[str, Any]] = {}
    ops["vendor.create"] = b.queue("vendor.create", p["vendor.create"])
    ops["vendor.update"] = b.queue("vendor.update", p["vendor.update"])
    bill = dict(p["bill.create"], vendor={"operation_id": ops["vendor.create"]["id"]})
    ops["bill.create"] = b.queue("bill.create", bill)
    ops["bill_payment.check.create"] = b.queue(
        "bill_payment.check.create",
        {
            "vendor": {"operation_id": ops["vendor.create"]["id"]},
            "bank_account": {"full_name": "Checking"},
            "txn_date": "2024-06-11",
            "is_to_be_printed": True,
            "memo": "First payment",
            "applied_to": [
                {
                    "bill": {"operation_id": ops["bill.create"]["id"]},
                    "amount": "100.00",
                    "discount_amount": "5.00",
                    "discount_account": {"full_name": "Bank Service Charges"},
                }
            ],
        },
    )
    ops["bill_payment.credit_card.create"] = b.queue(
        "bill_payment.credit_card.create", p["bill_payment.credit_card.create"]
    )
    ops["_payloads"] = p
    return ops


def check_all_types(b: Bench, ops: dict[str, dict[str, Any]]) -> None:
    p = ops["_payloads"]
    views = {name: b.op(op["id"]) for name, op in ops.items() if not name.startswith("_")}
    assert all(v["state"] == "done" for v in views.values()), views
    assert all(v["error"] is None for v in views.values())

    vendor = b.qb_by_guid("Vendor", ops["vendor.create"]["external_guid"])
    assert len(vendor) == 1
    new = vendor[0]
    assert views["vendor.create"]["result"]["list_id"] == new["ListID"]
    assert new["Name"] == "Zenith Office Wholesale"
    assert new["VendorAddress"]["City"] == "Denver"
    assert new["VendorTaxIdent"] == "12-3456789" and new["IsVendorEligibleFor1099"] is True
    assert new["TermsRef"]["FullName"] == p["vendor.create"]["terms"]["full_name"]

    changed = next(
        v for v in b.qb_records("Vendor") if v["ListID"] == p["existing_vendor"]["ListID"]
    )
    assert changed["Phone"] == "(555) 999-0000" and changed["Email"] == "billing@vendor.example"
    assert changed["Name"] == p["existing_vendor"]["Name"]  # untouched fields stay
    assert views["vendor.update"]["result"]["edit_sequence"] == changed["EditSequence"]

    (bill,) = b.qb_by_guid("Bill", ops["bill.create"]["external_guid"])
    assert bill["VendorRef"]["ListID"] == new["ListID"]
    assert bill["RefNumber"] == "ZOW-INV-42" and bill["DueDate"] == "2024-07-10"
    assert [line["Amount"] for line in bill["ExpenseLineRet"]] == ["120.50", "15.00"]
    assert [line["Amount"] for line in bill["ItemLineRet"]] == ["10.50", "300.00"]
    assert bill["AmountDue"] == "446.00"
    assert bill["OpenAmount"] == "341.00"  # 446.00 - 100.00 paid - 5.00 discount

    (check,) = b.qb_by_guid("BillPaymentCheck", ops["bill_payment.check.create"]["external_guid"])
    assert check["IsToBePrinted"] is True
    assert check["AppliedToTxnRet"][0]["TxnID"] == bill["TxnID"]
    (card,) = b.qb_by_guid(
        "BillPaymentCreditCard", ops["bill_payment.credit_card.create"]["external_guid"]
    )
    assert card["AppliedToTxnRet"][0]["TxnID"] == p["paid_bill"]["TxnID"]
    assert Decimal(card["Amount"]) == Decimal("20.00")

    # The results are in the synced tables too (upserted from the responses / read back).
    with b.db.transaction() as s:
        stored = s.scalars(
            select(QbVendor).where(
                QbVendor.company_id == b.company_id, QbVendor.list_id == new["ListID"]
            )
        ).one()
        assert stored.external_guid == ops["vendor.create"]["external_guid"]
        stored_bill = s.scalars(
            select(QbBill).where(QbBill.company_id == b.company_id, QbBill.txn_id == bill["TxnID"])
        ).one()
        assert stored_bill.open_amount == Decimal("341.00")  # read back after the payment
        assert s.scalars(
            select(QbBillPaymentCheck).where(
                QbBillPaymentCheck.company_id == b.company_id,
                QbBillPaymentCheck.txn_id == check["TxnID"],
            )
        ).one()


def test_every_operation_type_in_real_sessions_with_the_read_sync(
    db: Any, database_url: str, qbxml_schema: Schema
) -> None:
    settings = make_settings(database_url, 80, QBWC_TXN_PAGE_SIZE=5, QBWC_WINDOW_TARGET=20)
    from qbwc_server.app import create_app

    b = make_bench(db, database_url, park_reads=False, app=create_app(settings, db))
    vendor = active_vendor(b)
    queued_during: list[dict[str, Any]] = []

    def queue_mid_session(n: int) -> None:
        # Once the vendors are synced, queue an update while the historical sync still runs.
        if queued_during or n < 20:
            return
        with b.db.transaction() as s:
            company = company_svc.get_company(s, b.company_id)
            try:
                queued = service.queue_operation(
                    s,
                    company,
                    {
                        "type": "vendor.update",
                        "idempotency_key": "mid-session",
                        "payload": {
                            "vendor": {"list_id": vendor["ListID"]},
                            "phone": "(555) 123-4567",
                        },
                    },
                )
            except Exception:
                return  # vendors not synced yet
            queued_during.append(service.operation_view(queued.operation))

    b.switch.before_call = queue_mid_session
    first = b.session()
    assert first.outcome.value == "completed", first.errors
    assert queued_during, "the vendor list never got synced"
    mods = [i for i, r in enumerate(first.requests) if "<VendorModRq" in r]
    assert len(mods) == 1
    later_reads = [r for r in first.requests[mods[0] + 1 :] if read_kind(r)]
    assert later_reads, "the write waited for the end of the historical sync"
    assert b.op(queued_during[0]["id"])["state"] == "done"

    b.switch.before_call = None
    ops = queue_all_types(b)
    second = b.session()
    assert second.outcome.value == "completed", second.errors
    check_all_types(b, ops)
    writes = [i for i, r in enumerate(second.requests) if is_write(r)]
    # The list refresh, not the end-of-session re-read of vendor balances (sync/balances.py).
    lists = [
        i
        for i, r in enumerate(second.requests)
        if read_kind(r) in LIST_QUERIES and 'requestID="vendor_balances:' not in r
    ]
    # Requests asking a transaction stream; an incremental session asks every stream's first
    # page in one message set with the lists (sync/batch.py), so those come before the writes.
    txns = [i for i, r in enumerate(second.requests) if txn_queries(r)]
    assert lists and txns and writes
    assert max(lists) < min(writes), "writes went out before the lists were refreshed"
    alone = [i for i in txns if i not in lists]  # transaction pages of their own
    assert all(i > max(writes) for i in alone), "writes waited for the transaction streams"
    validate_requests(first.requests + second.requests, qbxml_schema)

    # The bill and payments written moved their vendors' balances; QuickBooks did not edit
    # the vendors, yet the server re-read them at the end of the session (sync/balances.py).
    new_vendor = b.qb_by_guid("Vendor", ops["vendor.create"]["external_guid"])[0]
    assert new_vendor["Balance"] != "0.00"
    status, page = b.api("GET", f"/api/companies/{b.company_id}/records/vendors?limit=1000")
    assert status == 200
    stored = {v["list_id"]: v["balance"] for v in page["data"]}
    for vendor_record in b.qb_records("Vendor"):
        assert stored[vendor_record["ListID"]] == vendor_record["Balance"], vendor_record["Name"]


def test_every_operation_type_at_qbxml_13(db: Any, database_url: str, qbxml_schema: Schema) -> None:
    versions = ("1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "8.0", "10.0", "11.0", "12.0")
    b = make_bench(db, database_url, supported_versions=(*versions, "13.0"))
    ops = queue_all_types(b)
    report = b.session()
    assert report.qbxml_version == "13.0"
    assert report.outcome.value == "completed", report.errors
    check_all_types(b, ops)
    assert all('<?qbxml version="13.0"?>' in r for r in report.requests)
    validate_requests(report.requests, qbxml_schema)


def test_queued_writes_open_a_session_when_the_read_sync_is_not_due(
    db: Any, database_url: str
) -> None:
    b = make_bench(db, database_url, sync_interval_minutes=60, seed_types=("accounts", "vendors"))
    b.queue("vendor.create", {"name": "First Session Supply"})
    assert b.session().outcome.value == "completed"  # the (parked) sync just completed
    idle = b.session()
    assert idle.auth_status == "none" and real_requests(idle) == 0
    op = b.queue("vendor.create", {"name": "Due Diligence Supply"})
    busy = b.session()
    assert busy.auth_status == ""
    assert busy.outcome.value == "completed", busy.errors
    assert b.op(op["id"])["state"] == "done"
    assert b.session().auth_status == "none"


def test_progress_is_monotonic_and_100_only_at_the_end(bench: Bench) -> None:
    vendor = active_vendor(bench)
    for n in range(4):
        bench.queue(
            "bill.create",
            {
                "vendor": {"list_id": vendor["ListID"]},
                "ref_number": f"P-{n}",
                "expense_lines": [{"account": {"full_name": "Rent Expense"}, "amount": "10.00"}],
            },
        )
    report = bench.session()
    assert report.progress == sorted(report.progress)
    assert report.progress[-1] == 100 and report.progress.count(100) == 1
    assert len(report.progress) == 4


def test_a_bill_waits_for_its_vendor_and_a_payment_for_its_bill(bench: Bench) -> None:
    checking = account(bench, "Bank")
    vendor = bench.queue("vendor.create", {"name": "Ordered Goods Ltd"})
    bill = bench.queue(
        "bill.create",
        {
            "vendor": {"operation_id": vendor["id"]},
            "expense_lines": [{"account": {"full_name": "Rent Expense"}, "amount": "80.00"}],
        },
    )
    payment = bench.queue(
        "bill_payment.check.create",
        {
            "vendor": {"operation_id": vendor["id"]},
            "bank_account": {"list_id": checking["ListID"]},
            "applied_to": [{"bill": {"operation_id": bill["id"]}, "amount": "80.00"}],
        },
    )
    assert bill["depends_on"] == [vendor["id"]]
    assert payment["depends_on"] == [vendor["id"], bill["id"]]
    report = bench.session()
    order = [
        next(tag for tag in ("VendorAddRq", "BillAddRq", "BillPaymentCheckAddRq") if tag in r)
        for r in report.requests
        if "newMessageSetID" in r
    ]
    assert order == ["VendorAddRq", "BillAddRq", "BillPaymentCheckAddRq"]
    assert bench.op(payment["id"])["state"] == "done"
    (paid,) = bench.qb_by_guid("Bill", bill["external_guid"])
    assert paid["IsPaid"] is True

"""Conflicts and recoverable errors: stale EditSequence (3200), duplicate names (3100), locks,
bad references, features turned off, closed periods; and the retry limit."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

from qbwc_server.sim.quickbooks import FaultPlan
from qbwc_server.writeback.catalog import MAX_SEND_ATTEMPTS
from tests.writeback.support import Bench, active_vendor, make_bench, open_bill, real_requests

_RID = re.compile(r'<(\w+)Rq requestID="([^"]+)"')


def answer_with_status(
    bench: Bench, request_tag: str, code: int, message: str, times: int = 1
) -> list[str]:
    """Make QuickBooks answer the next ``times`` ``request_tag`` requests with a status (as a
    real QuickBooks does for conditions the fake does not model). Returns the requests."""
    original = bench.qb.process
    seen: list[str] = []

    def process(request: str) -> str:
        match = _RID.search(request)
        if match and match.group(1) == request_tag and len(seen) < times:
            seen.append(request)
            name, rid = match.groups()
            return (
                '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
                f'<{name}Rs requestID="{rid}" statusCode="{code}" statusSeverity="Error" '
                f"statusMessage={quoteattr(message)} /></QBXMLMsgsRs></QBXML>"
            )
        return original(request)

    bench.qb.process = process  # type: ignore[method-assign,assignment]
    return seen


def simple_bill(bench: Bench, vendor: dict[str, Any], account: str = "Office Supplies") -> Any:
    return bench.queue(
        "bill.create",
        {
            "vendor": {"list_id": vendor["ListID"]},
            "txn_date": "2024-06-03",
            "expense_lines": [{"account": {"full_name": account}, "amount": "42.00"}],
        },
    )


def bills_of(bench: Bench, guid: str) -> list[dict[str, Any]]:
    return bench.qb_by_guid("Bill", guid)


# --- 3200 stale EditSequence -------------------------------------------------------------------


def test_stale_edit_sequence_is_reread_and_reapplied_once(bench: Bench) -> None:
    vendor = active_vendor(bench)
    op = bench.queue(
        "vendor.update", {"vendor": {"list_id": vendor["ListID"]}, "email": "new@ap.example"}
    )
    # Someone edits the vendor in QuickBooks after our last sync: our EditSequence is stale.
    bench.book.edit("Vendor", vendor["ListID"], {"Contact": "Changed in QuickBooks"})
    report = bench.session()
    assert report.status_codes["VendorModRs:3200"] == 1
    assert report.status_codes["VendorModRs:0"] == 1
    view = bench.op(op["id"])
    assert view["state"] == "done" and view["attempts"] == 2
    now = next(v for v in bench.qb_records("Vendor") if v["ListID"] == vendor["ListID"])
    assert now["Email"] == "new@ap.example"
    assert now["Contact"] == "Changed in QuickBooks"  # their change is kept
    assert view["result"]["edit_sequence"] == now["EditSequence"]


def test_stale_twice_needs_attention(bench: Bench) -> None:
    vendor = active_vendor(bench)
    op = bench.queue(
        "vendor.update", {"vendor": {"list_id": vendor["ListID"]}, "phone": "555-0101"}
    )
    original = bench.qb.process
    edits = iter(range(100))

    def busy_quickbooks(request: str) -> str:
        if "<VendorModRq" in request:  # someone saves the vendor right before each of ours
            bench.book.edit("Vendor", vendor["ListID"], {"Notes": f"edit {next(edits)}"})
        return original(request)

    bench.qb.process = busy_quickbooks  # type: ignore[method-assign,assignment]
    report = bench.session()
    assert report.status_codes["VendorModRs:3200"] == 2
    view = bench.op(op["id"])
    assert view["state"] == "needs_attention"
    assert view["error"]["code"] == 3200
    assert "kept changing" in view["error"]["message"]
    assert real_requests(bench.session()) == 0  # not retried on its own


# --- 3100 duplicate vendor name ----------------------------------------------------------------


def test_duplicate_name_of_the_same_vendor_links_to_it(bench: Bench) -> None:
    existing = active_vendor(bench)
    count = len(bench.qb_records("Vendor"))
    op = bench.queue(
        "vendor.create",
        {
            "name": existing["Name"].upper(),  # QuickBooks names are not case sensitive
            "email": existing["Email"].upper(),
            "phone": existing["Phone"].replace("(", "").replace(")", ""),
        },
    )
    bill = bench.queue(
        "bill.create",
        {
            "vendor": {"operation_id": op["id"]},
            "expense_lines": [{"account": {"full_name": "Office Supplies"}, "amount": "9.99"}],
        },
    )
    report = bench.session()
    assert report.status_codes["VendorAddRs:3100"] == 1
    view = bench.op(op["id"])
    assert view["state"] == "done", view
    assert view["result"]["linked_existing"] is True
    assert view["result"]["list_id"] == existing["ListID"]
    assert len(bench.qb_records("Vendor")) == count
    (made,) = bills_of(bench, bill["external_guid"])
    assert made["VendorRef"]["ListID"] == existing["ListID"]


def test_duplicate_name_of_a_different_vendor_fails_clearly(bench: Bench) -> None:
    existing = active_vendor(bench)
    count = len(bench.qb_records("Vendor"))
    op = bench.queue(
        "vendor.create", {"name": existing["Name"], "email": "someone.else@other.example"}
    )
    bill = bench.queue(
        "bill.create",
        {
            "vendor": {"operation_id": op["id"]},
            "expense_lines": [{"account": {"full_name": "Office Supplies"}, "amount": "9.99"}],
        },
    )
    bench.session()
    view = bench.op(op["id"])
    assert view["state"] == "failed"
    assert view["error"]["code"] == 3100
    assert "different vendor" in view["error"]["message"]
    assert "email" in view["error"]["message"]
    assert len(bench.qb_records("Vendor")) == count
    dependent = bench.op(bill["id"])
    assert dependent["state"] == "failed"
    assert f"operation {op['id']}" in dependent["error"]["message"]
    assert not bills_of(bench, bill["external_guid"])


def test_name_used_by_a_customer_fails_clearly(bench: Bench) -> None:
    customer = bench.qb_records("Customer")[0]
    op = bench.queue("vendor.create", {"name": customer["Name"]})
    bench.session()
    view = bench.op(op["id"])
    assert view["state"] == "failed" and view["error"]["code"] == 3100
    assert "customer, employee or other name" in view["error"]["message"]


# --- locks and the retry limit -----------------------------------------------------------------


def test_lock_error_is_retried_in_a_later_session(db: Any, database_url: str) -> None:
    b = make_bench(db, database_url, faults=FaultPlan(lock_errors={1: 3175}))
    vendor = active_vendor(b)
    op = simple_bill(b, vendor)
    first = b.session()
    assert first.status_codes["BillAddRs:3175"] == 1
    view = b.op(op["id"])
    assert view["state"] == "queued"
    assert view["error"]["code"] == 3175 and "try again later" in view["error"]["message"]
    assert view["next_attempt_at"] is not None
    assert first.requests_processed == 1  # not again in the same session
    assert real_requests(b.session()) == 0  # nor before its retry time
    b.settle()
    assert b.op(op["id"])["state"] == "done"
    assert len(bills_of(b, op["external_guid"])) == 1


def test_3180_with_a_lock_text_is_transient(bench: Bench) -> None:
    op = simple_bill(bench, active_vendor(bench))
    answer_with_status(
        bench,
        "BillAdd",
        3180,
        "There was an error when saving a Bill.  QuickBooks error message: The record could "
        "not be locked, it is in use by another user.",
    )
    bench.session()
    assert bench.op(op["id"])["state"] == "queued"
    bench.settle()
    assert bench.op(op["id"])["state"] == "done"
    assert len(bills_of(bench, op["external_guid"])) == 1


def test_retry_limit_moves_to_needs_attention(db: Any, database_url: str) -> None:
    locks = {n: 3176 for n in range(1, MAX_SEND_ATTEMPTS + 1)}
    b = make_bench(db, database_url, faults=FaultPlan(lock_errors=locks))
    op = simple_bill(b, active_vendor(b))
    b.session()
    for _ in range(MAX_SEND_ATTEMPTS):
        b.pass_time(minutes=120)
        b.session()
    view = b.op(op["id"])
    assert view["state"] == "needs_attention", view
    assert view["attempts"] == MAX_SEND_ATTEMPTS
    assert view["error"]["code"] == 3176
    assert not bills_of(b, op["external_guid"])
    b.pass_time(minutes=120)
    assert real_requests(b.session()) == 0


# --- refusals a person must act on -------------------------------------------------------------


def test_bad_reference_fails_in_plain_words(bench: Bench) -> None:
    travel = next(a for a in bench.qb_records("Account") if a["Name"] == "Travel Expense")
    op = simple_bill(bench, active_vendor(bench), account="Travel Expense")
    bench.book.delete("Account", travel["ListID"])  # deleted in QuickBooks after our sync
    bench.session()
    view = bench.op(op["id"])
    assert view["state"] == "failed"
    assert view["error"]["code"] == 3140
    assert "does not exist in QuickBooks any more" in view["error"]["message"]
    assert "The bill was not entered" in view["error"]["message"]
    assert real_requests(bench.session()) == 0  # failed is final until someone retries


def test_payment_for_a_deleted_bill_fails(bench: Bench) -> None:
    bill = open_bill(bench)
    op = bench.queue(
        "bill_payment.check.create",
        {
            "vendor": {"list_id": bill["VendorRef"]["ListID"]},
            "bank_account": {"full_name": "Checking"},
            "applied_to": [{"bill": {"txn_id": bill["TxnID"]}, "amount": "1.00"}],
        },
    )
    bench.book.delete("Bill", bill["TxnID"])
    bench.session()
    view = bench.op(op["id"])
    assert view["state"] == "failed" and view["error"]["code"] == 3120


def test_feature_turned_off_fails_in_plain_words(bench: Bench) -> None:
    op = simple_bill(bench, active_vendor(bench))
    answer_with_status(
        bench,
        "BillAdd",
        3250,
        'The feature "Class Tracking" is not enabled or is not available in this version of '
        "QuickBooks.",
    )
    bench.session()
    view = bench.op(op["id"])
    assert view["state"] == "failed" and view["error"]["code"] == 3250
    assert "turned off" in view["error"]["message"]


def test_closed_period_fails_in_plain_words(bench: Bench) -> None:
    op = simple_bill(bench, active_vendor(bench))
    answer_with_status(
        bench,
        "BillAdd",
        3180,
        "There was an error when saving a Bill.  QuickBooks error message: The transaction "
        "date is on or before the closing date.",
    )
    bench.session()
    view = bench.op(op["id"])
    assert view["state"] == "failed" and view["error"]["code"] == 3180
    assert "closing date" in view["error"]["message"]
    assert "closing-date password" in view["error"]["message"]


def test_parse_error_is_not_resent(bench: Bench) -> None:
    op = simple_bill(bench, active_vendor(bench))
    bench.qb.faults.processor_errors[1] = "0x80040400"
    report = bench.session()
    view = bench.op(op["id"])
    assert view["state"] == "needs_attention"
    assert view["error"]["code"] == "0x80040400"
    assert report.requests_processed == 1
    assert not bills_of(bench, op["external_guid"])

"""The operations API: queueing with idempotency keys, field-level validation, reading, listing,
retry and cancel, and the operations block of the company status."""

from __future__ import annotations

from typing import Any

from qbwc_server.sim.transport_faults import TransportFaults
from tests.foundation.helpers import api, create_company
from tests.writeback.support import Bench, active_vendor, make_bench, open_bill, real_requests


def post(bench: Bench, body: dict[str, Any]) -> tuple[int, Any]:
    return bench.api("POST", f"/api/companies/{bench.company_id}/operations", body)


def invalid(bench: Bench, op_type: str, payload: Any) -> dict[str, Any]:
    status, body = post(
        bench, {"type": op_type, "idempotency_key": "k-invalid", "payload": payload}
    )
    assert status == 422, body
    return dict(body["error"])


def bill_payload(v: dict[str, Any], /, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "vendor": {"list_id": v["ListID"]},
        "txn_date": "2024-06-01",
        "expense_lines": [{"account": {"full_name": "Office Supplies"}, "amount": "10.00"}],
    }
    payload.update(changes)
    return payload


def test_queue_then_same_key_returns_the_first_operation(bench: Bench) -> None:
    body = {
        "type": "vendor.create",
        "idempotency_key": "vendor-42",
        "payload": {"name": "Idempotent Supplies", "is_1099": False},
    }
    status, first = post(bench, body)
    assert status == 201
    assert first["state"] == "queued" and first["attempts"] == 0
    assert first["error"] is None and first["result"] is None
    assert first["type"] == "vendor.create" and first["payload"] == body["payload"]
    status, again = post(bench, body)
    assert status == 200 and again["id"] == first["id"]
    changed = dict(body, payload={"name": "Something Else"})
    status, conflict = post(bench, changed)
    assert status == 409 and conflict["error"]["field"] == "idempotency_key"
    status, conflict = post(bench, dict(body, type="vendor.update"))
    assert status == 409
    assert [o["id"] for o in bench.operations()] == [first["id"]]
    # Delivered once, then the same key still answers with it (now done).
    bench.session()
    status, done = post(bench, body)
    assert status == 200 and done["state"] == "done" and done["result"]["list_id"]
    assert len([v for v in bench.qb_records("Vendor") if v["Name"] == "Idempotent Supplies"]) == 1


def test_keys_are_per_company(db: Any, database_url: str) -> None:
    a = make_bench(db, database_url, seed_types=())
    b = make_bench(db, database_url, seed_types=(), app=a.app)
    body = {"type": "vendor.create", "idempotency_key": "same", "payload": {"name": "X Co"}}
    assert post(a, body)[0] == 201
    assert post(b, body)[0] == 201


VALIDATION_CASES: list[tuple[str, Any, str, str]] = [
    ("vendor.delete", lambda v: {"name": "X"}, "type", "one of"),
    ("vendor.create", lambda v: {}, "payload.name", "required"),
    ("vendor.create", lambda v: {"name": "N" * 42}, "payload.name", "allows 41"),
    (
        "vendor.create",
        lambda v: {"name": "Ok", "address": {"city": "C" * 32}},
        "payload.address.city",
        "allows 31",
    ),
    ("vendor.create", lambda v: {"name": "Ok", "colour": "red"}, "payload.colour", "unknown"),
    ("vendor.create", lambda v: {"name": "漢字 Trading"}, "payload.name", "Windows-1252"),
    ("vendor.create", lambda v: {"name": "Ok", "is_1099": "yes"}, "payload.is_1099", "true"),
    (
        "vendor.create",
        lambda v: {"name": "Ok", "terms": {"full_name": "Net 999"}},
        "payload.terms",
        "no terms",
    ),
    ("vendor.update", lambda v: {"vendor": {"list_id": v["ListID"]}}, "payload", "at least"),
    (
        "bill.create",
        lambda v: bill_payload(
            v, expense_lines=[{"account": {"full_name": "Rent Expense"}, "amount": "1.234"}]
        ),
        "payload.expense_lines[0].amount",
        "2 decimals",
    ),
    (
        "bill.create",
        lambda v: bill_payload(
            v, expense_lines=[{"account": {"full_name": "Nope"}, "amount": "1.00"}]
        ),
        "payload.expense_lines[0].account",
        "no account 'Nope'",
    ),
    (
        "bill.create",
        lambda v: bill_payload(
            v,
            expense_lines=[{"account": {"full_name": "Old Equipment Rental"}, "amount": "1.00"}],
        ),
        "payload.expense_lines[0].account",
        "inactive",
    ),
    (
        "bill.create",
        lambda v: bill_payload(v, ap_account={"full_name": "Rent Expense"}),
        "payload.ap_account",
        "not a Accounts Payable account",
    ),
    (
        "bill.create",
        lambda v: bill_payload(v, expense_lines=[]),
        "payload.expense_lines",
        "at least one",
    ),
    (
        "bill.create",
        lambda v: bill_payload(
            v,
            expense_lines=[{"account": {"full_name": "Rent Expense"}, "amount": "1.00", "x": 1}],
        ),
        "payload.expense_lines[0].x",
        "unknown",
    ),
    (
        "bill.create",
        lambda v: bill_payload(v, txn_date="2024-02-30"),
        "payload.txn_date",
        "real date",
    ),
    (
        "bill.create",
        lambda v: bill_payload(v, ref_number="R" * 21),
        "payload.ref_number",
        "allows 20",
    ),
    (
        "bill.create",
        lambda v: bill_payload(v, vendor={"full_name": "Nobody Inc"}),
        "payload.vendor",
        "no vendor",
    ),
    (
        "bill.create",
        lambda v: bill_payload(v, vendor={"list_id": v["ListID"], "full_name": v["Name"]}),
        "payload.vendor",
        "exactly one",
    ),
    (
        "bill.create",
        lambda v: bill_payload(v, vendor={"operation_id": 999999}),
        "payload.vendor.operation_id",
        "no operation",
    ),
    (
        "bill.create",
        lambda v: bill_payload(
            v, item_lines=[{"item": {"full_name": "Freight 1"}, "quantity": "2"}]
        ),
        "payload.item_lines[0].amount",
        "amount or a cost",
    ),
]


def test_validation_names_the_field(bench: Bench) -> None:
    vendor = active_vendor(bench)
    for op_type, payload_of, field, words in VALIDATION_CASES:
        error = invalid(bench, op_type, payload_of(vendor))
        assert error["field"] == field, (field, error)
        assert words in error["message"], (words, error)
        assert error["errors"][0]["field"] == field
    assert bench.operations() == []


def test_payment_validation(bench: Bench) -> None:
    bill = open_bill(bench)
    vendor_id = bill["VendorRef"]["ListID"]
    other = active_vendor(bench, skip=[vendor_id])
    base: dict[str, Any] = {
        "vendor": {"list_id": vendor_id},
        "bank_account": {"full_name": "Checking"},
        "applied_to": [{"bill": {"txn_id": bill["TxnID"]}, "amount": "1.00"}],
    }
    too_much = dict(base, applied_to=[{"bill": {"txn_id": bill["TxnID"]}, "amount": "99999.00"}])
    error = invalid(bench, "bill_payment.check.create", too_much)
    assert error["field"] == "payload.applied_to[0].amount" and "open balance" in error["message"]
    wrong_vendor = dict(base, vendor={"list_id": other["ListID"]})
    error = invalid(bench, "bill_payment.check.create", wrong_vendor)
    assert error["field"] == "payload.applied_to[0].bill" and "another vendor" in error["message"]
    both = dict(base, ref_number="1", is_to_be_printed=True)
    assert invalid(bench, "bill_payment.check.create", both)["field"] == "payload.is_to_be_printed"
    long_ref = dict(base, ref_number="123456789012")  # BillPaymentCheckAdd RefNumber: 11
    assert "allows 11" in invalid(bench, "bill_payment.check.create", long_ref)["message"]
    not_bank = dict(base, bank_account={"full_name": "Company Visa"})
    assert invalid(bench, "bill_payment.check.create", not_bank)["field"] == "payload.bank_account"
    card = dict(base, credit_card_account={"full_name": "Checking"})
    del card["bank_account"]
    error = invalid(bench, "bill_payment.credit_card.create", card)
    assert error["field"] == "payload.credit_card_account"
    twice = dict(base, applied_to=base["applied_to"] * 2)
    assert "twice" in invalid(bench, "bill_payment.check.create", twice)["message"]
    zero = dict(base, applied_to=[{"bill": {"txn_id": bill["TxnID"]}, "amount": "0.00"}])
    assert (
        invalid(bench, "bill_payment.check.create", zero)["field"] == "payload.applied_to[0].amount"
    )
    # Every problem is listed, the first one is also error.field.
    many = {"vendor": {"full_name": "Nobody"}, "applied_to": []}
    error = invalid(bench, "bill_payment.check.create", many)
    fields = {e["field"] for e in error["errors"]}
    assert {"payload.vendor", "payload.bank_account", "payload.applied_to"} <= fields
    status, ok = post(
        bench, {"type": "bill_payment.check.create", "idempotency_key": "p", "payload": base}
    )
    assert status == 201 and ok["depends_on"] == []


def test_operation_references_must_have_the_right_type(bench: Bench) -> None:
    vendor = active_vendor(bench)
    bill = bench.queue("bill.create", bill_payload(vendor))
    error = invalid(bench, "bill.create", bill_payload(vendor, vendor={"operation_id": bill["id"]}))
    assert (
        error["field"] == "payload.vendor.operation_id"
        and "not a vendor.create" in error["message"]
    )


def test_show_list_filters_and_other_companies(db: Any, database_url: str) -> None:
    a = make_bench(db, database_url, seed_types=("accounts", "vendors"))
    b = make_bench(db, database_url, seed_types=(), app=a.app)
    vendor = active_vendor(a)
    made = [a.queue("vendor.create", {"name": f"Listed {n}"}) for n in range(3)]
    bill = a.queue("bill.create", bill_payload(vendor))
    status, listed = a.api("GET", f"/api/companies/{a.company_id}/operations?type=bill.create")
    assert status == 200 and [o["id"] for o in listed["data"]] == [bill["id"]]
    status, page = a.api("GET", f"/api/companies/{a.company_id}/operations?limit=2")
    assert [o["id"] for o in page["data"]] == [bill["id"], made[2]["id"]]
    status, rest = a.api(
        "GET", f"/api/companies/{a.company_id}/operations?limit=2&cursor={page['next_cursor']}"
    )
    assert [o["id"] for o in rest["data"]] == [made[1]["id"], made[0]["id"]]
    assert a.api("GET", f"/api/companies/{a.company_id}/operations?state=done")[1]["data"] == []
    assert a.api("GET", f"/api/companies/{a.company_id}/operations?state=weird")[0] == 422
    assert a.api("GET", f"/api/companies/{b.company_id}/operations/{bill['id']}")[0] == 404
    assert a.api("GET", f"/api/companies/{a.company_id}/operations/nope")[0] == 404
    assert a.api("GET", f"/api/companies/{a.company_id}/operations/{bill['id']}")[1] == bill


def test_cancel_and_retry(bench: Bench) -> None:
    vendor = bench.queue("vendor.create", {"name": "Cancel Me Inc"})
    bill = bench.queue(
        "bill.create", bill_payload(active_vendor(bench), vendor={"operation_id": vendor["id"]})
    )
    base = f"/api/companies/{bench.company_id}/operations"
    assert bench.api("POST", f"{base}/{vendor['id']}/retry")[0] == 409  # queued: nothing to retry
    status, cancelled = bench.api("POST", f"{base}/{vendor['id']}/cancel")
    assert status == 200 and cancelled["state"] == "cancelled"
    dependent = bench.op(bill["id"])
    assert dependent["state"] == "failed" and "was cancelled" in dependent["error"]["message"]
    assert bench.api("POST", f"{base}/{bill['id']}/retry")[0] == 409  # its vendor is cancelled
    assert bench.api("POST", f"{base}/{vendor['id']}/cancel")[0] == 409
    report = bench.session()
    assert real_requests(report) == 0
    assert not [v for v in bench.qb_records("Vendor") if v["Name"] == "Cancel Me Inc"]


def test_a_sent_operation_cannot_be_cancelled_and_a_failed_one_can_be_retried(
    bench: Bench,
) -> None:
    op = bench.queue("vendor.create", {"name": "Sent Already Ltd"})
    bench.session(TransportFaults.of("drop-before:receiveResponseXML:1"))
    base = f"/api/companies/{bench.company_id}/operations/{op['id']}"
    assert bench.op(op["id"])["state"] == "sent"
    status, body = bench.api("POST", f"{base}/cancel")
    assert status == 409 and "may already be in QuickBooks" in body["error"]["message"]
    bench.settle()
    assert bench.op(op["id"])["state"] == "done"

    customer = bench.qb_records("Customer")[0]["Name"]
    clash = bench.queue("vendor.create", {"name": customer})
    bench.session()
    assert bench.op(clash["id"])["state"] == "failed"
    retry_base = f"/api/companies/{bench.company_id}/operations/{clash['id']}"
    status, retried = bench.api("POST", f"{retry_base}/retry")
    assert status == 200 and retried["state"] == "queued" and retried["attempts"] == 0
    bench.session()
    assert bench.op(clash["id"])["state"] == "failed"  # still a customer's name


def test_company_status_shows_the_operations(bench: Bench) -> None:
    first = bench.queue("vendor.create", {"name": "Status One"})
    bench.queue("vendor.create", {"name": "Status Two"})
    status, view = bench.api("GET", f"/api/companies/{bench.company_id}")
    assert status == 200
    block = view["operations"]
    assert block["queued"] == 2 and block["done"] == 0 and block["failed"] == 0
    assert block["oldest_waiting"]["id"] == first["id"]
    assert block["oldest_waiting"]["waiting_seconds"] >= 0
    bench.session()
    block = bench.api("GET", f"/api/companies/{bench.company_id}")[1]["operations"]
    assert block["done"] == 2 and block["queued"] == 0 and block["oldest_waiting"] is None


def test_over_http_with_the_admin_token(live_server: Any) -> None:
    company = create_company(live_server.url, "HTTP Ops")
    path = f"/api/companies/{company['id']}/operations"
    body = {"type": "vendor.create", "idempotency_key": "h1", "payload": {"name": "Over HTTP"}}
    status, _, _ = api(live_server.url, "POST", path, body, token=None)
    assert status == 401
    status, created, headers = api(live_server.url, "POST", path, body)
    assert status == 201 and headers["Location"].endswith(f"/operations/{created['id']}")
    status, listed, _ = api(live_server.url, "GET", path + "?state=queued")
    assert status == 200 and listed["data"][0]["id"] == created["id"]
    status, _, _ = api(live_server.url, "POST", "/api/companies/9999/operations", body)
    assert status == 404

"""Exactly once: whatever breaks between the server, the Web Connector and QuickBooks, the fake
QuickBooks ends with exactly one record per operation and every operation ends ``done``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from models import Operation, QbwcSession
from qbwc_server.sim.quickbooks import FaultPlan
from qbwc_server.sim.transport_faults import TransportFault, TransportFaults
from qbwc_server.writeback import queue
from tests.writeback.support import Bench, make_bench, real_requests, validate_requests

Schema = Callable[[str], etree.XMLSchema]
CHAIN_TYPES = ("Vendor", "Bill", "BillPaymentCheck")


def queue_chain(b: Bench, name: str = "Northwind Paper Co") -> list[dict[str, Any]]:
    """A new vendor, a bill for it, and a check paying part of that bill."""
    vendor = b.queue("vendor.create", {"name": name, "email": "ap@northwind.example"})
    bill = b.queue(
        "bill.create",
        {
            "vendor": {"operation_id": vendor["id"]},
            "txn_date": "2024-06-10",
            "ref_number": "NW-1001",
            "expense_lines": [{"account": {"full_name": "Office Supplies"}, "amount": "120.50"}],
        },
    )
    payment = b.queue(
        "bill_payment.check.create",
        {
            "vendor": {"operation_id": vendor["id"]},
            "bank_account": {"full_name": "Checking"},
            "txn_date": "2024-06-11",
            "ref_number": "5001",
            "applied_to": [{"bill": {"operation_id": bill["id"]}, "amount": "50.00"}],
        },
    )
    return [vendor, bill, payment]


def counts(b: Bench) -> dict[str, int]:
    return {t: len(b.qb_records(t)) for t in CHAIN_TYPES}


def check_exactly_once(
    b: Bench, ops: list[dict[str, Any]], before: dict[str, int], label: str = ""
) -> None:
    after = counts(b)
    for op, qb_type in zip(ops, CHAIN_TYPES, strict=True):
        view = b.op(op["id"])
        assert view["state"] == "done", (label, view)
        found = b.qb_by_guid(qb_type, op["external_guid"])
        assert len(found) == 1, (label, qb_type, len(found))
        id_key, result_key = ("ListID", "list_id") if qb_type == "Vendor" else ("TxnID", "txn_id")
        assert view["result"][result_key] == found[0][id_key], label
        assert after[qb_type] == before[qb_type] + 1, (label, qb_type, before, after)
    bill = b.qb_by_guid("Bill", ops[1]["external_guid"])[0]
    assert bill["OpenAmount"] == "70.50", label  # paid once, not twice


def test_fault_matrix_drop_before_and_after_every_call(
    db: Any, database_url: str, qbxml_schema: Schema
) -> None:
    """Drop the connection before, and after, each SOAP call of a session that carries the
    three writes; later sessions must finish the job with exactly one record each."""
    clean = make_bench(db, database_url, seed_types=("accounts",))
    before = counts(clean)
    ops = queue_chain(clean)
    report = clean.session()
    check_exactly_once(clean, ops, before, "no fault")
    calls = report.calls
    # Each write alone in its message set, then the paid bill is read back; no read sync.
    assert calls.count("sendRequestXML") == 4
    requests = list(clean.requests())

    failures: list[str] = []
    for phase in ("before", "after"):
        for ordinal, method in enumerate(calls, start=1):
            label = f"drop-{phase}:{method}#{ordinal}"
            b = make_bench(db, database_url, app=clean.app, seed_types=("accounts",))
            before = counts(b)
            ops = queue_chain(b)
            first = b.session(TransportFaults([TransportFault(phase, None, ordinal, 1)]))
            assert first.transport_faults, label
            b.settle()
            try:
                check_exactly_once(b, ops, before, label)
            except AssertionError as exc:
                failures.append(f"{label}: {exc}")
            requests.extend(b.requests())
    assert not failures, "\n".join(failures)
    assert validate_requests(requests, qbxml_schema) > 80


@pytest.mark.parametrize("lost", [1, 2, 3], ids=["VendorAdd", "BillAdd", "PaymentAdd"])
def test_lost_response_after_quickbooks_saved_it_is_settled_in_the_same_session(
    db: Any, database_url: str, qbxml_schema: Schema, lost: int
) -> None:
    b = make_bench(
        db, database_url, seed_types=("accounts",), faults=FaultPlan(lost_responses={lost})
    )
    before = counts(b)
    ops = queue_chain(b)
    report = b.session()
    assert report.outcome.value == "completed", report.errors
    assert any("0x80040402" in h for h in report.hresults)
    check_exactly_once(b, ops, before)
    recovery = [r for r in report.requests if "oldMessageSetID" in r]
    assert len(recovery) == 1  # asked QuickBooks instead of resending
    assert b.op(ops[lost - 1]["id"])["result"].get("recovered") is True
    validate_requests(report.requests, qbxml_schema)


def test_bill_response_lost_on_the_way_to_the_server_is_recovered_next_session(
    db: Any, database_url: str
) -> None:
    b = make_bench(db, database_url, seed_types=("accounts",))
    before = counts(b)
    ops = queue_chain(b)
    # The BillAdd was processed by QuickBooks; its receiveResponseXML never reached the server.
    first = b.session(TransportFaults.of("drop-before:receiveResponseXML:2"))
    assert first.outcome.value == "transport_error"
    assert b.op(ops[1]["id"])["state"] == "sent"
    assert len(b.qb_by_guid("Bill", ops[1]["external_guid"])) == 1
    # The payment waits: nothing new goes out while an outcome is unknown.
    assert b.op(ops[2]["id"])["state"] == "queued"
    later = b.settle()
    assert "oldMessageSetID" in later[0].requests[0]
    check_exactly_once(b, ops, before)


def test_server_restart_mid_session_loses_nothing(db: Any, database_url: str) -> None:
    clean = make_bench(db, database_url, seed_types=("accounts",))
    ops = queue_chain(clean)
    calls = clean.session().calls
    # Before: the first sendRequestXML (verification), the BillAdd's answer, the payment's
    # request, the read-back's answer and closeConnection.
    points = [4, 7, 8, 11, 12]
    assert [calls[p - 1] for p in points] == [
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    for restart_at in points:
        b = make_bench(db, database_url, app=clean.app, seed_types=("accounts",))
        before = counts(b)
        ops = queue_chain(b)
        b.switch.calls = 0

        def restart(n: int, b: Bench = b, at: int = restart_at) -> None:
            if n == at:
                b.restart_server()

        b.switch.before_call = restart
        report = b.session()
        assert report.outcome.value == "completed", (restart_at, report.errors)
        assert b.switch.app is not clean.app
        check_exactly_once(b, ops, before, f"restart before call {restart_at}")


def test_restart_after_a_dropped_bill_response(db: Any, database_url: str) -> None:
    b = make_bench(db, database_url, seed_types=("accounts",))
    before = counts(b)
    ops = queue_chain(b)
    b.session(TransportFaults.of("drop-before:receiveResponseXML:2"))
    b.restart_server()
    b.settle()
    check_exactly_once(b, ops, before)


def test_recovery_answer_lost_too(db: Any, database_url: str) -> None:
    """The status check keeps QuickBooks' record of the message set (newMessageSetID = old),
    so losing its own answer is harmless."""
    b = make_bench(db, database_url, seed_types=("accounts",))
    before = counts(b)
    ops = queue_chain(b)
    b.session(TransportFaults.of("drop-before:receiveResponseXML:2"))
    b.pass_time()
    second = b.session(TransportFaults.of("drop-before:receiveResponseXML:1"))
    assert "oldMessageSetID" in second.requests[0]
    assert b.op(ops[1]["id"])["state"] == "sent"
    b.settle()
    check_exactly_once(b, ops, before)


def test_marker_lookup_when_quickbooks_forgot_the_message_set(
    db: Any, database_url: str, qbxml_schema: Schema
) -> None:
    """QuickBooks saved the bill but has no error-recovery record any more: the ExternalGUID on
    the record decides, and nothing is sent twice."""
    b = make_bench(db, database_url, seed_types=("accounts",))
    before = counts(b)
    ops = queue_chain(b)
    b.session(TransportFaults.of("drop-before:receiveResponseXML:2"))
    b.book.message_sets.clear()
    second = b.settle()[0]
    lookups = [r for r in second.requests if "<BillQueryRq" in r and "ExternalGUID" in r]
    assert lookups, second.requests
    check_exactly_once(b, ops, before)
    assert b.op(ops[1]["id"])["result"]["recovered"] is True
    validate_requests(second.requests, qbxml_schema)


def test_marker_lookup_finds_nothing_then_the_bill_is_sent_again(
    db: Any, database_url: str
) -> None:
    """The BillAdd request never reached QuickBooks (the answer to sendRequestXML was lost):
    no record of the message set, no marker: only then is it sent again."""
    b = make_bench(db, database_url, seed_types=("accounts",))
    before = counts(b)
    ops = queue_chain(b)
    b.session(TransportFaults.of("drop-after:sendRequestXML:2"))
    assert b.op(ops[1]["id"])["state"] == "sent"
    assert not b.qb_by_guid("Bill", ops[1]["external_guid"])
    b.settle()
    check_exactly_once(b, ops, before)
    assert b.op(ops[1]["id"])["attempts"] == 2


def test_vendor_marker_lookup_by_name(db: Any, database_url: str) -> None:
    b = make_bench(db, database_url, seed_types=("accounts",))
    before = counts(b)
    ops = queue_chain(b)
    b.session(TransportFaults.of("drop-before:receiveResponseXML:1"))
    b.book.message_sets.clear()
    second = b.settle()[0]
    assert any("<VendorQueryRq" in r and "<FullName>Northwind" in r for r in second.requests)
    check_exactly_once(b, ops, before)


def test_a_sent_operation_leased_by_a_live_session_is_left_alone(
    db: Any, database_url: str
) -> None:
    b = make_bench(db, database_url, seed_types=("accounts",))
    ops = queue_chain(b)
    b.session(TransportFaults.of("drop-before:receiveResponseXML:1"))
    # Only the company lease lapses: the first session still holds the vendor's lease.
    with b.db.transaction() as s:
        from models import Company, utcnow

        company = s.get(Company, b.company_id)
        assert company is not None
        company.lease_expires_at = utcnow()
    with b.db.transaction() as s:
        assert not queue.has_pending_work(s, b.company_id)  # no session just for that
    other = b.session()
    assert real_requests(other) == 0
    assert b.op(ops[0]["id"])["state"] == "sent"
    b.settle()
    assert b.op(ops[2]["id"])["state"] == "done"


def test_lease_is_taken_by_one_session_only(db: Any, database_url: str) -> None:
    b = make_bench(db, database_url, seed_types=("accounts",))
    op_id = queue_chain(b)[0]["id"]
    with b.db.transaction() as s:
        first = QbwcSession(company_id=b.company_id, username="a", state={}, hresults=[])
        second = QbwcSession(company_id=b.company_id, username="b", state={}, hresults=[])
        s.add_all([first, second])
        s.flush()
        op = s.get(Operation, op_id)
        assert op is not None and op.state == "queued"
        assert queue.take_lease(s, op, first.id, 120)
        assert not queue.take_lease(s, op, second.id, 120)
        assert queue.take_lease(s, op, first.id, 120)  # renewing is fine
        first.ended_at = first.started_at  # the holder's session ended: the lease is void
        assert queue.take_lease(s, op, second.id, 120)


def test_unanswered_status_checks_need_attention_and_a_retry_checks_again(
    bench: Bench,
) -> None:
    from qbwc_server.writeback.catalog import MAX_RECOVERY_ATTEMPTS

    op = bench.queue("vendor.create", {"name": "Unknown Outcome Ltd"})
    bench.session(TransportFaults.of("drop-before:receiveResponseXML:1"))  # QuickBooks saved it
    # Every request QuickBooks gets from now on fails (the status checks, and the server's
    # end-of-session ping), until the operation is parked.
    for n in range(2, 2 + 4 * MAX_RECOVERY_ATTEMPTS):
        bench.qb.faults.processor_errors[n] = "0x80040402"
    for _ in range(MAX_RECOVERY_ATTEMPTS):
        bench.pass_time()
        bench.session()
    bench.qb.faults.processor_errors.clear()
    view = bench.op(op["id"])
    assert view["state"] == "needs_attention", view
    assert "did not tell whether it saved" in view["error"]["message"]
    base = f"/api/companies/{bench.company_id}/operations/{op['id']}"
    assert bench.api("POST", f"{base}/cancel")[0] == 409  # it may be in QuickBooks
    status, retried = bench.api("POST", f"{base}/retry")
    assert status == 200 and retried["state"] == "sent"  # settled first, not resent
    bench.settle()
    view = bench.op(op["id"])
    assert view["state"] == "done" and view["result"]["recovered"] is True
    assert view["attempts"] == 1
    assert len(bench.qb_by_guid("Vendor", op["external_guid"])) == 1


def test_lost_vendor_update_answer_is_settled(bench: Bench) -> None:
    vendor = bench.qb_records("Vendor")[0]
    op = bench.queue(
        "vendor.update", {"vendor": {"list_id": vendor["ListID"]}, "phone": "555-2020"}
    )
    bench.session(TransportFaults.of("drop-before:receiveResponseXML:1"))
    assert bench.op(op["id"])["state"] == "sent"
    bench.book.message_sets.clear()  # and QuickBooks forgot it: re-read and apply again
    bench.settle()
    view = bench.op(op["id"])
    assert view["state"] == "done"
    now = next(v for v in bench.qb_records("Vendor") if v["ListID"] == vendor["ListID"])
    assert now["Phone"] == "555-2020" and view["result"]["edit_sequence"] == now["EditSequence"]

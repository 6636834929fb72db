"""Issue 4, acceptance 2: with a look-back date exactly the transactions from that date on are
synced, also after later sessions in which older transactions change in QuickBooks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile
from qbwc_server.sim.report import SessionReport
from qbwc_server.sim.scheduler import Scheduler
from tests.sync.expected import (
    LIST_STREAMS,
    TXN_STREAMS,
    fake_records,
)
from tests.sync.helpers import (
    Rig,
    compare_all,
    generate_current,
)


def _cutoff(company: CompanyFile) -> str:
    return (company.clock.now.date() - timedelta(days=365)).isoformat()


def _account(company: CompanyFile, account_type: str) -> str:
    return next(a["ListID"] for a in company.records("Account") if a["AccountType"] == account_type)


def _txns(
    company: CompanyFile, stream: str, *, before: str | None = None, after: str | None = None
) -> list[dict[str, Any]]:
    return [
        r
        for _t, r in fake_records(company, stream)
        if (before is None or r["TxnDate"] < before) and (after is None or r["TxnDate"] >= after)
    ]


def _held_txn_ids(rig: Rig) -> set[str]:
    return {r["txn_id"] for name in TXN_STREAMS for r in rig.records(name)}


def test_look_back_date_keeps_exactly_the_transactions_from_that_date(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=7)
    cutoff = _cutoff(company)
    rig = inproc_rig(company, cutoff, QBWC_WINDOW_TARGET=25)
    touched: dict[str, str] = {}

    def change_older_transactions(_s: Scheduler, report: SessionReport) -> None:
        if report.index != 1:
            return
        # The sync must have been exact before anything changes.
        compare_all(rig, txn_date_from=cutoff).assert_equal()
        company.clock.advance(timedelta(minutes=3))
        today = company.clock.now.date().isoformat()
        old_bills = _txns(company, "bills", before=cutoff)
        new_bills = _txns(company, "bills", after=cutoff)
        # An old bill edited: it stays outside the look-back range.
        company.edit("Bill", old_bills[0]["TxnID"], {"Memo": "Corrected after the audit"})
        touched["old_edited"] = old_bills[0]["TxnID"]
        # An old open bill paid today: the payment belongs to the range, the bill does not.
        unpaid = next(b for b in old_bills if b["OpenAmount"] != "0.00")
        payment = company.add(
            "BillPaymentCheck",
            {
                "PayeeEntityRef": {"ListID": unpaid["VendorRef"]["ListID"]},
                "BankAccountRef": {"ListID": _account(company, "Bank")},
                "TxnDate": today,
                "RefNumber": "LB-1",
                "AppliedToTxnAdd": [{"TxnID": unpaid["TxnID"], "PaymentAmount": "1.00"}],
            },
        )
        touched["old_paid"], touched["payment"] = unpaid["TxnID"], payment
        # An old check re-dated into the range: now it belongs.
        old_check = _txns(company, "checks", before=cutoff)[0]
        company.edit("Check", old_check["TxnID"], {"TxnDate": today})
        touched["redated_in"] = old_check["TxnID"]
        # Entered today, but dated before the look-back date: never ours.
        vendor = company.records("Vendor")[0]["ListID"]
        expense = _account(company, "Expense")
        backdated = company.add(
            "Bill",
            {
                "VendorRef": {"ListID": vendor},
                "TxnDate": (date.fromisoformat(cutoff) - timedelta(days=3)).isoformat(),
                "RefNumber": "LB-OLD",
                "ExpenseLineRet": [{"AccountRef": {"ListID": expense}, "Amount": "12.34"}],
            },
        )
        touched["backdated"] = backdated
        recent = company.add(
            "Bill",
            {
                "VendorRef": {"ListID": vendor},
                "TxnDate": today,
                "RefNumber": "LB-NEW",
                "ExpenseLineRet": [{"AccountRef": {"ListID": expense}, "Amount": "56.78"}],
            },
        )
        touched["recent"] = recent
        company.edit("Bill", new_bills[-1]["TxnID"], {"Memo": "Recent bill edited"})
        touched["recent_edited"] = new_bills[-1]["TxnID"]

    reports = rig.run_scheduled(3, change_older_transactions)
    assert [r.outcome for r in reports] == ["completed"] * 3, [r.errors for r in reports]

    result = compare_all(rig, txn_date_from=cutoff)
    result.assert_equal()
    held = _held_txn_ids(rig)
    assert touched["old_edited"] not in held
    assert touched["old_paid"] not in held
    assert touched["backdated"] not in held
    assert {touched["payment"], touched["redated_in"], touched["recent"]} <= held
    bills = {b["txn_id"]: b for b in rig.records("bills")}
    assert bills[touched["recent_edited"]]["memo"] == "Recent bill edited"
    # Not vacuous: the range cut the history, and lists are complete whatever their age.
    older = sum(len(_txns(company, s, before=cutoff)) for s in TXN_STREAMS)
    newer = sum(len(_txns(company, s, after=cutoff)) for s in TXN_STREAMS)
    assert older > 20 and newer > 20 and len(held) == newer
    assert all(result.compared[s] == len(fake_records(company, s)) for s in LIST_STREAMS)


def test_transaction_redated_before_the_look_back_date_is_not_left_stale(
    inproc_rig: Any,
) -> None:
    """A transaction synced while in range and then re-dated before the look-back date leaves
    the range: the server must not keep listing its old version (found failing at f3f98a9:
    Planner._ingest_page skipped it without looking at what was stored)."""
    company = generate_current("tiny", seed=7)
    cutoff = _cutoff(company)
    rig = inproc_rig(company, cutoff)
    rig.run_session()
    moved = _txns(company, "bills", after=cutoff)[0]
    company.clock.advance(timedelta(hours=1))
    company.edit("Bill", moved["TxnID"], {"TxnDate": "2020-01-02", "Memo": "Moved to 2020"})
    rig.run_session()

    stored = {b["txn_id"]: b for b in rig.records("bills")}.get(moved["TxnID"])
    now_in_qb = company.get("Bill", moved["TxnID"])
    assert now_in_qb is not None
    # Either the server follows QuickBooks, or it no longer lists the bill as in range.
    assert stored is None or (
        stored["txn_date"] == "2020-01-02" and stored["edit_sequence"] == now_in_qb["EditSequence"]
    ), stored and (stored["txn_date"], stored["edit_sequence"], now_in_qb["EditSequence"])

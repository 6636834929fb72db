"""Issue 4, acceptance 3: edits, inactivations, deletions and new records made in QuickBooks
between sessions are on the server after the next session, and the change feed reports them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile
from qbwc_server.sim.report import SessionReport
from qbwc_server.sim.scheduler import Scheduler
from tests.sync.expected import (
    edit_sequences,
    expected_feed,
    feed_as_map,
    vendor_balances,
)
from tests.sync.helpers import (
    Rig,
    compare_all,
    feed_position,
    first_txn_date,
    generate_current,
    qb_local_now,
    read_changes,
)


def _account(company: CompanyFile, account_type: str) -> str:
    return next(a["ListID"] for a in company.records("Account") if a["AccountType"] == account_type)


def _unreferenced(company: CompanyFile, object_type: str) -> str:
    """A list record no other record refers to (deleting it leaves no dangling reference)."""
    everything = json.dumps([company.records(t) for t in company.tables], default=str)
    for record in company.records(object_type):
        if everything.count(record["ListID"]) == 1:
            return str(record["ListID"])
    raise AssertionError(f"every {object_type} is referenced")


def _make_changes(company: CompanyFile) -> dict[str, str]:
    """What a bookkeeper does in QuickBooks between two syncs."""
    done: dict[str, str] = {}
    company.clock.advance(timedelta(minutes=7))
    today = company.clock.now.date().isoformat()
    vendors = company.records("Vendor")
    active = [v for v in vendors if v.get("IsActive", True)]
    company.edit("Vendor", active[0]["ListID"], {"Phone": "(555) 010-9999", "Email": "ap@x.test"})
    done["vendor_edited"] = active[0]["ListID"]
    company.make_inactive("Vendor", active[1]["ListID"])
    done["vendor_inactivated"] = active[1]["ListID"]
    expense_accounts = [a for a in company.records("Account") if a["AccountType"] == "Expense"]
    company.make_inactive("Account", expense_accounts[-1]["ListID"])
    done["account_inactivated"] = expense_accounts[-1]["ListID"]
    done["other_name_deleted"] = _unreferenced(company, "OtherName")
    company.delete("OtherName", done["other_name_deleted"])

    bills = company.records("Bill")
    lonely = [b for b in bills if not b.get("LinkedTxn")]
    company.delete("Bill", lonely[0]["TxnID"])
    done["bill_deleted"] = lonely[0]["TxnID"]
    checks = company.records("Check")
    company.delete("Check", checks[0]["TxnID"])
    done["check_deleted"] = checks[0]["TxnID"]
    credit = company.records("VendorCredit")[0]
    company.edit("VendorCredit", credit["TxnID"], {"Memo": "Credit memo corrected"})
    done["credit_edited"] = credit["TxnID"]

    done["vendor_added"] = company.add(
        "Vendor", {"Name": "Zed's New Supplies", "CompanyName": "Zed's New Supplies LLC"}
    )
    done["bill_added"] = company.add(
        "Bill",
        {
            "VendorRef": {"ListID": done["vendor_added"]},
            "TxnDate": today,
            "RefNumber": "NEW-1",
            "ExpenseLineRet": [
                {"AccountRef": {"ListID": _account(company, "Expense")}, "Amount": "99.10"}
            ],
        },
    )
    unpaid = next(
        b for b in bills if b["OpenAmount"] != "0.00" and b["TxnID"] != lonely[0]["TxnID"]
    )
    done["bill_paid"] = unpaid["TxnID"]
    done["payment_added"] = company.add(
        "BillPaymentCheck",
        {
            "PayeeEntityRef": {"ListID": unpaid["VendorRef"]["ListID"]},
            "BankAccountRef": {"ListID": _account(company, "Bank")},
            "TxnDate": today,
            "AppliedToTxnAdd": [{"TxnID": unpaid["TxnID"], "PaymentAmount": unpaid["OpenAmount"]}],
        },
    )
    return done


def test_changes_between_sessions_reach_the_server_and_the_change_feed(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=11)
    rig = inproc_rig(company, first_txn_date(company))
    state: dict[str, Any] = {}

    def between(_s: Scheduler, report: SessionReport) -> None:
        if report.index == 1:
            compare_all(rig).assert_equal()
            state["before"] = edit_sequences(company)
            state["balances_before"] = vendor_balances(company)
            state["feed"] = feed_position(rig.api, rig.company_id)
            state["done"] = _make_changes(company)
            state["after"] = edit_sequences(company)
            state["balances_after"] = vendor_balances(company)
        elif report.index == 2:
            state["feed_after_2"] = feed_position(rig.api, rig.company_id)

    reports = rig.run_scheduled(3, between)
    assert [r.outcome for r in reports] == ["completed"] * 3, [r.errors for r in reports]
    done = state["done"]

    compare_all(rig).assert_equal()
    vendors = {v["list_id"]: v for v in rig.records("vendors")}
    assert vendors[done["vendor_edited"]]["phone"] == "(555) 010-9999"
    assert vendors[done["vendor_inactivated"]]["is_active"] is False
    assert vendors[done["vendor_added"]]["name"] == "Zed's New Supplies"
    accounts = {a["list_id"]: a for a in rig.records("accounts")}
    assert accounts[done["account_inactivated"]]["is_active"] is False
    bills = {b["txn_id"]: b for b in rig.records("bills")}
    assert done["bill_deleted"] not in bills and done["bill_added"] in bills
    assert bills[done["bill_paid"]]["is_paid"] is True
    assert bills[done["bill_paid"]]["linked_txns"][-1]["txn_id"] == done["payment_added"]
    deleted = {
        b["txn_id"]: b for b in rig.records("bills", include_deleted=True) if b["is_deleted"]
    }
    assert deleted[done["bill_deleted"]]["deleted_at"]
    assert done["other_name_deleted"] not in {o["list_id"] for o in rig.records("other_names")}

    # The change feed of session 2 is exactly what changed in QuickBooks (no replays).
    changes, _ = read_changes(rig.api, rig.company_id, state["feed"])
    expected = expected_feed(
        state["before"], state["after"], state["balances_before"], state["balances_after"]
    )
    got = feed_as_map(changes)
    assert got == expected, {
        "missing": {k: v for k, v in expected.items() if got.get(k) != v},
        "unexpected": {k: v for k, v in got.items() if expected.get(k) != v},
    }
    ops = {op for op, _ in expected.values()}
    # 11 edited, added or deleted records, and the 2 vendors whose Balance the deleted bill
    # and the new payment moved.
    assert ops == {"upsert", "delete"} and len(expected) == 13
    # Session 3 had nothing new to report, although it re-read the overlap.
    assert read_changes(rig.api, rig.company_id, state["feed_after_2"])[0] == []


def test_values_quickbooks_changes_without_touching_time_modified_stay_current(
    inproc_rig: Any,
) -> None:
    """A vendor's Balance moves with a new bill, and renaming a vendor or an account leaves
    the records that refer to them untouched (same TimeModified): the Balance is re-read at
    the end of the session (sync/balances.py), and every reference's name is the current one
    when read (record_queries._current_names): ``vendor_name`` and each ``…Ref/FullName``."""
    company = generate_current("tiny", seed=11)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    bill = company.records("Bill")[0]
    renamed = bill["VendorRef"]["ListID"]
    owing = company.records("Vendor")[2]["ListID"]
    account = next(
        line["AccountRef"]["ListID"]
        for b in company.records("Bill")
        for line in b.get("ExpenseLineRet", [])
    )
    company.clock.advance(timedelta(hours=1))
    company.edit("Vendor", renamed, {"Name": "Renamed Vendor Inc"})
    company.edit("Account", account, {"Name": "Renamed Expense Account"})
    company.add(
        "Bill",
        {
            "VendorRef": {"ListID": owing},
            "ExpenseLineRet": [
                {"AccountRef": {"ListID": _account(company, "Expense")}, "Amount": "250.00"}
            ],
        },
    )
    rig.run_session()
    vendors = {v["list_id"]: v for v in rig.records("vendors")}
    assert vendors[renamed]["name"] == "Renamed Vendor Inc"  # the vendor itself did change
    stale: list[str] = []
    balance = company.get("Vendor", owing)["Balance"]  # type: ignore[index]
    if vendors[owing]["balance"] != balance:
        stale.append(f"vendor balance {vendors[owing]['balance']} != {balance}")
    stored = {b["txn_id"]: b for b in rig.records("bills")}[bill["TxnID"]]
    if stored["vendor_name"] != "Renamed Vendor Inc":
        stale.append(f"bill vendor_name {stored['vendor_name']!r}")
    if stored["qb"]["VendorRef"]["FullName"] != "Renamed Vendor Inc":
        stale.append(f"bill qb.VendorRef {stored['qb']['VendorRef']!r}")
    assert not stale, stale
    # Every record of every type, the names inside `qb` (account refs of lines) included.
    compare_all(rig).assert_equal()


def test_changes_made_in_quickbooks_while_a_sync_runs_are_not_lost(inproc_rig: Any) -> None:
    """The bookkeeper keeps working while the first sync pages through the history: records
    in windows already done change, a bill is back-dated into one, a check is deleted."""
    company = generate_current("tiny", seed=29)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    bills = sorted(company.records("Bill"), key=lambda b: str(b["TxnDate"]))
    checks = sorted(company.records("Check"), key=lambda c: str(c["TxnDate"]))
    vendors = [v["ListID"] for v in company.records("Vendor") if v.get("IsActive", True)]

    def early() -> None:
        company.edit("Bill", bills[0]["TxnID"], {"Memo": "Changed while syncing"})
        company.make_inactive("Vendor", vendors[0])

    def middle() -> None:
        company.edit("Vendor", vendors[1], {"Phone": "(555) 777-0001"})
        company.delete("Check", checks[0]["TxnID"])
        _add_bill_dated(company, vendors[2], str(bills[0]["TxnDate"]), "DURING-1")

    def late() -> None:
        company.edit("Bill", bills[1]["TxnID"], {"Memo": "Changed late in the sync"})
        company.edit("Vendor", vendors[3], {"Email": "late@x.test"})

    # Each change lands in a stream whose pass is already done in this session (the opening
    # looks share message sets: after the message that asked the stream named).
    plan = {"BillPaymentCheckQueryRq": early, "CreditCardChargeQueryRq": middle,
            "ItemReceiptQueryRq": late}  # fmt: skip

    def while_syncing(report: SessionReport, _percent: int) -> None:
        for asked in re.findall(r"<(\w+QueryRq)\b", report.requests[-1]):
            action = plan.pop(asked, None)
            if action is not None:
                company.clock.advance(timedelta(seconds=40))
                action()

    rig.wc.on_progress = while_syncing
    rig.run_session()
    assert not plan, plan
    company.clock.advance(timedelta(minutes=15))
    rig.run_session()
    compare_all(rig).assert_equal()


def test_quickbooks_clock_behind_the_server_clock_loses_no_changes(inproc_rig: Any) -> None:
    """A QuickBooks PC whose date is two days behind: the server must take QuickBooks' own
    timestamps, not its own clock, as the lower bound of the next modified-date pass."""
    company = generate_current("tiny", seed=31, now=qb_local_now() - timedelta(days=2))
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    company.clock.advance(timedelta(hours=1))
    vendor = company.records("Vendor")[0]["ListID"]
    company.edit("Vendor", vendor, {"Phone": "(555) 222-0002"})
    company.edit("Bill", company.records("Bill")[5]["TxnID"], {"Memo": "PC clock is late"})
    added = _add_bill_dated(company, vendor, company.clock.now.date().isoformat(), "LATE-1")
    rig.run_session()
    compare_all(rig).assert_equal()
    assert added in {b["txn_id"] for b in rig.records("bills")}


def _add_bill_dated(company: CompanyFile, vendor: str, txn_date: str, ref: str) -> str:
    return company.add(
        "Bill",
        {
            "VendorRef": {"ListID": vendor},
            "TxnDate": txn_date,
            "RefNumber": ref,
            "ExpenseLineRet": [
                {"AccountRef": {"ListID": _account(company, "Expense")}, "Amount": "31.40"}
            ],
        },
    )

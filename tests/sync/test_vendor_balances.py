"""Vendor balances (sync/balances.py): QuickBooks moves a vendor's Balance with every bill,
credit and payment without editing the vendor, so the server re-reads exactly the vendors its
stored AP transactions touched, at the end of the session, and keeps the marks when that
re-read fails."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile
from qbwc_server.sim.quickbooks.errors import QBRequestError
from qbwc_server.sim.report import SessionReport
from tests.sync.helpers import Rig, compare_all, first_txn_date, generate_current

_REREAD = re.compile(r'<VendorQueryRq requestID="vendor_balances:')


def _re_read_ids(report: SessionReport) -> list[list[str]]:
    """The ListIDs of each vendor re-read request of a session."""
    return [
        re.findall(r"<ListID>([^<]+)</ListID>", xml)
        for xml in report.requests
        if _REREAD.search(xml)
    ]


def _add_bill(company: CompanyFile, vendor_id: str, amount: str) -> None:
    account = next(a["ListID"] for a in company.records("Account") if a["AccountType"] == "Expense")
    company.add(
        "Bill",
        {
            "VendorRef": {"ListID": vendor_id},
            "ExpenseLineRet": [{"AccountRef": {"ListID": account}, "Amount": amount}],
        },
    )


def _balance(rig: Rig, vendor_id: str) -> str:
    return str({v["list_id"]: v for v in rig.records("vendors")}[vendor_id]["balance"])


def test_only_vendors_touched_since_they_were_stored_are_re_read(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=5)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    first = rig.run_session()
    # The initial sync stored the vendors in this session, after QuickBooks had counted
    # every bill into their balances: nothing to re-read.
    assert _re_read_ids(first) == []
    compare_all(rig).assert_equal()

    vendors = [v["ListID"] for v in company.records("Vendor") if v.get("IsActive", True)]
    company.clock.advance(timedelta(hours=1))
    _add_bill(company, vendors[0], "321.00")
    second = rig.run_session()
    assert _re_read_ids(second) == [[vendors[0]]]
    assert _balance(rig, vendors[0]) == company.get("Vendor", vendors[0])["Balance"]  # type: ignore[index]
    compare_all(rig).assert_equal()

    # Nothing changed in QuickBooks: the overlap re-reads the new bill, unchanged, so no
    # vendor is re-read.
    company.clock.advance(timedelta(minutes=15))
    third = rig.run_session()
    assert _re_read_ids(third) == []
    compare_all(rig).assert_equal()


def test_a_failed_re_read_is_retried_next_session(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=6)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    vendors = [v["ListID"] for v in company.records("Vendor") if v.get("IsActive", True)]
    before = _balance(rig, vendors[1])
    company.clock.advance(timedelta(hours=1))
    _add_bill(company, vendors[1], "45.67")

    real = rig.qb.process

    def refusing(request_xml: str) -> str:
        if _REREAD.search(request_xml):
            raise QBRequestError("0x80040408")  # QuickBooks is busy / not responding
        return real(request_xml)

    rig.qb.process = refusing  # type: ignore[method-assign]
    failed = rig.run_session(expect=None)
    assert _re_read_ids(failed) == [[vendors[1]]]
    assert _balance(rig, vendors[1]) == before  # not re-read yet

    rig.qb.process = real  # type: ignore[method-assign]
    company.clock.advance(timedelta(minutes=15))
    retried = rig.run_session()
    assert [vendors[1]] in _re_read_ids(retried)
    assert _balance(rig, vendors[1]) == company.get("Vendor", vendors[1])["Balance"]  # type: ignore[index]
    compare_all(rig).assert_equal()


def test_a_bill_given_to_another_vendor_re_reads_both_vendors(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=7)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    bill = next(
        b for b in company.records("Bill") if not b.get("LinkedTxn") and b["OpenAmount"] != "0.00"
    )
    old = bill["VendorRef"]["ListID"]
    new = next(
        v["ListID"]
        for v in company.records("Vendor")
        if v.get("IsActive", True) and v["ListID"] != old
    )
    balances = {v: company.get("Vendor", v)["Balance"] for v in (old, new)}  # type: ignore[index]
    company.clock.advance(timedelta(hours=1))
    company.edit("Bill", bill["TxnID"], {"VendorRef": {"ListID": new}})
    assert all(company.get("Vendor", v)["Balance"] != balances[v] for v in (old, new))  # type: ignore[index]

    moved = rig.run_session()
    assert sorted(i for ids in _re_read_ids(moved) for i in ids) == sorted([old, new])
    for vendor in (old, new):
        assert _balance(rig, vendor) == company.get("Vendor", vendor)["Balance"]  # type: ignore[index]
    compare_all(rig).assert_equal()

"""Issue 4, acceptance 4: a company file restored from a backup, and daylight-saving changes
(QuickBooks writes the standard-time offset all summer, §6.5), lose no changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile
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


def _add_bill(company: CompanyFile, vendor: str, ref: str, amount: str) -> str:
    return company.add(
        "Bill",
        {
            "VendorRef": {"ListID": vendor},
            "RefNumber": ref,
            "ExpenseLineRet": [
                {"AccountRef": {"ListID": _account(company, "Expense")}, "Amount": amount}
            ],
        },
    )


def test_company_file_restored_from_a_backup_ends_equal_to_quickbooks(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=13)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    backup = company.snapshot()

    company.clock.advance(timedelta(hours=2))
    vendors = company.records("Vendor")
    company.edit("Vendor", vendors[0]["ListID"], {"Phone": "(555) 000-1111"})
    company.edit("Bill", company.records("Bill")[3]["TxnID"], {"Memo": "Edited after backup"})
    _add_bill(company, vendors[1]["ListID"], "AFTER-BACKUP", "10.00")
    company.delete("Check", company.records("Check")[0]["TxnID"])
    rig.run_session()
    compare_all(rig).assert_equal()  # the changes did arrive

    # The PC's disk failed; yesterday's backup is restored. The clock goes on.
    before = edit_sequences(company)
    balances_before = vendor_balances(company)
    feed = feed_position(rig.api, rig.company_id)
    company.clock.advance(timedelta(hours=20))
    company.restore_from(backup)
    rig.run_session()
    company.clock.advance(timedelta(minutes=15))
    rig.run_session()
    compare_all(rig).assert_equal()
    # The change feed tells consumers what the restore undid, once each.
    expected = expected_feed(
        before, edit_sequences(company), balances_before, vendor_balances(company)
    )
    # The vendor edit, the bill edit, the bill added and the check deleted after the backup,
    # and the Balance of the vendor of the bill that vanished.
    assert len(expected) == 5
    assert feed_as_map(read_changes(rig.api, rig.company_id, feed)[0]) == expected


def _next_transitions(after: datetime) -> tuple[datetime, datetime]:
    """(spring-forward, fall-back) wall times of the first US DST year after ``after``."""

    def nth_sunday(year: int, month: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))

    year = after.year + 1
    spring = datetime.combine(nth_sunday(year, 3, 2), datetime.min.time()).replace(hour=2)
    fall = datetime.combine(nth_sunday(year, 11, 1), datetime.min.time()).replace(hour=2)
    return spring, fall


def test_changes_around_daylight_saving_changes_are_not_lost(inproc_rig: Any) -> None:
    # QuickBooks' clock is put at the next spring-forward (ahead of the server's real clock,
    # never behind it: a PC whose date is wrong is another matter).
    spring, fall = _next_transitions(qb_local_now())
    company = generate_current("tiny", seed=17, now=spring - timedelta(minutes=40))
    assert company.clock.dst_offset_quirk
    rig: Rig = inproc_rig(company, first_txn_date(company))
    clock = company.clock
    vendors = [v["ListID"] for v in company.records("Vendor")]
    bills = [b["TxnID"] for b in company.records("Bill")]
    checks = [c["TxnID"] for c in company.records("Check")]
    rig.run_session()  # 01:20 standard time

    # Spring forward: 01:55 PST, then (02:00 -> 03:00) 03:05 PDT, written "-08:00" (§6.5).
    clock.set(spring - timedelta(minutes=5))
    company.edit("Vendor", vendors[0], {"Phone": "(555) 100-0001"})
    company.delete("Check", checks[0])
    rig.run_session()
    clock.set(spring + timedelta(hours=1, minutes=5))
    company.edit("Vendor", vendors[1], {"Phone": "(555) 100-0002"})
    company.edit("Bill", bills[0], {"Memo": "Entered 03:05 PDT"})
    stamp = company.get("Bill", bills[0])["TimeModified"]  # type: ignore[index]
    assert stamp.endswith("03:05:00-08:00"), stamp  # the quirk: standard offset in summer
    rig.run_session()
    compare_all(rig).assert_equal()

    # Fall back: 01:40 PDT, a session at 01:45 PDT, then 02:00 PDT -> 01:00 PST and changes
    # at 01:10-01:20 PST, whose wall-clock times are *earlier* than the watermark 01:40.
    first_hour = fall - timedelta(minutes=20)
    clock.set(first_hour)
    company.edit("Vendor", vendors[2], {"Phone": "(555) 100-0003"})
    company.edit("Bill", bills[1], {"Memo": "Entered 01:40 PDT"})
    company.delete("Check", checks[1])
    clock.set(first_hour + timedelta(minutes=5))
    rig.run_session()
    clock.set(fall - timedelta(minutes=50))  # 01:10 PST, the hour again
    company.edit("Vendor", vendors[3], {"Phone": "(555) 100-0004"})
    company.edit("Bill", bills[2], {"Memo": "Entered 01:10 PST"})
    new_bill = _add_bill(company, vendors[4], "DST-PST", "42.00")
    clock.set(fall - timedelta(minutes=40))
    company.delete("Check", checks[2])
    clock.set(fall - timedelta(minutes=35))
    rig.run_session()

    compare_all(rig).assert_equal()
    stored = {b["txn_id"]: b for b in rig.records("bills")}
    assert stored[bills[2]]["memo"] == "Entered 01:10 PST"
    assert new_bill in stored
    assert not {c["txn_id"] for c in rig.records("checks")} & set(checks[:3])


def test_restored_file_that_is_edited_again_before_the_next_sync_ends_equal(
    inproc_rig: Any,
) -> None:
    """The usual story: the backup is restored and the bookkeeper goes on working before the
    Web Connector's next run, so the file's newest TimeModified is past our watermark again."""
    company = generate_current("tiny", seed=41)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    backup = company.snapshot()

    company.clock.advance(timedelta(hours=2))
    vendors = company.records("Vendor")
    company.edit("Vendor", vendors[0]["ListID"], {"Phone": "(555) 000-2222"})
    _add_bill(company, vendors[1]["ListID"], "LOST-IN-RESTORE", "20.00")
    company.delete("Check", company.records("Check")[0]["TxnID"])
    rig.run_session()

    company.clock.advance(timedelta(hours=20))
    company.restore_from(backup)
    company.clock.advance(timedelta(minutes=5))
    company.edit("Vendor", vendors[2]["ListID"], {"Phone": "(555) 000-3333"})
    _add_bill(company, vendors[3]["ListID"], "AFTER-RESTORE", "30.00")
    rig.run_session()
    company.clock.advance(timedelta(minutes=15))
    rig.run_session()
    compare_all(rig).assert_equal()

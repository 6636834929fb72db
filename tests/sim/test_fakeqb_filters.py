"""Query filters of the fake QuickBooks (protocol doc §6.5, §6.6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.quickbooks.xmlout import escape_text

from .fakeqb_support import ask_one, ids, open_fake, status


@pytest.fixture
def company() -> CompanyFile:
    return CompanyFile.generate(seed=11, profile="tiny")


@pytest.fixture
def fake(company: CompanyFile) -> FakeQuickBooks:
    return open_fake(company)


def test_active_status_defaults_to_active_only(company: CompanyFile, fake: FakeQuickBooks) -> None:
    vendors = company.records("Vendor")
    inactive = {v["ListID"] for v in vendors if not v["IsActive"]}
    assert inactive, "the generator makes some vendors inactive"
    default = ids(ask_one(fake, '<VendorQueryRq requestID="1"/>'), "ListID")
    everything = ids(
        ask_one(
            fake, '<VendorQueryRq requestID="1"><ActiveStatus>All</ActiveStatus></VendorQueryRq>'
        ),
        "ListID",
    )
    only_inactive = ids(
        ask_one(
            fake,
            '<VendorQueryRq requestID="1"><ActiveStatus>InactiveOnly</ActiveStatus>'
            "</VendorQueryRq>",
        ),
        "ListID",
    )
    assert not inactive & set(default)
    assert set(everything) == {v["ListID"] for v in vendors}
    assert set(only_inactive) == inactive


def test_list_modified_range_is_inclusive_and_local_time(
    company: CompanyFile, fake: FakeQuickBooks
) -> None:
    vendors = sorted(company.records("Vendor"), key=lambda v: v["TimeModified"])
    pivot = vendors[len(vendors) // 2]["TimeModified"][:19]  # no offset: QB local time
    expected = {v["ListID"] for v in vendors if v["TimeModified"][:19] >= pivot}
    rs = ask_one(
        fake,
        '<VendorQueryRq requestID="1"><ActiveStatus>All</ActiveStatus>'
        f"<FromModifiedDate>{pivot}</FromModifiedDate></VendorQueryRq>",
    )
    assert set(ids(rs, "ListID")) == expected
    assert pivot in {el.findtext("TimeModified", "")[:19] for el in rs}  # inclusive


def test_txn_modified_and_txn_date_ranges(company: CompanyFile, fake: FakeQuickBooks) -> None:
    bills = company.records("Bill")
    mid = sorted(b["TimeModified"][:19] for b in bills)[len(bills) // 2]
    rs = ask_one(
        fake,
        '<BillQueryRq requestID="1"><ModifiedDateRangeFilter>'
        f"<FromModifiedDate>{mid}</FromModifiedDate></ModifiedDateRangeFilter></BillQueryRq>",
    )
    assert set(ids(rs)) == {b["TxnID"] for b in bills if b["TimeModified"][:19] >= mid}
    modified = [el.findtext("TimeModified", "")[:19] for el in rs]
    assert modified == sorted(modified)
    lo, hi = "2023-01-01", "2023-06-30"
    rs = ask_one(
        fake,
        '<BillQueryRq requestID="1"><TxnDateRangeFilter>'
        f"<FromTxnDate>{lo}</FromTxnDate><ToTxnDate>{hi}</ToTxnDate>"
        "</TxnDateRangeFilter></BillQueryRq>",
    )
    assert set(ids(rs)) == {b["TxnID"] for b in bills if lo <= b["TxnDate"] <= hi}


def test_id_lists_ok_partial_and_missing(company: CompanyFile, fake: FakeQuickBooks) -> None:
    bills = company.records("Bill")[:2]
    good = "".join(f"<TxnID>{b['TxnID']}</TxnID>" for b in bills)
    rs = ask_one(fake, f'<BillQueryRq requestID="1">{good}</BillQueryRq>')
    assert status(rs) == 0 and ids(rs) == [b["TxnID"] for b in bills]
    rs = ask_one(fake, f'<BillQueryRq requestID="1">{good}<TxnID>FFFF-1</TxnID></BillQueryRq>')
    assert status(rs) == 500 and rs.get("statusSeverity") == "Warn" and len(ids(rs)) == 2
    rs = ask_one(fake, '<BillQueryRq requestID="1"><TxnID>FFFF-1</TxnID></BillQueryRq>')
    assert status(rs) == 3120 and rs.get("statusSeverity") == "Error" and len(rs) == 0
    vendor = company.records("Vendor")[0]
    name = escape_text(vendor["Name"])
    rs = ask_one(
        fake,
        f'<VendorQueryRq requestID="1"><FullName>{name}</FullName>'
        "<FullName>No Such Vendor</FullName></VendorQueryRq>",
    )
    assert status(rs) == 500 and ids(rs, "ListID") == [vendor["ListID"]]


def test_nothing_matches_is_status_1(fake: FakeQuickBooks) -> None:
    rs = ask_one(
        fake,
        '<BillQueryRq requestID="1"><TxnDateRangeFilter><FromTxnDate>1990-01-01</FromTxnDate>'
        "<ToTxnDate>1990-12-31</ToTxnDate></TxnDateRangeFilter></BillQueryRq>",
    )
    assert status(rs) == 1 and rs.get("statusSeverity") == "Info" and len(rs) == 0


def test_entity_filter_and_paid_status(company: CompanyFile, fake: FakeQuickBooks) -> None:
    bills = company.records("Bill")
    vendor_id = bills[0]["VendorRef"]["ListID"]
    rs = ask_one(
        fake,
        f'<BillQueryRq requestID="1"><EntityFilter><ListID>{vendor_id}</ListID></EntityFilter>'
        "</BillQueryRq>",
    )
    assert set(ids(rs)) == {b["TxnID"] for b in bills if b["VendorRef"]["ListID"] == vendor_id}
    rs = ask_one(
        fake, '<BillQueryRq requestID="1"><PaidStatus>NotPaidOnly</PaidStatus></BillQueryRq>'
    )
    assert set(ids(rs)) == {b["TxnID"] for b in bills if not b["IsPaid"]}
    assert {el.findtext("IsPaid") for el in rs} == {"false"}


def test_lines_and_links_only_when_asked(fake: FakeQuickBooks) -> None:
    plain = ask_one(fake, '<BillQueryRq requestID="1"><MaxReturned>20</MaxReturned></BillQueryRq>')
    assert len(plain) == 20
    assert plain.find(".//ExpenseLineRet") is None and plain.find(".//LinkedTxn") is None
    full = ask_one(
        fake,
        '<BillQueryRq requestID="1"><MaxReturned>20</MaxReturned>'
        "<IncludeLineItems>true</IncludeLineItems><IncludeLinkedTxns>true</IncludeLinkedTxns>"
        "</BillQueryRq>",
    )
    assert full.find(".//ExpenseLineRet") is not None and full.find(".//LinkedTxn") is not None


def test_include_ret_element_and_meta_data(company: CompanyFile, fake: FakeQuickBooks) -> None:
    rs = ask_one(
        fake,
        '<VendorQueryRq requestID="1"><MaxReturned>3</MaxReturned>'
        "<IncludeRetElement>ListID</IncludeRetElement><IncludeRetElement>Name</IncludeRetElement>"
        "</VendorQueryRq>",
    )
    assert [[child.tag for child in ret] for ret in rs] == [["ListID", "Name"]] * 3
    rs = ask_one(fake, '<BillQueryRq requestID="1" metaData="MetaDataOnly"/>')
    assert int(rs.get("retCount", "-1")) == len(company.records("Bill")) and len(rs) == 0


def test_deleted_queries_only_know_the_last_90_days(
    company: CompanyFile, fake: FakeQuickBooks
) -> None:
    horizon = company.clock.now - timedelta(days=90)
    deleted_bills = [d for d in company.deleted if d.is_txn and d.del_type == "Bill"]
    assert any(d.deleted_at < horizon for d in company.deleted), "generator logs old deletions"
    rs = ask_one(
        fake, '<TxnDeletedQueryRq requestID="1"><TxnDelType>Bill</TxnDelType></TxnDeletedQueryRq>'
    )
    assert set(ids(rs)) == {d.object_id for d in deleted_bills if d.deleted_at >= horizon}
    # Deleting now shows up; a DeletedDateRangeFilter narrows it.
    vendor = company.records("Vendor")[-1]
    company.delete("Vendor", vendor["ListID"])
    today = company.clock.now.date().isoformat()
    rs = ask_one(
        fake,
        '<ListDeletedQueryRq requestID="1"><ListDelType>Vendor</ListDelType>'
        f"<DeletedDateRangeFilter><FromDeletedDate>{today}</FromDeletedDate>"
        "</DeletedDateRangeFilter></ListDeletedQueryRq>",
    )
    assert ids(rs, "ListID") == [vendor["ListID"]]
    assert rs[0].findtext("FullName") == vendor["Name"]


def test_date_macro(company: CompanyFile, fake: FakeQuickBooks) -> None:
    today = company.clock.now.date()
    first = today.replace(day=1)
    rs = ask_one(
        fake,
        '<BillQueryRq requestID="1"><TxnDateRangeFilter><DateMacro>ThisMonthToDate</DateMacro>'
        "</TxnDateRangeFilter></BillQueryRq>",
    )
    expected = {
        b["TxnID"]
        for b in company.records("Bill")
        if first <= date.fromisoformat(b["TxnDate"]) <= today
    }
    assert set(ids(rs)) == expected


def test_owner_id_returns_custom_fields_only_when_asked(fake: FakeQuickBooks) -> None:
    plain = ask_one(
        fake, '<VendorQueryRq requestID="1"><ActiveStatus>All</ActiveStatus></VendorQueryRq>'
    )
    assert plain.find(".//DataExtRet") is None
    asked = ask_one(
        fake,
        '<VendorQueryRq requestID="1"><ActiveStatus>All</ActiveStatus><OwnerID>0</OwnerID>'
        "</VendorQueryRq>",
    )
    values = [el.findtext("DataExtValue") for el in asked.iter("DataExtRet")]
    assert values and all(v and v.startswith("V") for v in values)
    other = ask_one(
        fake,
        '<VendorQueryRq requestID="1"><ActiveStatus>All</ActiveStatus>'
        "<OwnerID>{11111111-2222-3333-4444-555555555555}</OwnerID></VendorQueryRq>",
    )
    assert other.find(".//DataExtRet") is None

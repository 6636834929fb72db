"""The company file: determinism, backups, clock/DST quirk, FileID/AppLock, mutation API."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta

import pytest

from qbwc_server.sim.quickbooks import CompanyError, CompanyFile, FakeQuickBooks, QBClock, qb_text
from qbwc_server.sim.quickbooks.catalog import LIST_TYPES, TXN_TYPES
from qbwc_server.sim.quickbooks.qbxml_text import parse_document

from .fakeqb_support import FILE_ID, OWNER_ID, ask_one, child, ids, open_fake, status, text


def _everything(company: CompanyFile) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    return {t: company.records(t) for t in LIST_TYPES + TXN_TYPES}


def test_same_seed_same_data_other_seed_other_data() -> None:
    first = _everything(CompanyFile.generate(seed=42, profile="tiny"))
    assert first == _everything(CompanyFile.generate(seed=42, profile="tiny"))
    assert first != _everything(CompanyFile.generate(seed=43, profile="tiny"))


def test_generated_data_is_realistic_ap_data() -> None:
    company = CompanyFile.generate(seed=4, profile="tiny")
    vendors = company.records("Vendor")
    names = {v["Name"] for v in vendors}
    assert any("&" in n for n in names) and any('"' in n for n in names)
    assert any("é" in n or "ü" in n for n in names)
    assert any("?" in n for n in names), "non-Latin names come back as QuickBooks stores them"
    assert all(qb_text(n) == n for n in names)
    accounts = company.records("Account")
    assert any(a.get("Sublevel") == 1 and ":" in a["FullName"] for a in accounts)
    customers = company.records("Customer")
    assert any(c.get("Sublevel", 0) >= 1 for c in customers)
    bills = company.records("Bill")
    assert any(b["IsPaid"] for b in bills) and any(not b["IsPaid"] for b in bills)
    assert any(not b["IsPaid"] and b["OpenAmount"] != b["AmountDue"] for b in bills), (
        "some bills are partially paid"
    )
    assert any(len(b.get("ExpenseLineRet", [])) > 1 for b in bills)
    assert any("ItemLineRet" in b for b in bills)
    assert any(
        any(link["TxnType"] == "PurchaseOrder" for link in b.get("LinkedTxn", [])) for b in bills
    )
    assert any(
        any(link["TxnType"] == "VendorCredit" for link in b.get("LinkedTxn", [])) for b in bills
    )
    years = {b["TxnDate"][:4] for b in bills}
    assert len(years) >= 2
    # The vendor balance is the sum of open bills minus open credits.
    vendor = max(vendors, key=lambda v: float(v["Balance"]))
    open_bills = sum(
        float(b["OpenAmount"]) for b in bills if b["VendorRef"]["ListID"] == vendor["ListID"]
    )
    open_credits = sum(
        float(c["OpenAmount"])
        for c in company.records("VendorCredit")
        if c["VendorRef"]["ListID"] == vendor["ListID"]
    )
    assert float(vendor["Balance"]) == pytest.approx(open_bills - open_credits)
    # Timestamps never run backwards and nothing is newer than the clock.
    now = company.clock.stamp(company.clock.now)
    for bill in bills:
        assert bill["TimeCreated"] <= bill["TimeModified"] <= now


def test_preferences_are_generator_options() -> None:
    plain = CompanyFile.generate(seed=4, profile="tiny", inventory=False, class_tracking=False)
    assert not plain.records("PurchaseOrder") and not plain.records("ItemInventory")
    assert not plain.records("Class") and not plain.records("Currency")
    multi = CompanyFile.generate(seed=4, profile="tiny", multicurrency=True)
    assert {c["CurrencyCode"] for c in multi.records("Currency")} >= {"USD", "EUR"}
    assert any("CurrencyRef" in b for b in multi.records("Bill"))


def test_file_id_stamp_and_app_lock() -> None:
    company = CompanyFile.generate(seed=4, profile="tiny")
    fake = FakeQuickBooks(company, machine_name="ACCT-PC")
    fake.open_session(app_name="AP", owner_id=OWNER_ID, file_id=FILE_ID)
    company_ret = child(parse_document(fake.hcp_response()), ".//CompanyRet")
    ext = {e.findtext("DataExtName"): e for e in company_ret.iter("DataExtRet")}
    assert ext["FileID"].findtext("DataExtValue") == FILE_ID
    assert ext["FileID"].findtext("OwnerID") == OWNER_ID
    assert ext["FileID"].findtext("DataExtType") == "STR255TYPE"
    assert text(ext["AppLock"], "DataExtValue").startswith("LOCKED:ACCT-PC:")
    fake.close_session()
    assert [d["DataExtName"] for d in company.data_ext] == ["FileID"]
    # A second .qwc with another FileID for the same OwnerID does not replace the stamp.
    fake.open_session(
        app_name="AP", owner_id=OWNER_ID, file_id="{99999999-0000-0000-0000-000000000000}"
    )
    rs = ask_one(
        fake, f'<CompanyQueryRq requestID="1"><OwnerID>{OWNER_ID}</OwnerID></CompanyQueryRq>'
    )
    values = {e.findtext("DataExtName"): e.findtext("DataExtValue") for e in rs.iter("DataExtRet")}
    assert values["FileID"] == FILE_ID
    # Another application's OwnerID gets its own stamp, and does not see ours.
    other = "{11111111-2222-3333-4444-555555555555}"
    fake.close_session()
    fake.open_session(app_name="Other", owner_id=other, file_id="{ABC}")
    rs = ask_one(fake, f'<CompanyQueryRq requestID="1"><OwnerID>{other}</OwnerID></CompanyQueryRq>')
    assert {
        e.findtext("DataExtValue")
        for e in rs.iter("DataExtRet")
        if e.findtext("DataExtName") == "FileID"
    } == {"{ABC}"}


def test_dst_quirk_writes_standard_offset_in_summer() -> None:
    summer = datetime(2024, 7, 1, 10, 0, 0)
    winter = datetime(2024, 1, 15, 10, 0, 0)
    quirky = QBClock(summer, dst_offset_quirk=True)
    honest = QBClock(summer, dst_offset_quirk=False)
    assert quirky.stamp(summer) == "2024-07-01T10:00:00-08:00"
    assert honest.stamp(summer) == "2024-07-01T10:00:00-07:00"
    assert quirky.stamp(winter) == honest.stamp(winter) == "2024-01-15T10:00:00-08:00"
    # QuickBooks' own string round-trips; the "correct" offset lands an hour off.
    assert quirky.to_wall("2024-07-01T10:00:00-08:00") == summer
    assert quirky.to_wall("2024-07-01T10:00:00") == summer
    assert quirky.to_wall("2024-07-01T10:00:00-07:00") == summer - timedelta(hours=1)
    assert honest.to_wall("2024-07-01T10:00:00-07:00") == summer


def test_dst_quirk_in_records_and_filters() -> None:
    company = CompanyFile.generate(seed=4, profile="tiny")
    company.clock.set(datetime(2024, 7, 1, 10, 0, 0))
    fake = open_fake(company)
    added = ask_one(
        fake,
        '<VendorAddRq requestID="1"><VendorAdd><Name>Summer Vendor</Name></VendorAdd>'
        "</VendorAddRq>",
    )
    assert added.findtext("VendorRet/TimeModified") == "2024-07-01T10:00:00-08:00"
    for when, found in (
        ("2024-07-01T10:00:00", True),
        ("2024-07-01T10:00:00-08:00", True),
        ("2024-07-01T10:00:00-07:00", True),  # an hour earlier: still includes it
        ("2024-07-01T11:00:00-07:00", True),  # 10:00 local once the quirk is applied
        ("2024-07-01T10:00:01", False),
    ):
        rs = ask_one(
            fake,
            f'<VendorQueryRq requestID="1"><FromModifiedDate>{when}</FromModifiedDate>'
            "</VendorQueryRq>",
        )
        assert ("Summer Vendor" in {el.findtext("Name") for el in rs}) is found, when


def test_snapshot_and_restore() -> None:
    company = CompanyFile.generate(seed=4, profile="tiny")
    backup = company.snapshot()
    vendor = company.records("Vendor")[0]
    company.clock.advance(timedelta(days=1))
    company.edit("Vendor", vendor["ListID"], {"Phone": "000"})
    new_id = company.add("Vendor", {"Name": "After Backup"})
    company.delete("Bill", company.records("Bill")[0]["TxnID"])
    assert backup.records("Vendor")[0]["Phone"] == vendor["Phone"]
    later = company.clock.now
    company.restore_from(backup)
    assert company.clock.now == later, "restoring a file does not turn the machine clock back"
    assert company.records("Vendor")[0] == vendor
    assert company.get("Vendor", new_id) is None
    assert _everything(company) == _everything(backup)
    # Restored data is independent of the backup object.
    company.edit("Vendor", vendor["ListID"], {"Phone": "111"})
    assert backup.records("Vendor")[0]["Phone"] == vendor["Phone"]


def test_mutation_api_and_modified_sync() -> None:
    company = CompanyFile.generate(seed=4, profile="tiny")
    fake = open_fake(company)
    company.clock.advance(timedelta(hours=2))
    watermark = company.clock.now.strftime("%Y-%m-%dT%H:%M:%S")
    vendor = company.records("Vendor")[3]
    company.edit("Vendor", vendor["ListID"], {"Phone": "(415) 555-0000"})
    company.make_inactive("Vendor", company.records("Vendor")[4]["ListID"])
    bill_id = company.add(
        "Bill",
        {
            "VendorRef": {"ListID": vendor["ListID"]},
            "ExpenseLineRet": [{"AccountRef": {"FullName": "Rent Expense"}, "Amount": "1500.00"}],
        },
    )
    rs = ask_one(
        fake,
        '<VendorQueryRq requestID="1"><ActiveStatus>All</ActiveStatus>'
        f"<FromModifiedDate>{watermark}</FromModifiedDate></VendorQueryRq>",
    )
    assert set(ids(rs, "ListID")) == {vendor["ListID"], company.records("Vendor")[4]["ListID"]}
    rs = ask_one(
        fake,
        f'<BillQueryRq requestID="2"><ModifiedDateRangeFilter><FromModifiedDate>{watermark}'
        "</FromModifiedDate></ModifiedDateRangeFilter></BillQueryRq>",
    )
    assert ids(rs) == [bill_id]
    with pytest.raises(CompanyError) as caught:
        company.add("Vendor", {"Name": vendor["Name"]})
    assert caught.value.status.code == 3100


def test_company_pickles() -> None:
    company = CompanyFile.generate(seed=4, profile="tiny")
    clone = pickle.loads(pickle.dumps(company))
    assert _everything(clone) == _everything(company)
    assert status(ask_one(open_fake(clone), '<BillQueryRq requestID="1"/>')) == 0

"""Status codes and HRESULTs with their real meanings (protocol doc §5, §6.3)."""

from __future__ import annotations

import pytest

from qbwc_server.sim.quickbooks import (
    CompanyFile,
    FakeQuickBooks,
    FaultPlan,
    QBConnectionError,
    QBRequestError,
)
from qbwc_server.sim.quickbooks.qbxml_text import request_document

from .fakeqb_support import FILE_ID, OWNER_ID, ask, ask_one, open_fake, status


def _vendor_add(name: str, request_id: str = "1") -> str:
    return (
        f'<VendorAddRq requestID="{request_id}"><VendorAdd><Name>{name}</Name></VendorAdd>'
        "</VendorAddRq>"
    )


def test_duplicate_name_is_3100_across_the_name_list() -> None:
    company = CompanyFile.generate(seed=2, profile="tiny")
    fake = open_fake(company)
    customer = company.records("Customer")[0]["Name"]
    assert status(ask_one(fake, _vendor_add("Brand New Vendor"))) == 0
    assert status(ask_one(fake, _vendor_add("brand new VENDOR"))) == 3100
    # Vendors, customers and other names share one name list in QuickBooks.
    assert status(ask_one(fake, _vendor_add(customer.replace("&", "&amp;")))) == 3100


def test_object_not_found_invalid_reference_and_stale_edit_sequence() -> None:
    company = CompanyFile.generate(seed=2, profile="tiny")
    fake = open_fake(company)
    rs = ask_one(
        fake,
        '<VendorModRq requestID="1"><VendorMod><ListID>80000999-1</ListID>'
        "<EditSequence>1</EditSequence><Phone>1</Phone></VendorMod></VendorModRq>",
    )
    assert status(rs) == 3120
    rs = ask_one(
        fake,
        '<BillAddRq requestID="2"><BillAdd><VendorRef><FullName>Nobody At All</FullName>'
        "</VendorRef>"
        "<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef>"
        "<Amount>10.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>",
    )
    assert status(rs) == 3140 and "Nobody At All" in rs.get("statusMessage", "")
    vendor = company.records("Vendor")[0]
    rs = ask_one(
        fake,
        f'<VendorModRq requestID="3"><VendorMod><ListID>{vendor["ListID"]}</ListID>'
        "<EditSequence>123</EditSequence><Phone>555</Phone></VendorMod></VendorModRq>",
    )
    assert status(rs) == 3200 and rs.get("statusSeverity") == "Error"


def test_stop_on_error_leaves_later_requests_unprocessed() -> None:
    fake = open_fake()
    before = fake.company.records("Vendor")
    rs = ask(
        fake,
        _vendor_add("First New", "1")
        + '<BillQueryRq requestID="2"><TxnID>9-9</TxnID></BillQueryRq>'
        + _vendor_add("Never Added", "3"),
    )
    assert [status(r) for r in rs] == [0, 3120, 3231]
    assert [r.get("requestID") for r in rs] == ["1", "2", "3"]
    names = {v["Name"] for v in fake.company.records("Vendor")}
    assert "First New" in names and "Never Added" not in names
    assert len(names) == len(before) + 1
    rs = ask(
        fake,
        '<BillQueryRq requestID="1"><TxnID>9-9</TxnID></BillQueryRq>'
        + _vendor_add("Added Anyway", "2"),
        on_error="continueOnError",
    )
    assert [status(r) for r in rs] == [3120, 0]


def test_feature_not_enabled_is_3250_but_classes_are_just_empty() -> None:
    company = CompanyFile.generate(seed=2, profile="tiny", inventory=False, class_tracking=False)
    fake = open_fake(company)
    for query in (
        "PurchaseOrderQueryRq",
        "ItemReceiptQueryRq",
        "ItemInventoryQueryRq",
        "CurrencyQueryRq",
    ):
        rs = ask_one(fake, f'<{query} requestID="1"/>')
        assert status(rs) == 3250, query
    assert status(ask_one(fake, '<ClassQueryRq requestID="1"/>')) == 1


def test_lock_fault_on_nth_request() -> None:
    fake = open_fake(faults=FaultPlan(lock_errors={2: 3175}))
    rs = ask(
        fake,
        '<VendorQueryRq requestID="1"><MaxReturned>1</MaxReturned></VendorQueryRq>' * 3,
        on_error="continueOnError",
    )
    assert [status(r) for r in rs] == [0, 3175, 0]
    assert rs[1].get("statusSeverity") == "Error"


@pytest.mark.parametrize(
    ("plan", "hresult"),
    [
        (FaultPlan(qb_not_running=True), "0x80040408"),
        (FaultPlan(different_file_open=True), "0x8004040A"),
        (FaultPlan(access="first_time"), "0x80040418"),
        (FaultPlan(access="not_permitted"), "0x8004041A"),
        (FaultPlan(access="denied"), "0x80040420"),
        (FaultPlan(open_errors=["0x80040414"]), "0x80040414"),
    ],
)
def test_connection_faults(plan: FaultPlan, hresult: str) -> None:
    fake = FakeQuickBooks(CompanyFile.generate(seed=1, profile="tiny"), faults=plan)
    with pytest.raises(QBConnectionError) as caught:
        fake.open_session(app_name="a", owner_id=OWNER_ID, file_id=FILE_ID)
    assert caught.value.hresult == hresult and caught.value.message


def test_transient_open_error_then_success_and_wrong_path() -> None:
    fake = FakeQuickBooks(
        CompanyFile.generate(seed=1, profile="tiny"), faults=FaultPlan(open_errors=["0x80040408"])
    )
    with pytest.raises(QBConnectionError):
        fake.open_session(app_name="a", owner_id=OWNER_ID, file_id=FILE_ID)
    fake.open_session(app_name="a", owner_id=OWNER_ID, file_id=FILE_ID, company_path=fake.path)
    fake.close_session()
    with pytest.raises(QBConnectionError) as caught:
        fake.open_session(
            app_name="a", owner_id=OWNER_ID, file_id=FILE_ID, company_path=r"C:\Other\File.QBW"
        )
    assert caught.value.hresult == "0x8004040A"


def test_parse_errors_and_unsupported_version() -> None:
    fake = open_fake()
    misordered = (
        '<BillAddRq requestID="1"><BillAdd><TxnDate>2024-01-02</TxnDate>'
        "<VendorRef><FullName>AT&amp;T</FullName></VendorRef>"
        "<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef>"
        "<Amount>1.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>"
    )
    with pytest.raises(QBRequestError) as caught:
        fake.process(request_document(misordered))
    assert caught.value.hresult == "0x80040400"
    assert "parsing" in caught.value.message
    with pytest.raises(QBRequestError) as caught:
        fake.process('<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">')
    assert caught.value.hresult == "0x80040400"
    limited = open_fake(supported_versions=("1.0", "13.0"))
    with pytest.raises(QBRequestError) as caught:
        limited.process(request_document('<HostQueryRq requestID="1"/>', version="16.0"))
    assert caught.value.hresult == "0x80040423"
    # ClassQueryRq takes no OwnerID (§6.6): schema error.
    with pytest.raises(QBRequestError):
        fake.process(
            request_document(
                f'<ClassQueryRq requestID="1"><OwnerID>{OWNER_ID}</OwnerID></ClassQueryRq>'
            )
        )


def test_injected_processor_error() -> None:
    fake = open_fake(faults=FaultPlan(processor_errors={2: "0x80040402"}))
    ask(fake, '<HostQueryRq requestID="1"/>')
    with pytest.raises(QBRequestError) as caught:
        ask(fake, '<HostQueryRq requestID="1"/>')
    assert caught.value.hresult == "0x80040402"
    assert status(ask_one(fake, '<HostQueryRq requestID="1"/>')) == 0

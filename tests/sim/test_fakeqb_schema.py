"""Every query type answers, and every response validates against the qbXML schema (13.0, 16.0):
the generated schema facts everywhere, Intuit's XSD as well where the reference files exist."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.quickbooks.catalog import LIST_TYPES, TXN_TYPES
from qbwc_server.sim.quickbooks.qbxml_text import parse_document, request_document
from qbwc_server.sim.quickbooks.xmlout import unknown_keys

from .fakeqb_support import OWNER_ID, child, open_fake, schema_error, status

Schema = Callable[[str], etree.XMLSchema]

LINKED = {"Bill", "VendorCredit", "Check", "PurchaseOrder", "ItemReceipt"}
LIST_QUERIES_WITH_ACTIVE = [t for t in LIST_TYPES] + ["Item", "Terms"]


def _query_body(object_type: str) -> str:
    if object_type in TXN_TYPES:
        parts = ["<IncludeLineItems>true</IncludeLineItems>"]
        if object_type in LINKED:
            parts.append("<IncludeLinkedTxns>true</IncludeLinkedTxns>")
        parts.append(f"<OwnerID>{OWNER_ID}</OwnerID>")
        return "".join(parts)
    owner = (
        f"<OwnerID>{OWNER_ID}</OwnerID>"
        if object_type in ("Account", "Vendor", "Customer", "OtherName", "Item")
        or object_type.startswith("Item")
        else ""
    )
    return f"<ActiveStatus>All</ActiveStatus>{owner}"


@pytest.fixture(scope="module")
def full_company() -> CompanyFile:
    # Every feature on, so that every list has records (currencies need multicurrency).
    return CompanyFile.generate(seed=3, profile="tiny", multicurrency=True)


def _validate(schema: etree.XMLSchema, text: str) -> etree._Element:
    root = parse_document(text)
    assert schema.validate(root), schema_error(schema)
    return root


@pytest.mark.parametrize("version", ["13.0", "16.0"])
@pytest.mark.parametrize("object_type", LIST_QUERIES_WITH_ACTIVE + list(TXN_TYPES))
def test_every_query_type_answers_and_validates(
    full_company: CompanyFile, qbxml_schema: Schema, version: str, object_type: str
) -> None:
    fake = open_fake(full_company)
    request = request_document(
        f'<{object_type}QueryRq requestID="q1">{_query_body(object_type)}</{object_type}QueryRq>',
        version=version,
    )
    assert qbxml_schema(version).validate(parse_document(request))
    root = _validate(qbxml_schema(version), fake.process(request))
    rs = root.find(f"QBXMLMsgsRs/{object_type}QueryRs")
    assert rs is not None and rs.get("requestID") == "q1"
    assert status(rs) == 0, rs.get("statusMessage")
    assert len(rs) > 0


@pytest.mark.parametrize("version", ["13.0", "16.0"])
def test_host_company_preferences_and_deleted_queries_validate(
    full_company: CompanyFile, qbxml_schema: Schema, version: str
) -> None:
    fake = open_fake(full_company)
    body = (
        '<HostQueryRq requestID="1"/>'
        f'<CompanyQueryRq requestID="2"><OwnerID>{OWNER_ID}</OwnerID></CompanyQueryRq>'
        '<PreferencesQueryRq requestID="3"/>'
        '<ListDeletedQueryRq requestID="4"><ListDelType>Vendor</ListDelType>'
        "<ListDelType>Account</ListDelType><ListDelType>ItemService</ListDelType>"
        "</ListDeletedQueryRq>"
        '<TxnDeletedQueryRq requestID="5"><TxnDelType>Bill</TxnDelType>'
        "<TxnDelType>Check</TxnDelType>"
        "<TxnDelType>BillPaymentCheck</TxnDelType><TxnDelType>VendorCredit</TxnDelType>"
        "</TxnDeletedQueryRq>"
    )
    root = _validate(qbxml_schema(version), fake.process(request_document(body, version=version)))
    statuses = [status(rs) for rs in child(root, "QBXMLMsgsRs")]
    assert statuses[:3] == [0, 0, 0]
    assert all(code in (0, 1) for code in statuses[3:])


@pytest.mark.parametrize("version", ["13.0", "16.0"])
def test_hcp_response_validates(
    full_company: CompanyFile, qbxml_schema: Schema, version: str
) -> None:
    fake = open_fake(full_company)
    _validate(qbxml_schema(version), fake.hcp_response())


def test_version_specific_elements_are_dropped_at_13(qbxml_schema: Schema) -> None:
    """BillRet.ClassRef exists only from 16.0: present at 16.0, absent at 13.0."""
    company = CompanyFile.generate(seed=3, profile="tiny")
    bill_with_class = next(b for b in company.records("Bill") if "ClassRef" in b)
    fake = open_fake(company)
    body = f'<BillQueryRq requestID="1"><TxnID>{bill_with_class["TxnID"]}</TxnID></BillQueryRq>'
    at16 = parse_document(fake.process(request_document(body, version="16.0")))
    at13 = parse_document(fake.process(request_document(body, version="13.0")))
    assert at16.find(".//BillRet/ClassRef") is not None
    assert at13.find(".//BillRet/ClassRef") is None
    assert qbxml_schema("13.0").validate(at13)


def test_generated_records_only_use_schema_elements() -> None:
    company = CompanyFile.generate(seed=3, profile="tiny", multicurrency=True)
    for object_type in LIST_TYPES + TXN_TYPES:
        for record in company.records(object_type):
            assert unknown_keys(f"{object_type}Ret", record) == []


def test_real_intuit_sample_requests_are_answered(reference_dir, full_company: CompanyFile) -> None:  # type: ignore[no-untyped-def]
    fake: FakeQuickBooks = open_fake(full_company)
    for name in (
        "BillQueryRq",
        "AccountQueryRq",
        "CheckQueryRq",
        "CompanyQueryRq",
        "HostQueryRq",
        "PreferencesQueryRq",
        "ItemServiceQueryRq",
        "InvoiceQueryRq",
    ):
        text = (reference_dir / "qbxml-samples" / "intuit-requests" / f"{name}.xml").read_text()
        root = parse_document(fake.process(text))
        rs = child(root, "QBXMLMsgsRs")[0]
        assert rs.tag == name[:-2] + "Rs"
        assert status(rs) in (0, 1), (name, rs.get("statusMessage"))

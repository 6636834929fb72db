"""Write builders: XSD-valid in 13.0 and 16.0, FIELDS in schema order (checked against the XSD
sequence), version gates, max lengths, value formats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.schema_order import Address, DataExt, Field, Ref, version_at_least
from qbwc_server.qbxml.writes import (
    MAX_LENGTHS,
    AppliedToTxn,
    BillAdd,
    BillPaymentCheckAdd,
    BillPaymentCreditCardAdd,
    ExpenseLine,
    ItemLine,
    LinkToTxn,
    SetCredit,
    VendorAdd,
    VendorMod,
)
from tests.qbxml.conftest import VERSIONS, Validator
from tests.qbxml.xsd_tools import XsdModel

OWNER = "{512349B1-1111-2222-3333-000DE1813D20}"
GUID = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"
ADDRESS = Address(
    addr1="Acme Supplies", addr2="1 Main St", addr3="Suite 5", addr4="Floor 2", addr5="c/o AP",
    city="Springfield", state="IL", postal_code="62701", country="US", note="HQ",
)  # fmt: skip


def full_vendor_add() -> VendorAdd:
    return VendorAdd(
        name="Acme Supplies",
        is_active=True,
        class_ref=Ref(full_name="East"),
        company_name="Acme Supplies Inc.",
        salutation="Ms.",
        first_name="Jane",
        middle_name="Q",
        last_name="Doe",
        suffix="Jr.",
        job_title="AP Clerk",
        vendor_address=ADDRESS,
        ship_address=Address(addr1="Dock 3", city="Springfield"),
        phone="555-0100",
        mobile="555-0101",
        pager="555-0102",
        alt_phone="555-0103",
        fax="555-0104",
        email="ap@acme.example",
        cc="boss@acme.example",
        contact="Jane Doe",
        alt_contact="John Doe",
        name_on_check="Acme Supplies Inc",
        account_number="ACCT-99",
        notes="Pays net 30",
        vendor_type_ref=Ref(list_id="80000003-1646382185"),
        terms_ref=Ref(full_name="Net 30"),
        credit_limit=Decimal("5000"),
        vendor_tax_ident="12-3456789",
        is_vendor_eligible_for_1099=True,
        open_balance="0.00",
        open_balance_date=date(2024, 1, 1),
        billing_rate_ref=Ref(full_name="Standard"),
        external_guid=GUID,
        sales_tax_code_ref=Ref(full_name="Non"),
        prefill_account_refs=[Ref(full_name="Utilities"), Ref(list_id="80000010-1")],
        currency_ref=Ref(full_name="US Dollar"),
        request_id="wb-1",
        include_ret_elements=["ListID", "EditSequence"],
    )


def full_bill_add(**overrides: Any) -> BillAdd:
    fields: dict[str, Any] = {
        "vendor_ref": Ref(list_id="80000001-1646382185", full_name="Acme Supplies"),
        "vendor_address": ADDRESS,
        "ap_account_ref": Ref(full_name="Accounts Payable"),
        "txn_date": date(2024, 3, 1),
        "due_date": "2024-03-31",
        "ref_number": "INV-2024-0001",
        "terms_ref": Ref(full_name="Net 30"),
        "memo": "March services",
        "is_tax_included": False,
        "sales_tax_code_ref": Ref(full_name="Non"),
        "exchange_rate": Decimal("1"),
        "external_guid": GUID,
        "link_to_txn_ids": ["12-1646382259"],
        "expense_lines": [
            ExpenseLine(
                account_ref=Ref(full_name="Utilities:Electric"),
                amount=Decimal("120.50"),
                memo="Electricity",
                customer_ref=Ref(full_name="Job A"),
                class_ref=Ref(full_name="East"),
                billable_status="NotBillable",
                data_ext=[DataExt(owner_id=OWNER, name="APRef", value="bill-123")],
            ),
            ExpenseLine(account_ref=Ref(list_id="80000020-1"), amount=-5),
        ],
        "item_lines": [
            ItemLine(
                item_ref=Ref(full_name="Widget"),
                desc="Widgets",
                quantity=Decimal("2.5"),
                unit_of_measure="Each",
                cost="10.12345",
                amount="25.31",
                customer_ref=Ref(full_name="Job A"),
                class_ref=Ref(full_name="West"),
                billable_status="Billable",
                override_item_account_ref=Ref(full_name="COGS"),
                link_to_txn=LinkToTxn(txn_id="20-1646382259", txn_line_id="21-1646382259"),
                data_ext=[DataExt(owner_id=OWNER, name="APLine", value="1")],
            )
        ],
        "request_id": "bill-1",
        "include_ret_elements": ["TxnID", "EditSequence", "ExternalGUID"],
    }
    fields.update(overrides)
    return BillAdd(**fields)


def applied() -> list[AppliedToTxn]:
    return [
        AppliedToTxn(
            txn_id="7-1646382259",
            payment_amount=Decimal("100.00"),
            set_credits=[
                SetCredit(credit_txn_id="9-1646382259", applied_amount="10.00", override=True),
                SetCredit(credit_txn_id="10-1", applied_amount=5, txn_line_id="11-1"),
            ],
            discount_amount="2.00",
            discount_account_ref=Ref(full_name="Discounts"),
            discount_class_ref=Ref(full_name="East"),
        ),
        AppliedToTxn(txn_id="8-1646382259", payment_amount="50.00"),
    ]


WRITE_CASES: list[Any] = [
    pytest.param(full_vendor_add(), id="VendorAdd-full"),
    pytest.param(VendorAdd(name="Minimal Vendor"), id="VendorAdd-min"),
    pytest.param(
        VendorMod(
            list_id="80000001-1646382185",
            edit_sequence="1646382259",
            name="Acme Supplies (renamed)",
            company_name="",
            vendor_address=Address(city="Chicago"),
            email="new@acme.example",
            terms_ref=Ref(full_name="Net 15"),
            is_vendor_eligible_for_1099=False,
            prefill_account_refs=[Ref(full_name="Utilities")],
        ),
        id="VendorMod",
    ),
    pytest.param(full_bill_add(), id="BillAdd-full"),
    pytest.param(
        BillAdd(vendor_ref=Ref(full_name="v1"), expense_lines=[ExpenseLine(amount="1.00")]),
        id="BillAdd-min",
    ),
    pytest.param(
        BillAdd(vendor_ref=Ref(full_name="v1"), item_lines=[ItemLine(item_ref=Ref.by_name("x"))]),
        id="BillAdd-item-only",
    ),
    pytest.param(
        BillPaymentCheckAdd(
            payee_entity_ref=Ref(list_id="80000001-1646382185"),
            ap_account_ref=Ref(full_name="Accounts Payable"),
            txn_date="2024-03-15",
            bank_account_ref=Ref(full_name="Checking"),
            ref_number="1001",
            memo="March",
            exchange_rate="1.25",
            external_guid=GUID,
            applied_to=applied(),
            request_id="pay-1",
        ),
        id="BillPaymentCheckAdd-refnumber",
    ),
    pytest.param(
        BillPaymentCheckAdd(
            payee_entity_ref=Ref(full_name="Acme Supplies"),
            bank_account_ref=Ref(full_name="Checking"),
            is_to_be_printed=True,
            applied_to=[AppliedToTxn(txn_id="7-1646382259", payment_amount="1.00")],
        ),
        id="BillPaymentCheckAdd-print",
    ),
    pytest.param(
        BillPaymentCreditCardAdd(
            payee_entity_ref=Ref(full_name="Acme Supplies"),
            ap_account_ref=Ref(full_name="Accounts Payable"),
            txn_date=date(2024, 3, 15),
            credit_card_account_ref=Ref(full_name="Visa"),
            ref_number="CC-1",
            memo="Card",
            external_guid=GUID,
            applied_to=applied(),
        ),
        id="BillPaymentCreditCardAdd",
    ),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("request_obj", WRITE_CASES)
def test_write_requests_valid(request_obj: Any, version: str, validate_doc: Validator) -> None:
    root = validate_doc(build_document([request_obj], version=version), version)
    rq = root[0][0]
    assert rq.tag == request_obj.RQ
    assert rq[0].tag == request_obj.TAG


def test_all_write_requests_in_one_message_set(validate_doc: Validator) -> None:
    requests = [p.values[0] for p in WRITE_CASES]
    root = validate_doc(build_document(requests, version="13.0"), "13.0")
    assert [rq.tag for rq in root[0]] == [r.RQ for r in requests]


def test_bill_lines_expense_before_item() -> None:
    body = full_bill_add().to_element("13.0")[0]
    tags = [c.tag for c in body]
    assert tags.index("ExpenseLineAdd") < tags.index("ItemLineAdd")
    assert tags[:4] == ["VendorRef", "VendorAddress", "APAccountRef", "TxnDate"]  # §6.8


# --- version gates --------------------------------------------------------------------------


def test_bill_header_class_ref_needs_16(validate_doc: Validator) -> None:
    bill = full_bill_add(class_ref=Ref(full_name="East"))
    validate_doc(build_document([bill], version="16.0"), "16.0")
    with pytest.raises(ValueError, match=r"ClassRef needs qbXML 16\.0"):
        bill.to_element("13.0")


def test_expense_line_vendor_ref_needs_16(validate_doc: Validator) -> None:
    bill = full_bill_add(
        expense_lines=[ExpenseLine(amount="1.00", vendor_ref=Ref(full_name="Other vendor"))]
    )
    validate_doc(build_document([bill], version="16.0"), "16.0")
    with pytest.raises(ValueError, match=r"16\.0"):
        bill.to_element("13.0")


# --- cross-field rules and values -----------------------------------------------------------


def test_bill_payment_check_needs_exactly_one_of_print_or_number() -> None:
    base: dict[str, Any] = {
        "payee_entity_ref": Ref(full_name="A"),
        "bank_account_ref": Ref(full_name="Checking"),
        "applied_to": [AppliedToTxn(txn_id="1-1", payment_amount="1.00")],
    }
    with pytest.raises(ValueError, match="exactly one"):
        BillPaymentCheckAdd(**base).to_element("13.0")
    with pytest.raises(ValueError, match="exactly one"):
        BillPaymentCheckAdd(**base, is_to_be_printed=False, ref_number="1").to_element("13.0")


def test_payment_needs_applied_to() -> None:
    with pytest.raises(ValueError, match="AppliedToTxnAdd is required"):
        BillPaymentCreditCardAdd(
            payee_entity_ref=Ref(full_name="A"),
            credit_card_account_ref=Ref(full_name="Visa"),
            applied_to=[],
        ).to_element("13.0")


def test_ref_needs_id_or_name() -> None:
    with pytest.raises(ValueError):
        Ref()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: VendorAdd(name="x" * 42), "Name is 42 characters long; QuickBooks allows 41"),
        (lambda: VendorAdd(name="v", vendor_address=Address(city="c" * 32)), "City"),
        (lambda: VendorAdd(name="v", vendor_address=Address(state="s" * 22)), "State"),
        (lambda: VendorAdd(name="v", vendor_address=Address(postal_code="1" * 14)), "Postal"),
        (lambda: VendorAdd(name="v", vendor_tax_ident="1" * 16), "VendorTaxIdent"),
        (lambda: VendorAdd(name="v", terms_ref=Ref(full_name="t" * 32)), "TermsRef/FullName"),
        (lambda: full_bill_add(ref_number="r" * 21), "RefNumber"),
        (lambda: full_bill_add(memo="m" * 4096), "Memo"),
        (lambda: full_bill_add(vendor_ref=Ref(full_name="v" * 42)), "VendorRef/FullName"),
        (lambda: full_bill_add(expense_lines=[ExpenseLine(memo="m" * 4096)]), "Memo"),
        (lambda: full_bill_add(expense_lines=[ExpenseLine(amount=Decimal("1.005"))]),
         "2 decimal"),
        (lambda: full_bill_add(expense_lines=[ExpenseLine(amount="1e20")]), "too large"),
        (lambda: full_bill_add(expense_lines=[ExpenseLine(billable_status="Maybe")]),
         "BillableStatus"),
        (lambda: full_bill_add(txn_date="2024-02-30"), "month|day|range"),
        (lambda: full_bill_add(txn_date="03/01/2024"), "not a date"),
        (lambda: full_bill_add(external_guid="nope"), "GUID"),
        (lambda: full_bill_add(item_lines=[ItemLine(cost="1.123456")]), "decimal places"),
        (lambda: VendorAdd(name="v", prefill_account_refs=[Ref(full_name="a")] * 4), "at most 3"),
        (lambda: VendorAdd(name="v", request_id=""), "requestID"),
    ],
)  # fmt: skip
def test_invalid_values_refused(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make().to_element("13.0")


def test_float_amount_refused() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        full_bill_add(expense_lines=[ExpenseLine(amount=12.5)]).to_element("13.0")  # type: ignore[arg-type]


def test_datetime_for_date_field_refused() -> None:
    with pytest.raises(TypeError):
        full_bill_add(txn_date=datetime(2024, 3, 1, 12, 0)).to_element("13.0")


def test_value_formats() -> None:
    body = full_bill_add().to_element("13.0")[0]
    line = body.find("ExpenseLineAdd")
    assert line is not None
    assert line.findtext("Amount") == "120.50"
    assert body.findall("ExpenseLineAdd")[1].findtext("Amount") == "-5.00"
    assert body.findtext("TxnDate") == "2024-03-01"
    assert body.findtext("IsTaxIncluded") == "false"
    assert body.findtext("ExternalGUID") == GUID
    item = body.find("ItemLineAdd")
    assert item is not None
    assert item.findtext("Quantity") == "2.5" and item.findtext("Cost") == "10.12345"
    assert full_vendor_add().to_element("13.0")[0].findtext("CreditLimit") == "5000.00"


def test_ref_writes_list_id_before_full_name() -> None:
    ref = full_bill_add().to_element("13.0")[0].find("VendorRef")
    assert ref is not None
    assert [c.tag for c in ref] == ["ListID", "FullName"]


def test_mod_empty_string_clears_field() -> None:
    mod = VendorMod(list_id="1-1", edit_sequence="2", company_name="").to_element("13.0")[0]
    assert [c.tag for c in mod] == ["ListID", "EditSequence", "CompanyName"]
    assert mod.findtext("CompanyName") == ""


# --- schema order and limits against the XSD ------------------------------------------------

AGGREGATES: list[tuple[str, Any]] = [
    ("VendorAdd", VendorAdd),
    ("VendorMod", VendorMod),
    ("BillAdd", BillAdd),
    ("BillPaymentCheckAdd", BillPaymentCheckAdd),
    ("BillPaymentCreditCardAdd", BillPaymentCreditCardAdd),
    ("VendorAdd/VendorAddress", Address),
    ("BillAdd/VendorRef", Ref),
    ("BillAdd/ExpenseLineAdd", ExpenseLine),
    ("BillAdd/ItemLineAdd", ItemLine),
    ("BillAdd/ItemLineAdd/LinkToTxn", LinkToTxn),
    ("BillAdd/ExpenseLineAdd/DataExt", DataExt),
    ("BillPaymentCheckAdd/AppliedToTxnAdd", AppliedToTxn),
    ("BillPaymentCheckAdd/AppliedToTxnAdd/SetCredit", SetCredit),
    ("BillPaymentCreditCardAdd/AppliedToTxnAdd", AppliedToTxn),
]


def _is_subsequence(ours: list[str], theirs: list[str]) -> bool:
    it = iter(theirs)
    return all(any(tag == t for t in it) for tag in ours)


@pytest.mark.parametrize(("path", "cls"), AGGREGATES, ids=[a[0] for a in AGGREGATES])
def test_fields_follow_xsd_sequence(path: str, cls: Any, xsd: Callable[[str], XsdModel]) -> None:
    fields: tuple[Field, ...] = cls.FIELDS
    for version in VERSIONS:
        schema_names = xsd(version).child_names(path)
        available = [f.tag for f in fields if version_at_least(version, f.since)]
        assert _is_subsequence(available, schema_names), (version, available, schema_names)
        for f in fields:
            assert (f.tag in schema_names) == version_at_least(version, f.since), (version, f.tag)


@pytest.mark.parametrize(("path", "cls"), AGGREGATES, ids=[a[0] for a in AGGREGATES])
def test_field_limits_and_cardinality_match_xsd(
    path: str, cls: Any, xsd: Callable[[str], XsdModel]
) -> None:
    model = xsd("16.0")
    decls = {c.name: c for c in model.children(model.resolve(path))}
    for f in cls.FIELDS:
        child = decls[f.tag]
        assert f.repeated == child.repeatable, f.tag
        assert f.required == (not child.optional) or f.tag in ("IsToBePrinted", "RefNumber"), f.tag
        if f.kind == "agg" and f.agg_type is Ref:
            full_name = next(c for c in model.children(child.decl) if c.name == "FullName")
            assert f.max_length == model.max_length(full_name.decl), f.tag
        elif f.kind == "text" and cls is not Ref:  # a Ref's limit lives on its field
            assert f.max_length == model.max_length(child.decl), f.tag


def test_max_length_table_matches_xsd(xsd: Callable[[str], XsdModel]) -> None:
    model = xsd("16.0")  # a superset of 13.0 for these requests
    for tag, table in MAX_LENGTHS.items():
        assert table, tag
        for dotted, limit in table.items():
            decl = model.resolve(f"{tag}/{dotted.replace('.', '/')}")
            assert model.max_length(decl) == limit, (tag, dotted)


def test_max_length_table_has_the_payload_fields() -> None:
    vendor, bill = MAX_LENGTHS["VendorAdd"], MAX_LENGTHS["BillAdd"]
    assert vendor["Name"] == 41 and vendor["CompanyName"] == 41
    assert vendor["VendorAddress.Addr1"] == 41 and vendor["VendorAddress.City"] == 31
    assert vendor["VendorAddress.State"] == 21 and vendor["VendorAddress.PostalCode"] == 13
    assert vendor["VendorTaxIdent"] == 15 and vendor["AccountNumber"] == 99
    assert bill["RefNumber"] == 20 and bill["Memo"] == 4095
    assert bill["ExpenseLineAdd.Memo"] == 4095 and bill["VendorRef.FullName"] == 41
    assert MAX_LENGTHS["BillPaymentCheckAdd"]["RefNumber"] == 11

"""Schema-ordered builders for the write-back requests (§6.8): VendorAdd, VendorMod, BillAdd,
BillPaymentCheckAdd, BillPaymentCreditCardAdd.

Each request is a frozen dataclass; ``to_element(version)`` returns the ``…Rq`` element, ready
for :func:`qbwc_server.qbxml.document.build_document`. ``FIELDS`` lists the children in the
order of the XSD sequence (qbxml130.xsd / qbxml160.xsd, identical except where ``since`` says
otherwise). Omitted (``None``) fields are not written.

Version differences found by diffing the two schemas (everything else is identical):

* ``BillAdd/ClassRef`` (header class) — 16.0 only.
* ``BillAdd/ExpenseLineAdd/VendorRef`` — 16.0 only.

``ExternalGUID`` exists in 13.0 and 16.0 on VendorAdd, BillAdd, BillPaymentCheckAdd and
BillPaymentCreditCardAdd, and is returned in the matching ``…Ret`` — usable as an
exactly-once marker for write-back (QuickBooks has no query filter on it; find it again with a
date/vendor-filtered query plus ``IncludeRetElement``). ``DataExt`` is only allowed on bill
*lines* (ExpenseLineAdd/ItemLineAdd), not on the BillAdd header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from lxml import etree

from qbwc_server.qbxml.schema_order import (
    CURRENCY_REF_MAX,
    CUSTOMER_REF_MAX,
    GENERIC_REF_MAX,
    LIST_REF_MAX,
    SALES_TAX_CODE_REF_MAX,
    SIMPLE_REF_MAX,
    VENDOR_REF_MAX,
    Address,
    DataExt,
    Field,
    Ref,
    add_include_ret_elements,
    agg_field,
    emit_fields,
    max_length_table,
    ref_field,
    start_request,
)
from qbwc_server.qbxml.values import DecimalLike

BILLABLE_STATUS = ("Billable", "NotBillable", "HasBeenBilled")


class _WriteRequest:
    """Shared ``to_element`` for ``<XAddRq><XAdd>…</XAdd><IncludeRetElement/>*</XAddRq>``."""

    RQ: ClassVar[str]
    TAG: ClassVar[str]
    FIELDS: ClassVar[tuple[Field, ...]]
    request_id: str | None
    include_ret_elements: Sequence[str]

    def check(self) -> None:
        """Cross-field rules the XSD expresses as choices; overridden where needed."""

    def to_element(self, version: str) -> etree._Element:
        rq = start_request(self.RQ, self.request_id, version)
        self.check()
        body = etree.SubElement(rq, self.TAG)
        emit_fields(body, self, self.FIELDS, version)
        add_include_ret_elements(rq, self.include_ret_elements)
        return rq


# --- vendors --------------------------------------------------------------------------------

# VendorAdd and VendorMod share the middle of their sequence (qbxml130.xsd VendorAdd/VendorMod).
_VENDOR_PERSON_AND_CONTACT: tuple[Field, ...] = (
    Field("IsActive", "is_active", "bool"),
    ref_field("ClassRef", "class_ref", LIST_REF_MAX),
    Field("CompanyName", "company_name", max_length=41),
    Field("Salutation", "salutation", max_length=15),
    Field("FirstName", "first_name", max_length=25),
    Field("MiddleName", "middle_name", max_length=5),
    Field("LastName", "last_name", max_length=25),
    Field("Suffix", "suffix"),  # no maxLength in either XSD
    Field("JobTitle", "job_title", max_length=41),
    agg_field("VendorAddress", "vendor_address", Address),
    agg_field("ShipAddress", "ship_address", Address),
    Field("Phone", "phone", max_length=21),
    Field("Mobile", "mobile", max_length=21),
    Field("Pager", "pager", max_length=21),
    Field("AltPhone", "alt_phone", max_length=21),
    Field("Fax", "fax", max_length=21),
    Field("Email", "email", max_length=1023),
    Field("Cc", "cc", max_length=1023),
    Field("Contact", "contact", max_length=41),
    Field("AltContact", "alt_contact", max_length=41),
    # AdditionalContactRef / Contacts (ContactsMod) / AdditionalNotes are not written by us.
    Field("NameOnCheck", "name_on_check", max_length=41),
    Field("AccountNumber", "account_number", max_length=99),
    Field("Notes", "notes", max_length=4095),
    ref_field("VendorTypeRef", "vendor_type_ref", LIST_REF_MAX),
    ref_field("TermsRef", "terms_ref", SIMPLE_REF_MAX),
    Field("CreditLimit", "credit_limit", "amount"),
    Field("VendorTaxIdent", "vendor_tax_ident", max_length=15),
    Field("IsVendorEligibleFor1099", "is_vendor_eligible_for_1099", "bool"),
)


@dataclass(frozen=True, kw_only=True)
class _VendorCommon:
    is_active: bool | None = None
    class_ref: Ref | None = None
    company_name: str | None = None
    salutation: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    job_title: str | None = None
    vendor_address: Address | None = None
    ship_address: Address | None = None
    phone: str | None = None
    mobile: str | None = None
    pager: str | None = None
    alt_phone: str | None = None
    fax: str | None = None
    email: str | None = None
    cc: str | None = None
    contact: str | None = None
    alt_contact: str | None = None
    name_on_check: str | None = None
    account_number: str | None = None
    notes: str | None = None
    vendor_type_ref: Ref | None = None
    terms_ref: Ref | None = None
    credit_limit: DecimalLike | None = None
    vendor_tax_ident: str | None = None
    is_vendor_eligible_for_1099: bool | None = None
    billing_rate_ref: Ref | None = None
    sales_tax_code_ref: Ref | None = None
    prefill_account_refs: Sequence[Ref] = ()
    currency_ref: Ref | None = None
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class VendorAdd(_VendorCommon, _WriteRequest):
    """``VendorAddRq``. ``vendor_tax_ident`` is personal data: never log these objects."""

    name: str
    open_balance: DecimalLike | None = None
    open_balance_date: date | str | None = None
    external_guid: str | None = None

    RQ: ClassVar[str] = "VendorAddRq"
    TAG: ClassVar[str] = "VendorAdd"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("Name", "name", max_length=41, required=True),
        *_VENDOR_PERSON_AND_CONTACT,
        Field("OpenBalance", "open_balance", "amount"),
        Field("OpenBalanceDate", "open_balance_date", "date"),
        ref_field("BillingRateRef", "billing_rate_ref", SIMPLE_REF_MAX),
        Field("ExternalGUID", "external_guid", "guid"),
        ref_field("SalesTaxCodeRef", "sales_tax_code_ref", SALES_TAX_CODE_REF_MAX),
        # SalesTaxCountry .. IsTaxOnTax (non-US tax setup) are not written by us.
        ref_field(
            "PrefillAccountRef", "prefill_account_refs", LIST_REF_MAX, repeated=True, max_occurs=3
        ),
        ref_field("CurrencyRef", "currency_ref", CURRENCY_REF_MAX),
    )


@dataclass(frozen=True, kw_only=True)
class VendorMod(_VendorCommon, _WriteRequest):
    """``VendorModRq``: only the fields given are changed; ``""`` clears a text field."""

    list_id: str
    edit_sequence: str
    name: str | None = None

    RQ: ClassVar[str] = "VendorModRq"
    TAG: ClassVar[str] = "VendorMod"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("ListID", "list_id", "id", required=True),
        Field("EditSequence", "edit_sequence", max_length=16, required=True),
        Field("Name", "name", max_length=41),
        *_VENDOR_PERSON_AND_CONTACT,
        ref_field("BillingRateRef", "billing_rate_ref", SIMPLE_REF_MAX),
        ref_field("SalesTaxCodeRef", "sales_tax_code_ref", SALES_TAX_CODE_REF_MAX),
        ref_field(
            "PrefillAccountRef", "prefill_account_refs", LIST_REF_MAX, repeated=True, max_occurs=3
        ),
        ref_field("CurrencyRef", "currency_ref", CURRENCY_REF_MAX),
    )


# --- bills ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LinkToTxn:
    txn_id: str
    txn_line_id: str

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("TxnID", "txn_id", "id", required=True),
        Field("TxnLineID", "txn_line_id", "id", required=True),
    )


@dataclass(frozen=True, kw_only=True)
class ExpenseLine:
    """``ExpenseLineAdd`` of a BillAdd."""

    account_ref: Ref | None = None
    amount: DecimalLike | None = None
    tax_amount: DecimalLike | None = None
    memo: str | None = None
    customer_ref: Ref | None = None
    vendor_ref: Ref | None = None  # 16.0 only
    class_ref: Ref | None = None
    sales_tax_code_ref: Ref | None = None
    billable_status: str | None = None
    data_ext: Sequence[DataExt] = ()

    FIELDS: ClassVar[tuple[Field, ...]] = (
        ref_field("AccountRef", "account_ref", LIST_REF_MAX),
        Field("Amount", "amount", "amount"),
        Field("TaxAmount", "tax_amount", "amount"),
        Field("Memo", "memo", max_length=4095),
        ref_field("CustomerRef", "customer_ref", CUSTOMER_REF_MAX),
        ref_field("VendorRef", "vendor_ref", VENDOR_REF_MAX, since="16.0"),
        ref_field("ClassRef", "class_ref", LIST_REF_MAX),
        ref_field("SalesTaxCodeRef", "sales_tax_code_ref", SALES_TAX_CODE_REF_MAX),
        Field("BillableStatus", "billable_status", choices=BILLABLE_STATUS),
        # SalesRepRef is not written by us.
        agg_field("DataExt", "data_ext", DataExt, repeated=True),
    )


@dataclass(frozen=True, kw_only=True)
class ItemLine:
    """``ItemLineAdd`` of a BillAdd (inventory site / serial / lot fields are not written)."""

    item_ref: Ref | None = None
    desc: str | None = None
    quantity: DecimalLike | None = None
    unit_of_measure: str | None = None
    cost: DecimalLike | None = None
    amount: DecimalLike | None = None
    tax_amount: DecimalLike | None = None
    customer_ref: Ref | None = None
    class_ref: Ref | None = None
    sales_tax_code_ref: Ref | None = None
    billable_status: str | None = None
    override_item_account_ref: Ref | None = None
    link_to_txn: LinkToTxn | None = None
    data_ext: Sequence[DataExt] = ()

    FIELDS: ClassVar[tuple[Field, ...]] = (
        ref_field("ItemRef", "item_ref", GENERIC_REF_MAX),
        Field("Desc", "desc", max_length=4095),
        Field("Quantity", "quantity", "price"),
        Field("UnitOfMeasure", "unit_of_measure", max_length=31),
        Field("Cost", "cost", "price"),
        Field("Amount", "amount", "amount"),
        Field("TaxAmount", "tax_amount", "amount"),
        ref_field("CustomerRef", "customer_ref", CUSTOMER_REF_MAX),
        ref_field("ClassRef", "class_ref", LIST_REF_MAX),
        ref_field("SalesTaxCodeRef", "sales_tax_code_ref", SALES_TAX_CODE_REF_MAX),
        Field("BillableStatus", "billable_status", choices=BILLABLE_STATUS),
        ref_field("OverrideItemAccountRef", "override_item_account_ref", LIST_REF_MAX),
        agg_field("LinkToTxn", "link_to_txn", LinkToTxn),
        agg_field("DataExt", "data_ext", DataExt, repeated=True),
    )


@dataclass(frozen=True, kw_only=True)
class BillAdd(_WriteRequest):
    """``BillAddRq``. Expense lines are written before item lines, as the schema demands."""

    vendor_ref: Ref
    vendor_address: Address | None = None
    ap_account_ref: Ref | None = None
    txn_date: date | str | None = None
    due_date: date | str | None = None
    ref_number: str | None = None
    terms_ref: Ref | None = None
    class_ref: Ref | None = None  # 16.0 only
    memo: str | None = None
    is_tax_included: bool | None = None
    sales_tax_code_ref: Ref | None = None
    exchange_rate: DecimalLike | None = None
    external_guid: str | None = None
    link_to_txn_ids: Sequence[str] = ()
    expense_lines: Sequence[ExpenseLine] = ()
    item_lines: Sequence[ItemLine] = ()
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    RQ: ClassVar[str] = "BillAddRq"
    TAG: ClassVar[str] = "BillAdd"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        ref_field("VendorRef", "vendor_ref", VENDOR_REF_MAX, required=True),
        agg_field("VendorAddress", "vendor_address", Address),
        ref_field("APAccountRef", "ap_account_ref", LIST_REF_MAX),
        Field("TxnDate", "txn_date", "date"),
        Field("DueDate", "due_date", "date"),
        Field("RefNumber", "ref_number", max_length=20),
        ref_field("TermsRef", "terms_ref", SIMPLE_REF_MAX),
        ref_field("ClassRef", "class_ref", LIST_REF_MAX, since="16.0"),
        Field("Memo", "memo", max_length=4095),
        Field("IsTaxIncluded", "is_tax_included", "bool"),
        ref_field("SalesTaxCodeRef", "sales_tax_code_ref", SALES_TAX_CODE_REF_MAX),
        Field("ExchangeRate", "exchange_rate", "float"),
        Field("ExternalGUID", "external_guid", "guid"),
        Field("LinkToTxnID", "link_to_txn_ids", "id", repeated=True),
        agg_field("ExpenseLineAdd", "expense_lines", ExpenseLine, repeated=True),
        # choice(ItemLineAdd | ItemGroupLineAdd)*: we only write item lines.
        agg_field("ItemLineAdd", "item_lines", ItemLine, repeated=True),
    )


# --- bill payments --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetCredit:
    """Apply an existing vendor credit to the bill being paid."""

    credit_txn_id: str
    applied_amount: DecimalLike
    txn_line_id: str | None = None
    override: bool | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("CreditTxnID", "credit_txn_id", "id", required=True),
        Field("TxnLineID", "txn_line_id", "id"),
        Field("AppliedAmount", "applied_amount", "amount", required=True),
        Field("Override", "override", "bool"),
    )


@dataclass(frozen=True, kw_only=True)
class AppliedToTxn:
    """``AppliedToTxnAdd``: which bill (TxnID) this payment pays, and how much."""

    txn_id: str
    payment_amount: DecimalLike | None = None
    set_credits: Sequence[SetCredit] = ()
    discount_amount: DecimalLike | None = None
    discount_account_ref: Ref | None = None
    discount_class_ref: Ref | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("TxnID", "txn_id", "id", required=True),
        Field("PaymentAmount", "payment_amount", "amount"),
        # TxnLineDetail* is not written by us.
        agg_field("SetCredit", "set_credits", SetCredit, repeated=True),
        Field("DiscountAmount", "discount_amount", "amount"),
        ref_field("DiscountAccountRef", "discount_account_ref", LIST_REF_MAX),
        ref_field("DiscountClassRef", "discount_class_ref", LIST_REF_MAX),
    )


@dataclass(frozen=True, kw_only=True)
class BillPaymentCheckAdd(_WriteRequest):
    """``BillPaymentCheckAddRq``: exactly one of ``is_to_be_printed`` / ``ref_number``."""

    payee_entity_ref: Ref
    bank_account_ref: Ref
    applied_to: Sequence[AppliedToTxn]
    ap_account_ref: Ref | None = None
    txn_date: date | str | None = None
    is_to_be_printed: bool | None = None
    ref_number: str | None = None
    memo: str | None = None
    exchange_rate: DecimalLike | None = None
    external_guid: str | None = None
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    RQ: ClassVar[str] = "BillPaymentCheckAddRq"
    TAG: ClassVar[str] = "BillPaymentCheckAdd"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        ref_field("PayeeEntityRef", "payee_entity_ref", CUSTOMER_REF_MAX, required=True),
        ref_field("APAccountRef", "ap_account_ref", LIST_REF_MAX),
        Field("TxnDate", "txn_date", "date"),
        ref_field("BankAccountRef", "bank_account_ref", LIST_REF_MAX, required=True),
        # choice(IsToBePrinted | RefNumber), exactly one — enforced by check().
        Field("IsToBePrinted", "is_to_be_printed", "bool"),
        Field("RefNumber", "ref_number", max_length=11),
        Field("Memo", "memo", max_length=4095),
        Field("ExchangeRate", "exchange_rate", "float"),
        Field("ExternalGUID", "external_guid", "guid"),
        agg_field("AppliedToTxnAdd", "applied_to", AppliedToTxn, repeated=True, required=True),
    )

    def check(self) -> None:
        if (self.is_to_be_printed is None) == (self.ref_number is None):
            raise ValueError("BillPaymentCheckAdd needs exactly one of IsToBePrinted or RefNumber")


@dataclass(frozen=True, kw_only=True)
class BillPaymentCreditCardAdd(_WriteRequest):
    """``BillPaymentCreditCardAddRq``."""

    payee_entity_ref: Ref
    credit_card_account_ref: Ref
    applied_to: Sequence[AppliedToTxn]
    ap_account_ref: Ref | None = None
    txn_date: date | str | None = None
    ref_number: str | None = None
    memo: str | None = None
    exchange_rate: DecimalLike | None = None
    external_guid: str | None = None
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    RQ: ClassVar[str] = "BillPaymentCreditCardAddRq"
    TAG: ClassVar[str] = "BillPaymentCreditCardAdd"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        ref_field("PayeeEntityRef", "payee_entity_ref", CUSTOMER_REF_MAX, required=True),
        ref_field("APAccountRef", "ap_account_ref", LIST_REF_MAX),
        Field("TxnDate", "txn_date", "date"),
        ref_field("CreditCardAccountRef", "credit_card_account_ref", LIST_REF_MAX, required=True),
        Field("RefNumber", "ref_number", max_length=11),
        Field("Memo", "memo", max_length=4095),
        Field("ExchangeRate", "exchange_rate", "float"),
        Field("ExternalGUID", "external_guid", "guid"),
        agg_field("AppliedToTxnAdd", "applied_to", AppliedToTxn, repeated=True, required=True),
    )


# Max lengths (XSD maxLength, identical in 13.0 and 16.0) for payload validation upstream.
# Keys are dotted element paths inside the request aggregate, e.g. MAX_LENGTHS["BillAdd"]
# ["ExpenseLineAdd.Memo"] == 4095, MAX_LENGTHS["VendorAdd"]["VendorAddress.City"] == 31.
MAX_LENGTHS: dict[str, dict[str, int]] = {
    cls.TAG: max_length_table(cls.FIELDS)
    for cls in (VendorAdd, VendorMod, BillAdd, BillPaymentCheckAdd, BillPaymentCreditCardAdd)
}

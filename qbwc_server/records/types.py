"""Every QuickBooks record type the server syncs: one declaration each (``records/record_type.py``).

To add a type (say SalesOrder): declare it here, add its model to ``models/records.py`` and an
alembic migration creating its table, and teach the simulator to generate it
(docs/architecture.md, "Adding a record type"); ``tests/storage/test_declarations.py`` checks
that each of those exists.

The order is the sync's work order: lists first (transactions reference them), then the AP
transactions, bills before the payments that apply to them (user-pains #7).
"""

from __future__ import annotations

from models.base import Base
from models.records import (
    QbAccount,
    QbBill,
    QbBillPaymentCheck,
    QbBillPaymentCreditCard,
    QbCheck,
    QbClass,
    QbCreditCardCharge,
    QbCreditCardCredit,
    QbCurrency,
    QbCustomer,
    QbDateDrivenTerms,
    QbItem,
    QbItemReceipt,
    QbOtherName,
    QbPurchaseOrder,
    QbSalesTaxCode,
    QbStandardTerms,
    QbVendor,
    QbVendorCredit,
    QbVendorType,
)
from qbwc_server.records.fields import Field, boolean, day, decimal, f, integer, ref
from qbwc_server.records.record_type import LineElement, RecordType

COMMON_LIST: tuple[Field, ...] = (
    f("list_id", "ListID"),
    f("edit_sequence", "EditSequence"),
    f("time_created", "TimeCreated"),
    f("time_modified", "TimeModified"),
    f("name", "Name"),
    # Non-hierarchical lists (vendors, terms, ...) have no FullName: their Name is it.
    f("full_name", "FullName", "Name"),
    ref("parent_list_id", "ParentRef"),
    f("sublevel", "Sublevel", conv=integer),
    f("is_active", "IsActive", conv=boolean),
)

COMMON_TXN: tuple[Field, ...] = (
    f("txn_id", "TxnID"),
    f("edit_sequence", "EditSequence"),
    f("time_created", "TimeCreated"),
    f("time_modified", "TimeModified"),
    f("txn_number", "TxnNumber", conv=integer),
    f("txn_date", "TxnDate", conv=day),
    f("ref_number", "RefNumber"),
    f("memo", "Memo"),
    ref("currency_list_id", "CurrencyRef"),
    f("currency_name", "CurrencyRef/FullName"),
    f("exchange_rate", "ExchangeRate", conv=decimal),
    f("external_guid", "ExternalGUID"),
)

# The item types ItemQueryRq mixes (ListDelType values; ItemServiceRet etc. are their Ret tags,
# and the stored item_type is the part after "Item": "Service").
ITEM_TYPES: tuple[str, ...] = (
    "ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory",
    "ItemInventoryAssembly", "ItemFixedAsset", "ItemSubtotal", "ItemDiscount", "ItemPayment",
    "ItemSalesTax", "ItemSalesTaxGroup", "ItemGroup",
)  # fmt: skip

# Line elements of the AP transactions (expense and item lines, item groups with their item
# lines), and of purchase orders.
AP_LINES = (
    LineElement("ExpenseLineRet", "expense"),
    LineElement("ItemLineRet", "item"),
    LineElement("ItemGroupLineRet", "group", nested="ItemLineRet"),
)
PO_LINES = (
    LineElement("PurchaseOrderLineRet", "item"),
    LineElement("PurchaseOrderLineGroupRet", "group", nested="PurchaseOrderLineRet"),
)

_ADDRESSING = (f("email", "Email"), f("phone", "Phone"), f("account_number", "AccountNumber"))


def _list(
    name: str,
    query: str,
    model: type[Base],
    *extra: Field,
    requires_preference: str | None = None,
) -> RecordType:
    return RecordType(
        name,
        query,
        model,
        COMMON_LIST + extra,
        ret_tags=(f"{query}Ret",),
        del_types=(query,),
        requires_preference=requires_preference,
    )


def _txn(
    name: str,
    query: str,
    model: type[Base],
    *extra: Field,
    lines: tuple[LineElement, ...] = AP_LINES,
    link_kind: str = "linked",
    requires_preference: str | None = None,
    balance_vendor_ref: str | None = None,
) -> RecordType:
    return RecordType(
        name,
        query,
        model,
        COMMON_TXN + extra,
        ret_tags=(f"{query}Ret",),
        del_types=(query,),
        lines=lines,
        link_kind="applied_to" if link_kind == "applied_to" else "linked",
        requires_preference=requires_preference,
        balance_vendor_ref=balance_vendor_ref,
    )


DECLARED: tuple[RecordType, ...] = (
    # --- lists ---------------------------------------------------------------------------------
    _list(
        "accounts",
        "Account",
        QbAccount,
        f("account_type", "AccountType"),
        f("detail_account_type", "DetailAccountType"),
        f("special_account_type", "SpecialAccountType"),
        f("account_number", "AccountNumber"),
        f("bank_number", "BankNumber"),
        f("description", "Desc"),
        f("balance", "Balance", conv=decimal),
        f("total_balance", "TotalBalance", conv=decimal),
        f("is_tax_account", "IsTaxAccount", conv=boolean),
        ref("currency_list_id", "CurrencyRef"),
    ),
    _list("classes", "Class", QbClass),
    _list(
        "standard_terms",
        "StandardTerms",
        QbStandardTerms,
        f("std_due_days", "StdDueDays", conv=integer),
        f("std_discount_days", "StdDiscountDays", conv=integer),
        f("discount_pct", "DiscountPct", conv=decimal),
    ),
    _list(
        "date_driven_terms",
        "DateDrivenTerms",
        QbDateDrivenTerms,
        f("day_of_month_due", "DayOfMonthDue", conv=integer),
        f("due_next_month_days", "DueNextMonthDays", conv=integer),
        f("discount_day_of_month", "DiscountDayOfMonth", conv=integer),
        f("discount_pct", "DiscountPct", conv=decimal),
    ),
    _list("vendor_types", "VendorType", QbVendorType),
    _list(
        "currencies",
        "Currency",
        QbCurrency,
        f("currency_code", "CurrencyCode"),
        f("exchange_rate", "ExchangeRate", conv=decimal),
        f("as_of_date", "AsOfDate", conv=day),
        f("is_user_defined_currency", "IsUserDefinedCurrency", conv=boolean),
        requires_preference="IsMultiCurrencyOn",
    ),
    _list(
        "sales_tax_codes",
        "SalesTaxCode",
        QbSalesTaxCode,
        f("is_taxable", "IsTaxable", conv=boolean),
        f("description", "Desc"),
    ),
    _list(
        "other_names",
        "OtherName",
        QbOtherName,
        f("company_name", "CompanyName"),
        *_ADDRESSING,
        f("external_guid", "ExternalGUID"),
    ),
    _list(
        "vendors",
        "Vendor",
        QbVendor,
        f("company_name", "CompanyName"),
        f("first_name", "FirstName"),
        f("last_name", "LastName"),
        *_ADDRESSING,
        f("contact", "Contact"),
        f("name_on_check", "NameOnCheck"),
        ref("vendor_type_list_id", "VendorTypeRef"),
        ref("terms_list_id", "TermsRef"),
        ref("class_list_id", "ClassRef"),
        ref("currency_list_id", "CurrencyRef"),
        f("credit_limit", "CreditLimit", conv=decimal),
        f("balance", "Balance", conv=decimal),
        f("is_vendor_eligible_for_1099", "IsVendorEligibleFor1099", conv=boolean),
        f("is_tax_agency", "IsTaxAgency", conv=boolean),
        f("external_guid", "ExternalGUID"),
    ),
    RecordType(
        "items",
        "Item",
        QbItem,
        (
            *COMMON_LIST,
            # item_type comes from the Ret tag, see records/rows.py prepare_row().
            f(
                "description",
                "SalesOrPurchase/Desc",
                "SalesAndPurchase/PurchaseDesc",
                "PurchaseDesc",
                "ItemDesc",
                "SalesAndPurchase/SalesDesc",
                "SalesDesc",
            ),
            f("purchase_description", "SalesAndPurchase/PurchaseDesc", "PurchaseDesc"),
            f("purchase_cost", "SalesAndPurchase/PurchaseCost", "PurchaseCost", conv=decimal),
            f(
                "sales_price",
                "SalesOrPurchase/Price",
                "SalesAndPurchase/SalesPrice",
                "SalesPrice",
                conv=decimal,
            ),
            f(
                "account_list_id",
                "SalesOrPurchase/AccountRef/ListID",
                "AccountRef/ListID",
                "DepositToAccountRef/ListID",
            ),
            f("expense_account_list_id", "SalesAndPurchase/ExpenseAccountRef/ListID"),
            f(
                "income_account_list_id",
                "SalesAndPurchase/IncomeAccountRef/ListID",
                "IncomeAccountRef/ListID",
            ),
            ref("cogs_account_list_id", "COGSAccountRef"),
            ref("asset_account_list_id", "AssetAccountRef"),
            f(
                "pref_vendor_list_id",
                "SalesAndPurchase/PrefVendorRef/ListID",
                "PrefVendorRef/ListID",
                "TaxVendorRef/ListID",
            ),
            ref("class_list_id", "ClassRef"),
            f("manufacturer_part_number", "ManufacturerPartNumber"),
            f("quantity_on_hand", "QuantityOnHand", conv=decimal),
            f("average_cost", "AverageCost", conv=decimal),
            f("external_guid", "ExternalGUID"),
        ),
        ret_tags=tuple(f"{t}Ret" for t in ITEM_TYPES),
        del_types=ITEM_TYPES,
    ),
    _list(
        "customers",
        "Customer",
        QbCustomer,
        f("company_name", "CompanyName"),
        f("first_name", "FirstName"),
        f("last_name", "LastName"),
        *_ADDRESSING,
        ref("customer_type_list_id", "CustomerTypeRef"),
        ref("terms_list_id", "TermsRef"),
        ref("class_list_id", "ClassRef"),
        ref("currency_list_id", "CurrencyRef"),
        f("balance", "Balance", conv=decimal),
        f("total_balance", "TotalBalance", conv=decimal),
        f("job_status", "JobStatus"),
        f("external_guid", "ExternalGUID"),
    ),
    # --- transactions --------------------------------------------------------------------------
    _txn(
        "bills",
        "Bill",
        QbBill,
        ref("vendor_list_id", "VendorRef"),
        f("vendor_name", "VendorRef/FullName"),
        ref("ap_account_list_id", "APAccountRef"),
        # A bill's AmountDue is its total; OpenAmount is what is left to pay.
        f("amount", "AmountDue", conv=decimal),
        f("amount_due", "AmountDue", conv=decimal),
        f("open_amount", "OpenAmount", conv=decimal),
        f("is_paid", "IsPaid", conv=boolean),
        f("due_date", "DueDate", conv=day),
        ref("terms_list_id", "TermsRef"),
        ref("class_list_id", "ClassRef"),
        f("amount_in_home_currency", "AmountDueInHomeCurrency", conv=decimal),
        f("is_pending", "IsPending", conv=boolean),
        balance_vendor_ref="VendorRef",
    ),
    _txn(
        "bill_payment_checks",
        "BillPaymentCheck",
        QbBillPaymentCheck,
        ref("vendor_list_id", "PayeeEntityRef"),
        f("vendor_name", "PayeeEntityRef/FullName"),
        ref("ap_account_list_id", "APAccountRef"),
        ref("bank_account_list_id", "BankAccountRef"),
        f("amount", "Amount", conv=decimal),
        f("amount_in_home_currency", "AmountInHomeCurrency", conv=decimal),
        f("is_to_be_printed", "IsToBePrinted", conv=boolean),
        lines=(),
        link_kind="applied_to",
        balance_vendor_ref="PayeeEntityRef",
    ),
    _txn(
        "bill_payment_credit_cards",
        "BillPaymentCreditCard",
        QbBillPaymentCreditCard,
        ref("vendor_list_id", "PayeeEntityRef"),
        f("vendor_name", "PayeeEntityRef/FullName"),
        ref("ap_account_list_id", "APAccountRef"),
        ref("credit_card_account_list_id", "CreditCardAccountRef"),
        f("amount", "Amount", conv=decimal),
        f("amount_in_home_currency", "AmountInHomeCurrency", conv=decimal),
        lines=(),
        link_kind="applied_to",
        balance_vendor_ref="PayeeEntityRef",
    ),
    _txn(
        "vendor_credits",
        "VendorCredit",
        QbVendorCredit,
        ref("vendor_list_id", "VendorRef"),
        f("vendor_name", "VendorRef/FullName"),
        ref("ap_account_list_id", "APAccountRef"),
        f("amount", "CreditAmount", conv=decimal),
        f("open_amount", "OpenAmount", conv=decimal),
        f("amount_in_home_currency", "CreditAmountInHomeCurrency", conv=decimal),
        balance_vendor_ref="VendorRef",
    ),
    _txn(
        "checks",
        "Check",
        QbCheck,
        ref("vendor_list_id", "PayeeEntityRef"),
        f("vendor_name", "PayeeEntityRef/FullName"),
        ref("bank_account_list_id", "AccountRef"),
        f("amount", "Amount", conv=decimal),
        f("amount_in_home_currency", "AmountInHomeCurrency", conv=decimal),
        f("is_to_be_printed", "IsToBePrinted", conv=boolean),
        f("is_pending", "IsPending", conv=boolean),
    ),
    *(
        _txn(
            name,
            query,
            model,
            ref("vendor_list_id", "PayeeEntityRef"),
            f("vendor_name", "PayeeEntityRef/FullName"),
            ref("credit_card_account_list_id", "AccountRef"),
            f("amount", "Amount", conv=decimal),
            f("amount_in_home_currency", "AmountInHomeCurrency", conv=decimal),
        )
        for name, query, model in (
            ("credit_card_charges", "CreditCardCharge", QbCreditCardCharge),
            ("credit_card_credits", "CreditCardCredit", QbCreditCardCredit),
        )
    ),
    _txn(
        "purchase_orders",
        "PurchaseOrder",
        QbPurchaseOrder,
        ref("vendor_list_id", "VendorRef"),
        f("vendor_name", "VendorRef/FullName"),
        f("amount", "TotalAmount", conv=decimal),
        f("due_date", "DueDate", conv=day),
        ref("terms_list_id", "TermsRef"),
        ref("class_list_id", "ClassRef"),
        f("amount_in_home_currency", "TotalAmountInHomeCurrency", conv=decimal),
        f("expected_date", "ExpectedDate", conv=day),
        f("is_manually_closed", "IsManuallyClosed", conv=boolean),
        f("is_fully_received", "IsFullyReceived", conv=boolean),
        lines=PO_LINES,
        requires_preference="IsUsingInventory",
    ),
    _txn(
        "item_receipts",
        "ItemReceipt",
        QbItemReceipt,
        ref("vendor_list_id", "VendorRef"),
        f("vendor_name", "VendorRef/FullName"),
        ref("ap_account_list_id", "APAccountRef"),
        f("amount", "TotalAmount", conv=decimal),
        f("amount_in_home_currency", "TotalAmountInHomeCurrency", conv=decimal),
        ref("liability_account_list_id", "LiabilityAccountRef"),
        requires_preference="IsUsingInventory",
        balance_vendor_ref="VendorRef",
    ),
)

# --- lookups, all derived from DECLARED ----------------------------------------------------------

RECORD_TYPES: dict[str, RecordType] = {t.name: t for t in DECLARED}
TYPE_NAMES: tuple[str, ...] = tuple(RECORD_TYPES)
LIST_TYPES: tuple[RecordType, ...] = tuple(t for t in DECLARED if t.is_list)
TXN_TYPES: tuple[RecordType, ...] = tuple(t for t in DECLARED if not t.is_list)

# ListDelType / TxnDelType values (ListDeletedRet, TxnDeletedRet) -> our type name.
TYPE_FOR_DEL_TYPE: dict[str, str] = {d: t.name for t in DECLARED for d in t.del_types}

# ``…Ret`` tag -> our type name (ItemQueryRs mixes item Ret tags).
TYPE_FOR_RET_TAG: dict[str, str] = {tag: t.name for t in DECLARED for tag in t.ret_tags}


class UnknownRecordType(KeyError):
    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name

    def __str__(self) -> str:
        return f"unknown record type {self.type_name!r}; known: {', '.join(TYPE_NAMES)}"


class RecordError(ValueError):
    """A record that cannot be stored (e.g. it has no ListID/TxnID)."""


def record_type(type_name: str) -> RecordType:
    try:
        return RECORD_TYPES[type_name]
    except KeyError:
        raise UnknownRecordType(type_name) from None


def ret_tags(type_name: str) -> tuple[str, ...]:
    """The ``…Ret`` tags whose records belong to ``type_name``."""
    return record_type(type_name).ret_tags


def item_type_for_tag(tag: str | None) -> str | None:
    """``ItemServiceRet`` -> ``Service`` (the stored ``item_type``)."""
    if tag and tag.startswith("Item") and tag.endswith("Ret") and len(tag) > 7:
        return tag[4:-3]
    return None

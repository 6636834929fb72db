"""How a QuickBooks ``…Ret`` dict (see ``qbxml/parse.py`` ``ret_to_dict``) becomes rows.

One :class:`RecordType` per API type name declares its table, the ``…Ret`` tags and
ListDelType/TxnDelType values that belong to it, and which Ret element feeds which typed
column. Values arrive as QuickBooks wrote them (``str``; the simulator also hands over
``bool``/``int``), repeatable elements as lists (``ret_to_dict`` always makes them lists).
The complete dict is stored unchanged in the ``qb`` column, so nothing is lost when a field
has no typed column.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import Table

from models.records import RECORD_MODELS

Converter = Callable[[Any], Any]


# --- value converters (tolerant: a value QuickBooks wrote oddly becomes None, never an error;
# the raw value stays in ``qb``) --------------------------------------------------------------


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):  # a leaf with attributes: {"@attr": ..., "#text": ...}
        value = value.get("#text")
    return value


def text(value: Any) -> str | None:
    if value.__class__ is str:  # the common case, first
        return value  # type: ignore[no-any-return]
    value = _scalar(value)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def boolean(value: Any) -> bool | None:
    if value == "true" or value is True:
        return True
    if value == "false" or value is False:
        return False
    value = _scalar(value)
    if value is None or isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def integer(value: Any) -> int | None:
    if value.__class__ is str:
        try:
            return int(value)
        except ValueError:
            return None
    value = _scalar(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def decimal(value: Any) -> Decimal | None:
    if value.__class__ is not str:
        value = _scalar(value)
        if value is None or isinstance(value, bool):
            return None
        value = str(value)
    try:
        result = Decimal(value)  # surrounding whitespace is allowed
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def day(value: Any) -> date | None:
    if value.__class__ is not str:
        value = _scalar(value)
        if value is None:
            return None
        value = str(value)
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def utc_instant(value: Any) -> datetime | None:
    """The instant of a QuickBooks DATETIMETYPE such as ``2024-03-10T02:30:00-08:00``.

    §6.5: QuickBooks writes local time with an offset that is wrong during DST, so this is
    only good for filtering and ordering; the raw string is what watermarks use. A value
    without an offset is taken as UTC.
    """
    if value.__class__ is not str:
        value = _scalar(value)
        if not value:
            return None
        value = str(value)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _descend(value: Any, path: tuple[str, ...]) -> Any:
    """Follow ``path[1:]`` below ``value`` (the element named ``path[0]``)."""
    for key in path[1:]:
        if value.__class__ is list:
            value = value[0] if value else None
        if value.__class__ is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(key)
        if value is None:
            return None
    return value


def as_list(value: Any) -> list[Any]:
    if value.__class__ is list:
        return value  # type: ignore[no-any-return]
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


# --- field declarations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A typed column fed by the first of ``paths`` present in the record."""

    column: str
    paths: tuple[tuple[str, ...], ...]
    convert: Converter


def f(column: str, *paths: str, conv: Converter = text) -> Field:
    """``f("vendor_list_id", "VendorRef/ListID", "PayeeEntityRef/ListID")``."""
    return Field(column, tuple(tuple(p.split("/")) for p in paths), conv)


def ref(column: str, *elements: str) -> Field:
    """The ListID of the first of the named ``…Ref`` elements."""
    return f(column, *(f"{e}/ListID" for e in elements))


def compile_extractor(
    fields: tuple[Field, ...],
) -> Callable[[Mapping[str, Any], dict[str, Any]], None]:
    """Build ``extract(data, row)`` for ``fields`` as straight-line Python.

    This runs once per stored record, tens of thousands of times per second during an
    initial sync; unrolled code is about twice as fast as looping over the declarations
    (bench/bench_storage.py). Semantics: the first path present (not None) feeds the column
    through the field's converter; a path through a list takes its first element; a ``str``
    for a ``text`` column is used as is.
    """
    env: dict[str, Any] = {"_descend": _descend, "text": text}
    lines = ["def extract(data, row):", "    get = data.get"]
    for n, field in enumerate(fields):
        env[f"conv_{n}"] = field.convert
        for k, path in enumerate(field.paths):
            indent = "    " * (k + 1)
            lines.append(f"{indent}v = get({path[0]!r})")
            if len(path) == 2:
                lines.append(
                    f"{indent}if v.__class__ is dict: v = v.get({path[1]!r})\n"
                    f"{indent}elif v is not None: v = _descend(v, {path!r})"
                )
            elif len(path) > 2:
                lines.append(f"{indent}if v is not None: v = _descend(v, {path!r})")
            if k < len(field.paths) - 1:
                lines.append(f"{indent}if v is None:")
        value = "v if v.__class__ is str else text(v)" if field.convert is text else f"conv_{n}(v)"
        lines.append(f"    if v is not None: row[{field.column!r}] = {value}")
    exec("\n".join(lines), env)  # the source is built above from constant declarations
    return env["extract"]  # type: ignore[no-any-return]


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

# Item Ret tags and the item_type stored for them (ItemServiceRet -> "Service").
ITEM_RET_TAGS: tuple[str, ...] = (
    "ItemServiceRet",
    "ItemNonInventoryRet",
    "ItemOtherChargeRet",
    "ItemInventoryRet",
    "ItemInventoryAssemblyRet",
    "ItemFixedAssetRet",
    "ItemSubtotalRet",
    "ItemDiscountRet",
    "ItemPaymentRet",
    "ItemSalesTaxRet",
    "ItemSalesTaxGroupRet",
    "ItemGroupRet",
)


def item_type_for_tag(tag: str | None) -> str | None:
    if tag and tag.startswith("Item") and tag.endswith("Ret") and len(tag) > 7:
        return tag[4:-3]
    return None


Kind = Literal["list", "txn"]


@dataclass(frozen=True, eq=False)
class RecordType:
    name: str  # API type name, e.g. "bills"
    kind: Kind
    ret_tags: tuple[str, ...]
    del_types: tuple[str, ...]  # ListDelType / TxnDelType values
    fields: tuple[Field, ...]
    link_kind: str | None = None  # how links show in the API: "linked" | "applied_to"

    @property
    def table(self) -> Table:
        table = RECORD_MODELS[self.name].__table__
        assert isinstance(table, Table)
        return table

    @functools.cached_property
    def blank_row(self) -> dict[str, Any]:
        """Every column, as None: the rows of one batch must have the same keys."""
        return {c.name: None for c in self.table.columns}

    @functools.cached_property
    def extract(self) -> Callable[[Mapping[str, Any], dict[str, Any]], None]:
        """``extract(data, row)`` sets the typed columns of ``row`` from a Ret dict."""
        return compile_extractor(self.fields)

    @property
    def id_key(self) -> str:
        """The Ret element holding the record's id."""
        return "ListID" if self.kind == "list" else "TxnID"

    @property
    def id_column(self) -> str:
        return "list_id" if self.kind == "list" else "txn_id"

    @property
    def is_list(self) -> bool:
        return self.kind == "list"


def _list(
    name: str, tags: tuple[str, ...], del_types: tuple[str, ...], *extra: Field
) -> RecordType:
    return RecordType(name, "list", tags, del_types, COMMON_LIST + extra)


def _txn(name: str, qb_type: str, link_kind: str, *extra: Field) -> RecordType:
    return RecordType(name, "txn", (f"{qb_type}Ret",), (qb_type,), COMMON_TXN + extra, link_kind)


_ADDRESSING = (f("email", "Email"), f("phone", "Phone"), f("account_number", "AccountNumber"))

RECORD_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in (
        _list(
            "accounts",
            ("AccountRet",),
            ("Account",),
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
        _list(
            "vendors",
            ("VendorRet",),
            ("Vendor",),
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
        _list("vendor_types", ("VendorTypeRet",), ("VendorType",)),
        _list(
            "standard_terms",
            ("StandardTermsRet",),
            ("StandardTerms",),
            f("std_due_days", "StdDueDays", conv=integer),
            f("std_discount_days", "StdDiscountDays", conv=integer),
            f("discount_pct", "DiscountPct", conv=decimal),
        ),
        _list(
            "date_driven_terms",
            ("DateDrivenTermsRet",),
            ("DateDrivenTerms",),
            f("day_of_month_due", "DayOfMonthDue", conv=integer),
            f("due_next_month_days", "DueNextMonthDays", conv=integer),
            f("discount_day_of_month", "DiscountDayOfMonth", conv=integer),
            f("discount_pct", "DiscountPct", conv=decimal),
        ),
        _list("classes", ("ClassRet",), ("Class",)),
        _list(
            "items",
            ITEM_RET_TAGS,
            tuple(tag[:-3] for tag in ITEM_RET_TAGS),
            # item_type comes from the Ret tag, see prepare_row().
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
            f(
                "purchase_cost",
                "SalesAndPurchase/PurchaseCost",
                "PurchaseCost",
                conv=decimal,
            ),
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
        _list(
            "customers",
            ("CustomerRet",),
            ("Customer",),
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
        _list(
            "other_names",
            ("OtherNameRet",),
            ("OtherName",),
            f("company_name", "CompanyName"),
            *_ADDRESSING,
            f("external_guid", "ExternalGUID"),
        ),
        _list(
            "currencies",
            ("CurrencyRet",),
            ("Currency",),
            f("currency_code", "CurrencyCode"),
            f("exchange_rate", "ExchangeRate", conv=decimal),
            f("as_of_date", "AsOfDate", conv=day),
            f("is_user_defined_currency", "IsUserDefinedCurrency", conv=boolean),
        ),
        _list(
            "sales_tax_codes",
            ("SalesTaxCodeRet",),
            ("SalesTaxCode",),
            f("is_taxable", "IsTaxable", conv=boolean),
            f("description", "Desc"),
        ),
        _txn(
            "bills",
            "Bill",
            "linked",
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
        ),
        _txn(
            "bill_payment_checks",
            "BillPaymentCheck",
            "applied_to",
            ref("vendor_list_id", "PayeeEntityRef"),
            f("vendor_name", "PayeeEntityRef/FullName"),
            ref("ap_account_list_id", "APAccountRef"),
            ref("bank_account_list_id", "BankAccountRef"),
            f("amount", "Amount", conv=decimal),
            f("amount_in_home_currency", "AmountInHomeCurrency", conv=decimal),
            f("is_to_be_printed", "IsToBePrinted", conv=boolean),
        ),
        _txn(
            "bill_payment_credit_cards",
            "BillPaymentCreditCard",
            "applied_to",
            ref("vendor_list_id", "PayeeEntityRef"),
            f("vendor_name", "PayeeEntityRef/FullName"),
            ref("ap_account_list_id", "APAccountRef"),
            ref("credit_card_account_list_id", "CreditCardAccountRef"),
            f("amount", "Amount", conv=decimal),
            f("amount_in_home_currency", "AmountInHomeCurrency", conv=decimal),
        ),
        _txn(
            "vendor_credits",
            "VendorCredit",
            "linked",
            ref("vendor_list_id", "VendorRef"),
            f("vendor_name", "VendorRef/FullName"),
            ref("ap_account_list_id", "APAccountRef"),
            f("amount", "CreditAmount", conv=decimal),
            f("open_amount", "OpenAmount", conv=decimal),
            f("amount_in_home_currency", "CreditAmountInHomeCurrency", conv=decimal),
        ),
        _txn(
            "checks",
            "Check",
            "linked",
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
                qb_type,
                "linked",
                ref("vendor_list_id", "PayeeEntityRef"),
                f("vendor_name", "PayeeEntityRef/FullName"),
                ref("credit_card_account_list_id", "AccountRef"),
                f("amount", "Amount", conv=decimal),
                f("amount_in_home_currency", "AmountInHomeCurrency", conv=decimal),
            )
            for name, qb_type in (
                ("credit_card_charges", "CreditCardCharge"),
                ("credit_card_credits", "CreditCardCredit"),
            )
        ),
        _txn(
            "purchase_orders",
            "PurchaseOrder",
            "linked",
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
        ),
        _txn(
            "item_receipts",
            "ItemReceipt",
            "linked",
            ref("vendor_list_id", "VendorRef"),
            f("vendor_name", "VendorRef/FullName"),
            ref("ap_account_list_id", "APAccountRef"),
            f("amount", "TotalAmount", conv=decimal),
            f("amount_in_home_currency", "TotalAmountInHomeCurrency", conv=decimal),
            ref("liability_account_list_id", "LiabilityAccountRef"),
        ),
    )
}

TYPE_NAMES: tuple[str, ...] = tuple(RECORD_TYPES)

# ListDelType / TxnDelType values (ListDeletedRet, TxnDeletedRet) -> our type name.
TYPE_FOR_DEL_TYPE: dict[str, str] = {
    del_type: t.name for t in RECORD_TYPES.values() for del_type in t.del_types
}

# ``…Ret`` tag -> our type name (ItemQueryRs mixes item Ret tags; TermsQueryRs mixes terms).
TYPE_FOR_RET_TAG: dict[str, str] = {
    tag: t.name for t in RECORD_TYPES.values() for tag in t.ret_tags
}


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


# --- rows ------------------------------------------------------------------------------------


def prepare_row(
    rt: RecordType, data: Mapping[str, Any], tag: str | None, company_id: int, now: datetime
) -> dict[str, Any]:
    """The full row (every column) for one record; ``qb`` is the dict itself."""
    row = rt.blank_row.copy()
    rt.extract(data, row)
    row["company_id"] = company_id
    row["time_modified_utc"] = utc_instant(row["time_modified"])
    row["is_deleted"] = False
    row["time_deleted"] = None
    row["deleted_at"] = None
    row["synced_at"] = now
    row["qb"] = data if isinstance(data, dict) else dict(data)
    if rt.is_list:
        if row["is_active"] is None:  # QuickBooks omits IsActive only when asked to
            row["is_active"] = True
        if rt.name == "items":
            row["item_type"] = item_type_for_tag(tag)
    return row


# Line elements of transactions: (Ret element, line_kind, nested line element of a group).
_LINE_ELEMENTS: tuple[tuple[str, str, str | None], ...] = (
    ("ExpenseLineRet", "expense", None),
    ("ItemLineRet", "item", None),
    ("ItemGroupLineRet", "group", "ItemLineRet"),
    ("PurchaseOrderLineRet", "item", None),
    ("PurchaseOrderLineGroupRet", "group", "PurchaseOrderLineRet"),
)


def _ref_id(parent: Mapping[str, Any], element: str) -> str | None:
    """The ListID of ``parent[element]`` (a ``…Ref``)."""
    value = parent.get(element)
    if value is None:
        return None
    if value.__class__ is dict:
        value = value.get("ListID")
        return value if value.__class__ is str or value is None else text(value)
    return text(_descend(value, (element, "ListID")))


def _money(value: Any) -> Decimal | None:
    return None if value is None else decimal(value)


def _line_row(line: Mapping[str, Any], kind: str, parent: str | None) -> dict[str, Any]:
    # Hot path: several calls per stored transaction.
    get = line.get
    group = kind == "group"
    cost = get("Cost")
    memo, desc, status = get("Memo"), get("Desc"), get("BillableStatus")
    return {
        "txn_line_id": text(get("TxnLineID")),
        "parent_txn_line_id": parent,
        "line_kind": kind,
        "account_list_id": _ref_id(line, "AccountRef"),
        "item_list_id": _ref_id(line, "ItemGroupRef" if group else "ItemRef"),
        "description": None if desc is None else text(desc),
        "amount": _money(get("TotalAmount" if group else "Amount")),
        "quantity": _money(get("Quantity")),
        "cost": _money(get("Rate") if cost is None else cost),
        "memo": None if memo is None else text(memo),
        "class_list_id": _ref_id(line, "ClassRef"),
        "customer_list_id": _ref_id(line, "CustomerRef"),
        "billable_status": None if status is None else text(status),
    }


def iter_lines(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Expense, item and group lines in document order per kind; the item lines of a group
    follow the group line and name it as their parent."""
    for element, kind, nested in _LINE_ELEMENTS:
        found = data.get(element)
        if found is None:
            continue
        for line in as_list(found):
            if line.__class__ is not dict and not isinstance(line, Mapping):
                continue
            row = _line_row(line, kind, None)
            yield row
            if nested:
                for sub in as_list(line.get(nested)):
                    if sub.__class__ is dict or isinstance(sub, Mapping):
                        yield _line_row(sub, "item", row["txn_line_id"])


def _link_row(link: Mapping[str, Any], kind: str) -> dict[str, Any]:
    get = link.get
    txn_date = get("TxnDate")
    return {
        "link_kind": kind,
        "linked_txn_id": text(get("TxnID")),
        "linked_txn_type": text(get("TxnType")),
        "link_type": text(get("LinkType")),
        "txn_date": None if txn_date is None else day(txn_date),
        "ref_number": text(get("RefNumber")),
        "amount": _money(get("Amount")),
        "balance_remaining": _money(get("BalanceRemaining")),
        "discount_amount": _money(get("DiscountAmount")),
        "discount_account_list_id": _ref_id(link, "DiscountAccountRef"),
    }


def iter_links(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """LinkedTxn (kind "linked") and AppliedToTxnRet (kind "applied_to") entries."""
    for link in as_list(data.get("LinkedTxn")):
        if link.__class__ is dict or isinstance(link, Mapping):
            yield _link_row(link, "linked")
    for applied in as_list(data.get("AppliedToTxnRet")):
        if applied.__class__ is dict or isinstance(applied, Mapping):
            yield _link_row(applied, "applied_to")

"""Schema-ordered builders for the query requests the sync engine sends (§6.4 to §6.6, §6.10).

Which query accepts what is a table (:data:`LIST_QUERIES`, :data:`TXN_QUERIES`) read off the
XSDs (qbxmlops130.xsd / qbxmlops160.xsd — identical for every query here); the tests check
the table against the schemas. Asking for something a query does not accept (an iterator on
AccountQuery, OwnerID on ClassQuery, PaidStatus outside BillQuery, an ID list together with
filters, both date filters) raises ``ValueError`` before anything reaches QuickBooks.

Element order inside the filter block (XSD groups ListFilter / TxnFilter):

* list: ListID* | FullName* | (MaxReturned, ActiveStatus, FromModifiedDate, ToModifiedDate,
  NameFilter | NameRangeFilter, <query-specific extras>), IncludeRetElement*, OwnerID*
* txn: TxnID* | RefNumber* | RefNumberCaseSensitive* | (MaxReturned,
  ModifiedDateRangeFilter | TxnDateRangeFilter, EntityFilter, AccountFilter,
  RefNumberFilter | RefNumberRangeFilter, CurrencyFilter, [PaidStatus]), IncludeLineItems,
  [IncludeLinkedTxns], IncludeRetElement*, OwnerID*
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from lxml import etree

from qbwc_server.qbxml import values
from qbwc_server.qbxml.schema_order import (
    add_include_ret_elements,
    start_request,
    text_child,
    version_at_least,
)

Iterator = Literal["Start", "Continue", "Stop"]
MetaData = Literal["NoMetaData", "MetaDataOnly", "MetaDataAndResponseData"]
ActiveStatus = Literal["ActiveOnly", "InactiveOnly", "All"]
MatchCriterion = Literal["StartsWith", "Contains", "EndsWith"]
PaidStatus = Literal["All", "PaidOnly", "NotPaidOnly"]
DateTimeLike = datetime | date | str

_ITERATORS = ("Start", "Continue", "Stop")
_META_DATA = ("NoMetaData", "MetaDataOnly", "MetaDataAndResponseData")
_ACTIVE_STATUS = ("ActiveOnly", "InactiveOnly", "All")
_MATCH_CRITERIA = ("StartsWith", "Contains", "EndsWith")
_PAID_STATUS = ("All", "PaidOnly", "NotPaidOnly")
_OPERATORS = ("LessThan", "LessThanEqual", "Equal", "GreaterThan", "GreaterThanEqual")
CURRENCY_FULL_NAME_MAX = 64

ACCOUNT_TYPES = (
    "AccountsPayable", "AccountsReceivable", "Bank", "CostOfGoodsSold", "CreditCard", "Equity",
    "Expense", "FixedAsset", "Income", "LongTermLiability", "NonPosting", "OtherAsset",
    "OtherCurrentAsset", "OtherCurrentLiability", "OtherExpense", "OtherIncome",
)  # fmt: skip

DATE_MACROS = (
    "All", "Today", "ThisWeek", "ThisWeekToDate", "ThisMonth", "ThisMonthToDate",
    "ThisCalendarQuarter", "ThisCalendarQuarterToDate", "ThisFiscalQuarter",
    "ThisFiscalQuarterToDate", "ThisCalendarYear", "ThisCalendarYearToDate", "ThisFiscalYear",
    "ThisFiscalYearToDate", "Yesterday", "LastWeek", "LastWeekToDate", "LastMonth",
    "LastMonthToDate", "LastCalendarQuarter", "LastCalendarQuarterToDate", "LastFiscalQuarter",
    "LastFiscalQuarterToDate", "LastCalendarYear", "LastCalendarYearToDate", "LastFiscalYear",
    "LastFiscalYearToDate", "NextWeek", "NextFourWeeks", "NextMonth", "NextCalendarQuarter",
    "NextCalendarYear", "NextFiscalQuarter", "NextFiscalYear",
)  # fmt: skip

# ListDeletedQuery/ListDelType: identical in 13.0 and 16.0.
LIST_DEL_TYPES = (
    "Account", "BillingRate", "Class", "Currency", "Customer", "CustomerMsg", "CustomerType",
    "DateDrivenTerms", "Employee", "InventorySite", "ItemDiscount", "ItemFixedAsset",
    "ItemGroup", "ItemInventory", "ItemInventoryAssembly", "ItemNonInventory", "ItemOtherCharge",
    "ItemPayment", "ItemSalesTax", "ItemSalesTaxGroup", "ItemService", "ItemSubtotal",
    "JobType", "OtherName", "PaymentMethod", "PayrollItemNonWage", "PayrollItemWage",
    "PriceLevel", "SalesRep", "SalesTaxCode", "ShipMethod", "StandardTerms", "ToDo",
    "UnitOfMeasureSet", "Vehicle", "Vendor", "VendorType", "WorkersCompCode",
)  # fmt: skip

# TxnDeletedQuery/TxnDelType: 16.0 adds the three payroll adjustment types.
TXN_DEL_TYPES_13 = (
    "ARRefundCreditCard", "Bill", "BillPaymentCheck", "BillPaymentCreditCard", "BuildAssembly",
    "Charge", "Check", "CreditCardCharge", "CreditCardCredit", "CreditMemo", "Deposit",
    "Estimate", "InventoryAdjustment", "Invoice", "ItemReceipt", "JournalEntry",
    "PurchaseOrder", "ReceivePayment", "SalesOrder", "SalesReceipt", "SalesTaxPaymentCheck",
    "TimeTracking", "TransferInventory", "VehicleMileage", "VendorCredit",
)  # fmt: skip
TXN_DEL_TYPES_16_ONLY = (
    "PayrollLiabilityAdjustment", "PayrollPriorPayment", "PayrollYearToDateAdjustment",
)  # fmt: skip


def txn_del_types(version: str) -> tuple[str, ...]:
    if version_at_least(version, "16.0"):
        return TXN_DEL_TYPES_13 + TXN_DEL_TYPES_16_ONLY
    return TXN_DEL_TYPES_13


# --- capability tables ----------------------------------------------------------------------

ListExtra = Literal["AccountType", "TotalBalanceFilter", "CurrencyFilter", "ClassFilter"]


@dataclass(frozen=True)
class ListQuerySpec:
    """What one list query accepts. ``extras`` are the filters after NameFilter, in order."""

    name: str
    iterator: bool
    owner_id: bool
    extras: tuple[ListExtra, ...] = ()


@dataclass(frozen=True)
class TxnQuerySpec:
    name: str
    include_linked_txns: bool
    paid_status: bool = False
    iterator: bool = True
    owner_id: bool = True
    include_line_items: bool = True


_ITEM_WITH_CLASS: tuple[ListExtra, ...] = ("ClassFilter",)
_ENTITY_EXTRAS: tuple[ListExtra, ...] = ("TotalBalanceFilter", "CurrencyFilter", "ClassFilter")

# §6.4/§6.6: iterator and OwnerID support differ per query — from the XSDs, not from memory.
LIST_QUERIES: dict[str, ListQuerySpec] = {
    spec.name: spec
    for spec in (
        ListQuerySpec("Account", iterator=False, owner_id=True,
                      extras=("AccountType", "CurrencyFilter")),
        ListQuerySpec("Vendor", iterator=True, owner_id=True, extras=_ENTITY_EXTRAS),
        ListQuerySpec("Customer", iterator=True, owner_id=True, extras=_ENTITY_EXTRAS),
        ListQuerySpec("VendorType", iterator=False, owner_id=False),
        ListQuerySpec("StandardTerms", iterator=False, owner_id=False),
        ListQuerySpec("DateDrivenTerms", iterator=False, owner_id=False),
        ListQuerySpec("Terms", iterator=False, owner_id=False),
        ListQuerySpec("Class", iterator=False, owner_id=False),
        ListQuerySpec("OtherName", iterator=False, owner_id=True),
        ListQuerySpec("Currency", iterator=False, owner_id=False),
        ListQuerySpec("SalesTaxCode", iterator=False, owner_id=False),
        ListQuerySpec("Item", iterator=True, owner_id=True),
        ListQuerySpec("ItemService", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemNonInventory", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemOtherCharge", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemInventory", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemInventoryAssembly", iterator=True, owner_id=True,
                      extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemFixedAsset", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemSubtotal", iterator=True, owner_id=True),
        ListQuerySpec("ItemDiscount", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemPayment", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemSalesTax", iterator=True, owner_id=True, extras=_ITEM_WITH_CLASS),
        ListQuerySpec("ItemSalesTaxGroup", iterator=True, owner_id=True),
        ListQuerySpec("ItemGroup", iterator=True, owner_id=True),
    )
}  # fmt: skip

TXN_QUERIES: dict[str, TxnQuerySpec] = {
    spec.name: spec
    for spec in (
        TxnQuerySpec("Bill", include_linked_txns=True, paid_status=True),
        TxnQuerySpec("BillPaymentCheck", include_linked_txns=False),
        TxnQuerySpec("BillPaymentCreditCard", include_linked_txns=False),
        TxnQuerySpec("VendorCredit", include_linked_txns=True),
        TxnQuerySpec("Check", include_linked_txns=True),
        TxnQuerySpec("CreditCardCharge", include_linked_txns=False),
        TxnQuerySpec("CreditCardCredit", include_linked_txns=False),
        TxnQuerySpec("PurchaseOrder", include_linked_txns=True),
        TxnQuerySpec("ItemReceipt", include_linked_txns=True),
    )
}


# --- filter values --------------------------------------------------------------------------


@dataclass(frozen=True)
class NameFilter:
    match_criterion: MatchCriterion
    name: str


@dataclass(frozen=True)
class NameRangeFilter:
    from_name: str | None = None
    to_name: str | None = None


@dataclass(frozen=True)
class TotalBalanceFilter:
    operator: Literal["LessThan", "LessThanEqual", "Equal", "GreaterThan", "GreaterThanEqual"]
    amount: values.DecimalLike


@dataclass(frozen=True)
class ListSelector:
    """EntityFilter / AccountFilter / ClassFilter: one of the four forms."""

    list_ids: Sequence[str] = ()
    full_names: Sequence[str] = ()
    list_id_with_children: str | None = None
    full_name_with_children: str | None = None

    def __post_init__(self) -> None:
        given = [
            bool(self.list_ids),
            bool(self.full_names),
            self.list_id_with_children is not None,
            self.full_name_with_children is not None,
        ]
        if sum(given) != 1:
            raise ValueError(
                "a list filter needs exactly one of list_ids, full_names, "
                "list_id_with_children, full_name_with_children"
            )


@dataclass(frozen=True)
class CurrencyFilter:
    list_ids: Sequence[str] = ()
    full_names: Sequence[str] = ()

    def __post_init__(self) -> None:
        if bool(self.list_ids) == bool(self.full_names):
            raise ValueError("CurrencyFilter needs exactly one of list_ids or full_names")


@dataclass(frozen=True)
class RefNumberFilter:
    match_criterion: MatchCriterion
    ref_number: str


@dataclass(frozen=True)
class RefNumberRangeFilter:
    from_ref_number: str | None = None
    to_ref_number: str | None = None


# --- helpers --------------------------------------------------------------------------------


def _check_choice(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _as_list(value: Sequence[str], what: str) -> list[str]:
    if isinstance(value, str):
        raise TypeError(f"{what} must be a sequence of strings, not a single string")
    return list(value)


def _set_query_attrs(
    rq: etree._Element,
    *,
    name: str,
    supports_iterator: bool,
    supports_meta_data: bool,
    iterator: Iterator | None,
    iterator_id: str | None,
    meta_data: MetaData | None,
) -> None:
    if meta_data is not None:
        if not supports_meta_data:
            raise ValueError(f"{name}Query does not accept the metaData attribute")
        rq.set("metaData", _check_choice(meta_data, _META_DATA, "metaData"))
    if iterator is not None or iterator_id is not None:
        if not supports_iterator:
            # §6.4: e.g. AccountQuery/ClassQuery/terms: the schema has no iterator attribute.
            raise ValueError(f"{name}Query does not support iterators; fetch it whole")
        if iterator is None:
            raise ValueError("iterator_id given without iterator")
        rq.set("iterator", _check_choice(iterator, _ITERATORS, "iterator"))
        if iterator in ("Continue", "Stop"):
            if not iterator_id:
                raise ValueError(f'iterator="{iterator}" needs the iteratorID of the Start')
            rq.set("iteratorID", iterator_id)
        elif iterator_id is not None:
            raise ValueError('iterator="Start" must not carry an iteratorID')


def _add_ids(rq: etree._Element, tag: str, ids: Sequence[str]) -> None:
    for value in ids:
        text_child(rq, tag, values.fmt_id(value))


def _add_names(rq: etree._Element, tag: str, names: Sequence[str]) -> None:
    for value in names:
        if not value:
            raise ValueError(f"empty {tag}")
        text_child(rq, tag, value)


def _add_max_returned(rq: etree._Element, max_returned: int | None) -> None:
    if max_returned is not None:
        if isinstance(max_returned, bool) or not isinstance(max_returned, int):
            raise TypeError("max_returned must be an int")
        if max_returned < 1:
            raise ValueError("MaxReturned must be at least 1")  # OPS70: min value 1
        text_child(rq, "MaxReturned", str(max_returned))


def _add_list_selector(rq: etree._Element, tag: str, sel: ListSelector) -> None:
    el = etree.SubElement(rq, tag)
    if sel.list_ids:
        _add_ids(el, "ListID", _as_list(sel.list_ids, f"{tag}.list_ids"))
    elif sel.full_names:
        _add_names(el, "FullName", _as_list(sel.full_names, f"{tag}.full_names"))
    elif sel.list_id_with_children is not None:
        text_child(el, "ListIDWithChildren", values.fmt_id(sel.list_id_with_children))
    elif sel.full_name_with_children is not None:
        text_child(el, "FullNameWithChildren", sel.full_name_with_children)


def _add_currency_filter(rq: etree._Element, cf: CurrencyFilter) -> None:
    el = etree.SubElement(rq, "CurrencyFilter")
    if cf.list_ids:
        _add_ids(el, "ListID", _as_list(cf.list_ids, "CurrencyFilter.list_ids"))
    else:
        for name in _as_list(cf.full_names, "CurrencyFilter.full_names"):
            text_child(el, "FullName", values.check_length("FullName", name, 64))


def _add_owner_ids(
    rq: etree._Element, name: str, supported: bool, owner_ids: Sequence[str]
) -> None:
    owner_ids = _as_list(owner_ids, "owner_ids")
    if owner_ids and not supported:
        # §6.6: OwnerID on ClassQuery etc. is a parse error (0x80040400) in QuickBooks.
        raise ValueError(f"{name}Query does not accept OwnerID")
    for owner in owner_ids:
        text_child(rq, "OwnerID", values.fmt_guid(owner))


# --- list queries ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """A list query (``<kind>QueryRq``), e.g. ``ListQuery(kind="Vendor", ...)``.

    Select by ``list_ids`` or ``full_names`` *or* by the filter fields — never both.
    §6.5: list queries default to ActiveOnly; pass ``active_status="All"`` when syncing.
    ``from_modified_date``/``to_modified_date`` are sent without offset (QuickBooks local time).
    """

    kind: str
    request_id: str | None = None
    iterator: Iterator | None = None
    iterator_id: str | None = None
    meta_data: MetaData | None = None
    list_ids: Sequence[str] = ()
    full_names: Sequence[str] = ()
    max_returned: int | None = None
    active_status: ActiveStatus | None = None
    from_modified_date: DateTimeLike | None = None
    to_modified_date: DateTimeLike | None = None
    name_filter: NameFilter | None = None
    name_range_filter: NameRangeFilter | None = None
    account_types: Sequence[str] = ()
    total_balance_filter: TotalBalanceFilter | None = None
    currency_filter: CurrencyFilter | None = None
    class_filter: ListSelector | None = None
    include_ret_elements: Sequence[str] = ()
    owner_ids: Sequence[str] = ()

    @property
    def spec(self) -> ListQuerySpec:
        try:
            return LIST_QUERIES[self.kind]
        except KeyError:
            raise ValueError(f"unknown list query {self.kind!r}") from None

    def _has_filters(self) -> bool:
        return any(
            (
                self.max_returned is not None,
                self.active_status is not None,
                self.from_modified_date is not None,
                self.to_modified_date is not None,
                self.name_filter is not None,
                self.name_range_filter is not None,
                bool(self.account_types),
                self.total_balance_filter is not None,
                self.currency_filter is not None,
                self.class_filter is not None,
            )
        )

    def to_element(self, version: str) -> etree._Element:
        spec = self.spec
        rq = start_request(f"{spec.name}QueryRq", self.request_id, version)
        _set_query_attrs(
            rq,
            name=spec.name,
            supports_iterator=spec.iterator,
            supports_meta_data=True,
            iterator=self.iterator,
            iterator_id=self.iterator_id,
            meta_data=self.meta_data,
        )
        list_ids = _as_list(self.list_ids, "list_ids")
        full_names = _as_list(self.full_names, "full_names")
        if sum((bool(list_ids), bool(full_names), self._has_filters())) > 1:
            # §6.5: the ID/name lists are a schema alternative to the whole filter block.
            raise ValueError("ListID, FullName and the filters are mutually exclusive")
        if list_ids:
            _add_ids(rq, "ListID", list_ids)
        elif full_names:
            _add_names(rq, "FullName", full_names)
        else:
            self._add_filters(rq, spec)
        add_include_ret_elements(rq, self.include_ret_elements)
        _add_owner_ids(rq, spec.name, spec.owner_id, self.owner_ids)
        return rq

    def _add_filters(self, rq: etree._Element, spec: ListQuerySpec) -> None:
        _add_max_returned(rq, self.max_returned)
        if self.active_status is not None:
            text_child(
                rq, "ActiveStatus", _check_choice(self.active_status, _ACTIVE_STATUS, "status")
            )
        if self.from_modified_date is not None:
            text_child(rq, "FromModifiedDate", values.fmt_datetime(self.from_modified_date))
        if self.to_modified_date is not None:
            text_child(rq, "ToModifiedDate", values.fmt_datetime(self.to_modified_date))
        if self.name_filter is not None and self.name_range_filter is not None:
            raise ValueError("NameFilter and NameRangeFilter are mutually exclusive")
        if self.name_filter is not None:
            el = etree.SubElement(rq, "NameFilter")
            text_child(
                el,
                "MatchCriterion",
                _check_choice(self.name_filter.match_criterion, _MATCH_CRITERIA, "criterion"),
            )
            text_child(el, "Name", self.name_filter.name)
        if self.name_range_filter is not None:
            el = etree.SubElement(rq, "NameRangeFilter")
            if self.name_range_filter.from_name is not None:
                text_child(el, "FromName", self.name_range_filter.from_name)
            if self.name_range_filter.to_name is not None:
                text_child(el, "ToName", self.name_range_filter.to_name)
        given: dict[ListExtra, bool] = {
            "AccountType": bool(self.account_types),
            "TotalBalanceFilter": self.total_balance_filter is not None,
            "CurrencyFilter": self.currency_filter is not None,
            "ClassFilter": self.class_filter is not None,
        }
        for extra, present in given.items():
            if present and extra not in spec.extras:
                raise ValueError(f"{spec.name}Query does not accept {extra}")
        for extra in spec.extras:  # schema order of the query-specific filters
            if extra == "AccountType":
                for account_type in _as_list(self.account_types, "account_types"):
                    text_child(
                        rq, "AccountType", _check_choice(account_type, ACCOUNT_TYPES, "type")
                    )
            elif extra == "TotalBalanceFilter" and self.total_balance_filter is not None:
                el = etree.SubElement(rq, "TotalBalanceFilter")
                op = _check_choice(self.total_balance_filter.operator, _OPERATORS, "operator")
                text_child(el, "Operator", op)
                text_child(el, "Amount", values.fmt_amount(self.total_balance_filter.amount))
            elif extra == "CurrencyFilter" and self.currency_filter is not None:
                _add_currency_filter(rq, self.currency_filter)
            elif extra == "ClassFilter" and self.class_filter is not None:
                _add_list_selector(rq, "ClassFilter", self.class_filter)


# --- transaction queries --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TxnQuery:
    """A transaction query (``<kind>QueryRq``), e.g. ``TxnQuery(kind="Bill", ...)``.

    §6.5: ``modified_from``/``modified_to`` (ModifiedDateRangeFilter) and
    ``txn_date_from``/``txn_date_to``/``date_macro`` (TxnDateRangeFilter) are mutually
    exclusive; §6.6: lines only come back with ``include_line_items=True``.
    """

    kind: str
    request_id: str | None = None
    iterator: Iterator | None = None
    iterator_id: str | None = None
    meta_data: MetaData | None = None
    txn_ids: Sequence[str] = ()
    ref_numbers: Sequence[str] = ()
    ref_numbers_case_sensitive: Sequence[str] = ()
    max_returned: int | None = None
    modified_from: DateTimeLike | None = None
    modified_to: DateTimeLike | None = None
    txn_date_from: date | str | None = None
    txn_date_to: date | str | None = None
    date_macro: str | None = None
    entity_filter: ListSelector | None = None
    account_filter: ListSelector | None = None
    ref_number_filter: RefNumberFilter | None = None
    ref_number_range_filter: RefNumberRangeFilter | None = None
    currency_filter: CurrencyFilter | None = None
    paid_status: PaidStatus | None = None
    include_line_items: bool | None = None
    include_linked_txns: bool | None = None
    include_ret_elements: Sequence[str] = ()
    owner_ids: Sequence[str] = ()

    @property
    def spec(self) -> TxnQuerySpec:
        try:
            return TXN_QUERIES[self.kind]
        except KeyError:
            raise ValueError(f"unknown transaction query {self.kind!r}") from None

    def _has_filters(self) -> bool:
        return any(
            (
                self.max_returned is not None,
                self.modified_from is not None,
                self.modified_to is not None,
                self.txn_date_from is not None,
                self.txn_date_to is not None,
                self.date_macro is not None,
                self.entity_filter is not None,
                self.account_filter is not None,
                self.ref_number_filter is not None,
                self.ref_number_range_filter is not None,
                self.currency_filter is not None,
                self.paid_status is not None,
            )
        )

    def to_element(self, version: str) -> etree._Element:
        spec = self.spec
        rq = start_request(f"{spec.name}QueryRq", self.request_id, version)
        _set_query_attrs(
            rq,
            name=spec.name,
            supports_iterator=spec.iterator,
            supports_meta_data=True,
            iterator=self.iterator,
            iterator_id=self.iterator_id,
            meta_data=self.meta_data,
        )
        txn_ids = _as_list(self.txn_ids, "txn_ids")
        ref_numbers = _as_list(self.ref_numbers, "ref_numbers")
        ref_cs = _as_list(self.ref_numbers_case_sensitive, "ref_numbers_case_sensitive")
        selectors = (bool(txn_ids), bool(ref_numbers), bool(ref_cs), self._has_filters())
        if sum(selectors) > 1:
            raise ValueError(
                "TxnID, RefNumber, RefNumberCaseSensitive and the filters are mutually exclusive"
            )
        if txn_ids:
            _add_ids(rq, "TxnID", txn_ids)
        elif ref_numbers:
            _add_names(rq, "RefNumber", ref_numbers)
        elif ref_cs:
            _add_names(rq, "RefNumberCaseSensitive", ref_cs)
        else:
            self._add_filters(rq, spec)
        if self.include_line_items is not None:
            text_child(rq, "IncludeLineItems", values.fmt_bool(self.include_line_items))
        if self.include_linked_txns is not None:
            if not spec.include_linked_txns:
                raise ValueError(f"{spec.name}Query does not accept IncludeLinkedTxns")
            text_child(rq, "IncludeLinkedTxns", values.fmt_bool(self.include_linked_txns))
        add_include_ret_elements(rq, self.include_ret_elements)
        _add_owner_ids(rq, spec.name, spec.owner_id, self.owner_ids)
        return rq

    def _add_filters(self, rq: etree._Element, spec: TxnQuerySpec) -> None:
        _add_max_returned(rq, self.max_returned)
        modified = self.modified_from is not None or self.modified_to is not None
        by_txn_date = self.txn_date_from is not None or self.txn_date_to is not None
        if modified and (by_txn_date or self.date_macro is not None):
            raise ValueError(
                "ModifiedDateRangeFilter and TxnDateRangeFilter are mutually exclusive"
            )
        if by_txn_date and self.date_macro is not None:
            raise ValueError("FromTxnDate/ToTxnDate and DateMacro are mutually exclusive")
        if modified:
            el = etree.SubElement(rq, "ModifiedDateRangeFilter")
            if self.modified_from is not None:
                text_child(el, "FromModifiedDate", values.fmt_datetime(self.modified_from))
            if self.modified_to is not None:
                text_child(el, "ToModifiedDate", values.fmt_datetime(self.modified_to))
        elif by_txn_date or self.date_macro is not None:
            el = etree.SubElement(rq, "TxnDateRangeFilter")
            if self.date_macro is not None:
                text_child(el, "DateMacro", _check_choice(self.date_macro, DATE_MACROS, "macro"))
            if self.txn_date_from is not None:
                text_child(el, "FromTxnDate", values.fmt_date(self.txn_date_from))
            if self.txn_date_to is not None:
                text_child(el, "ToTxnDate", values.fmt_date(self.txn_date_to))
        if self.entity_filter is not None:
            _add_list_selector(rq, "EntityFilter", self.entity_filter)
        if self.account_filter is not None:
            _add_list_selector(rq, "AccountFilter", self.account_filter)
        if self.ref_number_filter is not None and self.ref_number_range_filter is not None:
            raise ValueError("RefNumberFilter and RefNumberRangeFilter are mutually exclusive")
        if self.ref_number_filter is not None:
            el = etree.SubElement(rq, "RefNumberFilter")
            text_child(
                el,
                "MatchCriterion",
                _check_choice(self.ref_number_filter.match_criterion, _MATCH_CRITERIA, "match"),
            )
            text_child(el, "RefNumber", self.ref_number_filter.ref_number)
        if self.ref_number_range_filter is not None:
            el = etree.SubElement(rq, "RefNumberRangeFilter")
            if self.ref_number_range_filter.from_ref_number is not None:
                text_child(el, "FromRefNumber", self.ref_number_range_filter.from_ref_number)
            if self.ref_number_range_filter.to_ref_number is not None:
                text_child(el, "ToRefNumber", self.ref_number_range_filter.to_ref_number)
        if self.currency_filter is not None:
            _add_currency_filter(rq, self.currency_filter)
        if self.paid_status is not None:
            if not spec.paid_status:
                raise ValueError(f"{spec.name}Query does not accept PaidStatus")
            text_child(rq, "PaidStatus", _check_choice(self.paid_status, _PAID_STATUS, "paid"))


# --- deleted-object and company/host/preferences queries ------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListDeletedQuery:
    """§6.5: deletions of the last ~90 days only; no iterator."""

    list_del_types: Sequence[str]
    deleted_from: DateTimeLike | None = None
    deleted_to: DateTimeLike | None = None
    request_id: str | None = None
    meta_data: MetaData | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("ListDeletedQueryRq", self.request_id, version)
        _set_query_attrs(
            rq,
            name="ListDeleted",
            supports_iterator=False,
            supports_meta_data=True,
            iterator=None,
            iterator_id=None,
            meta_data=self.meta_data,
        )
        types = _as_list(self.list_del_types, "list_del_types")
        if not types:
            raise ValueError("ListDeletedQuery needs at least one ListDelType")
        for t in types:
            text_child(rq, "ListDelType", _check_choice(t, LIST_DEL_TYPES, "ListDelType"))
        _add_deleted_range(rq, self.deleted_from, self.deleted_to)
        add_include_ret_elements(rq, self.include_ret_elements)
        return rq


@dataclass(frozen=True, kw_only=True)
class TxnDeletedQuery:
    """§6.5: deletions of the last ~90 days only; no iterator."""

    txn_del_types: Sequence[str]
    deleted_from: DateTimeLike | None = None
    deleted_to: DateTimeLike | None = None
    request_id: str | None = None
    meta_data: MetaData | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("TxnDeletedQueryRq", self.request_id, version)
        _set_query_attrs(
            rq,
            name="TxnDeleted",
            supports_iterator=False,
            supports_meta_data=True,
            iterator=None,
            iterator_id=None,
            meta_data=self.meta_data,
        )
        types = _as_list(self.txn_del_types, "txn_del_types")
        if not types:
            raise ValueError("TxnDeletedQuery needs at least one TxnDelType")
        allowed = txn_del_types(version)
        for t in types:
            if t not in allowed and t in TXN_DEL_TYPES_16_ONLY:
                raise ValueError(f"TxnDelType {t} needs qbXML 16.0 (building {version})")
            text_child(rq, "TxnDelType", _check_choice(t, allowed, "TxnDelType"))
        _add_deleted_range(rq, self.deleted_from, self.deleted_to)
        add_include_ret_elements(rq, self.include_ret_elements)
        return rq


def _add_deleted_range(
    rq: etree._Element, deleted_from: DateTimeLike | None, deleted_to: DateTimeLike | None
) -> None:
    if deleted_from is None and deleted_to is None:
        return
    el = etree.SubElement(rq, "DeletedDateRangeFilter")
    if deleted_from is not None:
        text_child(el, "FromDeletedDate", values.fmt_datetime(deleted_from))
    if deleted_to is not None:
        text_child(el, "ToDeletedDate", values.fmt_datetime(deleted_to))


@dataclass(frozen=True, kw_only=True)
class CompanyQuery:
    """§4.3: with our OwnerID the CompanyRet carries our FileID data extension."""

    owner_ids: Sequence[str] = ()
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("CompanyQueryRq", self.request_id, version)
        add_include_ret_elements(rq, self.include_ret_elements)
        _add_owner_ids(rq, "Company", True, self.owner_ids)
        return rq


@dataclass(frozen=True, kw_only=True)
class HostQuery:
    include_max_capacity: bool | None = None
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("HostQueryRq", self.request_id, version)
        if self.include_max_capacity is not None:
            meta = etree.SubElement(rq, "IncludeListMetaData")
            text_child(meta, "IncludeMaxCapacity", values.fmt_bool(self.include_max_capacity))
        add_include_ret_elements(rq, self.include_ret_elements)
        return rq


@dataclass(frozen=True, kw_only=True)
class PreferencesQuery:
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("PreferencesQueryRq", self.request_id, version)
        add_include_ret_elements(rq, self.include_ret_elements)
        return rq

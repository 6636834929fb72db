"""What each query accepts, and the values its choices take: schema facts of the qbXML layer.

Which query accepts what is a table (:data:`LIST_QUERIES`, :data:`TXN_QUERIES`) read off the
XSDs (qbxmlops130.xsd / qbxmlops160.xsd — identical for every query here); the tests check the
table against the schema facts. The record type declarations (``records/types.py``) read their
iterator, OwnerID and linked-transaction options from here (§6.4, §6.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from qbwc_server.qbxml.schema_order import version_at_least

Iterator = Literal["Start", "Continue", "Stop"]
MetaData = Literal["NoMetaData", "MetaDataOnly", "MetaDataAndResponseData"]
ActiveStatus = Literal["ActiveOnly", "InactiveOnly", "All"]
MatchCriterion = Literal["StartsWith", "Contains", "EndsWith"]
PaidStatus = Literal["All", "PaidOnly", "NotPaidOnly"]
DateTimeLike = datetime | date | str

ITERATORS = ("Start", "Continue", "Stop")
META_DATA = ("NoMetaData", "MetaDataOnly", "MetaDataAndResponseData")
ACTIVE_STATUS = ("ActiveOnly", "InactiveOnly", "All")
MATCH_CRITERIA = ("StartsWith", "Contains", "EndsWith")
PAID_STATUS = ("All", "PaidOnly", "NotPaidOnly")
OPERATORS = ("LessThan", "LessThanEqual", "Equal", "GreaterThan", "GreaterThanEqual")
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

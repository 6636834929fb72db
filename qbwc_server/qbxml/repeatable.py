"""Which response elements repeat (maxOccurs > 1) — so that they are *always* lists in the
dicts made by :func:`qbwc_server.qbxml.ret_dicts.ret_to_dict`, even when a record has just one.

Derived from every ``…Ret`` element of qbxml130.xsd and qbxml160.xsd (union of both): an
element name is listed in :data:`REPEATABLE_ELEMENTS` when it has maxOccurs > 1 wherever it
appears under a Ret. Three names repeat under one parent only and are single elsewhere; they
are in :data:`REPEATABLE_IN_PARENT` as ``(parent, child)``. The test suite re-derives both
sets from the XSDs and fails if a repeatable element of a Ret type is missing here.
"""

from __future__ import annotations

REPEATABLE_ELEMENTS: frozenset[str] = frozenset(
    (
        "AdditionalContactRef", "AdditionalNotesRet", "AppliedToTxnRet", "AssignToObject",
        "BillingRatePerItemRet", "CategoryAccountMapping", "ColData", "ColDesc", "ColTitle",
        "CompanyFileEventOperation", "ComponentItemLineRet", "ContactsRet",
        "CreditMemoLineGroupRet", "CreditMemoLineRet", "DataExt", "DataExtRet", "DataRow",
        "DefaultUnit", "DepositLineRet", "Earnings", "EmployeeDirectDepositAccount",
        "EmployeeTax", "EnabledIf", "EnabledIfNot", "EstimateLineGroupRet", "EstimateLineRet",
        "ExpenseLineRet", "InventoryAdjustmentLineRet", "InvoiceLineGroupRet", "InvoiceLineRet",
        "ItemGroupLine", "ItemGroupLineRet", "ItemInventoryAssemblyLine", "ItemLineRet",
        "JournalCreditLine", "JournalDebitLine", "LeadContactsRet", "LinkedTxn",
        "ListEventOperation", "ListEventSubscription", "ListEventType", "LocationsRet",
        "NonEarnings", "PaycheckLineRet", "PayrollLiabilityAdjustmentLineRet",
        "PayrollLiabilityCheckLineRet", "PayrollPriorPaymentLineRet",
        "PayrollYearToDateAdjustmentLineRet", "PrefillAccountRef", "PriceLevelPerItemRet",
        "PurchaseOrderLineGroupRet", "PurchaseOrderLineRet", "RateChange", "RateHistory",
        "RefundAppliedToTxnRet", "RelatedUnit", "SalesOrderLineGroupRet", "SalesOrderLineRet",
        "SalesReceiptLineGroupRet", "SalesReceiptLineRet", "SalesTaxPayableLineRet",
        "SalesTaxPaymentCheckLineRet", "Service", "ShipToAddress", "ShippingDetailsLineRet",
        "SubtotalRow", "SupportedQBXMLVersion", "TaxInfo", "Taxability", "TextRow", "TotalRow",
        "TransferInventoryLineRet", "TxnEventOperation", "TxnEventSubscription", "TxnEventType",
        "TxnLineDetail", "VisibleIf", "VisibleIfNot",
    )
)  # fmt: skip

# Repeatable only under the named parent (single under every other parent).
REPEATABLE_IN_PARENT: frozenset[tuple[str, str]] = frozenset(
    {
        ("CategoryAccountMapping", "AccountRef"),
        ("ItemSalesTaxGroupRet", "ItemSalesTaxRef"),
        ("Submenu", "MenuItem"),
    }
)


def is_repeatable(parent: str, child: str) -> bool:
    return child in REPEATABLE_ELEMENTS or (parent, child) in REPEATABLE_IN_PARENT

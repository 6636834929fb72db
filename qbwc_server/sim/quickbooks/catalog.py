"""Which object types the fake knows and how each query request maps onto them."""

from __future__ import annotations

from dataclasses import dataclass

ITEM_TYPES: tuple[str, ...] = (
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemInventoryAssembly",
    "ItemFixedAsset",
    "ItemSubtotal",
    "ItemDiscount",
    "ItemPayment",
    "ItemSalesTax",
    "ItemSalesTaxGroup",
    "ItemGroup",
)
ENTITY_TYPES: tuple[str, ...] = ("Vendor", "Customer", "OtherName")
LIST_TYPES: tuple[str, ...] = (
    "Account",
    "Vendor",
    "VendorType",
    "StandardTerms",
    "DateDrivenTerms",
    "Class",
    *ITEM_TYPES,
    "Customer",
    "OtherName",
    "Currency",
    "SalesTaxCode",
)
TXN_TYPES: tuple[str, ...] = (
    "Bill",
    "BillPaymentCheck",
    "BillPaymentCreditCard",
    "VendorCredit",
    "Check",
    "CreditCardCharge",
    "CreditCardCredit",
    "PurchaseOrder",
    "ItemReceipt",
)
ALL_TYPES: tuple[str, ...] = LIST_TYPES + TXN_TYPES

# Lists whose records have FullName/ParentRef/Sublevel (colon-joined hierarchy, §6.7).
HIERARCHICAL: frozenset[str] = frozenset(
    {
        "Account",
        "Class",
        "Customer",
        "VendorType",
        "ItemService",
        "ItemNonInventory",
        "ItemOtherCharge",
        "ItemInventory",
        "ItemInventoryAssembly",
        "ItemDiscount",
    }
)

# Features a company can switch off in its preferences.
INVENTORY = "inventory"
MULTICURRENCY = "multicurrency"


def name_namespace(object_type: str) -> str:
    """Names must be unique within a namespace: QuickBooks keeps customers, vendors, employees
    and other names in one name list, and all item types in one item list."""
    if object_type in ENTITY_TYPES:
        return "Entity"
    if object_type in ITEM_TYPES:
        return "Item"
    if object_type in ("StandardTerms", "DateDrivenTerms"):
        return "Terms"
    return object_type


def ret_name(object_type: str) -> str:
    return f"{object_type}Ret"


@dataclass(frozen=True)
class QuerySpec:
    """How one ``…QueryRq`` is answered."""

    object_types: tuple[str, ...]
    kind: str  # "list" | "txn" | "list_deleted" | "txn_deleted" | "host" | "company" | "prefs"
    iterator: bool = False  # the XSD has iterator/iteratorID attributes (§6.4)
    feature: str | None = None  # preference that must be on, else status 3250


def _query_specs() -> dict[str, QuerySpec]:
    specs: dict[str, QuerySpec] = {
        "HostQueryRq": QuerySpec((), "host"),
        "CompanyQueryRq": QuerySpec((), "company"),
        "PreferencesQueryRq": QuerySpec((), "prefs"),
        "ListDeletedQueryRq": QuerySpec((), "list_deleted"),
        "TxnDeletedQueryRq": QuerySpec((), "txn_deleted"),
        "ItemQueryRq": QuerySpec(ITEM_TYPES, "list", iterator=True),
        "TermsQueryRq": QuerySpec(("StandardTerms", "DateDrivenTerms"), "list"),
        # Guess: real QuickBooks with multicurrency off — 3250 is the plausible answer.
        "CurrencyQueryRq": QuerySpec(("Currency",), "list", feature=MULTICURRENCY),
    }
    for object_type in ("Account", "VendorType", "StandardTerms", "DateDrivenTerms", "Class"):
        specs[f"{object_type}QueryRq"] = QuerySpec((object_type,), "list")
    for object_type in ("OtherName", "SalesTaxCode"):
        specs[f"{object_type}QueryRq"] = QuerySpec((object_type,), "list")
    for object_type in ("Vendor", "Customer"):
        specs[f"{object_type}QueryRq"] = QuerySpec((object_type,), "list", iterator=True)
    for object_type in ITEM_TYPES:
        feature = INVENTORY if object_type in ("ItemInventory", "ItemInventoryAssembly") else None
        specs[f"{object_type}QueryRq"] = QuerySpec(
            (object_type,), "list", iterator=True, feature=feature
        )
    for object_type in TXN_TYPES:
        feature = INVENTORY if object_type in ("PurchaseOrder", "ItemReceipt") else None
        specs[f"{object_type}QueryRq"] = QuerySpec(
            (object_type,), "txn", iterator=True, feature=feature
        )
    return specs


QUERY_SPECS: dict[str, QuerySpec] = _query_specs()

# Transaction types whose queries take IncludeLineItems / IncludeLinkedTxns, and the Ret
# children that are "line items" or "linked transactions" (§6.6).
LINE_ELEMENTS: frozenset[str] = frozenset(
    {"ExpenseLineRet", "ItemLineRet", "ItemGroupLineRet", "PurchaseOrderLineRet"}
)
LINKED_ELEMENT = "LinkedTxn"

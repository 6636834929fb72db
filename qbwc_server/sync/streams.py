"""Streams: one declaration per QuickBooks object type we sync (architecture: "The sync model").

A stream says what to ask (query kind), how to page it (iterator or whole), which window axis
its first pass uses, which deletion types belong to it, and which company preference must be
on for QuickBooks to serve it. The engine (``sync/planner.py``) is generic over these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["list", "txn"]

ITEM_DEL_TYPES = (
    "ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory",
    "ItemInventoryAssembly", "ItemFixedAsset", "ItemSubtotal", "ItemDiscount", "ItemPayment",
    "ItemSalesTax", "ItemSalesTaxGroup", "ItemGroup",
)  # fmt: skip


@dataclass(frozen=True)
class Stream:
    name: str  # our type name, also the read API's {type}
    query: str  # qbXML query kind: ListQuery(kind=...) / TxnQuery(kind=...)
    kind: Kind
    iterator: bool  # §6.4: only queries whose XSD has the iterator attribute
    del_types: tuple[str, ...] = ()  # ListDelType / TxnDelType values (§6.5 deletions)
    # PreferencesRet flag that must be true, else QuickBooks answers 3250 (§6.3, §6.9).
    requires_preference: str | None = None
    owner_id: bool = True  # OwnerID 0 returns the public custom fields (§6.6)
    include_line_items: bool = False
    include_linked_txns: bool = False

    @property
    def is_list(self) -> bool:
        return self.kind == "list"


# Order matters: lists first (transactions reference them), then AP transactions, bills before
# the payments that apply to them (user-pains #7).
STREAMS: tuple[Stream, ...] = (
    Stream("accounts", "Account", "list", iterator=False, del_types=("Account",)),
    Stream("classes", "Class", "list", iterator=False, del_types=("Class",), owner_id=False),
    Stream("standard_terms", "StandardTerms", "list", iterator=False,
           del_types=("StandardTerms",), owner_id=False),
    Stream("date_driven_terms", "DateDrivenTerms", "list", iterator=False,
           del_types=("DateDrivenTerms",), owner_id=False),
    Stream("vendor_types", "VendorType", "list", iterator=False, del_types=("VendorType",),
           owner_id=False),
    Stream("currencies", "Currency", "list", iterator=False, del_types=("Currency",),
           requires_preference="IsMultiCurrencyOn", owner_id=False),
    Stream("sales_tax_codes", "SalesTaxCode", "list", iterator=False,
           del_types=("SalesTaxCode",), owner_id=False),
    Stream("other_names", "OtherName", "list", iterator=False, del_types=("OtherName",)),
    Stream("vendors", "Vendor", "list", iterator=True, del_types=("Vendor",)),
    Stream("items", "Item", "list", iterator=True, del_types=ITEM_DEL_TYPES),
    Stream("customers", "Customer", "list", iterator=True, del_types=("Customer",)),
    Stream("bills", "Bill", "txn", iterator=True, del_types=("Bill",),
           include_line_items=True, include_linked_txns=True),
    Stream("bill_payment_checks", "BillPaymentCheck", "txn", iterator=True,
           del_types=("BillPaymentCheck",), include_line_items=True),
    Stream("bill_payment_credit_cards", "BillPaymentCreditCard", "txn", iterator=True,
           del_types=("BillPaymentCreditCard",), include_line_items=True),
    Stream("vendor_credits", "VendorCredit", "txn", iterator=True, del_types=("VendorCredit",),
           include_line_items=True, include_linked_txns=True),
    Stream("checks", "Check", "txn", iterator=True, del_types=("Check",),
           include_line_items=True, include_linked_txns=True),
    Stream("credit_card_charges", "CreditCardCharge", "txn", iterator=True,
           del_types=("CreditCardCharge",), include_line_items=True),
    Stream("credit_card_credits", "CreditCardCredit", "txn", iterator=True,
           del_types=("CreditCardCredit",), include_line_items=True),
    Stream("purchase_orders", "PurchaseOrder", "txn", iterator=True,
           del_types=("PurchaseOrder",), requires_preference="IsUsingInventory",
           include_line_items=True, include_linked_txns=True),
    Stream("item_receipts", "ItemReceipt", "txn", iterator=True, del_types=("ItemReceipt",),
           requires_preference="IsUsingInventory", include_line_items=True,
           include_linked_txns=True),
)  # fmt: skip

BY_NAME: dict[str, Stream] = {s.name: s for s in STREAMS}

# The deletion sweep runs as two pseudo-streams after the data streams (§6.5: deletions are
# invisible to modified-date queries and reported for ~90 days only).
LIST_DELETIONS = "list_deletions"
TXN_DELETIONS = "txn_deletions"
DELETION_STREAMS = (LIST_DELETIONS, TXN_DELETIONS)

STREAM_FOR_DEL_TYPE: dict[str, str] = {t: s.name for s in STREAMS for t in s.del_types}

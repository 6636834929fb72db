"""Record dicts shaped exactly like ``ret_to_dict`` output, and small database helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree
from sqlalchemy import select

from models import RecordChange
from qbwc_server.qbxml.parse import hardened_parser_kwargs
from qbwc_server.qbxml.ret_dicts import ret_to_dict
from qbwc_server.services.companies import create_company
from qbwc_server.sim.quickbooks.catalog import ITEM_TYPES
from qbwc_server.sim.quickbooks.company import CompanyFile
from qbwc_server.sim.quickbooks.xmlout import aggregate_xml

T = TypeVar("T")

# Our type names -> the simulator's object types (items: every item type).
SIM_TYPES: dict[str, tuple[str, ...]] = {
    "accounts": ("Account",),
    "vendors": ("Vendor",),
    "vendor_types": ("VendorType",),
    "standard_terms": ("StandardTerms",),
    "date_driven_terms": ("DateDrivenTerms",),
    "classes": ("Class",),
    "items": ITEM_TYPES,
    "customers": ("Customer",),
    "other_names": ("OtherName",),
    "currencies": ("Currency",),
    "sales_tax_codes": ("SalesTaxCode",),
    "bills": ("Bill",),
    "bill_payment_checks": ("BillPaymentCheck",),
    "bill_payment_credit_cards": ("BillPaymentCreditCard",),
    "vendor_credits": ("VendorCredit",),
    "checks": ("Check",),
    "credit_card_charges": ("CreditCardCharge",),
    "credit_card_credits": ("CreditCardCredit",),
    "purchase_orders": ("PurchaseOrder",),
    "item_receipts": ("ItemReceipt",),
}


def in_tx(db: Any, fn: Callable[[Any], T]) -> T:
    with db.transaction() as s:
        return fn(s)


def new_company(db: Any, name: str = "Acme Supplies") -> int:
    return in_tx(db, lambda s: create_company(s, name).company.id)


def changes(db: Any, company_id: int) -> list[RecordChange]:
    return in_tx(
        db,
        lambda s: list(
            s.scalars(
                select(RecordChange)
                .where(RecordChange.company_id == company_id)
                .order_by(RecordChange.seq)
            )
        ),
    )


@functools.cache
def sim_company() -> CompanyFile:
    return CompanyFile.generate(seed=1, profile="tiny", multicurrency=True)


def parsed(tag: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record as our parser returns it after QuickBooks wrote it as qbXML 16.0."""
    xml = aggregate_xml(tag, record, 16)
    element = etree.fromstring(xml.encode(), etree.XMLParser(**hardened_parser_kwargs()))
    return ret_to_dict(element)


def sim_records(type_name: str) -> list[tuple[str, dict[str, Any]]]:
    """``(ret_tag, dict)`` for every record of one of our types in the simulated company."""
    company = sim_company()
    out: list[tuple[str, dict[str, Any]]] = []
    for object_type in SIM_TYPES[type_name]:
        tag = f"{object_type}Ret"
        out.extend((tag, parsed(tag, r)) for r in company.records(object_type))
    return out


# --- hand-made records (XSD Ret shapes; every value a str like the parser's) -----------------


def ref(list_id: str, full_name: str) -> dict[str, str]:
    return {"ListID": list_id, "FullName": full_name}


def vendor(
    n: int,
    *,
    edit: int = 0,
    active: bool = True,
    modified: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ListID": f"{0x80000100 + n:08X}-1700000000",
        "TimeCreated": "2024-01-05T09:00:00-08:00",
        "TimeModified": modified or f"2024-02-{1 + n % 28:02d}T10:{n % 60:02d}:00-08:00",
        "EditSequence": str(1700000000 + edit),
        "Name": f"Vendor {n}",
        "IsActive": "true" if active else "false",
        "CompanyName": f"Vendor {n} LLC",
        "VendorAddress": {"Addr1": f"{n} Main St", "City": "Springfield", "State": "IL"},
        "Phone": "555-0100",
        "Email": f"ap{n}@vendor.example",
        "AccountNumber": f"A-{n}",
        "VendorTypeRef": ref("80000010-1700000000", "Supplies"),
        "TermsRef": ref("80000011-1700000000", "Net 30"),
        "IsVendorEligibleFor1099": "true" if n % 2 else "false",
        "Balance": f"{n * 10}.50",
        "DataExtRet": [
            {
                "OwnerID": "0",
                "DataExtName": "Region",
                "DataExtType": "STR255TYPE",
                "DataExtValue": "West",
            }
        ],
    }
    record.update(extra)
    return record


def bill(
    n: int,
    *,
    edit: int = 0,
    vendor_n: int = 1,
    txn_date: str = "2024-03-10",
    lines: int = 2,
    modified: str | None = None,
) -> dict[str, Any]:
    expense = [
        {
            "TxnLineID": f"L{n}-{edit}-{k}",
            "AccountRef": ref(f"8000002{k}-1700000000", f"Expense {k}"),
            "Amount": f"{100 + k}.25",
            "Memo": f"line {k}",
            "CustomerRef": ref("80000050-1700000000", "Eagle Holdings"),
            "ClassRef": ref("80000030-1700000000", "Admin"),
            "BillableStatus": "NotBillable",
        }
        for k in range(lines)
    ]
    total = sum(100 + k for k in range(lines)) + 0.25 * lines + 60
    return {
        "TxnID": f"{0x100 + n:X}-1700000000",
        "TimeCreated": "2024-03-10T08:00:00-08:00",
        "TimeModified": modified or f"2024-03-{10 + edit:02d}T08:00:00-08:00",
        "EditSequence": str(1710000000 + edit),
        "TxnNumber": str(n),
        "VendorRef": ref(f"{0x80000100 + vendor_n:08X}-1700000000", f"Vendor {vendor_n}"),
        "APAccountRef": ref("80000004-1700000000", "Accounts Payable"),
        "TxnDate": txn_date,
        "DueDate": "2024-04-09",
        "AmountDue": f"{total:.2f}",
        "RefNumber": f"INV-{n}",
        "TermsRef": ref("80000011-1700000000", "Net 30"),
        "Memo": f"bill {n} edit {edit}",
        "IsPaid": "false",
        "LinkedTxn": [
            {
                "TxnID": f"{0x900 + n:X}-1700000000",
                "TxnType": "PurchaseOrder",
                "TxnDate": "2024-03-01",
                "RefNumber": f"PO-{n}",
                "LinkType": "QUANTYPE",
                "Amount": "-60.00",
            }
        ],
        "ExpenseLineRet": expense,
        "ItemLineRet": [
            {
                "TxnLineID": f"I{n}-{edit}",
                "ItemRef": ref("80000070-1700000000", "Widget"),
                "Desc": "Widgets",
                "Quantity": "3",
                "Cost": "20.00",
                "Amount": "60.00",
            }
        ],
        "OpenAmount": f"{total:.2f}",
    }


def bill_payment(n: int, bill_ids: list[str], *, edit: int = 0) -> dict[str, Any]:
    return {
        "TxnID": f"{0x500 + n:X}-1700000000",
        "TimeCreated": "2024-03-20T08:00:00-08:00",
        "TimeModified": "2024-03-20T08:00:00-08:00",
        "EditSequence": str(1711000000 + edit),
        "TxnNumber": str(500 + n),
        "PayeeEntityRef": ref("80000101-1700000000", "Vendor 1"),
        "APAccountRef": ref("80000004-1700000000", "Accounts Payable"),
        "TxnDate": "2024-03-20",
        "BankAccountRef": ref("80000001-1700000000", "Checking"),
        "Amount": "150.00",
        "RefNumber": str(1000 + n),
        "IsToBePrinted": "false",
        "AppliedToTxnRet": [
            {
                "TxnID": bill_id,
                "TxnType": "Bill",
                "TxnDate": "2024-03-10",
                "RefNumber": "INV",
                "BalanceRemaining": "0.00",
                "Amount": "75.00",
                "DiscountAmount": "1.50",
                "DiscountAccountRef": ref("80000040-1700000000", "Discounts"),
            }
            for bill_id in bill_ids
        ],
    }

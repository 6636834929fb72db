"""Answering the write requests an AP integration sends (§8 write-backs).

VendorAdd, VendorMod, BillAdd, BillPaymentCheckAdd and BillPaymentCreditCardAdd are translated
into the company's own operations, which validate every reference before changing anything
(so a failed request changes nothing) and keep balances and links consistent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from .company import CompanyFile
from .store import Record

# Children that may repeat in the Add/Mod aggregates we read.
_REPEATED = frozenset(
    {
        "ExpenseLineAdd",
        "ItemLineAdd",
        "ItemGroupLineAdd",
        "AppliedToTxnAdd",
        "SetCredit",
        "LinkToTxnID",
        "AdditionalContactRef",
        "Contacts",
        "ContactsMod",
        "AdditionalNotes",
        "AdditionalNotesMod",
        "DataExt",
    }
)


def element_value(el: etree._Element) -> Any:
    """Turn a request aggregate into the JSON-like shape records use."""
    if len(el) == 0:
        text = (el.text or "").strip()
        if el.tag.startswith("Is") and text.lower() in ("true", "false", "1", "0"):
            return text.lower() in ("true", "1")
        return text
    out: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        value = element_value(child)
        if child.tag in _REPEATED:
            out.setdefault(child.tag, []).append(value)
        else:
            out[child.tag] = value
    return out


def _bill_fields(add: dict[str, Any]) -> dict[str, Any]:
    fields = dict(add)
    fields["ExpenseLineRet"] = fields.pop("ExpenseLineAdd", [])
    fields["ItemLineRet"] = fields.pop("ItemLineAdd", [])
    fields.pop("ItemGroupLineAdd", None)  # item groups are not modelled (not generated either)
    return fields


def vendor_add(company: CompanyFile, add: dict[str, Any]) -> Record:
    fields = {
        k: v
        for k, v in add.items()
        if k not in ("OpenBalance", "OpenBalanceDate", "Contacts", "AdditionalNotes")
    }
    return company.add_list_record("Vendor", fields)


def vendor_mod(company: CompanyFile, mod: dict[str, Any]) -> Record:
    changes = {
        k: v
        for k, v in mod.items()
        if k not in ("ListID", "EditSequence", "ContactsMod", "AdditionalNotesMod")
    }
    return company.mod_list_record(
        "Vendor", str(mod.get("ListID", "")), str(mod.get("EditSequence", "")), changes
    )


def bill_add(company: CompanyFile, add: dict[str, Any]) -> Record:
    return company.add_bill(_bill_fields(add))


def bill_payment_check_add(company: CompanyFile, add: dict[str, Any]) -> Record:
    return company.add_bill_payment("BillPaymentCheck", add)


def bill_payment_credit_card_add(company: CompanyFile, add: dict[str, Any]) -> Record:
    return company.add_bill_payment("BillPaymentCreditCard", add)


# request element -> (aggregate child, object type of the Ret, handler)
WRITE_HANDLERS: dict[str, tuple[str, str, Callable[[CompanyFile, dict[str, Any]], Record]]] = {
    "VendorAddRq": ("VendorAdd", "Vendor", vendor_add),
    "VendorModRq": ("VendorMod", "Vendor", vendor_mod),
    "BillAddRq": ("BillAdd", "Bill", bill_add),
    "BillPaymentCheckAddRq": ("BillPaymentCheckAdd", "BillPaymentCheck", bill_payment_check_add),
    "BillPaymentCreditCardAddRq": (
        "BillPaymentCreditCardAdd",
        "BillPaymentCreditCard",
        bill_payment_credit_card_add,
    ),
}

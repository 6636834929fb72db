"""What a sync step is doing, in words a bookkeeper reads ("Historical bills 2019 to 2021",
with an en dash).

Every declared record type, deletion sweep and session step has its words here;
``tests/profile/test_progress.py`` fails when one is missing.
"""

from __future__ import annotations

from models import StreamCursor
from qbwc_server.records.types import RECORD_TYPES

# Plural nouns of the record types (records/types.py), as the customer names them.
NOUNS: dict[str, str] = {
    "accounts": "accounts",
    "classes": "classes",
    "standard_terms": "payment terms",
    "date_driven_terms": "date-driven payment terms",
    "vendor_types": "vendor types",
    "currencies": "currencies",
    "sales_tax_codes": "sales tax codes",
    "other_names": "other names",
    "vendors": "vendors",
    "items": "items",
    "customers": "customers and jobs",
    "bills": "bills",
    "bill_payment_checks": "bill payments by check",
    "bill_payment_credit_cards": "bill payments by credit card",
    "vendor_credits": "vendor credits",
    "checks": "checks",
    "credit_card_charges": "credit card charges",
    "credit_card_credits": "credit card credits",
    "purchase_orders": "purchase orders",
    "item_receipts": "item receipts",
}

STEP_WORDS: dict[str, str] = {
    "restore_probe": "Checking whether the company file was restored from a backup",
    "list_deletions": "Deleted list records",
    "txn_deletions": "Deleted transactions",
    "vendor_balances": "Vendor balances",
}
WRITING = "Writing to QuickBooks"
EN_DASH = "\u2013"  # year ranges: 2019\u20132021


def _years(cursor: StreamCursor, history_start: str | None, this_year: int) -> str:
    first = (cursor.window_from or history_start or "")[:4]
    last = (cursor.window_to or "")[:4] or str(this_year)
    if not first.isdigit():
        return f"up to {last}"
    return first if first == last else f"{first}{EN_DASH}{last}"


def stage_words(
    name: str, cursor: StreamCursor | None, history_start: str | None, this_year: int
) -> str:
    """The words for step ``name`` of the read sync in the state its cursor is in."""
    if name in STEP_WORDS:
        return STEP_WORDS[name]
    rt = RECORD_TYPES.get(name)
    noun = NOUNS.get(name, name.replace("_", " "))
    if rt is None:
        return noun.capitalize()
    if cursor is None or cursor.phase == "initial":
        if rt.is_list:
            return f"{noun.capitalize()} (first sync)"
        if cursor is None:
            start = (history_start or "")[:4]
            return f"Historical {noun} from {start}" if start else f"Historical {noun}"
        return f"Historical {noun} {_years(cursor, history_start, this_year)}"
    if cursor.pass_kind == "reconcile":
        return f"Checking {noun} against QuickBooks"
    return f"Changes to {noun}"

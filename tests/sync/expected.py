"""What the server must hold for each record of the fake QuickBooks, written from the
QuickBooks side (``CompanyFile.records``) and independent of ``qbwc_server/sync``: which fake
object types feed which stream, how a record reads as qbXML text in a given version, which typed
fields, lines and links the read API must show, and what the change feed must report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile
from qbwc_server.sim.quickbooks.schema_order import exists_in


@dataclass(frozen=True)
class TxnSpec:
    qb_type: str
    amount: str  # the Ret element behind the API's "amount"
    link_key: str  # "linked_txns" | "applied_to"
    linked_asked: bool  # the AP sync asks for LinkedTxn of this type


LIST_STREAMS: dict[str, str] = {
    "accounts": "Account",
    "classes": "Class",
    "standard_terms": "StandardTerms",
    "date_driven_terms": "DateDrivenTerms",
    "vendor_types": "VendorType",
    "currencies": "Currency",
    "sales_tax_codes": "SalesTaxCode",
    "other_names": "OtherName",
    "vendors": "Vendor",
    "items": "Item",
    "customers": "Customer",
}
TXN_STREAMS: dict[str, TxnSpec] = {
    "bills": TxnSpec("Bill", "AmountDue", "linked_txns", True),
    "bill_payment_checks": TxnSpec("BillPaymentCheck", "Amount", "applied_to", False),
    "bill_payment_credit_cards": TxnSpec("BillPaymentCreditCard", "Amount", "applied_to", False),
    "vendor_credits": TxnSpec("VendorCredit", "CreditAmount", "linked_txns", True),
    "checks": TxnSpec("Check", "Amount", "linked_txns", True),
    "credit_card_charges": TxnSpec("CreditCardCharge", "Amount", "linked_txns", False),
    "credit_card_credits": TxnSpec("CreditCardCredit", "Amount", "linked_txns", False),
    "purchase_orders": TxnSpec("PurchaseOrder", "TotalAmount", "linked_txns", True),
    "item_receipts": TxnSpec("ItemReceipt", "TotalAmount", "linked_txns", True),
}
ALL_STREAMS: tuple[str, ...] = (*LIST_STREAMS, *TXN_STREAMS)
ITEM_QB_TYPES = (
    "ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory",
    "ItemInventoryAssembly", "ItemFixedAsset", "ItemSubtotal", "ItemDiscount", "ItemPayment",
    "ItemSalesTax", "ItemSalesTaxGroup", "ItemGroup",
)  # fmt: skip
LINE_ELEMENTS = ("ExpenseLineRet", "ItemLineRet", "ItemGroupLineRet", "PurchaseOrderLineRet")


def as_text(value: Any) -> Any:
    """A fake record as the qbXML text QuickBooks sends: every scalar a string."""
    if isinstance(value, Mapping):
        return {k: as_text(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _ref_id(record: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        ref = record.get(key)
        if isinstance(ref, Mapping) and ref.get("ListID"):
            return str(ref["ListID"])
    return None


def fake_records(company: CompanyFile, stream: str) -> list[tuple[str, dict[str, Any]]]:
    """(QuickBooks object type, record) of everything QuickBooks holds for one stream."""
    if stream == "items":
        return [(t, r) for t in ITEM_QB_TYPES for r in company.records(t)]
    qb_type = LIST_STREAMS.get(stream) or TXN_STREAMS[stream].qb_type
    return [(qb_type, r) for r in company.records(qb_type)]


def _with_names(company: CompanyFile, value: Any, key: str = "") -> Any:
    """References carry the referenced record's current name, repeated ones too (QuickBooks
    resolves every ``…Ref`` when it answers; ``CompanyFile.records`` only resolves single ones)."""
    if isinstance(value, list):
        return [_with_names(company, v, key) for v in value]
    if not isinstance(value, Mapping):
        return value
    out = {k: _with_names(company, v, k) for k, v in value.items()}
    if key.endswith("Ref") and "ListID" in out:
        name = company.display_name(str(out["ListID"]))
        if name is not None:
            out["FullName"] = name
    return out


def _in_version(name: str, value: Any, major: int) -> Any:
    """Only the elements qbXML ``major`` has (QuickBooks answers in the request's version)."""
    if isinstance(value, list):
        return [_in_version(name, v, major) for v in value]
    if not isinstance(value, Mapping):
        return value
    return {k: _in_version(k, v, major) for k, v in value.items() if exists_in(name, k, major)}


def expected_qb(
    company: CompanyFile,
    stream: str,
    record: Mapping[str, Any],
    qb_type: str | None = None,
    major: int = 16,
) -> dict[str, Any]:
    """The complete record as QuickBooks returns it to the AP sync's query: lines, the linked
    transactions where they are asked for, the public custom fields (OwnerID 0), in the
    qbXML version of the conversation."""
    shaped = dict(_in_version(f"{qb_type or stream}Ret", record, major))
    public = [d for d in _as_list(shaped.pop("DataExtRet", None)) if str(d.get("OwnerID")) == "0"]
    if public:
        shaped["DataExtRet"] = public
    spec = TXN_STREAMS.get(stream)
    if spec is not None and not spec.linked_asked:
        shaped.pop("LinkedTxn", None)
    return dict(as_text(_with_names(company, shaped)))


def expected_list_view(stream: str, qb_type: str, r: Mapping[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "list_id": r["ListID"],
        "edit_sequence": str(r["EditSequence"]),
        "time_created": r["TimeCreated"],
        "time_modified": r["TimeModified"],
        "name": r["Name"],
        "full_name": r.get("FullName", r["Name"]),
        "is_active": bool(r.get("IsActive", True)),
        "parent_list_id": _ref_id(r, "ParentRef"),
    }
    if stream == "items":
        view["item_type"] = qb_type.removeprefix("Item")
    if stream == "vendors":
        view["company_name"] = r.get("CompanyName")
        view["vendor_type_list_id"] = _ref_id(r, "VendorTypeRef")
        view["terms_list_id"] = _ref_id(r, "TermsRef")
        view["balance"] = _money(r.get("Balance"))
        view["currency_list_id"] = _ref_id(r, "CurrencyRef")
    if stream == "accounts":
        view["account_type"] = r.get("AccountType")
    if stream == "currencies":
        view["currency_code"] = r.get("CurrencyCode")
    return view


def _line_view(line: Mapping[str, Any], kind: str, parent: str | None) -> dict[str, Any]:
    item_ref = line.get("ItemGroupRef") if kind == "group" else line.get("ItemRef")
    amount = line.get("TotalAmount") if kind == "group" else line.get("Amount")
    return {
        "txn_line_id": line["TxnLineID"],
        "line_kind": kind,
        "parent_txn_line_id": parent,
        "account_list_id": _ref_id(line, "AccountRef"),
        "item_list_id": item_ref.get("ListID") if isinstance(item_ref, Mapping) else None,
        "amount": _money(amount),
        "memo": line.get("Memo"),
    }


def expected_lines(r: Mapping[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for line in _as_list(r.get("ExpenseLineRet")):
        lines.append(_line_view(line, "expense", None))
    for line in _as_list(r.get("ItemLineRet")):
        lines.append(_line_view(line, "item", None))
    for group in _as_list(r.get("ItemGroupLineRet")):
        lines.append(_line_view(group, "group", None))
        for sub in _as_list(group.get("ItemLineRet")):
            lines.append(_line_view(sub, "item", group["TxnLineID"]))
    for line in _as_list(r.get("PurchaseOrderLineRet")):
        lines.append(_line_view(line, "item", None))
    return lines


def expected_links(spec: TxnSpec, r: Mapping[str, Any]) -> list[dict[str, Any]]:
    if spec.link_key == "applied_to":
        return [
            {
                "txn_id": a["TxnID"],
                "txn_type": a.get("TxnType"),
                "txn_date": a.get("TxnDate"),
                "ref_number": a.get("RefNumber"),
                "amount": _money(a.get("Amount")),
                "balance_remaining": _money(a.get("BalanceRemaining")),
                "discount_amount": _money(a.get("DiscountAmount")),
            }
            for a in _as_list(r.get("AppliedToTxnRet"))
        ]
    if not spec.linked_asked:
        return []
    return [
        {
            "txn_id": link["TxnID"],
            "txn_type": link.get("TxnType"),
            "txn_date": link.get("TxnDate"),
            "ref_number": link.get("RefNumber"),
            "link_type": link.get("LinkType"),
            "amount": _money(link.get("Amount")),
        }
        for link in _as_list(r.get("LinkedTxn"))
    ]


def expected_txn_view(spec: TxnSpec, r: Mapping[str, Any], multicurrency: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "txn_id": r["TxnID"],
        "edit_sequence": str(r["EditSequence"]),
        "time_created": r["TimeCreated"],
        "time_modified": r["TimeModified"],
        "txn_number": int(r["TxnNumber"]) if r.get("TxnNumber") is not None else None,
        "txn_date": r["TxnDate"],
        "ref_number": r.get("RefNumber"),
        "memo": r.get("Memo"),
        "vendor_list_id": _ref_id(r, "VendorRef", "PayeeEntityRef"),
        "amount": _money(r.get(spec.amount)),
        "lines": expected_lines(r),
        spec.link_key: expected_links(spec, r),
    }
    currency = _ref_id(r, "CurrencyRef")
    assert multicurrency or currency is None, "a currency without multicurrency in the fake"
    view["currency_list_id"] = currency
    view["exchange_rate"] = _money(r.get("ExchangeRate"))
    return view


def edit_sequences(company: CompanyFile) -> dict[tuple[str, str], str]:
    """(stream, id) -> EditSequence of every record QuickBooks holds."""
    out: dict[tuple[str, str], str] = {}
    for stream in ALL_STREAMS:
        for _qb_type, record in fake_records(company, stream):
            object_id = str(record.get("TxnID") or record["ListID"])
            out[(stream, object_id)] = str(record["EditSequence"])
    return out


def vendor_balances(company: CompanyFile) -> dict[tuple[str, str], str]:
    """("vendors", ListID) -> Balance: QuickBooks moves it without a new EditSequence."""
    return {("vendors", str(v["ListID"])): str(v.get("Balance")) for v in company.records("Vendor")}


def expected_feed(
    before: dict[tuple[str, str], str],
    after: dict[tuple[str, str], str],
    balances_before: dict[tuple[str, str], str] | None = None,
    balances_after: dict[tuple[str, str], str] | None = None,
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(type, id) -> (op, EditSequence) the change feed must report for the difference
    between two :func:`edit_sequences` snapshots of QuickBooks (and, when given, two
    :func:`vendor_balances` snapshots: a vendor whose Balance moved is reported too)."""
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    for key, sequence in after.items():
        if before.get(key) != sequence:
            out[key] = ("upsert", sequence)
    if balances_before is not None and balances_after is not None:
        for key, balance in balances_after.items():
            if key in balances_before and balances_before[key] != balance:
                out[key] = ("upsert", after[key])
    for key in before.keys() - after.keys():
        out[key] = ("delete", before[key])
    return out


def feed_as_map(changes: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """The change feed as (type, id) -> (op, EditSequence); asserts nothing is reported twice."""
    out = {(c["type"], c["id"]): (c["op"], c["edit_sequence"]) for c in changes}
    assert len(out) == len(changes), "a change reported twice"
    return out

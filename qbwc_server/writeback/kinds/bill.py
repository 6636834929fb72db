"""``bill.create`` (BillAdd): a bill with expense and item lines, for a synced vendor or one a
``vendor.create`` of the same company makes."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from qbwc_server.qbxml.schema_order import Ref
from qbwc_server.qbxml.writes import MAX_LENGTHS, BillAdd, ExpenseLine, ItemLine
from qbwc_server.writeback.checks import Checker
from qbwc_server.writeback.kinds.base import OperationKind, WriteArgs
from qbwc_server.writeback.requests import list_ref

MAX_LINES = 500  # expense lines, and item lines, per bill


def _line_refs(
    c: Checker, path: str, line: Mapping[str, Any], request: str, tag: str, out: dict[str, Any]
) -> None:
    limits = MAX_LENGTHS[request]
    for key, ref_tag in (("class", "ClassRef"), ("customer", "CustomerRef")):
        if line.get(key) is not None:
            ref = c.list_ref(
                f"{path}.{key}",
                line[key],
                key,
                full_name_max=limits.get(f"{tag}.{ref_tag}.FullName"),
            )
            if ref is not None:
                out[key] = ref


def _validate(c: Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
    allowed = (
        "vendor",
        "ap_account",
        "txn_date",
        "due_date",
        "ref_number",
        "terms",
        "memo",
        "expense_lines",
        "item_lines",
    )
    c.obj("payload", payload, allowed)
    limits = MAX_LENGTHS["BillAdd"]
    out: dict[str, Any] = {}
    vendor = c.vendor_ref("payload.vendor", payload.get("vendor"))
    if vendor is not None:
        out["vendor"] = vendor
    refs: tuple[tuple[str, str], ...] = (("ap_account", "APAccountRef"), ("terms", "TermsRef"))
    for key, tag in refs:
        if payload.get(key) is not None:
            ref = c.list_ref(
                f"payload.{key}", payload[key], key, full_name_max=limits[f"{tag}.FullName"]
            )
            if ref is not None:
                out[key] = ref
    for key in ("txn_date", "due_date"):
        value = c.day(f"payload.{key}", payload.get(key))
        if value is not None:
            out[key] = value
    if "txn_date" in out and "due_date" in out and out["due_date"] < out["txn_date"]:
        c.error("payload.due_date", "payload.due_date is before payload.txn_date")
    for key, tag in (("ref_number", "RefNumber"), ("memo", "Memo")):
        value = c.text(f"payload.{key}", payload.get(key), limits[tag])
        if value is not None:
            out[key] = value

    total = Decimal(0)
    expense: list[dict[str, Any]] = []
    for n, raw in enumerate(
        c.items("payload.expense_lines", payload.get("expense_lines"), MAX_LINES)
    ):
        path = f"payload.expense_lines[{n}]"
        line = c.obj(path, raw, ("account", "amount", "memo", "class", "customer"))
        if line is None:
            continue
        clean: dict[str, Any] = {}
        account = c.list_ref(
            f"{path}.account",
            line.get("account"),
            "account",
            required=True,
            full_name_max=limits["ExpenseLineAdd.AccountRef.FullName"],
        )
        if account is not None:
            clean["account"] = account
        amount = c.amount(f"{path}.amount", line.get("amount"), required=True)
        if amount is not None:
            clean["amount"] = f"{amount:.2f}"
            total += amount
        memo = c.text(f"{path}.memo", line.get("memo"), limits["ExpenseLineAdd.Memo"])
        if memo is not None:
            clean["memo"] = memo
        _line_refs(c, path, line, "BillAdd", "ExpenseLineAdd", clean)
        expense.append(clean)
    items: list[dict[str, Any]] = []
    for n, raw in enumerate(c.items("payload.item_lines", payload.get("item_lines"), MAX_LINES)):
        path = f"payload.item_lines[{n}]"
        line = c.obj(path, raw, ("item", "quantity", "cost", "amount", "memo", "class", "customer"))
        if line is None:
            continue
        clean = {}
        item = c.list_ref(f"{path}.item", line.get("item"), "item", required=True)
        if item is not None:
            clean["item"] = item
        quantity = c.price(f"{path}.quantity", line.get("quantity"))
        cost = c.price(f"{path}.cost", line.get("cost"))
        amount = c.amount(f"{path}.amount", line.get("amount"))
        if quantity is not None:
            clean["quantity"] = str(quantity)
        if cost is not None:
            clean["cost"] = str(cost)
        if amount is not None:
            clean["amount"] = f"{amount:.2f}"
            total += amount
        elif cost is not None:
            total += cost * (quantity if quantity is not None else Decimal(1))
        elif "amount" not in line and "cost" not in line:
            c.error(f"{path}.amount", f"{path} needs an amount or a cost")
        memo = c.text(f"{path}.memo", line.get("memo"), limits["ItemLineAdd.Desc"])
        if memo is not None:
            clean["memo"] = memo
        _line_refs(c, path, line, "BillAdd", "ItemLineAdd", clean)
        items.append(clean)
    if not payload.get("expense_lines") and not payload.get("item_lines"):
        c.error("payload.expense_lines", "a bill needs at least one expense line or item line")
    elif total < 0:
        c.error("payload.expense_lines", "the bill's total must not be negative")
    if expense:
        out["expense_lines"] = expense
    if items:
        out["item_lines"] = items
    out["_total"] = f"{total:.2f}"
    return out


class BillCreate(OperationKind):
    name = "bill.create"
    qb_object = "Bill"
    request = "BillAdd"
    record_type = "bills"
    is_add = True
    not_saved = "The bill was not entered"

    def validate(self, c: Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
        return _validate(c, payload)

    def write_request(self, r: Mapping[str, Any], w: WriteArgs) -> Any:
        return BillAdd(
            vendor_ref=Ref(list_id=w.resolve(r["vendor"], "list_id")),
            ap_account_ref=list_ref(w.resolve, r.get("ap_account")),
            txn_date=r.get("txn_date"),
            due_date=r.get("due_date"),
            ref_number=r.get("ref_number"),
            terms_ref=list_ref(w.resolve, r.get("terms")),
            memo=r.get("memo"),
            external_guid=w.external_guid,
            expense_lines=[
                ExpenseLine(
                    account_ref=list_ref(w.resolve, line.get("account")),
                    amount=line.get("amount"),
                    memo=line.get("memo"),
                    customer_ref=list_ref(w.resolve, line.get("customer")),
                    class_ref=list_ref(w.resolve, line.get("class")),
                )
                for line in r.get("expense_lines", [])
            ],
            item_lines=[
                ItemLine(
                    item_ref=list_ref(w.resolve, line.get("item")),
                    desc=line.get("memo"),
                    quantity=line.get("quantity"),
                    cost=line.get("cost"),
                    amount=line.get("amount"),
                    customer_ref=list_ref(w.resolve, line.get("customer")),
                    class_ref=list_ref(w.resolve, line.get("class")),
                )
                for line in r.get("item_lines", [])
            ],
            request_id=w.request_id,
        )

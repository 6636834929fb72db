"""``bill_payment.check.create`` (BillPaymentCheckAdd) and ``bill_payment.credit_card.create``
(BillPaymentCreditCardAdd): paying bills of one vendor, synced ones or those a ``bill.create``
of the same company makes. The bills must belong to the vendor and be open for the amount; a
payment that is done changes the bills it paid, so they are read back at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from models import Operation
from qbwc_server.qbxml.schema_order import Ref
from qbwc_server.qbxml.writes import (
    MAX_LENGTHS,
    AppliedToTxn,
    BillPaymentCheckAdd,
    BillPaymentCreditCardAdd,
)
from qbwc_server.writeback.checks import Checker
from qbwc_server.writeback.kinds.base import Bookkeeping, OperationKind, WriteArgs
from qbwc_server.writeback.requests import Resolve, Unresolved, list_ref

MAX_APPLIED = 100  # bills per payment


def _same_vendor(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool | None:
    """Whether two resolved vendor references name the same vendor (None: cannot tell)."""
    if not a or not b:
        return None
    if a.get("list_id") and b.get("list_id"):
        return bool(a["list_id"] == b["list_id"])
    if a.get("operation_id") and b.get("operation_id"):
        return bool(a["operation_id"] == b["operation_id"])
    return None


def _validate(
    c: Checker, payload: Mapping[str, Any], request: str, account_key: str
) -> dict[str, Any]:
    allowed = (
        "vendor",
        account_key,
        "ap_account",
        "txn_date",
        "ref_number",
        "memo",
        "applied_to",
    ) + (("is_to_be_printed",) if account_key == "bank_account" else ())
    c.obj("payload", payload, allowed)
    limits = MAX_LENGTHS[request]
    out: dict[str, Any] = {}
    vendor = c.vendor_ref("payload.vendor", payload.get("vendor"))
    if vendor is not None:
        out["vendor"] = vendor
    account_tag = "BankAccountRef" if account_key == "bank_account" else "CreditCardAccountRef"
    account = c.list_ref(
        f"payload.{account_key}",
        payload.get(account_key),
        account_key,
        required=True,
        full_name_max=limits[f"{account_tag}.FullName"],
    )
    if account is not None:
        out[account_key] = account
    if payload.get("ap_account") is not None:
        ap = c.list_ref(
            "payload.ap_account",
            payload["ap_account"],
            "ap_account",
            full_name_max=limits["APAccountRef.FullName"],
        )
        if ap is not None:
            out["ap_account"] = ap
    txn_date = c.day("payload.txn_date", payload.get("txn_date"))
    if txn_date is not None:
        out["txn_date"] = txn_date
    for key, tag in (("ref_number", "RefNumber"), ("memo", "Memo")):
        value = c.text(f"payload.{key}", payload.get(key), limits[tag])
        if value is not None:
            out[key] = value
    if account_key == "bank_account":
        printed = c.boolean("payload.is_to_be_printed", payload.get("is_to_be_printed"))
        if printed and "ref_number" in out:
            # BillPaymentCheckAdd: IsToBePrinted and RefNumber are a schema choice.
            c.error(
                "payload.is_to_be_printed",
                "give either ref_number (a check number) or is_to_be_printed, not both",
            )
        if printed is not None:
            out["is_to_be_printed"] = printed

    raw_applied = c.items("payload.applied_to", payload.get("applied_to"), MAX_APPLIED)
    if not raw_applied:
        c.error("payload.applied_to", "a bill payment must apply to at least one bill")
    applied: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_applied):
        path = f"payload.applied_to[{n}]"
        entry = c.obj(path, raw, ("bill", "amount", "discount_amount", "discount_account"))
        if entry is None:
            continue
        clean: dict[str, Any] = {}
        amount = c.amount(f"{path}.amount", entry.get("amount"), required=True, minimum="0.01")
        discount = c.amount(f"{path}.discount_amount", entry.get("discount_amount"), minimum="0")
        if amount is not None:
            clean["amount"] = f"{amount:.2f}"
        if discount is not None:
            clean["discount_amount"] = f"{discount:.2f}"
        if entry.get("discount_account") is not None:
            ref = c.list_ref(
                f"{path}.discount_account",
                entry["discount_account"],
                "discount_account",
                full_name_max=limits["AppliedToTxnAdd.DiscountAccountRef.FullName"],
            )
            if ref is not None:
                clean["discount_account"] = ref
        if entry.get("bill") is None:
            c.error(f"{path}.bill", f"{path}.bill is required")
        else:
            found = c.bill_ref(f"{path}.bill", entry["bill"])
            if found is not None:
                ref, source = found
                key = (
                    f"txn:{ref.get('txn_id')}" if ref.get("txn_id") else f"op:{ref['operation_id']}"
                )
                if key in seen:
                    c.error(f"{path}.bill", "the same bill appears twice in applied_to")
                seen.add(key)
                clean["bill"] = ref
                _check_bill(c, path, source, vendor, amount, discount)
        applied.append(clean)
    out["applied_to"] = applied
    return out


def _check_bill(
    c: Checker,
    path: str,
    source: Any,
    vendor: Mapping[str, Any] | None,
    amount: Decimal | None,
    discount: Decimal | None,
) -> None:
    """The bill must belong to the payment's vendor and still be open for the amount."""
    paying = (amount or Decimal(0)) + (discount or Decimal(0))
    if isinstance(source, Operation):
        bill_vendor = source.resolved.get("vendor")
        open_amount = Decimal(str(source.resolved.get("_total", "0")))
    else:
        bill_vendor = {"list_id": source.vendor_list_id} if source.vendor_list_id else None
        open_amount = source.open_amount if source.open_amount is not None else source.amount_due
    if _same_vendor(bill_vendor, vendor) is False:
        c.error(f"{path}.bill", "the bill belongs to another vendor than the payment")
    if open_amount is not None and paying > Decimal(open_amount):
        c.error(
            f"{path}.amount",
            f"{path}.amount (with discount) is more than the bill's open balance {open_amount}",
        )


def _applied(r: Mapping[str, Any], resolve: Resolve) -> list[AppliedToTxn]:
    return [
        AppliedToTxn(
            txn_id=resolve(entry["bill"], "txn_id"),
            payment_amount=entry.get("amount"),
            discount_amount=entry.get("discount_amount"),
            discount_account_ref=list_ref(resolve, entry.get("discount_account")),
        )
        for entry in r.get("applied_to", [])
    ]


class _BillPayment(OperationKind):
    is_add = True
    account_key: str  # the payload's bank_account or credit_card_account

    def validate(self, c: Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
        return _validate(c, payload, self.request, self.account_key)

    def after_done(self, ctx: Bookkeeping, op: Operation) -> None:
        # Paying a bill changes it (IsPaid, open amount): read those bills back now.
        for entry in op.resolved.get("applied_to", []):
            try:
                ctx.want_fetch("bills", ctx.resolve(entry["bill"], "txn_id"))
            except Unresolved:
                continue


class BillPaymentCheckCreate(_BillPayment):
    name = "bill_payment.check.create"
    qb_object = "BillPaymentCheck"
    request = "BillPaymentCheckAdd"
    record_type = "bill_payment_checks"
    account_key = "bank_account"
    not_saved = "The bill payment (check) was not entered"

    def write_request(self, r: Mapping[str, Any], w: WriteArgs) -> Any:
        printed = r.get("is_to_be_printed")
        ref_number = r.get("ref_number")
        if ref_number is not None:
            printed = None  # schema choice: IsToBePrinted | RefNumber, exactly one
        elif printed is None:
            printed = False
        return BillPaymentCheckAdd(
            payee_entity_ref=Ref(list_id=w.resolve(r["vendor"], "list_id")),
            bank_account_ref=Ref(list_id=w.resolve(r["bank_account"], "list_id")),
            applied_to=_applied(r, w.resolve),
            ap_account_ref=list_ref(w.resolve, r.get("ap_account")),
            txn_date=r.get("txn_date"),
            is_to_be_printed=printed,
            ref_number=ref_number,
            memo=r.get("memo"),
            external_guid=w.external_guid,
            request_id=w.request_id,
        )


class BillPaymentCreditCardCreate(_BillPayment):
    name = "bill_payment.credit_card.create"
    qb_object = "BillPaymentCreditCard"
    request = "BillPaymentCreditCardAdd"
    record_type = "bill_payment_credit_cards"
    account_key = "credit_card_account"
    not_saved = "The bill payment (credit card) was not entered"

    def write_request(self, r: Mapping[str, Any], w: WriteArgs) -> Any:
        return BillPaymentCreditCardAdd(
            payee_entity_ref=Ref(list_id=w.resolve(r["vendor"], "list_id")),
            credit_card_account_ref=Ref(list_id=w.resolve(r["credit_card_account"], "list_id")),
            applied_to=_applied(r, w.resolve),
            ap_account_ref=list_ref(w.resolve, r.get("ap_account")),
            txn_date=r.get("txn_date"),
            ref_number=r.get("ref_number"),
            memo=r.get("memo"),
            external_guid=w.external_guid,
            request_id=w.request_id,
        )

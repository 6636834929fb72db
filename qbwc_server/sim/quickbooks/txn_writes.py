"""Transaction writes: bills, bill payments and the generic transaction add.

What QuickBooks does when a bill is entered or paid: references checked first (nothing changes
on an error), TxnID/TxnLineIDs from one counter, due dates from the terms, links recorded on
both transactions, bills re-saved when paid, vendor balances kept. Functions of a
:class:`~.company_data.CompanyData`; the company file's methods delegate here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from . import status as st
from .catalog import ENTITY_TYPES, ITEM_TYPES
from .company_data import ZERO, CompanyData, CompanyError, dec, money, qb_text
from .qbclock import wall_key
from .record_writes import normalize_ref
from .store import Record, RowMeta, copy_record


def _new_txn_record(
    company: CompanyData, object_type: str, txn_date: date
) -> tuple[str, Record, datetime]:
    now = company.clock.now
    txn_id = company.new_txn_id(now)
    stamp = company.clock.stamp(now)
    record: Record = {
        "TxnID": txn_id,
        "TimeCreated": stamp,
        "TimeModified": stamp,
        "EditSequence": company.new_edit_sequence(now),
        "TxnNumber": company.next_txn_number(),
    }
    return txn_id, record, now


def _lines(
    company: CompanyData, fields: Mapping[str, Any], in_object: str, now: datetime
) -> tuple[list[Record], list[Record], Decimal, tuple[str, ...]]:
    expense: list[Record] = []
    items: list[Record] = []
    total = ZERO
    accounts: list[str] = []
    for line in fields.get("ExpenseLineRet", []) or []:
        out: Record = {"TxnLineID": company.new_line_id(now)}
        account = company.require_ref(
            line.get("AccountRef", {}), ("Account",), "Account", in_object
        )
        out["AccountRef"] = company.ref(account[1])
        accounts.append(account[1])
        amount = dec(line.get("Amount"))
        out["Amount"] = money(amount)
        total += amount
        for key in ("Memo", "BillableStatus"):
            if key in line:
                out[key] = qb_text(str(line[key]))
        for key in ("CustomerRef", "ClassRef", "SalesTaxCodeRef"):
            if key in line:
                out[key] = normalize_ref(company, line[key], key, in_object)
        expense.append(out)
    for line in fields.get("ItemLineRet", []) or []:
        out = {"TxnLineID": company.new_line_id(now)}
        item = company.require_ref(line.get("ItemRef", {}), ITEM_TYPES, "Item", in_object)
        out["ItemRef"] = company.ref(item[1])
        if "Desc" in line:
            out["Desc"] = qb_text(str(line["Desc"]))
        quantity = dec(line.get("Quantity")) if line.get("Quantity") is not None else None
        cost = dec(line.get("Cost")) if line.get("Cost") is not None else None
        if quantity is not None:
            out["Quantity"] = str(quantity.normalize())
        if cost is not None:
            out["Cost"] = money(cost)
        if line.get("Amount") is not None:
            amount = dec(line["Amount"])
        elif quantity is not None and cost is not None:
            amount = quantity * cost
        else:
            amount = ZERO
        out["Amount"] = money(amount)
        total += amount
        for key in ("CustomerRef", "ClassRef", "SalesTaxCodeRef"):
            if key in line:
                out[key] = normalize_ref(company, line[key], key, in_object)
        if "BillableStatus" in line:
            out["BillableStatus"] = line["BillableStatus"]
        items.append(out)
    return expense, items, total, tuple(accounts)


def due_date(company: CompanyData, txn_date: date, terms_id: str | None) -> date:
    if terms_id:
        terms = company.find(terms_id)
        if terms and terms[0] == "StandardTerms":
            return txn_date + timedelta(days=int(terms[1].get("StdDueDays", 0)))
        if terms and terms[0] == "DateDrivenTerms":
            day = int(terms[1].get("DayOfMonthDue", 1))
            year, month = (txn_date.year, txn_date.month + 1)
            if month == 13:
                year, month = year + 1, 1
            return date(year, month, min(day, 28))
    return txn_date + timedelta(days=company.preferences.days_bills_are_due)


def add_bill(company: CompanyData, fields: Mapping[str, Any]) -> Record:
    """BillAdd: validates every reference first (nothing changes on error)."""
    vendor_id = company.require_ref(fields.get("VendorRef", {}), ("Vendor",), "Vendor", "Bill")[1]
    vendor = company.tables["Vendor"].get(vendor_id)
    assert vendor is not None
    if fields.get("APAccountRef"):
        ap_id = company.require_ref(fields["APAccountRef"], ("Account",), "Account", "Bill")[1]
    else:
        ap_id = company.default_account("AccountsPayable")
    txn_date = as_date(fields.get("TxnDate")) or company.today()
    terms_id = None
    if fields.get("TermsRef"):
        terms_id = company.require_ref(
            fields["TermsRef"], ("StandardTerms", "DateDrivenTerms"), "Terms", "Bill"
        )[1]
    elif vendor.get("TermsRef"):
        terms_id = vendor["TermsRef"]["ListID"]
    class_ref = None
    if fields.get("ClassRef"):
        class_ref = normalize_ref(company, fields["ClassRef"], "ClassRef", "Bill")
    links = [_linkable_po(company, str(t)) for t in fields.get("LinkToTxnID", []) or []]
    txn_id, record, now = _new_txn_record(company, "Bill", txn_date)
    expense, items, total, accounts = _lines(company, fields, "Bill", now)
    due = as_date(fields.get("DueDate")) or due_date(company, txn_date, terms_id)
    record["VendorRef"] = company.ref(vendor_id)
    if vendor.get("VendorAddress"):
        record["VendorAddress"] = copy_record(vendor["VendorAddress"])
    record["APAccountRef"] = company.ref(ap_id)
    record["TxnDate"] = txn_date.isoformat()
    record["DueDate"] = due.isoformat()
    record["AmountDue"] = money(total)
    _currency_fields(company, record, vendor, total, "AmountDueInHomeCurrency")
    if fields.get("RefNumber"):
        record["RefNumber"] = qb_text(str(fields["RefNumber"]))
    if terms_id:
        record["TermsRef"] = company.ref(terms_id)
    if class_ref:
        record["ClassRef"] = class_ref
    if fields.get("Memo"):
        record["Memo"] = qb_text(str(fields["Memo"]))
    if fields.get("ExternalGUID"):
        # QuickBooks stores ExternalGUID and returns it in the Ret (13.0 and 16.0).
        record["ExternalGUID"] = str(fields["ExternalGUID"])
    record["IsPaid"] = total == ZERO
    if expense:
        record["ExpenseLineRet"] = expense
    if items:
        record["ItemLineRet"] = items
    record["OpenAmount"] = money(total)
    meta = RowMeta(
        seq=company.next_seq(),
        modified=wall_key(now),
        txn_date=txn_date.toordinal(),
        entity=vendor_id,
        ref_number=str(record.get("RefNumber", "")),
        accounts=(ap_id, *accounts),
        is_paid=record["IsPaid"],
    )
    company.register("Bill", txn_id, record, meta)
    for po_id, po in links:
        _link(record, "Bill", po, "PurchaseOrder", "QUANTYPE", dec(po.get("TotalAmount")))
        po["IsFullyReceived"] = True
        po["IsManuallyClosed"] = False
        company.touch("PurchaseOrder", po_id, po)
    company.adjust_vendor_balance(vendor_id, total)
    return record


def _linkable_po(company: CompanyData, txn_id: str) -> tuple[str, Record]:
    po = company.tables["PurchaseOrder"].get(txn_id)
    if po is None:
        raise CompanyError(st.object_not_found(txn_id))
    return txn_id, po


def _currency_fields(
    company: CompanyData,
    record: Record,
    vendor: Mapping[str, Any],
    amount: Decimal,
    home_field: str,
) -> None:
    if not company.preferences.multicurrency or not vendor.get("CurrencyRef"):
        return
    currency = company.tables["Currency"].get(vendor["CurrencyRef"]["ListID"])
    rate = dec(currency.get("ExchangeRate", "1")) if currency else Decimal(1)
    record["CurrencyRef"] = company.ref(vendor["CurrencyRef"]["ListID"])
    record["ExchangeRate"] = str(rate)
    record[home_field] = money(amount * rate)


def _link(a: Record, a_type: str, b: Record, b_type: str, link_type: str, amount: Decimal) -> None:
    """Record a LinkedTxn on both transactions (Amount negative on the paid side)."""
    for this, other, other_type, sign in ((a, b, b_type, -1), (b, a, a_type, -1)):
        entry: Record = {
            "TxnID": other["TxnID"],
            "TxnType": other_type,
            "TxnDate": other["TxnDate"],
        }
        if other.get("RefNumber"):
            entry["RefNumber"] = other["RefNumber"]
        entry["LinkType"] = link_type
        entry["Amount"] = money(sign * amount)
        this.setdefault("LinkedTxn", []).append(entry)


def add_bill_payment(company: CompanyData, object_type: str, fields: Mapping[str, Any]) -> Record:
    """BillPaymentCheckAdd / BillPaymentCreditCardAdd: pays bills, marks them paid."""
    in_object = object_type
    payee_id = company.require_ref(
        fields.get("PayeeEntityRef", {}), ("Vendor",), "Vendor", in_object
    )[1]
    if fields.get("APAccountRef"):
        ap_id = company.require_ref(fields["APAccountRef"], ("Account",), "Account", in_object)[1]
    else:
        ap_id = company.default_account("AccountsPayable")
    account_key = "BankAccountRef" if object_type == "BillPaymentCheck" else "CreditCardAccountRef"
    account_id = company.require_ref(
        fields.get(account_key, {}), ("Account",), "Account", in_object
    )[1]
    txn_date = as_date(fields.get("TxnDate")) or company.today()
    plans: list[tuple[str, Record, Decimal, Decimal, list[tuple[str, Record, Decimal]]]] = []
    for applied in fields.get("AppliedToTxnAdd", []) or []:
        bill_id = str(applied.get("TxnID", ""))
        bill = company.tables["Bill"].get(bill_id)
        if bill is None:
            raise CompanyError(st.object_not_found(bill_id))
        if bill["VendorRef"]["ListID"] != payee_id:
            raise CompanyError(
                st.invalid_value(
                    f'The transaction "{bill_id}" does not belong to the payee of this payment.'
                )
            )
        amount = dec(applied.get("PaymentAmount"))
        discount = dec(applied.get("DiscountAmount"))
        credits: list[tuple[str, Record, Decimal]] = []
        for credit in applied.get("SetCredit", []) or []:
            credit_id = str(credit.get("CreditTxnID", ""))
            credit_rec = company.tables["VendorCredit"].get(credit_id)
            if credit_rec is None:
                raise CompanyError(st.object_not_found(credit_id))
            applied_amount = dec(credit.get("AppliedAmount"))
            if applied_amount > dec(credit_rec.get("OpenAmount")):
                raise CompanyError(
                    st.invalid_value("You cannot apply more than the available credit.")
                )
            credits.append((credit_id, credit_rec, applied_amount))
        open_amount = dec(bill.get("OpenAmount"))
        if amount + discount + sum((c[2] for c in credits), ZERO) > open_amount:
            raise CompanyError(st.invalid_value("You cannot pay more than the amount due."))
        plans.append((bill_id, bill, amount, discount, credits))
    if not plans:
        raise CompanyError(st.Status(3150, "There is a missing element: AppliedToTxnAdd."))
    txn_id, record, now = _new_txn_record(company, object_type, txn_date)
    total = sum((p[2] for p in plans), ZERO)
    record["PayeeEntityRef"] = company.ref(payee_id)
    record["APAccountRef"] = company.ref(ap_id)
    record["TxnDate"] = txn_date.isoformat()
    record[account_key] = company.ref(account_id)
    record["Amount"] = money(total)
    vendor = company.tables["Vendor"].get(payee_id) or {}
    _currency_fields(company, record, vendor, total, "AmountInHomeCurrency")
    if fields.get("RefNumber"):
        record["RefNumber"] = qb_text(str(fields["RefNumber"]))
    if fields.get("Memo"):
        record["Memo"] = qb_text(str(fields["Memo"]))
    if fields.get("ExternalGUID"):
        record["ExternalGUID"] = str(fields["ExternalGUID"])
    if object_type == "BillPaymentCheck":
        record["IsToBePrinted"] = bool(fields.get("IsToBePrinted", False))
    applied_rets: list[Record] = []
    for bill_id, bill, amount, discount, credits in plans:
        reduction = amount + discount + sum((c[2] for c in credits), ZERO)
        open_after = dec(bill["OpenAmount"]) - reduction
        applied_ret: Record = {
            "TxnID": bill_id,
            "TxnType": "Bill",
            "TxnDate": bill["TxnDate"],
        }
        if bill.get("RefNumber"):
            applied_ret["RefNumber"] = bill["RefNumber"]
        applied_ret["BalanceRemaining"] = money(open_after)
        applied_ret["Amount"] = money(amount)
        if discount:
            applied_ret["DiscountAmount"] = money(discount)
        for credit_id, credit_rec, applied_amount in credits:
            _link(bill, "Bill", credit_rec, "VendorCredit", "AMTTYPE", applied_amount)
            credit_rec["OpenAmount"] = money(dec(credit_rec["OpenAmount"]) - applied_amount)
            company.touch("VendorCredit", credit_id, credit_rec)
            applied_ret.setdefault("LinkedTxn", []).append(
                {
                    "TxnID": credit_id,
                    "TxnType": "VendorCredit",
                    "TxnDate": credit_rec["TxnDate"],
                    "LinkType": "AMTTYPE",
                    "Amount": money(-applied_amount),
                }
            )
        applied_rets.append(applied_ret)
        apply_to_bill(company, bill_id, bill, record, object_type, amount, reduction)
    record["AppliedToTxnRet"] = applied_rets
    meta = RowMeta(
        seq=company.next_seq(),
        modified=wall_key(now),
        txn_date=txn_date.toordinal(),
        entity=payee_id,
        ref_number=str(record.get("RefNumber", "")),
        accounts=(ap_id, account_id),
    )
    company.register(object_type, txn_id, record, meta)
    # Balance = open bills - open credits: a credit applied to a bill lowers both sides, so
    # only the money paid (and discounts taken) changes the vendor's balance.
    company.adjust_vendor_balance(payee_id, -sum((p[2] + p[3] for p in plans), ZERO))
    return record


def apply_to_bill(
    company: CompanyData,
    bill_id: str,
    bill: Record,
    payment: Record,
    payment_type: str,
    amount: Decimal,
    reduction: Decimal,
) -> None:
    open_after = dec(bill["OpenAmount"]) - reduction
    bill["OpenAmount"] = money(open_after)
    bill["IsPaid"] = open_after == ZERO
    entry: Record = {
        "TxnID": payment["TxnID"],
        "TxnType": payment_type,
        "TxnDate": payment["TxnDate"],
    }
    if payment.get("RefNumber"):
        entry["RefNumber"] = payment["RefNumber"]
    entry["LinkType"] = "AMTTYPE"
    entry["Amount"] = money(-amount)
    bill.setdefault("LinkedTxn", []).append(entry)
    # Guess (unverified): QuickBooks re-saves the bill when a payment is applied, so its
    # TimeModified/EditSequence change and a modified-date sync sees IsPaid flip.
    company.touch("Bill", bill_id, bill)
    company.tables["Bill"].reindex(bill_id, is_paid=bill["IsPaid"])


def add_txn(company: CompanyData, object_type: str, fields: Mapping[str, Any]) -> Record:
    """Generic transaction add for the Python API (checks, card charges, POs …)."""
    txn_date = as_date(fields.get("TxnDate")) or company.today()
    txn_id, record, now = _new_txn_record(company, object_type, txn_date)
    expense, items, total, accounts = _lines(company, fields, object_type, now)
    entity = ""
    for key in ("VendorRef", "PayeeEntityRef"):
        if fields.get(key):
            types = ("Vendor",) if key == "VendorRef" else ENTITY_TYPES
            entity = company.require_ref(fields[key], types, "Vendor", object_type)[1]
            record[key] = company.ref(entity)
    for key, value in fields.items():
        if key in ("ExpenseLineRet", "ItemLineRet", "VendorRef", "PayeeEntityRef"):
            continue
        if key.endswith("Ref") and isinstance(value, dict):
            record[key] = normalize_ref(company, value, key, object_type)
        else:
            record[key] = qb_text(value) if isinstance(value, str) else copy_record(value)
    record["TxnDate"] = txn_date.isoformat()
    amount_field = {
        "VendorCredit": "CreditAmount",
        "PurchaseOrder": "TotalAmount",
        "ItemReceipt": "TotalAmount",
    }.get(object_type, "Amount")
    record.setdefault(amount_field, money(total))
    if object_type == "VendorCredit":
        record.setdefault("OpenAmount", money(total))
    if expense and object_type != "PurchaseOrder":
        record["ExpenseLineRet"] = expense
    if items and object_type == "PurchaseOrder":
        # Purchase orders have only item lines, with Rate instead of Cost.
        record["PurchaseOrderLineRet"] = [
            {("Rate" if k == "Cost" else k): v for k, v in line.items()} for line in items
        ]
    elif items:
        record["ItemLineRet"] = items
    meta = RowMeta(
        seq=company.next_seq(),
        modified=wall_key(now),
        txn_date=txn_date.toordinal(),
        entity=entity,
        ref_number=str(record.get("RefNumber", "")),
        accounts=accounts,
    )
    company.register(object_type, txn_id, record, meta)
    if object_type == "VendorCredit" and entity:
        company.adjust_vendor_balance(entity, -total)
    return record


def as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])

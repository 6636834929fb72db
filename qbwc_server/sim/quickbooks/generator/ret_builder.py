"""Turning a planned transaction (:class:`~.context.TxnSpec`) into its Ret-shaped record.

Generated transactions are stored lazily: the table keeps the immutable spec and calls
:class:`Builder` the first time a record is read, so the ``large`` profile builds in well under a
minute and only pays for what a client reads. One ``_build_<Kind>`` method per transaction type.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..qbclock import QBClock
from ..store import Record
from .context import TxnSpec, money_cents

_EPOCH = datetime(1970, 1, 1)

TXN_TYPE_OF_KIND = {
    "Bill": "Bill",
    "BillPaymentCheck": "BillPaymentCheck",
    "BillPaymentCreditCard": "BillPaymentCreditCard",
    "VendorCredit": "VendorCredit",
    "Check": "Check",
    "CreditCardCharge": "CreditCardCharge",
    "CreditCardCredit": "CreditCardCredit",
    "PurchaseOrder": "PurchaseOrder",
    "ItemReceipt": "ItemReceipt",
}


class Builder:
    """Turns a :class:`TxnSpec` into the record dict (called lazily by the table)."""

    def __init__(
        self,
        names_by_id: dict[str, str],
        addresses: dict[str, dict[str, str]],
        clock: QBClock,
        currency_of: dict[str, tuple[str, str]],
    ) -> None:
        self.names = names_by_id
        self.addresses = addresses
        # A private copy: only its zone and DST quirk matter (how stamps are written).
        self.clock = QBClock(clock.now, clock.zone, clock.dst_offset_quirk)
        self.currency_of = currency_of  # vendor ListID -> (currency ListID, exchange rate)

    def stamp(self, key: int) -> str:
        return self.clock.stamp(_EPOCH + timedelta(seconds=key))

    def ref(self, list_id: str) -> dict[str, str]:
        return {"ListID": list_id, "FullName": self.names.get(list_id, "")}

    def __call__(self, spec: TxnSpec) -> Record:
        record: Record = {
            "TxnID": spec.txn_id,
            "TimeCreated": self.stamp(spec.created),
            "TimeModified": self.stamp(spec.modified),
            "EditSequence": str(spec.extra["edit_sequence"]),
            "TxnNumber": spec.number,
        }
        getattr(self, f"_build_{spec.kind}")(spec, record)
        return record

    def _txn_date(self, spec: TxnSpec) -> str:
        return date.fromordinal(spec.date).isoformat()

    def _lines(self, spec: TxnSpec, record: Record, item_key: str = "ItemLineRet") -> None:
        expense: list[Record] = []
        items: list[Record] = []
        for line_id, line in zip(spec.line_ids, spec.lines, strict=True):
            if line[0] == "E":
                _, account, cents, memo, customer, klass, billable = line
                out: Record = {"TxnLineID": line_id, "AccountRef": self.ref(account)}
                out["Amount"] = money_cents(cents)
                if memo:
                    out["Memo"] = memo
                if customer:
                    out["CustomerRef"] = self.ref(customer)
                if klass:
                    out["ClassRef"] = self.ref(klass)
                if customer:
                    out["BillableStatus"] = billable
                expense.append(out)
            else:
                _, item, qty, cost, cents, customer, klass, desc = line
                out = {"TxnLineID": line_id, "ItemRef": self.ref(item)}
                if desc:
                    out["Desc"] = desc
                out["Quantity"] = str(qty)
                if item_key == "PurchaseOrderLineRet":
                    out["Rate"] = money_cents(cost)
                    if klass:
                        out["ClassRef"] = self.ref(klass)
                    out["Amount"] = money_cents(cents)
                    if customer:
                        out["CustomerRef"] = self.ref(customer)
                    received = spec.extra.get("received", 0)
                    out["ReceivedQuantity"] = str(qty if received else 0)
                    out["IsBilled"] = bool(spec.extra.get("billed"))
                    out["IsManuallyClosed"] = bool(spec.extra.get("closed"))
                else:
                    out["Cost"] = money_cents(cost)
                    out["Amount"] = money_cents(cents)
                    if customer:
                        out["CustomerRef"] = self.ref(customer)
                    if klass:
                        out["ClassRef"] = self.ref(klass)
                items.append(out)
        if expense:
            record["ExpenseLineRet"] = expense
        if items:
            record[item_key] = items

    def _linked(self, spec: TxnSpec, record: Record) -> None:
        if not spec.links:
            return
        out = []
        for other, link_type, cents in spec.links:
            entry: Record = {
                "TxnID": other.txn_id,
                "TxnType": TXN_TYPE_OF_KIND[other.kind],
                "TxnDate": date.fromordinal(other.date).isoformat(),
            }
            if other.ref:
                entry["RefNumber"] = other.ref
            entry["LinkType"] = link_type
            entry["Amount"] = money_cents(cents)
            out.append(entry)
        record["LinkedTxn"] = out

    def _currency(self, spec: TxnSpec, record: Record, home_field: str, cents: int) -> None:
        currency = self.currency_of.get(spec.entity)
        if currency is None:
            return
        currency_id, rate = currency
        record["CurrencyRef"] = self.ref(currency_id)
        record["ExchangeRate"] = rate
        home = round(cents * float(rate))
        record[home_field] = money_cents(home)

    def _build_Bill(self, spec: TxnSpec, record: Record) -> None:
        record["VendorRef"] = self.ref(spec.entity)
        address = self.addresses.get(spec.entity)
        if address:
            record["VendorAddress"] = dict(address)
        record["APAccountRef"] = self.ref(spec.ap)
        record["TxnDate"] = self._txn_date(spec)
        record["DueDate"] = date.fromordinal(spec.extra["due"]).isoformat()
        record["AmountDue"] = money_cents(spec.total)
        self._currency(spec, record, "AmountDueInHomeCurrency", spec.total)
        if spec.ref:
            record["RefNumber"] = spec.ref
        if spec.extra.get("terms"):
            record["TermsRef"] = self.ref(spec.extra["terms"])
        if spec.extra.get("class"):
            record["ClassRef"] = self.ref(spec.extra["class"])
        if spec.memo:
            record["Memo"] = spec.memo
        record["IsPaid"] = spec.open == 0
        self._linked(spec, record)
        self._lines(spec, record)
        record["OpenAmount"] = money_cents(spec.open)

    def _build_payment(self, spec: TxnSpec, record: Record, account_key: str) -> None:
        record["PayeeEntityRef"] = self.ref(spec.entity)
        record["APAccountRef"] = self.ref(spec.ap)
        record["TxnDate"] = self._txn_date(spec)
        record[account_key] = self.ref(spec.account)
        record["Amount"] = money_cents(spec.total)
        self._currency(spec, record, "AmountInHomeCurrency", spec.total)
        if spec.ref:
            record["RefNumber"] = spec.ref
        if spec.memo:
            record["Memo"] = spec.memo
        if account_key == "BankAccountRef":
            record["IsToBePrinted"] = False
        applied = []
        for bill, amount, remaining, credits in spec.applied:
            entry: Record = {
                "TxnID": bill.txn_id,
                "TxnType": "Bill",
                "TxnDate": date.fromordinal(bill.date).isoformat(),
            }
            if bill.ref:
                entry["RefNumber"] = bill.ref
            entry["BalanceRemaining"] = money_cents(remaining)
            entry["Amount"] = money_cents(amount)
            if credits:
                entry["LinkedTxn"] = [
                    {
                        "TxnID": credit.txn_id,
                        "TxnType": "VendorCredit",
                        "TxnDate": date.fromordinal(credit.date).isoformat(),
                        **({"RefNumber": credit.ref} if credit.ref else {}),
                        "LinkType": "AMTTYPE",
                        "Amount": money_cents(-cents),
                    }
                    for credit, cents in credits
                ]
            applied.append(entry)
        record["AppliedToTxnRet"] = applied

    def _build_BillPaymentCheck(self, spec: TxnSpec, record: Record) -> None:
        self._build_payment(spec, record, "BankAccountRef")

    def _build_BillPaymentCreditCard(self, spec: TxnSpec, record: Record) -> None:
        self._build_payment(spec, record, "CreditCardAccountRef")

    def _build_VendorCredit(self, spec: TxnSpec, record: Record) -> None:
        record["VendorRef"] = self.ref(spec.entity)
        record["APAccountRef"] = self.ref(spec.ap)
        record["TxnDate"] = self._txn_date(spec)
        record["CreditAmount"] = money_cents(spec.total)
        self._currency(spec, record, "CreditAmountInHomeCurrency", spec.total)
        if spec.ref:
            record["RefNumber"] = spec.ref
        if spec.memo:
            record["Memo"] = spec.memo
        self._linked(spec, record)
        self._lines(spec, record)
        record["OpenAmount"] = money_cents(spec.open)

    def _build_Check(self, spec: TxnSpec, record: Record) -> None:
        record["AccountRef"] = self.ref(spec.account)
        record["PayeeEntityRef"] = self.ref(spec.entity)
        if spec.ref:
            record["RefNumber"] = spec.ref
        record["TxnDate"] = self._txn_date(spec)
        record["Amount"] = money_cents(spec.total)
        if spec.memo:
            record["Memo"] = spec.memo
        address = self.addresses.get(spec.entity)
        if address:
            record["Address"] = dict(address)
        record["IsToBePrinted"] = False
        self._lines(spec, record)

    def _build_card(self, spec: TxnSpec, record: Record) -> None:
        record["AccountRef"] = self.ref(spec.account)
        record["PayeeEntityRef"] = self.ref(spec.entity)
        record["TxnDate"] = self._txn_date(spec)
        record["Amount"] = money_cents(spec.total)
        if spec.ref:
            record["RefNumber"] = spec.ref
        if spec.memo:
            record["Memo"] = spec.memo
        self._lines(spec, record)

    def _build_CreditCardCharge(self, spec: TxnSpec, record: Record) -> None:
        self._build_card(spec, record)

    def _build_CreditCardCredit(self, spec: TxnSpec, record: Record) -> None:
        self._build_card(spec, record)

    def _build_PurchaseOrder(self, spec: TxnSpec, record: Record) -> None:
        record["VendorRef"] = self.ref(spec.entity)
        if spec.extra.get("class"):
            record["ClassRef"] = self.ref(spec.extra["class"])
        record["TxnDate"] = self._txn_date(spec)
        if spec.ref:
            record["RefNumber"] = spec.ref
        address = self.addresses.get(spec.entity)
        if address:
            record["VendorAddress"] = dict(address)
        record["DueDate"] = date.fromordinal(spec.extra["due"]).isoformat()
        record["ExpectedDate"] = date.fromordinal(spec.extra["due"]).isoformat()
        record["TotalAmount"] = money_cents(spec.total)
        self._currency(spec, record, "TotalAmountInHomeCurrency", spec.total)
        record["IsManuallyClosed"] = bool(spec.extra.get("closed"))
        record["IsFullyReceived"] = bool(spec.extra.get("received"))
        if spec.memo:
            record["Memo"] = spec.memo
        record["IsToBePrinted"] = False
        record["IsToBeEmailed"] = False
        self._linked(spec, record)
        self._lines(spec, record, "PurchaseOrderLineRet")

    def _build_ItemReceipt(self, spec: TxnSpec, record: Record) -> None:
        record["VendorRef"] = self.ref(spec.entity)
        record["APAccountRef"] = self.ref(spec.ap)
        record["TxnDate"] = self._txn_date(spec)
        record["TotalAmount"] = money_cents(spec.total)
        self._currency(spec, record, "TotalAmountInHomeCurrency", spec.total)
        if spec.ref:
            record["RefNumber"] = spec.ref
        if spec.memo:
            record["Memo"] = spec.memo
        self._linked(spec, record)
        self._lines(spec, record)

"""Deterministic company-file generator: realistic accounts-payable data over several years.

Same ``(seed, profile, options)`` → same company, byte for byte (one ``random.Random`` drives
everything; nothing depends on wall-clock time or hash order).

Lists are built through the company's own rules (:meth:`CompanyFile.add_list_record`), with the
clock set to each record's creation time. Transactions are planned first (dates, vendors,
lines, which bills get paid by which payments, credits, POs), then numbered in creation order,
then stored *lazily*: each is an immutable :class:`TxnSpec` that :class:`Builder` turns into a
Ret-shaped dict on first access. That keeps the ``large`` profile (≥ 10,000 vendors, ≥ 200,000
AP transactions) well under a minute to build.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from . import names
from .company import CompanyFile, DeletedEntry, Preferences, qb_text
from .hcp import company_info
from .qbclock import QBClock, wall_key
from .store import Record, RowMeta

_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Profile:
    name: str
    years: int
    vendors: int
    customers: int
    items_per_type: int
    bills: int
    checks: int
    card_charges: int
    card_credits: int
    vendor_credits: int
    purchase_orders: int
    item_receipts: int
    extra_accounts: int


PROFILES: dict[str, Profile] = {
    # tests: tens of records of every type
    "tiny": Profile("tiny", 2, 24, 8, 3, 60, 14, 10, 4, 8, 10, 4, 0),
    # hundreds / low thousands
    "small": Profile("small", 3, 400, 80, 12, 3000, 500, 400, 60, 200, 240, 80, 20),
    # about a 700 MB company file: >= 10,000 vendors and >= 200,000 AP transactions
    "large": Profile(
        "large", 5, 10_000, 1500, 60, 130_000, 22_000, 18_000, 2_000, 6_000, 7_000, 3_000, 150
    ),
}


def _cents(text_amount: int) -> str:
    sign = "-" if text_amount < 0 else ""
    value = abs(text_amount)
    return f"{sign}{value // 100}.{value % 100:02d}"


class TxnSpec:
    """Everything needed to build one generated transaction (immutable after generation)."""

    __slots__ = (
        "account",
        "ap",
        "applied",
        "created",
        "date",
        "entity",
        "extra",
        "kind",
        "line_ids",
        "lines",
        "links",
        "memo",
        "modified",
        "number",
        "open",
        "ref",
        "seq",
        "total",
        "txn_id",
    )

    def __init__(self, kind: str, created: int, day: date, entity: str) -> None:
        self.kind = kind
        self.created = created
        self.modified = created
        self.date = day.toordinal()
        self.entity = entity
        self.txn_id = ""
        self.number = 0
        self.seq = 0
        self.ref = ""
        self.memo = ""
        self.account = ""
        self.ap = ""
        self.lines: list[tuple[Any, ...]] = []
        self.line_ids: list[str] = []
        self.links: list[tuple[TxnSpec, str, int]] = []
        self.applied: list[tuple[TxnSpec, int, int, list[tuple[TxnSpec, int]]]] = []
        self.total = 0
        self.open = 0
        self.extra: dict[str, Any] = {}


_TXN_TYPE_OF_KIND = {
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
                out["Amount"] = _cents(cents)
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
                    out["Rate"] = _cents(cost)
                    if klass:
                        out["ClassRef"] = self.ref(klass)
                    out["Amount"] = _cents(cents)
                    if customer:
                        out["CustomerRef"] = self.ref(customer)
                    received = spec.extra.get("received", 0)
                    out["ReceivedQuantity"] = str(qty if received else 0)
                    out["IsBilled"] = bool(spec.extra.get("billed"))
                    out["IsManuallyClosed"] = bool(spec.extra.get("closed"))
                else:
                    out["Cost"] = _cents(cost)
                    out["Amount"] = _cents(cents)
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
                "TxnType": _TXN_TYPE_OF_KIND[other.kind],
                "TxnDate": date.fromordinal(other.date).isoformat(),
            }
            if other.ref:
                entry["RefNumber"] = other.ref
            entry["LinkType"] = link_type
            entry["Amount"] = _cents(cents)
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
        record[home_field] = _cents(home)

    def _build_Bill(self, spec: TxnSpec, record: Record) -> None:
        record["VendorRef"] = self.ref(spec.entity)
        address = self.addresses.get(spec.entity)
        if address:
            record["VendorAddress"] = dict(address)
        record["APAccountRef"] = self.ref(spec.ap)
        record["TxnDate"] = self._txn_date(spec)
        record["DueDate"] = date.fromordinal(spec.extra["due"]).isoformat()
        record["AmountDue"] = _cents(spec.total)
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
        record["OpenAmount"] = _cents(spec.open)

    def _build_payment(self, spec: TxnSpec, record: Record, account_key: str) -> None:
        record["PayeeEntityRef"] = self.ref(spec.entity)
        record["APAccountRef"] = self.ref(spec.ap)
        record["TxnDate"] = self._txn_date(spec)
        record[account_key] = self.ref(spec.account)
        record["Amount"] = _cents(spec.total)
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
            entry["BalanceRemaining"] = _cents(remaining)
            entry["Amount"] = _cents(amount)
            if credits:
                entry["LinkedTxn"] = [
                    {
                        "TxnID": credit.txn_id,
                        "TxnType": "VendorCredit",
                        "TxnDate": date.fromordinal(credit.date).isoformat(),
                        **({"RefNumber": credit.ref} if credit.ref else {}),
                        "LinkType": "AMTTYPE",
                        "Amount": _cents(-cents),
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
        record["CreditAmount"] = _cents(spec.total)
        self._currency(spec, record, "CreditAmountInHomeCurrency", spec.total)
        if spec.ref:
            record["RefNumber"] = spec.ref
        if spec.memo:
            record["Memo"] = spec.memo
        self._linked(spec, record)
        self._lines(spec, record)
        record["OpenAmount"] = _cents(spec.open)

    def _build_Check(self, spec: TxnSpec, record: Record) -> None:
        record["AccountRef"] = self.ref(spec.account)
        record["PayeeEntityRef"] = self.ref(spec.entity)
        if spec.ref:
            record["RefNumber"] = spec.ref
        record["TxnDate"] = self._txn_date(spec)
        record["Amount"] = _cents(spec.total)
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
        record["Amount"] = _cents(spec.total)
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
        record["TotalAmount"] = _cents(spec.total)
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
        record["TotalAmount"] = _cents(spec.total)
        self._currency(spec, record, "TotalAmountInHomeCurrency", spec.total)
        if spec.ref:
            record["RefNumber"] = spec.ref
        if spec.memo:
            record["Memo"] = spec.memo
        self._linked(spec, record)
        self._lines(spec, record)


class _Generator:
    def __init__(self, company: CompanyFile, rng: random.Random, profile: Profile) -> None:
        self.c = company
        self.rng = rng
        self.p = profile
        self.start = company.clock.now
        self.end = self.start + timedelta(days=365 * profile.years)
        self.ids: dict[str, list[str]] = defaultdict(list)  # role -> ListIDs
        self.specs: list[TxnSpec] = []

    # --- time helpers ------------------------------------------------------------------------
    def pick(self, seq: list[str] | tuple[str, ...]) -> str:
        """``rng.choice`` without its overhead (hot path of the large profile)."""
        return seq[int(self.rng.random() * len(seq))]

    def uniform_int(self, lo: int, hi: int) -> int:
        """Like ``rng.randint(lo, hi)``, cheaper."""
        return lo + int(self.rng.random() * (hi - lo + 1))

    def at(self, day: date, hour_lo: int = 8, hour_hi: int = 18) -> datetime:
        seconds = self.uniform_int(hour_lo * 3600, hour_hi * 3600 - 1)
        return datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)

    def day_between(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.uniform_int(0, (hi - lo).days))

    def add_list(self, object_type: str, when: datetime, fields: dict[str, Any]) -> str:
        self.c.clock.set(when)
        return str(self.c.add_list_record(object_type, fields)["ListID"])

    # --- lists -------------------------------------------------------------------------------
    def lists(self) -> None:
        rng = self.rng
        first = self.start
        day0 = first.date()

        def early(offset_days: int = 0) -> datetime:
            return self.at(day0 + timedelta(days=offset_days))

        prefs = self.c.preferences
        account = self.ids
        chart: list[tuple[str, str, str | None, str]] = [
            ("Checking", "Bank", None, "bank"),
            ("Savings", "Bank", None, "bank_other"),
            ("Petty Cash", "Bank", None, "bank_other"),
            ("Accounts Payable", "AccountsPayable", None, "ap"),
            ("Accounts Receivable", "AccountsReceivable", None, "ar"),
            ("Company Visa", "CreditCard", None, "card"),
            ("AmEx Business", "CreditCard", None, "card"),
            ("Furniture and Equipment", "FixedAsset", None, "fixed"),
            ("Opening Balance Equity", "Equity", None, "equity"),
            ("Sales", "Income", None, "income"),
            ("Cost of Goods Sold", "CostOfGoodsSold", None, "cogs"),
            ("Advertising & Marketing", "Expense", None, "expense"),
            ("Automobile", "Expense", None, "expense"),
            ("Fuel", "Expense", "Automobile", "expense"),
            ("Repairs & Maintenance", "Expense", "Automobile", "expense"),
            ("Computer and Internet Expenses", "Expense", None, "expense"),
            ("Office Supplies", "Expense", None, "expense"),
            ("Professional Fees", "Expense", None, "expense"),
            ("Accounting", "Expense", "Professional Fees", "expense"),
            ("Legal Fees", "Expense", "Professional Fees", "expense"),
            ("Rent Expense", "Expense", None, "expense"),
            ("Utilities", "Expense", None, "expense"),
            ("Gas & Electric", "Expense", "Utilities", "expense"),
            ("Telephone", "Expense", "Utilities", "expense"),
            ("Travel Expense", "Expense", None, "expense"),
            ("Meals & Entertainment", "Expense", None, "expense"),
            ("Insurance Expense", "Expense", None, "expense"),
            ("Shipping & Delivery", "Expense", None, "expense"),
            ("Job Materials", "Expense", None, "expense"),
            ("Subcontractors", "Expense", None, "expense"),
            ("Bank Service Charges", "Expense", None, "expense"),
            ("Old Equipment Rental", "Expense", None, "expense_old"),
        ]
        if prefs.inventory:
            chart.append(("Inventory Asset", "OtherCurrentAsset", None, "inventory"))
        by_name: dict[str, str] = {}
        for number, (name, account_type, parent, role) in enumerate(chart):
            fields: dict[str, Any] = {"Name": name, "AccountType": account_type}
            if parent:
                fields["ParentRef"] = {"ListID": by_name[parent]}
            fields["AccountNumber"] = str(1000 + number * 10)
            if account_type == "Bank":
                fields["BankNumber"] = f"{rng.randint(10**7, 10**8 - 1)}"
            fields["Balance"] = money_cents(rng.randint(0, 5_000_000))
            fields["TotalBalance"] = fields["Balance"]
            list_id = self.add_list("Account", early(), fields)
            by_name[name] = list_id
            account[role].append(list_id)
        expense_parents = list(account["expense"])
        for index in range(self.p.extra_accounts):
            parent = expense_parents[index % len(expense_parents)]
            list_id = self.add_list(
                "Account",
                early(rng.randint(0, 20)),
                {
                    "Name": f"Dept {index + 1:03d} Expense",
                    "ParentRef": {"ListID": parent},
                    "AccountType": "Expense",
                    "AccountNumber": str(6000 + index),
                },
            )
            account["expense"].append(list_id)

        for name, days in (("Net 15", 15), ("Net 30", 30), ("Net 60", 60), ("Due on receipt", 0)):
            self.ids["terms"].append(
                self.add_list(
                    "StandardTerms",
                    early(),
                    {"Name": name, "StdDueDays": days, "StdDiscountDays": 0},
                )
            )
        self.ids["terms"].append(
            self.add_list(
                "StandardTerms",
                early(),
                {
                    "Name": "2% 10 Net 30",
                    "StdDueDays": 30,
                    "StdDiscountDays": 10,
                    "DiscountPct": "2.0",
                },
            )
        )
        self.ids["terms"].append(
            self.add_list(
                "DateDrivenTerms",
                early(),
                {"Name": "15th of next month", "DayOfMonthDue": 15, "DueNextMonthDays": 5},
            )
        )
        for name in ("Supplies", "Consultant", "Subcontractor", "Utilities", "Service Providers"):
            self.ids["vendor_type"].append(self.add_list("VendorType", early(), {"Name": name}))
        self.ids["vendor_type"].append(
            self.add_list(
                "VendorType",
                early(),
                {"Name": "IT", "ParentRef": {"ListID": self.ids["vendor_type"][1]}},
            )
        )
        if prefs.class_tracking:
            for name, parent in (
                ("Admin", None),
                ("Operations", None),
                ("East", "Operations"),
                ("West", "Operations"),
                ("Sales", None),
                ("Online", "Sales"),
                ("Legacy Division", None),
            ):
                fields = {"Name": name}
                if parent:
                    fields["ParentRef"] = {"FullName": parent}
                self.ids["class"].append(self.add_list("Class", early(), fields))
        if prefs.multicurrency:
            for name, code, rate in (
                ("US Dollar", "USD", "1"),
                ("Canadian Dollar", "CAD", "0.74"),
                ("Euro", "EUR", "1.08"),
                ("British Pound Sterling", "GBP", "1.27"),
            ):
                self.ids["currency"].append(
                    self.add_list(
                        "Currency",
                        early(),
                        {
                            "Name": name,
                            "CurrencyCode": code,
                            "CurrencyFormat": {
                                "ThousandSeparator": "Comma",
                                "ThousandSeparatorGrouping": "XX_XXX_XXX",
                                "DecimalPlaces": "2",
                                "DecimalSeparator": "Period",
                            },
                            "IsUserDefinedCurrency": False,
                            "ExchangeRate": rate,
                            "AsOfDate": (day0 + timedelta(days=1)).isoformat(),
                        },
                    )
                )
        for name, taxable, desc in (("Tax", True, "Taxable Sales"), ("Non", False, "Non-Taxable")):
            self.ids["tax_code"].append(
                self.add_list(
                    "SalesTaxCode", early(), {"Name": name, "IsTaxable": taxable, "Desc": desc}
                )
            )
        self._other_names(early)
        self._vendors()
        self._customers()
        self._items(early)

    def _other_names(self, early: Callable[..., datetime]) -> None:
        for name in ("Owner's Draw", "State Franchise Tax Board", "Petty Cash Custodian"):
            self.ids["other_name"].append(self.add_list("OtherName", early(), {"Name": name}))

    def _unique(self, base: str, taken: set[str]) -> str:
        name = qb_text(base)[:41]
        counter = 2
        while name.lower() in taken:
            suffix = f" #{counter}"
            name = qb_text(base)[: 41 - len(suffix)] + suffix
            counter += 1
        taken.add(name.lower())
        return name

    def _vendors(self) -> None:
        rng = self.rng
        span = (self.end.date() - self.start.date()).days
        taken: set[str] = set()
        self.vendor_created: dict[str, date] = {}
        for index in range(self.p.vendors):
            name = self._unique(names.vendor_name(rng, index), taken)
            # Lists (accounts, items, customers) exist by day 20; vendors come later, so no
            # transaction references a record younger than itself.
            if index < 12 or rng.random() < 0.7:
                created_day = self.start.date() + timedelta(days=rng.randint(21, 60))
            else:
                created_day = self.start.date() + timedelta(days=rng.randint(21, int(span * 0.9)))
            first, last = names.person(rng)
            fields: dict[str, Any] = {
                "Name": name,
                "CompanyName": name,
                "FirstName": first,
                "LastName": last,
                "VendorAddress": names.address(rng, name),
                "Phone": f"({rng.randint(200, 999)}) 555-{rng.randint(0, 9999):04d}",
                "Email": f"ap{index}@vendor{index}.example.com",
                "Contact": f"{first} {last}",
                "NameOnCheck": name,
                "AccountNumber": f"ACCT-{rng.randint(1000, 999999)}",
                "VendorTypeRef": {"ListID": rng.choice(self.ids["vendor_type"])},
                "TermsRef": {"ListID": rng.choice(self.ids["terms"])},
                "IsVendorEligibleFor1099": rng.random() < 0.3,
            }
            if rng.random() < 0.4:
                fields["CreditLimit"] = money_cents(rng.randint(100_000, 5_000_000))
            if index % 5 == 0:
                # A public custom field (OwnerID 0), returned only when OwnerID 0 is asked for.
                fields["DataExtRet"] = [
                    {
                        "OwnerID": "0",
                        "DataExtName": "Vendor Code",
                        "DataExtType": "STR255TYPE",
                        "DataExtValue": f"V{index:05d}",
                    }
                ]
            if fields["IsVendorEligibleFor1099"]:
                fields["VendorTaxIdent"] = f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"
            if self.ids["currency"] and rng.random() < 0.15:
                fields["CurrencyRef"] = {"ListID": rng.choice(self.ids["currency"][1:])}
            elif self.ids["currency"]:
                fields["CurrencyRef"] = {"ListID": self.ids["currency"][0]}
            list_id = self.add_list("Vendor", self.at(created_day), fields)
            self.ids["vendor"].append(list_id)
            self.vendor_created[list_id] = created_day
        # Activity is skewed: a few vendors get most bills (Zipf-like weights).
        weights = [1.0 / (1 + (i % 97)) ** 0.8 for i in range(len(self.ids["vendor"]))]
        order = list(self.ids["vendor"])
        rng.shuffle(order)
        self.vendor_order = order
        self.vendor_cum: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.vendor_cum.append(total)

    def pick_vendor(self) -> str:
        point = self.rng.random() * self.vendor_cum[-1]
        return self.vendor_order[bisect.bisect_left(self.vendor_cum, point)]

    def _customers(self) -> None:
        rng = self.rng
        taken: set[str] = {n for n in self.c.tables["Vendor"].by_name}
        for index in range(self.p.customers):
            first, last = names.person(rng)
            base = f"{last}, {first}" if index % 3 else f"{rng.choice(names.ADJECTIVES)} Holdings"
            name = self._unique(base, taken)
            when = self.at(self.start.date() + timedelta(days=rng.randint(0, 14)))
            customer = self.add_list(
                "Customer",
                when,
                {"Name": name, "CompanyName": name, "BillAddress": names.address(rng, name)},
            )
            self.ids["customer"].append(customer)
            for job_index in range(rng.randint(0, 3)):
                job = self.add_list(
                    "Customer",
                    when + timedelta(days=job_index + 1),
                    {
                        "Name": names.JOB_NAMES[(index + job_index) % len(names.JOB_NAMES)],
                        "ParentRef": {"ListID": customer},
                        "JobStatus": rng.choice(("InProgress", "Awarded", "Closed", "Pending")),
                    },
                )
                self.ids["customer"].append(job)
                if job_index == 0 and rng.random() < 0.3:
                    self.ids["customer"].append(
                        self.add_list(
                            "Customer",
                            when + timedelta(days=5),
                            {"Name": "Change Order 1", "ParentRef": {"ListID": job}},
                        )
                    )

    def _items(self, early: Callable[..., datetime]) -> None:
        rng = self.rng
        n = self.p.items_per_type
        expense = self.ids["expense"]
        income = self.ids["income"][0]
        inventory = self.c.preferences.inventory

        def add(object_type: str, fields: dict[str, Any], role: str) -> str:
            list_id = self.add_list(object_type, early(rng.randint(0, 20)), fields)
            self.ids[role].append(list_id)
            return list_id

        for index in range(n):
            parent = add(
                "ItemService",
                {
                    "Name": f"Consulting {index + 1}" if index else "Consulting",
                    "SalesOrPurchase": {
                        "Desc": "Consulting services",
                        "Price": money_cents(rng.randint(5000, 30000)),
                        "AccountRef": {"ListID": rng.choice(expense)},
                    },
                },
                "item_purchase",
            )
            if index == 0:
                add(
                    "ItemService",
                    {
                        "Name": "Logo & Brand Design",
                        "ParentRef": {"ListID": parent},
                        "SalesAndPurchase": {
                            "SalesDesc": "Design work",
                            "SalesPrice": "850.00",
                            "IncomeAccountRef": {"ListID": income},
                            "PurchaseDesc": "Subcontracted design",
                            "PurchaseCost": "600.00",
                            "ExpenseAccountRef": {"ListID": rng.choice(expense)},
                        },
                    },
                    "item_purchase",
                )
            add(
                "ItemNonInventory",
                {
                    "Name": f"Office Chairs {index + 1}",
                    "ManufacturerPartNumber": f"CH-{rng.randint(100, 999)}",
                    "SalesOrPurchase": {
                        "Desc": 'Ergonomic chair, 24" seat',
                        "Price": money_cents(rng.randint(9000, 40000)),
                        "AccountRef": {"ListID": rng.choice(expense)},
                    },
                },
                "item_purchase",
            )
            add(
                "ItemOtherCharge",
                {
                    "Name": f"Freight {index + 1}",
                    "SalesOrPurchase": {
                        "Desc": "Freight & handling",
                        "Price": money_cents(rng.randint(1000, 9000)),
                        "AccountRef": {"ListID": rng.choice(expense)},
                    },
                },
                "item_purchase",
            )
            if inventory:
                widget = add(
                    "ItemInventory",
                    {
                        "Name": f"Widget A-{100 + index}",
                        "SalesDesc": "Widget",
                        "SalesPrice": money_cents(rng.randint(2000, 9000)),
                        "IncomeAccountRef": {"ListID": income},
                        "PurchaseDesc": "Widget (wholesale)",
                        "PurchaseCost": money_cents(rng.randint(500, 1900)),
                        "COGSAccountRef": {"ListID": self.ids["cogs"][0]},
                        "AssetAccountRef": {"ListID": self.ids["inventory"][0]},
                        "ReorderPoint": "10",
                        "QuantityOnHand": str(rng.randint(0, 500)),
                        "AverageCost": money_cents(rng.randint(500, 1900)),
                        "QuantityOnOrder": "0",
                        "QuantityOnSalesOrder": "0",
                    },
                    "item_inventory",
                )
                add(
                    "ItemInventoryAssembly",
                    {
                        "Name": f"Widget Kit {index + 1}",
                        "SalesPrice": money_cents(rng.randint(9000, 20000)),
                        "IncomeAccountRef": {"ListID": income},
                        "COGSAccountRef": {"ListID": self.ids["cogs"][0]},
                        "AssetAccountRef": {"ListID": self.ids["inventory"][0]},
                        "QuantityOnHand": str(rng.randint(0, 50)),
                        "ItemInventoryAssemblyLine": [
                            {"ItemInventoryRef": {"ListID": widget}, "Quantity": "4"}
                        ],
                    },
                    "item_other",
                )
            add(
                "ItemFixedAsset",
                {
                    "Name": f"Delivery Van {2015 + index}",
                    "AcquiredAs": "New",
                    "PurchaseDesc": "Ford Transit",
                    "PurchaseDate": self.start.date().isoformat(),
                    "PurchaseCost": money_cents(rng.randint(2_500_000, 4_500_000)),
                    "AssetAccountRef": {"ListID": self.ids["fixed"][0]},
                },
                "item_other",
            )
            add(
                "ItemSubtotal",
                {"Name": f"Subtotal {index + 1}", "ItemDesc": "Subtotal"},
                "item_other",
            )
            add(
                "ItemDiscount",
                {
                    "Name": f"Discount {index + 5}%",
                    "ItemDesc": "Volume discount",
                    "DiscountRatePercent": f"{index + 5}.0",
                    "AccountRef": {"ListID": income},
                },
                "item_other",
            )
            add(
                "ItemPayment",
                {
                    "Name": f"Check Payment {index + 1}",
                    "ItemDesc": "Payment by check",
                    "DepositToAccountRef": {"ListID": self.ids["bank"][0]},
                },
                "item_other",
            )
            tax = add(
                "ItemSalesTax",
                {
                    "Name": f"State Tax {index + 1}",
                    "ItemDesc": "State sales tax",
                    "TaxRate": "7.25",
                    "TaxVendorRef": {"ListID": self.ids["vendor"][index % len(self.ids["vendor"])]},
                },
                "item_tax",
            )
            add(
                "ItemSalesTaxGroup",
                {
                    "Name": f"Combined Tax {index + 1}",
                    "ItemDesc": "State + city",
                    "ItemSalesTaxRef": [{"ListID": tax}],
                },
                "item_other",
            )
            add(
                "ItemGroup",
                {
                    "Name": f"Starter Bundle {index + 1}",
                    "ItemDesc": "Bundle",
                    "IsPrintItemsInGroup": False,
                    "ItemGroupLine": [
                        {"ItemRef": {"ListID": self.ids["item_purchase"][-1]}, "Quantity": "1"}
                    ],
                },
                "item_other",
            )

    # --- transactions ------------------------------------------------------------------------
    def new_spec(self, kind: str, day: date, entity: str, created: datetime) -> TxnSpec:
        spec = TxnSpec(kind, wall_key(created), day, entity)
        self.specs.append(spec)
        return spec

    def amount(self) -> int:
        return max(500, min(5_000_000, int(self.rng.lognormvariate(9.6, 1.1))))

    def expense_lines(self, spec: TxnSpec, count: int) -> int:
        rng = self.rng
        total = 0
        classes = self.ids["class"]
        for _ in range(count):
            cents = self.amount()
            customer = self.pick(self.ids["customer"]) if rng.random() < 0.2 else ""
            klass = self.pick(classes) if classes and rng.random() < 0.5 else ""
            billable = self.pick(("Billable", "NotBillable", "HasBeenBilled"))
            memo = names.memo(rng) if rng.random() < 0.4 else ""
            spec.lines.append(
                ("E", self.pick(self.ids["expense"]), cents, memo, customer, klass, billable)
            )
            total += cents
        return total

    def item_lines(self, spec: TxnSpec, count: int, pool: list[str]) -> int:
        rng = self.rng
        total = 0
        classes = self.ids["class"]
        for _ in range(count):
            qty = self.uniform_int(1, 40)
            cost = self.uniform_int(300, 30000)
            customer = self.pick(self.ids["customer"]) if rng.random() < 0.1 else ""
            klass = self.pick(classes) if classes and rng.random() < 0.3 else ""
            desc = "Parts & supplies" if rng.random() < 0.5 else ""
            spec.lines.append(("I", self.pick(pool), qty, cost, qty * cost, customer, klass, desc))
            total += qty * cost
        return total

    def due_date(self, vendor_id: str, day: date) -> tuple[date, str]:
        vendor = self.c.tables["Vendor"].get(vendor_id)
        terms_id = vendor["TermsRef"]["ListID"] if vendor and vendor.get("TermsRef") else ""
        return self.c._due_date(day, terms_id or None), terms_id

    def transactions(self) -> None:
        rng = self.rng
        end_day = self.end.date() - timedelta(days=1)
        today = self.end.date()
        ap = self.ids["ap"][0]
        bills_by_vendor: dict[str, list[TxnSpec]] = defaultdict(list)
        item_pool = self.ids["item_purchase"] + self.ids["item_inventory"]
        ref_counter = 1000
        for _ in range(self.p.bills):
            vendor = self.pick_vendor()
            day = self.day_between(self.vendor_created[vendor], end_day)
            when = self.at(day)
            if rng.random() < 0.15:  # entered a few days after the bill date
                when = min(when + timedelta(days=rng.randint(1, 6)), self.at(end_day))
            spec = self.new_spec("Bill", day, vendor, when)
            spec.ap = ap
            ref_counter += rng.randint(1, 9)
            spec.ref = f"INV-{ref_counter}" if rng.random() < 0.85 else ""
            spec.memo = names.memo(rng) if rng.random() < 0.5 else ""
            total = self.expense_lines(spec, rng.choice((1, 1, 2, 2, 3, 4)))
            if rng.random() < 0.3:
                total += self.item_lines(spec, rng.randint(1, 2), item_pool)
            spec.total = spec.open = total
            due, terms = self.due_date(vendor, day)
            spec.extra["due"] = due.toordinal()
            spec.extra["terms"] = terms
            if self.ids["class"] and rng.random() < 0.2:
                spec.extra["class"] = rng.choice(self.ids["class"])
            bills_by_vendor[vendor].append(spec)
        if self.c.preferences.inventory:
            self._purchase_orders(bills_by_vendor, end_day, ap)
        self._payments(bills_by_vendor, today, ap)
        self._simple_txns(end_day)

    def _purchase_orders(
        self, bills_by_vendor: dict[str, list[TxnSpec]], end_day: date, ap: str
    ) -> None:
        rng = self.rng
        pool = self.ids["item_inventory"] + self.ids["item_purchase"]
        for number in range(self.p.purchase_orders):
            vendor = self.pick_vendor()
            day = self.day_between(self.vendor_created[vendor], end_day - timedelta(days=3))
            po = self.new_spec("PurchaseOrder", day, vendor, self.at(day))
            po.ref = f"PO-{5000 + number}"
            po.total = self.item_lines(po, rng.randint(1, 4), pool)
            po.extra["due"] = (day + timedelta(days=rng.randint(5, 30))).toordinal()
            if self.ids["class"] and rng.random() < 0.3:
                po.extra["class"] = rng.choice(self.ids["class"])
            fate = rng.random()
            receive_day = min(day + timedelta(days=rng.randint(2, 25)), end_day)
            if fate < 0.6:  # billed straight from the PO
                bill = self.new_spec("Bill", receive_day, vendor, self.at(receive_day))
                bill.ap = ap
                bill.ref = f"INV-P{number}"
                bill.lines = list(po.lines)
                bill.total = bill.open = po.total
                due, terms = self.due_date(vendor, receive_day)
                bill.extra["due"] = due.toordinal()
                bill.extra["terms"] = terms
                bill.links.append((po, "QUANTYPE", -po.total))
                po.links.append((bill, "QUANTYPE", -po.total))
                po.extra.update(received=True, billed=True)
                po.modified = max(po.modified, bill.created)
                bills_by_vendor[vendor].append(bill)
            elif fate < 0.8:  # received on an item receipt first
                receipt = self.new_spec("ItemReceipt", receive_day, vendor, self.at(receive_day))
                receipt.ap = ap
                receipt.ref = f"RCV-{number}"
                receipt.lines = list(po.lines)
                receipt.total = po.total
                receipt.links.append((po, "QUANTYPE", -po.total))
                po.links.append((receipt, "QUANTYPE", -po.total))
                po.extra["received"] = True
                po.modified = max(po.modified, receipt.created)
            elif fate < 0.9:
                po.extra["closed"] = True
        for number in range(self.p.item_receipts):
            vendor = self.pick_vendor()
            day = self.day_between(self.vendor_created[vendor], end_day)
            receipt = self.new_spec("ItemReceipt", day, vendor, self.at(day))
            receipt.ap = ap
            receipt.ref = f"RCV-S{number}"
            receipt.total = self.item_lines(receipt, rng.randint(1, 3), pool)

    def _payments(self, bills_by_vendor: dict[str, list[TxnSpec]], today: date, ap: str) -> None:
        rng = self.rng
        # Vendor credits first, so that some can be applied inside later bill payments.
        credits_by_vendor: dict[str, list[TxnSpec]] = defaultdict(list)
        vendors_with_bills = sorted(bills_by_vendor)
        for number in range(self.p.vendor_credits):
            vendor = rng.choice(vendors_with_bills)
            day = self.day_between(self.vendor_created[vendor], today - timedelta(days=1))
            credit = self.new_spec("VendorCredit", day, vendor, self.at(day))
            credit.ap = ap
            credit.ref = f"CM-{700 + number}"
            credit.memo = "Returned goods" if rng.random() < 0.5 else ""
            credit.total = credit.open = self.expense_lines(credit, 1) // 4 + 100
            # expense line amount must match the credit total
            kind, account, _, memo, customer, klass, billable = credit.lines[0]
            credit.lines[0] = (kind, account, credit.total, memo, customer, klass, billable)
            credits_by_vendor[vendor].append(credit)
        banks = self.ids["bank"]
        cards = self.ids["card"]
        check_number = 10000
        paid_so_far = 0
        for vendor in vendors_with_bills:
            bills = sorted(bills_by_vendor[vendor], key=lambda s: (s.date, s.created))
            plan: list[tuple[date, TxnSpec, int]] = []
            for bill in bills:
                bill_day = date.fromordinal(bill.date)
                age = (today - bill_day).days
                roll = rng.random()
                if age > 45:
                    fate = "full" if roll < 0.93 else "partial" if roll < 0.97 else "open"
                elif age > 15:
                    fate = "full" if roll < 0.5 else "partial" if roll < 0.6 else "open"
                else:
                    fate = "full" if roll < 0.15 else "open"
                paid_so_far += 1
                if fate == "full" and paid_so_far % 17 == 5:
                    fate = "partial"  # every profile, even tiny, has partially paid bills
                if fate == "open":
                    continue
                due = date.fromordinal(bill.extra["due"])
                pay_day = due + timedelta(days=rng.randint(-7, 5))
                pay_day = max(bill_day, min(pay_day, today - timedelta(days=1)))
                amount = bill.total if fate == "full" else bill.total * rng.randint(30, 70) // 100
                plan.append((pay_day, bill, amount))
            plan.sort(key=lambda p: (p[0], p[1].created))
            open_credits = list(credits_by_vendor.get(vendor, []))
            group: list[tuple[date, TxnSpec, int]] = []
            for item in [*plan, None]:
                if (
                    item is not None
                    and group
                    and (item[0] - group[0][0]).days <= 5
                    and len(group) < 3
                ):
                    group.append(item)
                    continue
                if group:
                    check_number = self._make_payment(
                        group, open_credits, vendor, ap, banks, cards, check_number
                    )
                group = [item] if item is not None else []

    def _make_payment(
        self,
        group: list[tuple[date, TxnSpec, int]],
        open_credits: list[TxnSpec],
        vendor: str,
        ap: str,
        banks: list[str],
        cards: list[str],
        check_number: int,
    ) -> int:
        rng = self.rng
        pay_day = max(p[0] for p in group)
        by_card = rng.random() < 0.2
        kind = "BillPaymentCreditCard" if by_card else "BillPaymentCheck"
        created = self.at(pay_day, 9, 17)
        created = max(
            created, *(datetime(1970, 1, 1) + timedelta(seconds=b.created) for _, b, _ in group)
        )
        payment = self.new_spec(kind, pay_day, vendor, created)
        payment.ap = ap
        payment.account = rng.choice(cards) if by_card else banks[0]
        if not by_card:
            check_number += 1
            payment.ref = str(check_number)
        total = 0
        for _, bill, amount in group:
            credits: list[tuple[TxnSpec, int]] = []
            for credit in list(open_credits):
                if credit.date <= pay_day.toordinal() and 0 < credit.open <= amount // 2:
                    credits.append((credit, credit.open))
                    credit.links.append((bill, "AMTTYPE", -credit.open))
                    bill.links.append((credit, "AMTTYPE", -credit.open))
                    amount -= credit.open
                    bill.open -= credit.open
                    credit.open = 0
                    credit.modified = max(credit.modified, payment.created)
                    open_credits.remove(credit)
                    break
            bill.open -= amount
            payment.applied.append((bill, amount, bill.open, credits))
            bill.links.append((payment, "AMTTYPE", -amount))
            # See company._apply_to_bill: a payment re-saves the bill (guess).
            bill.modified = max(bill.modified, payment.created)
            total += amount
        payment.total = total
        return check_number

    def _simple_txns(self, end_day: date) -> None:
        rng = self.rng
        banks = self.ids["bank"]
        cards = self.ids["card"]
        payees = self.ids["vendor"]
        check_number = 5000
        for _ in range(self.p.checks):
            vendor = self.pick_vendor()
            payee = rng.choice(self.ids["other_name"]) if rng.random() < 0.1 else vendor
            start = self.vendor_created.get(payee, self.start.date())
            day = self.day_between(start, end_day)
            spec = self.new_spec("Check", day, payee, self.at(day))
            spec.account = banks[0] if rng.random() < 0.9 else banks[-1]
            check_number += 1
            spec.ref = str(check_number)
            spec.memo = names.memo(rng) if rng.random() < 0.3 else ""
            spec.total = self.expense_lines(spec, rng.randint(1, 3))
        for kind, count in (
            ("CreditCardCharge", self.p.card_charges),
            ("CreditCardCredit", self.p.card_credits),
        ):
            for number in range(count):
                vendor = (
                    payees[rng.randrange(len(payees))] if rng.random() < 0.3 else self.pick_vendor()
                )
                day = self.day_between(self.vendor_created[vendor], end_day)
                spec = self.new_spec(kind, day, vendor, self.at(day))
                spec.account = rng.choice(cards)
                spec.ref = f"CC{number:05d}" if rng.random() < 0.5 else ""
                spec.total = self.expense_lines(spec, rng.randint(1, 2))

    # --- numbering and storing ---------------------------------------------------------------
    def finish(self) -> None:
        rng = self.rng
        company = self.c
        clock = company.clock
        end_key = wall_key(self.end)
        # A few records are edited again later (memo fixes, re-saves).
        for spec in self.specs:
            if rng.random() < 0.06:
                spec.modified = min(
                    end_key, max(spec.modified, spec.created) + rng.randint(3600, 40 * 86400)
                )
            spec.modified = max(spec.modified, spec.created)
        self.specs.sort(key=lambda s: (s.created, s.date))
        names_by_id = {list_id: company.display_name(list_id) or "" for list_id in company.owner_of}
        addresses = {
            list_id: dict(company.tables["Vendor"].rows[list_id]["VendorAddress"])
            for list_id in self.ids["vendor"]
        }
        currency_of: dict[str, tuple[str, str]] = {}
        if company.preferences.multicurrency:
            for list_id in self.ids["vendor"]:
                vendor = company.tables["Vendor"].rows[list_id]
                currency_id = vendor["CurrencyRef"]["ListID"]
                rate = company.tables["Currency"].rows[currency_id]["ExchangeRate"]
                currency_of[list_id] = (currency_id, rate)

        epoch = clock.epoch_seconds_of_key

        builder = Builder(names_by_id, addresses, clock, currency_of)
        balances: dict[str, int] = defaultdict(int)
        counters = company.counters
        for spec in self.specs:
            counters.txn_n += 1
            counters.txn_number += 1
            counters.seq += 1
            created_epoch = epoch(spec.created)
            spec.txn_id = f"{counters.txn_n:X}-{created_epoch}"
            spec.number = counters.txn_number
            spec.seq = counters.seq
            spec.extra["edit_sequence"] = epoch(spec.modified)
            for _ in spec.lines:
                counters.txn_n += 1  # lines share the TxnID counter (see company.new_line_id)
                spec.line_ids.append(f"{counters.txn_n:X}-{created_epoch}")
            if spec.kind == "Bill":
                balances[spec.entity] += spec.open
            elif spec.kind == "VendorCredit":
                balances[spec.entity] -= spec.open
        for object_type in set(_TXN_TYPE_OF_KIND.values()):
            company.tables[object_type].builder = builder
        for spec in self.specs:
            table = company.tables[spec.kind]
            accounts = tuple(line[1] for line in spec.lines if line[0] == "E")
            meta = RowMeta(
                seq=spec.seq,
                modified=spec.modified,
                txn_date=spec.date,
                entity=spec.entity,
                ref_number=spec.ref,
                accounts=(spec.ap, spec.account, *accounts)
                if spec.ap or spec.account
                else accounts,
                is_paid=(spec.open == 0) if spec.kind == "Bill" else None,
            )
            table.insert_lazy(spec.txn_id, spec, meta)
            company.owner_of[spec.txn_id] = spec.kind
        for table in company.tables.values():
            table.finish_bulk_load()
        for vendor_id, cents in balances.items():
            company.tables["Vendor"].rows[vendor_id]["Balance"] = money_cents(cents)
        ap_balance = sum(balances.values())
        ap_account = company.tables["Account"].rows[self.ids["ap"][0]]
        ap_account["Balance"] = ap_account["TotalBalance"] = money_cents(ap_balance)

    def deletions_and_edits(self) -> None:
        """Make some list records inactive or renamed late, and log deletions (old and recent)."""
        rng = self.rng
        company = self.c
        end = self.end
        vendors = self.ids["vendor"]
        for index, vendor in enumerate(vendors):
            if index >= 12 and rng.random() < 0.08:
                when = end - timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86399))
                created = datetime.combine(self.vendor_created[vendor], datetime.min.time())
                company.clock.set(max(when, created + timedelta(days=1)))
                company.make_inactive("Vendor", vendor)
        company.clock.set(end - timedelta(days=rng.randint(100, 300)))
        company.make_inactive("Account", self.ids["expense_old"][0])
        if self.ids["class"]:
            company.make_inactive("Class", self.ids["class"][-1])
        # Deleted records: spread over the last 200 days, so some are beyond the 90-day horizon.
        deleted_count = max(6, self.p.bills // 200)
        for index in range(deleted_count):
            when = end - timedelta(days=rng.randint(0, 200), seconds=rng.randint(0, 86399))
            created = when - timedelta(days=rng.randint(1, 300))
            company.clock.set(created)
            is_txn = index % 3 != 0
            if is_txn:
                object_id = company.new_txn_id(created)
                del_type = rng.choice(("Bill", "Bill", "Check", "BillPaymentCheck", "VendorCredit"))
                label = f"DEL-{index}"
            else:
                object_id = company.new_list_id(created)
                del_type = rng.choice(("Vendor", "Account", "ItemService"))
                label = f"Deleted {del_type} {index}"
            company.deleted.append(
                DeletedEntry(
                    is_txn=is_txn,
                    del_type=del_type,
                    object_id=object_id,
                    time_created=company.clock.stamp(created),
                    deleted_at=when,
                    name=label,
                )
            )
        company.deleted.sort(key=lambda d: d.deleted_at)
        company.clock.set(end)


def money_cents(cents: int) -> str:
    return _cents(cents)


def generate_company(
    *,
    seed: int,
    profile: str | Profile,
    company_name: str,
    start: datetime | None,
    preferences: Preferences,
    dst_offset_quirk: bool,
) -> CompanyFile:
    chosen = PROFILES[profile] if isinstance(profile, str) else profile
    begin = (start or datetime(2022, 6, 14, 9, 30)).replace(tzinfo=None, microsecond=0)
    clock = QBClock(begin, dst_offset_quirk=dst_offset_quirk)
    company = CompanyFile(
        company_name=company_name,
        preferences=preferences,
        clock=clock,
        seed=seed,
        profile=chosen.name,
    )
    company.info = company_info(company_name)
    rng = random.Random(f"{seed}:{chosen.name}:{preferences}")
    generator = _Generator(company, rng, chosen)
    generator.lists()
    generator.transactions()
    generator.finish()
    generator.deletions_and_edits()
    return company

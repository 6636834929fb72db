"""The state every record-family generator shares, and the helpers they draw with.

One :class:`GenContext` per generated company: the company being filled, the one
``random.Random`` that drives everything (same seed -> same company, byte for byte), the profile,
the time span, the ListIDs made so far by role, and the transactions planned so far
(:class:`TxnSpec`, stored lazily when the generation finishes).
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from .. import names
from ..company_data import CompanyData, qb_text
from ..qbclock import wall_key
from ..record_writes import add_list_record
from ..txn_writes import due_date
from .profiles import Profile


def money_cents(cents: int) -> str:
    """Integer cents as qbXML amount text ("-12.05")."""
    sign = "-" if cents < 0 else ""
    value = abs(cents)
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


class GenContext:
    """What the record-family generators share while one company is generated."""

    def __init__(self, company: CompanyData, rng: random.Random, profile: Profile) -> None:
        self.c = company
        self.rng = rng
        self.p = profile
        self.start = company.clock.now
        self.end = self.start + timedelta(days=365 * profile.years)
        self.ids: dict[str, list[str]] = defaultdict(list)  # role -> ListIDs
        self.specs: list[TxnSpec] = []
        self.vendor_created: dict[str, date] = {}
        self.vendor_order: list[str] = []
        self.vendor_cum: list[float] = []
        # Bills per vendor: the payment generator pays them (and purchase orders add some).
        self.bills_by_vendor: dict[str, list[TxnSpec]] = defaultdict(list)

    # --- time and choice helpers ---------------------------------------------------------------
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
        return str(add_list_record(self.c, object_type, fields)["ListID"])

    def early(self, offset_days: int = 0) -> datetime:
        """A time on day ``offset_days`` of the company's history (lists exist by day 20)."""
        return self.at(self.start.date() + timedelta(days=offset_days))

    def unique_name(self, base: str, taken: set[str]) -> str:
        name = qb_text(base)[:41]
        counter = 2
        while name.lower() in taken:
            suffix = f" #{counter}"
            name = qb_text(base)[: 41 - len(suffix)] + suffix
            counter += 1
        taken.add(name.lower())
        return name

    def pick_vendor(self) -> str:
        point = self.rng.random() * self.vendor_cum[-1]
        return self.vendor_order[bisect.bisect_left(self.vendor_cum, point)]

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

    def vendor_due_date(self, vendor_id: str, day: date) -> tuple[date, str]:
        """Due date of a bill dated ``day`` under the vendor's terms, and those terms."""
        vendor = self.c.tables["Vendor"].get(vendor_id)
        terms_id = vendor["TermsRef"]["ListID"] if vendor and vendor.get("TermsRef") else ""
        return due_date(self.c, day, terms_id or None), terms_id

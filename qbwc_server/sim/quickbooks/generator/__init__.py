"""Deterministic company-file generator: realistic accounts-payable data over several years.

Same ``(seed, profile, options)`` → same company, byte for byte (one ``random.Random`` drives
everything; nothing depends on wall-clock time or hash order).

A generation runs the record-family generators of :data:`FAMILIES` in order, each one function
of the shared :class:`~.context.GenContext`: lists are built through the company's own rules
(:func:`~..record_writes.add_list_record`) with the clock set to each record's creation time;
transactions are planned (dates, vendors, lines, which bills get paid by which payments,
credits, POs). Then :mod:`.storing` numbers the transactions in creation order and stores them
*lazily* (an immutable :class:`~.context.TxnSpec` that :class:`~.ret_builder.Builder` turns
into a Ret-shaped dict on first access), which keeps the ``large`` profile (≥ 10,000 vendors,
≥ 200,000 AP transactions) well under a minute to build.

Adding a record type to the simulator: write its generator function (and, for a transaction
type, a ``_build_<Type>`` in :mod:`.ret_builder`) and register it in :data:`FAMILIES` — at the
end, so the companies of existing seeds do not change.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from ..company_data import CompanyData
from ..hcp import company_info
from . import entities, items, lists, transactions
from .context import GenContext, money_cents
from .profiles import PROFILES, Profile, profile_named
from .storing import deletions_and_edits, store_transactions

__all__ = [
    "FAMILIES",
    "PROFILES",
    "Profile",
    "history_start",
    "money_cents",
    "populate",
    "profile_named",
]

Family = Callable[[GenContext], None]

# The record-family generators, in the order they run (the order draws from the one random
# stream, so it is part of what a seed means: append, never reorder).
FAMILIES: tuple[tuple[str, Family], ...] = (
    ("accounts", lists.chart_of_accounts),
    ("terms", lists.terms),
    ("vendor types", lists.vendor_types),
    ("classes", lists.classes),
    ("currencies", lists.currencies),
    ("sales tax codes", lists.sales_tax_codes),
    ("other names", lists.other_names),
    ("vendors", entities.vendors),
    ("customers", entities.customers),
    ("items", items.items),
    ("bills", transactions.bills),
    ("purchase orders and item receipts", transactions.purchase_orders),
    ("vendor credits and bill payments", transactions.payments),
    ("checks", transactions.checks),
    ("credit card charges and credits", transactions.card_charges_and_credits),
)

DEFAULT_HISTORY_START = datetime(2022, 6, 14, 9, 30)


def history_start(start: datetime | None) -> datetime:
    """The first moment of a generated company's history (naive, whole seconds)."""
    return (start or DEFAULT_HISTORY_START).replace(tzinfo=None, microsecond=0)


def populate(company: CompanyData, profile: Profile) -> None:
    """Fill an empty company (its clock at the history's start) with ``profile``'s data, drawn
    from the company's seed and preferences."""
    company.info = company_info(company.company_name)
    rng = random.Random(f"{company.seed}:{profile.name}:{company.preferences}")
    context = GenContext(company, rng, profile)
    for _name, generate in FAMILIES:
        generate(context)
    store_transactions(context)
    deletions_and_edits(context)

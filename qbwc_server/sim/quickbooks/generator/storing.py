"""The end of a generation: numbering and storing the planned transactions, then the late edits
(inactive records) and the deletion log.

Transactions are numbered in creation order (TxnID, TxnNumber and line IDs from the company's
counters, as QuickBooks would have handed them out) and stored lazily (:mod:`.ret_builder`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from ..company_data import DeletedEntry
from ..qbclock import wall_key
from ..record_writes import make_inactive
from ..store import RowMeta
from .context import GenContext, money_cents
from .ret_builder import TXN_TYPE_OF_KIND, Builder


def store_transactions(g: GenContext) -> None:
    """Number every planned transaction, store it lazily, and set vendor and A/P balances."""
    rng = g.rng
    company = g.c
    clock = company.clock
    end_key = wall_key(g.end)
    # A few records are edited again later (memo fixes, re-saves).
    for spec in g.specs:
        if rng.random() < 0.06:
            spec.modified = min(
                end_key, max(spec.modified, spec.created) + rng.randint(3600, 40 * 86400)
            )
        spec.modified = max(spec.modified, spec.created)
    g.specs.sort(key=lambda s: (s.created, s.date))
    names_by_id = {list_id: company.display_name(list_id) or "" for list_id in company.owner_of}
    addresses = {
        list_id: dict(company.tables["Vendor"].rows[list_id]["VendorAddress"])
        for list_id in g.ids["vendor"]
    }
    currency_of: dict[str, tuple[str, str]] = {}
    if company.preferences.multicurrency:
        for list_id in g.ids["vendor"]:
            vendor = company.tables["Vendor"].rows[list_id]
            currency_id = vendor["CurrencyRef"]["ListID"]
            rate = company.tables["Currency"].rows[currency_id]["ExchangeRate"]
            currency_of[list_id] = (currency_id, rate)

    epoch = clock.epoch_seconds_of_key

    builder = Builder(names_by_id, addresses, clock, currency_of)
    balances: dict[str, int] = defaultdict(int)
    counters = company.counters
    for spec in g.specs:
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
    for object_type in set(TXN_TYPE_OF_KIND.values()):
        company.tables[object_type].builder = builder
    for spec in g.specs:
        table = company.tables[spec.kind]
        accounts = tuple(line[1] for line in spec.lines if line[0] == "E")
        meta = RowMeta(
            seq=spec.seq,
            modified=spec.modified,
            txn_date=spec.date,
            entity=spec.entity,
            ref_number=spec.ref,
            accounts=(spec.ap, spec.account, *accounts) if spec.ap or spec.account else accounts,
            is_paid=(spec.open == 0) if spec.kind == "Bill" else None,
        )
        table.insert_lazy(spec.txn_id, spec, meta)
        company.owner_of[spec.txn_id] = spec.kind
    for table in company.tables.values():
        table.finish_bulk_load()
    for vendor_id, cents in balances.items():
        company.tables["Vendor"].rows[vendor_id]["Balance"] = money_cents(cents)
    ap_balance = sum(balances.values())
    ap_account = company.tables["Account"].rows[g.ids["ap"][0]]
    ap_account["Balance"] = ap_account["TotalBalance"] = money_cents(ap_balance)


def deletions_and_edits(g: GenContext) -> None:
    """Make some list records inactive late, and log deletions (old and recent)."""
    """Make some list records inactive or renamed late, and log deletions (old and recent)."""
    rng = g.rng
    company = g.c
    end = g.end
    vendors = g.ids["vendor"]
    for index, vendor in enumerate(vendors):
        if index >= 12 and rng.random() < 0.08:
            when = end - timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86399))
            created = datetime.combine(g.vendor_created[vendor], datetime.min.time())
            company.clock.set(max(when, created + timedelta(days=1)))
            make_inactive(company, "Vendor", vendor)
    company.clock.set(end - timedelta(days=rng.randint(100, 300)))
    make_inactive(company, "Account", g.ids["expense_old"][0])
    if g.ids["class"]:
        make_inactive(company, "Class", g.ids["class"][-1])
    # Deleted records: spread over the last 200 days, so some are beyond the 90-day horizon.
    deleted_count = max(6, g.p.bills // 200)
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

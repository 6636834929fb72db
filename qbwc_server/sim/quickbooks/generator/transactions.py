"""Generators of the AP transactions: bills, purchase orders and item receipts, vendor credits
and bill payments, checks, credit-card charges and credits.

They only *plan* transactions (:class:`~.context.TxnSpec`: dates, vendors, lines, which bills
which payments pay); :mod:`.storing` numbers and stores them once all are planned.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from .. import names
from .context import GenContext, TxnSpec


def _end_day(g: GenContext) -> date:
    """The last day a generated transaction may carry (the day before the clock ends)."""
    return g.end.date() - timedelta(days=1)


def bills(g: GenContext) -> None:
    """Bills: most vendors get a few, some many; some entered days after their date."""
    rng = g.rng
    end_day = _end_day(g)
    ap = g.ids["ap"][0]
    bills_by_vendor = g.bills_by_vendor
    item_pool = g.ids["item_purchase"] + g.ids["item_inventory"]
    ref_counter = 1000
    for _ in range(g.p.bills):
        vendor = g.pick_vendor()
        day = g.day_between(g.vendor_created[vendor], end_day)
        when = g.at(day)
        if rng.random() < 0.15:  # entered a few days after the bill date
            when = min(when + timedelta(days=rng.randint(1, 6)), g.at(end_day))
        spec = g.new_spec("Bill", day, vendor, when)
        spec.ap = ap
        ref_counter += rng.randint(1, 9)
        spec.ref = f"INV-{ref_counter}" if rng.random() < 0.85 else ""
        spec.memo = names.memo(rng) if rng.random() < 0.5 else ""
        total = g.expense_lines(spec, rng.choice((1, 1, 2, 2, 3, 4)))
        if rng.random() < 0.3:
            total += g.item_lines(spec, rng.randint(1, 2), item_pool)
        spec.total = spec.open = total
        due, terms = g.vendor_due_date(vendor, day)
        spec.extra["due"] = due.toordinal()
        spec.extra["terms"] = terms
        if g.ids["class"] and rng.random() < 0.2:
            spec.extra["class"] = rng.choice(g.ids["class"])
        bills_by_vendor[vendor].append(spec)


def purchase_orders(g: GenContext) -> None:
    """Purchase orders (only with inventory on), billed or received on an item receipt or left
    open, and item receipts without an order."""
    if not g.c.preferences.inventory:
        return
    bills_by_vendor = g.bills_by_vendor
    end_day = _end_day(g)
    ap = g.ids["ap"][0]
    rng = g.rng
    pool = g.ids["item_inventory"] + g.ids["item_purchase"]
    for number in range(g.p.purchase_orders):
        vendor = g.pick_vendor()
        day = g.day_between(g.vendor_created[vendor], end_day - timedelta(days=3))
        po = g.new_spec("PurchaseOrder", day, vendor, g.at(day))
        po.ref = f"PO-{5000 + number}"
        po.total = g.item_lines(po, rng.randint(1, 4), pool)
        po.extra["due"] = (day + timedelta(days=rng.randint(5, 30))).toordinal()
        if g.ids["class"] and rng.random() < 0.3:
            po.extra["class"] = rng.choice(g.ids["class"])
        fate = rng.random()
        receive_day = min(day + timedelta(days=rng.randint(2, 25)), end_day)
        if fate < 0.6:  # billed straight from the PO
            bill = g.new_spec("Bill", receive_day, vendor, g.at(receive_day))
            bill.ap = ap
            bill.ref = f"INV-P{number}"
            bill.lines = list(po.lines)
            bill.total = bill.open = po.total
            due, terms = g.vendor_due_date(vendor, receive_day)
            bill.extra["due"] = due.toordinal()
            bill.extra["terms"] = terms
            bill.links.append((po, "QUANTYPE", -po.total))
            po.links.append((bill, "QUANTYPE", -po.total))
            po.extra.update(received=True, billed=True)
            po.modified = max(po.modified, bill.created)
            bills_by_vendor[vendor].append(bill)
        elif fate < 0.8:  # received on an item receipt first
            receipt = g.new_spec("ItemReceipt", receive_day, vendor, g.at(receive_day))
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
    for number in range(g.p.item_receipts):
        vendor = g.pick_vendor()
        day = g.day_between(g.vendor_created[vendor], end_day)
        receipt = g.new_spec("ItemReceipt", day, vendor, g.at(day))
        receipt.ap = ap
        receipt.ref = f"RCV-S{number}"
        receipt.total = g.item_lines(receipt, rng.randint(1, 3), pool)


def payments(g: GenContext) -> None:
    """Vendor credits, then bill payments (by check or card) paying bills fully or partly,
    grouped per vendor, some applying a vendor credit."""
    bills_by_vendor = g.bills_by_vendor
    today = g.end.date()
    ap = g.ids["ap"][0]
    rng = g.rng
    # Vendor credits first, so that some can be applied inside later bill payments.
    credits_by_vendor: dict[str, list[TxnSpec]] = defaultdict(list)
    vendors_with_bills = sorted(bills_by_vendor)
    for number in range(g.p.vendor_credits):
        vendor = rng.choice(vendors_with_bills)
        day = g.day_between(g.vendor_created[vendor], today - timedelta(days=1))
        credit = g.new_spec("VendorCredit", day, vendor, g.at(day))
        credit.ap = ap
        credit.ref = f"CM-{700 + number}"
        credit.memo = "Returned goods" if rng.random() < 0.5 else ""
        credit.total = credit.open = g.expense_lines(credit, 1) // 4 + 100
        # expense line amount must match the credit total
        kind, account, _, memo, customer, klass, billable = credit.lines[0]
        credit.lines[0] = (kind, account, credit.total, memo, customer, klass, billable)
        credits_by_vendor[vendor].append(credit)
    banks = g.ids["bank"]
    cards = g.ids["card"]
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
            if item is not None and group and (item[0] - group[0][0]).days <= 5 and len(group) < 3:
                group.append(item)
                continue
            if group:
                check_number = _make_payment(
                    g, group, open_credits, vendor, ap, banks, cards, check_number
                )
            group = [item] if item is not None else []


def _make_payment(
    g: GenContext,
    group: list[tuple[date, TxnSpec, int]],
    open_credits: list[TxnSpec],
    vendor: str,
    ap: str,
    banks: list[str],
    cards: list[str],
    check_number: int,
) -> int:
    rng = g.rng
    pay_day = max(p[0] for p in group)
    by_card = rng.random() < 0.2
    kind = "BillPaymentCreditCard" if by_card else "BillPaymentCheck"
    created = g.at(pay_day, 9, 17)
    created = max(
        created, *(datetime(1970, 1, 1) + timedelta(seconds=b.created) for _, b, _ in group)
    )
    payment = g.new_spec(kind, pay_day, vendor, created)
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
        # See txn_writes.apply_to_bill: a payment re-saves the bill (guess).
        bill.modified = max(bill.modified, payment.created)
        total += amount
    payment.total = total
    return check_number


def checks(g: GenContext) -> None:
    """Checks written to vendors (and a few to other names)."""
    end_day = _end_day(g)
    rng = g.rng
    banks = g.ids["bank"]
    check_number = 5000
    for _ in range(g.p.checks):
        vendor = g.pick_vendor()
        payee = rng.choice(g.ids["other_name"]) if rng.random() < 0.1 else vendor
        start = g.vendor_created.get(payee, g.start.date())
        day = g.day_between(start, end_day)
        spec = g.new_spec("Check", day, payee, g.at(day))
        spec.account = banks[0] if rng.random() < 0.9 else banks[-1]
        check_number += 1
        spec.ref = str(check_number)
        spec.memo = names.memo(rng) if rng.random() < 0.3 else ""
        spec.total = g.expense_lines(spec, rng.randint(1, 3))


def card_charges_and_credits(g: GenContext) -> None:
    """Credit-card charges and credits."""
    rng = g.rng
    cards = g.ids["card"]
    payees = g.ids["vendor"]
    end_day = _end_day(g)
    for kind, count in (
        ("CreditCardCharge", g.p.card_charges),
        ("CreditCardCredit", g.p.card_credits),
    ):
        for number in range(count):
            vendor = payees[rng.randrange(len(payees))] if rng.random() < 0.3 else g.pick_vendor()
            day = g.day_between(g.vendor_created[vendor], end_day)
            spec = g.new_spec(kind, day, vendor, g.at(day))
            spec.account = rng.choice(cards)
            spec.ref = f"CC{number:05d}" if rng.random() < 0.5 else ""
            spec.total = g.expense_lines(spec, rng.randint(1, 2))

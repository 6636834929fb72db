"""Generators of the name lists: vendors (with their activity weights) and customers with jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import names
from .context import GenContext, money_cents


def vendors(g: GenContext) -> None:
    """Vendors created over the company's history; a few of them get most of the bills."""
    rng = g.rng
    span = (g.end.date() - g.start.date()).days
    taken: set[str] = set()
    for index in range(g.p.vendors):
        name = g.unique_name(names.vendor_name(rng, index), taken)
        # Lists (accounts, items, customers) exist by day 20; vendors come later, so no
        # transaction references a record younger than itself.
        if index < 12 or rng.random() < 0.7:
            created_day = g.start.date() + timedelta(days=rng.randint(21, 60))
        else:
            created_day = g.start.date() + timedelta(days=rng.randint(21, int(span * 0.9)))
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
            "VendorTypeRef": {"ListID": rng.choice(g.ids["vendor_type"])},
            "TermsRef": {"ListID": rng.choice(g.ids["terms"])},
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
        if g.ids["currency"] and rng.random() < 0.15:
            fields["CurrencyRef"] = {"ListID": rng.choice(g.ids["currency"][1:])}
        elif g.ids["currency"]:
            fields["CurrencyRef"] = {"ListID": g.ids["currency"][0]}
        list_id = g.add_list("Vendor", g.at(created_day), fields)
        g.ids["vendor"].append(list_id)
        g.vendor_created[list_id] = created_day
    # Activity is skewed: a few vendors get most bills (Zipf-like weights).
    weights = [1.0 / (1 + (i % 97)) ** 0.8 for i in range(len(g.ids["vendor"]))]
    order = list(g.ids["vendor"])
    rng.shuffle(order)
    g.vendor_order = order
    g.vendor_cum = []
    total = 0.0
    for weight in weights:
        total += weight
        g.vendor_cum.append(total)


def customers(g: GenContext) -> None:
    """Customers, some with jobs and sub-jobs (they appear on billable expense lines)."""
    rng = g.rng
    taken: set[str] = {n for n in g.c.tables["Vendor"].by_name}
    for index in range(g.p.customers):
        first, last = names.person(rng)
        base = f"{last}, {first}" if index % 3 else f"{rng.choice(names.ADJECTIVES)} Holdings"
        name = g.unique_name(base, taken)
        when = g.at(g.start.date() + timedelta(days=rng.randint(0, 14)))
        customer = g.add_list(
            "Customer",
            when,
            {"Name": name, "CompanyName": name, "BillAddress": names.address(rng, name)},
        )
        g.ids["customer"].append(customer)
        for job_index in range(rng.randint(0, 3)):
            job = g.add_list(
                "Customer",
                when + timedelta(days=job_index + 1),
                {
                    "Name": names.JOB_NAMES[(index + job_index) % len(names.JOB_NAMES)],
                    "ParentRef": {"ListID": customer},
                    "JobStatus": rng.choice(("InProgress", "Awarded", "Closed", "Pending")),
                },
            )
            g.ids["customer"].append(job)
            if job_index == 0 and rng.random() < 0.3:
                g.ids["customer"].append(
                    g.add_list(
                        "Customer",
                        when + timedelta(days=5),
                        {"Name": "Change Order 1", "ParentRef": {"ListID": job}},
                    )
                )

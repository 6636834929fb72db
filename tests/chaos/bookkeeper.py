"""What a bookkeeper does in a company's QuickBooks between two sessions of the chaos run."""

from __future__ import annotations

import random
from datetime import timedelta

from qbwc_server.sim.quickbooks import CompanyFile
from tests.sync.helpers import qb_local_now

EDIT_ACTIONS = ("edit_vendor", "add_vendor", "add_bill", "inactivate", "delete_bill")


def edit_quickbooks(
    company: CompanyFile, rng: random.Random, tag: int, actions: tuple[str, ...] = EDIT_ACTIONS
) -> list[str]:
    """One to three things a bookkeeper does in QuickBooks between two syncs (never touching
    what the write-backs created, so their ExternalGUIDs stay countable). Returns what was
    done."""
    clock = company.clock
    clock.set(max(clock.now, qb_local_now()))
    clock.advance(timedelta(seconds=1))
    today = clock.now.date().isoformat()
    ours = lambda r: bool(r.get("ExternalGUID"))  # noqa: E731
    vendors = [v for v in company.records("Vendor") if v.get("IsActive", True) and not ours(v)]
    expense = [a for a in company.records("Account") if a["AccountType"] == "Expense"]
    done: list[str] = []
    for _ in range(rng.randint(1, 3)):
        action = rng.choice(actions)
        if action == "edit_vendor" and vendors:
            company.edit(
                "Vendor", rng.choice(vendors)["ListID"], {"Phone": f"555-{rng.randint(1000, 9999)}"}
            )
        elif action == "add_vendor":
            company.add("Vendor", {"Name": f"Walk-in Vendor {tag}-{rng.randint(1, 10**9)}"})
        elif action == "add_bill" and vendors and expense:
            company.add(
                "Bill",
                {
                    "VendorRef": {"ListID": rng.choice(vendors)["ListID"]},
                    "TxnDate": today,
                    "RefNumber": f"QB-{rng.randint(1, 10**6)}",
                    "ExpenseLineRet": [
                        {"AccountRef": {"ListID": rng.choice(expense)["ListID"]}, "Amount": "42.00"}
                    ],
                },
            )
        elif action == "inactivate" and len(vendors) > 3:
            victim = vendors.pop(rng.randrange(len(vendors)))
            company.make_inactive("Vendor", victim["ListID"])
        elif action == "delete_bill":
            lonely = [b for b in company.records("Bill") if not b.get("LinkedTxn") and not ours(b)]
            if not lonely:
                continue
            company.delete("Bill", rng.choice(lonely)["TxnID"])
        else:
            continue
        done.append(action)
    return done

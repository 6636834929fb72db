"""Generators of the company's lists: chart of accounts, terms, vendor types, classes,
currencies, sales tax codes and other names (vendors, customers and items have their own modules).

Each is one function of the :class:`~.context.GenContext`; :mod:`.registry` runs them in order.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .context import GenContext, money_cents


def chart_of_accounts(g: GenContext) -> None:
    """The accounts an AP company uses (some as sub-accounts), plus the profile's extra ones."""
    rng = g.rng
    prefs = g.c.preferences
    account = g.ids
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
        list_id = g.add_list("Account", g.early(), fields)
        by_name[name] = list_id
        account[role].append(list_id)
    expense_parents = list(account["expense"])
    for index in range(g.p.extra_accounts):
        parent = expense_parents[index % len(expense_parents)]
        list_id = g.add_list(
            "Account",
            g.early(rng.randint(0, 20)),
            {
                "Name": f"Dept {index + 1:03d} Expense",
                "ParentRef": {"ListID": parent},
                "AccountType": "Expense",
                "AccountNumber": str(6000 + index),
            },
        )
        account["expense"].append(list_id)


def terms(g: GenContext) -> None:
    """Standard terms (Net 15/30/60, due on receipt, 2% 10 Net 30) and one date-driven term."""
    for name, days in (("Net 15", 15), ("Net 30", 30), ("Net 60", 60), ("Due on receipt", 0)):
        g.ids["terms"].append(
            g.add_list(
                "StandardTerms",
                g.early(),
                {"Name": name, "StdDueDays": days, "StdDiscountDays": 0},
            )
        )
    g.ids["terms"].append(
        g.add_list(
            "StandardTerms",
            g.early(),
            {
                "Name": "2% 10 Net 30",
                "StdDueDays": 30,
                "StdDiscountDays": 10,
                "DiscountPct": "2.0",
            },
        )
    )
    g.ids["terms"].append(
        g.add_list(
            "DateDrivenTerms",
            g.early(),
            {"Name": "15th of next month", "DayOfMonthDue": 15, "DueNextMonthDays": 5},
        )
    )


def vendor_types(g: GenContext) -> None:
    for name in ("Supplies", "Consultant", "Subcontractor", "Utilities", "Service Providers"):
        g.ids["vendor_type"].append(g.add_list("VendorType", g.early(), {"Name": name}))
    g.ids["vendor_type"].append(
        g.add_list(
            "VendorType",
            g.early(),
            {"Name": "IT", "ParentRef": {"ListID": g.ids["vendor_type"][1]}},
        )
    )


def classes(g: GenContext) -> None:
    """Classes, some nested (only when class tracking is on)."""
    prefs = g.c.preferences
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
            fields: dict[str, Any] = {"Name": name}
            if parent:
                fields["ParentRef"] = {"FullName": parent}
            g.ids["class"].append(g.add_list("Class", g.early(), fields))


def currencies(g: GenContext) -> None:
    """Home and foreign currencies (only when multicurrency is on)."""
    prefs = g.c.preferences
    if prefs.multicurrency:
        for name, code, rate in (
            ("US Dollar", "USD", "1"),
            ("Canadian Dollar", "CAD", "0.74"),
            ("Euro", "EUR", "1.08"),
            ("British Pound Sterling", "GBP", "1.27"),
        ):
            g.ids["currency"].append(
                g.add_list(
                    "Currency",
                    g.early(),
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
                        "AsOfDate": (g.start.date() + timedelta(days=1)).isoformat(),
                    },
                )
            )


def sales_tax_codes(g: GenContext) -> None:
    for name, taxable, desc in (("Tax", True, "Taxable Sales"), ("Non", False, "Non-Taxable")):
        g.ids["tax_code"].append(
            g.add_list(
                "SalesTaxCode", g.early(), {"Name": name, "IsTaxable": taxable, "Desc": desc}
            )
        )


def other_names(g: GenContext) -> None:
    for name in ("Owner's Draw", "State Franchise Tax Board", "Petty Cash Custodian"):
        g.ids["other_name"].append(g.add_list("OtherName", g.early(), {"Name": name}))

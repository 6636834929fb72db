"""Generator of the item list: every item type QuickBooks has, ``items_per_type`` of each."""

from __future__ import annotations

from typing import Any

from .context import GenContext, money_cents


def items(g: GenContext) -> None:
    """Service, non-inventory, other-charge, inventory (when on), fixed-asset, subtotal, discount,
    payment, sales-tax, tax-group and group items."""
    rng = g.rng
    n = g.p.items_per_type
    expense = g.ids["expense"]
    income = g.ids["income"][0]
    inventory = g.c.preferences.inventory

    def add(object_type: str, fields: dict[str, Any], role: str) -> str:
        list_id = g.add_list(object_type, g.early(rng.randint(0, 20)), fields)
        g.ids[role].append(list_id)
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
                    "COGSAccountRef": {"ListID": g.ids["cogs"][0]},
                    "AssetAccountRef": {"ListID": g.ids["inventory"][0]},
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
                    "COGSAccountRef": {"ListID": g.ids["cogs"][0]},
                    "AssetAccountRef": {"ListID": g.ids["inventory"][0]},
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
                "PurchaseDate": g.start.date().isoformat(),
                "PurchaseCost": money_cents(rng.randint(2_500_000, 4_500_000)),
                "AssetAccountRef": {"ListID": g.ids["fixed"][0]},
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
                "DepositToAccountRef": {"ListID": g.ids["bank"][0]},
            },
            "item_other",
        )
        tax = add(
            "ItemSalesTax",
            {
                "Name": f"State Tax {index + 1}",
                "ItemDesc": "State sales tax",
                "TaxRate": "7.25",
                "TaxVendorRef": {"ListID": g.ids["vendor"][index % len(g.ids["vendor"])]},
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
                    {"ItemRef": {"ListID": g.ids["item_purchase"][-1]}, "Quantity": "1"}
                ],
            },
            "item_other",
        )

"""The seed profiles: how much of each record family a generated company holds (data only)."""

from __future__ import annotations

from dataclasses import dataclass


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


def profile_named(profile: str | Profile) -> Profile:
    """The profile itself, or the one registered under that name (KeyError if none)."""
    return PROFILES[profile] if isinstance(profile, str) else profile

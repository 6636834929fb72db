"""The generator is deterministic and its output is pinned: same seed + profile → same bytes.

The digests below were taken before the generator was split into record-family modules (issue
10) and must not change when the code is reorganised. A deliberate change of the generated data
(a new family appended, a new field) updates them, and says so in its commit.
"""

from __future__ import annotations

from typing import Any

import pytest

from qbwc_server.sim.quickbooks import CompanyFile
from tests.sim.company_digest import company_digest

PINNED: list[tuple[str, dict[str, Any], str]] = [
    ("tiny", {}, "589f2aa7c5e0c65b0d15350fe19a00a61bbd763272ace21bd62386ede618e264"),
    (
        "tiny",
        {"multicurrency": True, "inventory": False},
        "d5770e8d7db0fb87df8ff28b9293ef134a73b471cdd0d44451598b4b30f89c4d",
    ),
    ("small", {}, "6156efaaf318c2d3f14037baf9471223b595c292e0f53dd063c99a3215c9ec3f"),
    (
        "small",
        {"multicurrency": True, "inventory": False},
        "ac7eefa92b85f91b7e7e20dfe6298e5bbf9464040165602cdca0b572f05c42c6",
    ),
]


@pytest.mark.parametrize(("profile", "options", "digest"), PINNED)
def test_generated_company_is_byte_identical(
    profile: str, options: dict[str, Any], digest: str
) -> None:
    company = CompanyFile.generate(seed=7, profile=profile, **options)
    assert company_digest(company) == digest


def test_the_digest_sees_a_change() -> None:
    company = CompanyFile.generate(seed=7, profile="tiny")
    before = company_digest(CompanyFile.generate(seed=7, profile="tiny"))
    vendor = next(iter(company.tables["Vendor"].ids()))
    company.tables["Vendor"].rows[vendor]["Phone"] = "(555) 555-0000"
    assert company_digest(company) != before
    assert company_digest(CompanyFile.generate(seed=8, profile="tiny")) != before

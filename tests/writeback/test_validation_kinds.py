"""Each operation kind validates its payload (writeback/kinds/); the vendor an operation names
is checked in one place (Checker.vendor_ref) with the schema's limit for a vendor's name."""

from __future__ import annotations

from typing import Any

import pytest

from qbwc_server.qbxml.writes import MAX_LENGTHS
from qbwc_server.writeback.kinds import KINDS
from qbwc_server.writeback.validation import PayloadInvalid, validate_operation
from tests.storage.helpers import new_company

LONG_NAME = "V" * (MAX_LENGTHS["VendorAdd"]["Name"] + 1)
NAMES_A_VENDOR = ("vendor.update", "bill.create", "bill_payment.check.create",
                  "bill_payment.credit_card.create")  # fmt: skip


def test_every_kind_is_registered_under_its_name() -> None:
    assert list(KINDS) == [
        "vendor.create",
        "vendor.update",
        "bill.create",
        "bill_payment.check.create",
        "bill_payment.credit_card.create",
    ]
    for name, kind in KINDS.items():
        assert kind.name == name and kind.request in MAX_LENGTHS and kind.not_saved


@pytest.mark.parametrize("op_type", NAMES_A_VENDOR)
def test_a_vendor_name_past_the_schema_limit_is_refused_the_same_way(db: Any, op_type: str) -> None:
    company_id = new_company(db)
    with db.transaction() as s, pytest.raises(PayloadInvalid) as refused:
        validate_operation(s, company_id, op_type, {"vendor": {"full_name": LONG_NAME}})
    errors = {e.field: e.message for e in refused.value.errors}
    assert errors["payload.vendor.full_name"] == (
        f"payload.vendor.full_name is {len(LONG_NAME)} characters long; QuickBooks allows "
        f"{len(LONG_NAME) - 1}"
    )


@pytest.mark.parametrize("op_type", NAMES_A_VENDOR)
def test_an_unknown_vendor_is_named_in_the_error(db: Any, op_type: str) -> None:
    company_id = new_company(db)
    with db.transaction() as s, pytest.raises(PayloadInvalid) as refused:
        validate_operation(s, company_id, op_type, {"vendor": {"full_name": "Nobody"}})
    errors = {e.field: e.message for e in refused.value.errors}
    assert "no vendor 'Nobody' in the synced QuickBooks data" in errors["payload.vendor"]

"""The qbXML the write-back sends, checked against the Intuit XSDs (13.0 and 16.0)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from lxml import etree

from qbwc_server.qbxml.status import StatusPolicy
from qbwc_server.writeback import requests
from qbwc_server.writeback.kinds import KINDS
from qbwc_server.writeback.kinds.base import WriteArgs
from tests.writeback.support import validate_requests

Schema = Callable[[str], etree.XMLSchema]
GUID = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"
REF = {"list_id": "80000001-1655232760"}


def resolve(ref: Mapping[str, Any], key: str) -> str:
    value = ref.get(key) or ref.get("list_id")
    if not value:
        raise requests.Unresolved(key)
    return str(value)


PAYLOADS: dict[str, dict[str, Any]] = {
    "vendor.create": {
        "name": "A & B <Supplies>",
        "company_name": "A&B",
        "first_name": "Ann",
        "last_name": "Bee",
        "email": "a@b.example",
        "phone": "555",
        "address": {"addr1": "1 Main", "city": "Town", "state": "CA", "postal_code": "94000"},
        "terms": REF,
        "account_number": "42",
        "tax_id": "123",
        "is_1099": True,
    },
    "vendor.update": {"vendor": REF, "email": "", "address": {"addr2": "Suite 5"}, "name": "Z"},
    "bill.create": {
        "vendor": REF,
        "ap_account": REF,
        "txn_date": "2024-06-01",
        "due_date": "2024-06-30",
        "ref_number": "INV-1",
        "terms": REF,
        "memo": "Café",
        "expense_lines": [
            {"account": REF, "amount": "1.00", "memo": "m", "class": REF, "customer": REF}
        ],
        "item_lines": [
            {"item": REF, "quantity": "2", "cost": "1.5", "memo": "d", "class": REF},
            {"item": REF, "amount": "3.00", "customer": REF},
        ],
    },
    "bill_payment.check.create": {
        "vendor": REF,
        "bank_account": REF,
        "ap_account": REF,
        "txn_date": "2024-06-02",
        "memo": "x",
        "applied_to": [
            {"bill": {"txn_id": "1-2"}, "amount": "1.00"},
            {
                "bill": {"txn_id": "1-3"},
                "amount": "2.00",
                "discount_amount": "0.10",
                "discount_account": REF,
            },
        ],
    },
    "bill_payment.credit_card.create": {
        "vendor": REF,
        "credit_card_account": REF,
        "ref_number": "CC-1",
        "applied_to": [{"bill": {"txn_id": "1-2"}, "amount": "1.00"}],
    },
}


@pytest.mark.parametrize("version", ["13.0", "16.0"])
def test_every_document_validates(qbxml_schema: Schema, version: str) -> None:
    docs = []
    for op_type, payload in PAYLOADS.items():
        kind = KINDS[op_type]
        builder = kind.write_request(payload, WriteArgs("wb1-1", GUID, resolve, "123"))
        msid = requests.new_message_set_id()
        assert len(msid) <= 23
        docs.append(requests.send_document(builder, version=version, message_set_id=msid))
        if kind.is_add:
            docs.append(
                kind.marker_lookup(payload, version=version, request_id="wl1-1", resolve=resolve)
            )
    docs.append(requests.recovery_document(version, "W0123456789abcdef012345"))
    docs.append(requests.vendor_by_id(version, "wr1", "80000001-1655232760"))
    for record_type in ("vendors", "bills", "bill_payment_checks", "bill_payment_credit_cards"):
        docs.append(requests.read_back(version, "wf1", record_type, "1-2"))
    assert validate_requests(docs, qbxml_schema) == len(docs) == 15
    check = docs[5]
    assert "<IsToBePrinted>false</IsToBePrinted>" in check  # neither given: not printed
    assert "&amp; B &lt;Supplies&gt;" in docs[0] and "Caf&#233;" in docs[3]
    assert f"<ExternalGUID>{GUID}</ExternalGUID>" in docs[0]


def test_message_set_ids_differ() -> None:
    assert len({requests.new_message_set_id() for _ in range(100)}) == 100


def test_vendor_update_needs_an_edit_sequence() -> None:
    with pytest.raises(requests.Unresolved):
        KINDS["vendor.update"].write_request(
            PAYLOADS["vendor.update"], WriteArgs("r", GUID, resolve)
        )


def test_every_kind_says_what_was_not_saved() -> None:
    assert set(PAYLOADS) == set(KINDS), "a kind without a request test"
    for kind in KINDS.values():
        words = kind.failure_words(StatusPolicy.BAD_REFERENCE, "(QuickBooks 3140: ...)")
        assert words.startswith(f"{kind.not_saved}. Something it refers to")
        assert words.endswith("(QuickBooks 3140: ...)")

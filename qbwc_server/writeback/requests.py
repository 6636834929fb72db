"""qbXML for the write-back: the Add/Mod request of an operation, the error-recovery status
check, the marker lookups and the read-backs.

Every write goes alone in its own message set with ``newMessageSetID`` (§6.2: SDK error
recovery), ``stopOnError`` and the operation's ExternalGUID stamped on the record. Builders come
from ``qbxml/writes.py`` and ``qbxml/queries.py`` (schema-ordered; tests validate every document
against the 13.0 and 16.0 XSDs).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from qbwc_server.qbxml.document import MESSAGE_SET_ID_MAX_LENGTH, build_document
from qbwc_server.qbxml.queries import ListQuery, ListSelector, TxnQuery
from qbwc_server.qbxml.schema_order import Address, Ref, version_tuple
from qbwc_server.qbxml.writes import (
    AppliedToTxn,
    BillAdd,
    BillPaymentCheckAdd,
    BillPaymentCreditCardAdd,
    ExpenseLine,
    ItemLine,
    VendorAdd,
    VendorMod,
)
from qbwc_server.records.queries import CUSTOM_FIELDS_OWNER, by_ids_query, read_document
from qbwc_server.records.types import record_type
from qbwc_server.writeback.catalog import KINDS

# Resolves a reference of the resolved payload ({"list_id"}, {"txn_id"} or {"operation_id"})
# to the QuickBooks id; raises Unresolved when a dependency has no result.
Resolve = Callable[[Mapping[str, Any], str], str]

# What a marker lookup asks for (small: the lookup only needs to recognise the marker).
LOOKUP_ELEMENTS = ("TxnID", "EditSequence", "ExternalGUID", "TxnDate", "RefNumber", "TxnNumber")


class Unresolved(Exception):
    """A reference cannot be turned into a QuickBooks id (a dependency without a result)."""


def new_message_set_id() -> str:
    """A fresh ``newMessageSetID`` (≤ 23 characters, §6.2), random so that an id QuickBooks
    still remembers from an earlier database can never be mistaken for this send."""
    value = "W" + secrets.token_hex(11)
    assert len(value) <= MESSAGE_SET_ID_MAX_LENGTH
    return value


def _ref(resolve: Resolve, ref: Mapping[str, Any] | None) -> Ref | None:
    if not ref:
        return None
    # §6.7: write by ListID; names change, ids do not.
    return Ref(list_id=resolve(ref, "list_id"))


def _address(data: Mapping[str, Any] | None) -> Address | None:
    if not data:
        return None
    return Address(**{k: v for k, v in data.items() if v is not None})


def _vendor_common(r: Mapping[str, Any], resolve: Resolve) -> dict[str, Any]:
    return {
        "company_name": r.get("company_name"),
        "first_name": r.get("first_name"),
        "last_name": r.get("last_name"),
        "vendor_address": _address(r.get("address")),
        "phone": r.get("phone"),
        "email": r.get("email"),
        "account_number": r.get("account_number"),
        "terms_ref": _ref(resolve, r.get("terms")),
        "vendor_tax_ident": r.get("tax_id"),
        "is_vendor_eligible_for_1099": r.get("is_1099"),
    }


def _applied(r: Mapping[str, Any], resolve: Resolve) -> list[AppliedToTxn]:
    return [
        AppliedToTxn(
            txn_id=resolve(entry["bill"], "txn_id"),
            payment_amount=entry.get("amount"),
            discount_amount=entry.get("discount_amount"),
            discount_account_ref=_ref(resolve, entry.get("discount_account")),
        )
        for entry in r.get("applied_to", [])
    ]


def write_request(
    op_type: str,
    r: Mapping[str, Any],
    *,
    request_id: str,
    external_guid: str,
    resolve: Resolve,
    edit_sequence: str | None = None,
) -> Any:
    """The builder object for an operation's Add/Mod request."""
    if op_type == "vendor.create":
        return VendorAdd(
            name=r["name"],
            external_guid=external_guid,
            request_id=request_id,
            **_vendor_common(r, resolve),
        )
    if op_type == "vendor.update":
        if not edit_sequence:
            raise Unresolved("the vendor's EditSequence is not known")
        return VendorMod(
            list_id=resolve(r["vendor"], "list_id"),
            edit_sequence=edit_sequence,
            name=r.get("name"),
            request_id=request_id,
            **_vendor_common(r, resolve),
        )
    if op_type == "bill.create":
        return BillAdd(
            vendor_ref=Ref(list_id=resolve(r["vendor"], "list_id")),
            ap_account_ref=_ref(resolve, r.get("ap_account")),
            txn_date=r.get("txn_date"),
            due_date=r.get("due_date"),
            ref_number=r.get("ref_number"),
            terms_ref=_ref(resolve, r.get("terms")),
            memo=r.get("memo"),
            external_guid=external_guid,
            expense_lines=[
                ExpenseLine(
                    account_ref=_ref(resolve, line.get("account")),
                    amount=line.get("amount"),
                    memo=line.get("memo"),
                    customer_ref=_ref(resolve, line.get("customer")),
                    class_ref=_ref(resolve, line.get("class")),
                )
                for line in r.get("expense_lines", [])
            ],
            item_lines=[
                ItemLine(
                    item_ref=_ref(resolve, line.get("item")),
                    desc=line.get("memo"),
                    quantity=line.get("quantity"),
                    cost=line.get("cost"),
                    amount=line.get("amount"),
                    customer_ref=_ref(resolve, line.get("customer")),
                    class_ref=_ref(resolve, line.get("class")),
                )
                for line in r.get("item_lines", [])
            ],
            request_id=request_id,
        )
    if op_type == "bill_payment.check.create":
        printed = r.get("is_to_be_printed")
        ref_number = r.get("ref_number")
        if ref_number is not None:
            printed = None  # schema choice: IsToBePrinted | RefNumber, exactly one
        elif printed is None:
            printed = False
        return BillPaymentCheckAdd(
            payee_entity_ref=Ref(list_id=resolve(r["vendor"], "list_id")),
            bank_account_ref=Ref(list_id=resolve(r["bank_account"], "list_id")),
            applied_to=_applied(r, resolve),
            ap_account_ref=_ref(resolve, r.get("ap_account")),
            txn_date=r.get("txn_date"),
            is_to_be_printed=printed,
            ref_number=ref_number,
            memo=r.get("memo"),
            external_guid=external_guid,
            request_id=request_id,
        )
    if op_type == "bill_payment.credit_card.create":
        return BillPaymentCreditCardAdd(
            payee_entity_ref=Ref(list_id=resolve(r["vendor"], "list_id")),
            credit_card_account_ref=Ref(list_id=resolve(r["credit_card_account"], "list_id")),
            applied_to=_applied(r, resolve),
            ap_account_ref=_ref(resolve, r.get("ap_account")),
            txn_date=r.get("txn_date"),
            ref_number=r.get("ref_number"),
            memo=r.get("memo"),
            external_guid=external_guid,
            request_id=request_id,
        )
    raise ValueError(f"unknown operation type {op_type!r}")


def send_document(builder: Any, *, version: str, message_set_id: str) -> str:
    """One write, alone in its message set, with error recovery on (§6.2)."""
    return build_document(
        [builder], version=version, on_error="stopOnError", new_message_set_id=message_set_id
    )


def recovery_document(version: str, message_set_id: str) -> str:
    """The SDK status check (Intuit sample ErrRecovery2): no requests, ``oldMessageSetID`` names
    the message set to report on, and the same ``newMessageSetID`` keeps QuickBooks' record of
    it, so a status check whose own answer is lost can be asked again.

    Written here because ``build_document`` requires at least one request; the XSD allows an
    empty ``QBXMLMsgsRq`` (minOccurs 0)."""
    version_tuple(version)
    if not message_set_id or len(message_set_id) > MESSAGE_SET_ID_MAX_LENGTH:
        raise ValueError("bad message set id")
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq")
    msgs.set("onError", "continueOnError")
    msgs.set("oldMessageSetID", message_set_id)
    msgs.set("newMessageSetID", message_set_id)
    body = etree.tostring(root, encoding="us-ascii").decode("ascii")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'


def vendor_by_name(version: str, request_id: str, name: str) -> str:
    query = ListQuery(
        kind="Vendor", request_id=request_id, full_names=[name], owner_ids=[CUSTOM_FIELDS_OWNER]
    )
    return build_document([query], version=version, on_error="continueOnError")


def vendor_by_id(version: str, request_id: str, list_id: str) -> str:
    return read_back(version, request_id, "vendors", list_id)


def marker_lookup(
    op_type: str, r: Mapping[str, Any], *, version: str, request_id: str, resolve: Resolve
) -> str:
    """Candidates that may carry our ExternalGUID. There is no query filter on ExternalGUID, so
    ask for the vendor's records (of the transaction date, when the payload fixes it) and only
    the few elements needed to recognise the marker (IncludeRetElement, §6.6)."""
    kind = KINDS[op_type]
    if kind.qb_object == "Vendor":
        return vendor_by_name(version, request_id, r["name"])
    txn_date = r.get("txn_date")
    query = TxnQuery(
        kind=kind.qb_object,
        request_id=request_id,
        entity_filter=ListSelector(list_ids=[resolve(r["vendor"], "list_id")]),
        txn_date_from=txn_date,
        txn_date_to=txn_date,
        include_ret_elements=LOOKUP_ELEMENTS,
    )
    return build_document([query], version=version, on_error="continueOnError")


def read_back(version: str, request_id: str, record_type_name: str, object_id: str) -> str:
    """Fetch one record by id shaped like the read sync's pages (records/queries.py), so the
    row stored now equals what the sync would store (storage skips an unchanged
    EditSequence)."""
    query = by_ids_query(record_type(record_type_name), request_id, [object_id])
    return read_document([query], version)

"""Every record type, from realistic records (the fake QuickBooks company written as qbXML and
read back by our parser), and the declared mappings checked against the Intuit XSD."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from models import QbTxnLine, QbTxnLink
from models.records import ListRecord, TxnRecord
from qbwc_server.records.read import count_records, get_record
from qbwc_server.records.rows import iter_lines
from qbwc_server.records.store import UpsertResult, upsert_records
from qbwc_server.records.types import (
    COMMON_LIST,
    COMMON_TXN,
    RECORD_TYPES,
    TYPE_FOR_DEL_TYPE,
    TYPE_FOR_RET_TAG,
    ret_tags,
)
from tests.qbxml.xsd_tools import facts_model
from tests.storage.helpers import SIM_TYPES, in_tx, new_company, sim_records

PINNED_TYPES = [
    *("accounts", "vendors", "vendor_types", "standard_terms", "date_driven_terms", "classes"),
    *("items", "customers", "other_names", "currencies", "sales_tax_codes", "bills"),
    *("bill_payment_checks", "bill_payment_credit_cards", "vendor_credits", "checks"),
    *("credit_card_charges", "credit_card_credits", "purchase_orders", "item_receipts"),
]


def test_the_pinned_type_names() -> None:
    # The names are the read API's contract; their order is the sync's work order.
    assert sorted(RECORD_TYPES) == sorted(PINNED_TYPES)
    assert set(SIM_TYPES) == set(PINNED_TYPES)


def _get(s: Any, *, cid: int, type_name: str, object_id: str) -> dict[str, Any] | None:
    return get_record(s, cid, type_name, object_id)


def test_every_type_stores_realistic_records(db: Any) -> None:
    cid = new_company(db)
    for type_name in PINNED_TYPES:
        _check_type(db, cid, type_name)


def _check_type(db: Any, cid: int, type_name: str) -> None:
    records = sim_records(type_name)
    assert records, f"the simulated company has no {type_name}"
    result = in_tx(db, lambda s: upsert_records(s, cid, type_name, records))
    assert result == UpsertResult(inserted=len(records))
    assert in_tx(db, lambda s: count_records(s, cid, type_name)) == len(records)
    replay = in_tx(db, lambda s: upsert_records(s, cid, type_name, records))
    assert replay == UpsertResult(unchanged=len(records))

    rt = RECORD_TYPES[type_name]
    for tag, data in records[:5]:
        view = in_tx(
            db, functools.partial(_get, cid=cid, type_name=type_name, object_id=data[rt.id_key])
        )
        assert view is not None
        assert view["qb"] == data
        assert view["edit_sequence"] == data["EditSequence"]
        assert view["time_modified"] == data["TimeModified"]
        if rt.is_list:
            assert view["list_id"] == data["ListID"]
            assert view["full_name"] == data.get("FullName", data["Name"])
            assert view["is_active"] is (data.get("IsActive", "true") == "true")
            if type_name == "items":
                assert view["item_type"] == tag[4:-3]
        else:
            assert view["txn_id"] == data["TxnID"]
            assert view["txn_date"] == data["TxnDate"]
            entity = data.get("VendorRef") or data.get("PayeeEntityRef")
            assert view["vendor_list_id"] == (entity["ListID"] if entity else None)
            assert view["amount"] is not None and Decimal(view["amount"]) >= 0
            assert len(view["lines"]) == len(list(iter_lines(rt, data)))

    if not rt.is_list:
        stored_lines = in_tx(
            db,
            lambda s: s.scalar(
                select(func.count()).where(
                    QbTxnLine.company_id == cid, QbTxnLine.record_type == type_name
                )
            ),
        )
        assert stored_lines == sum(len(list(iter_lines(rt, d))) for _, d in records)
        stored_links = in_tx(
            db,
            lambda s: s.scalar(
                select(func.count()).where(
                    QbTxnLink.company_id == cid, QbTxnLink.record_type == type_name
                )
            ),
        )
        expected_links = sum(
            len(d.get("LinkedTxn", [])) + len(d.get("AppliedToTxnRet", [])) for _, d in records
        )
        assert stored_links == expected_links


def test_bill_amounts_match_their_lines(db: Any) -> None:
    cid = new_company(db)
    bills = sim_records("bills")
    in_tx(db, lambda s: upsert_records(s, cid, "bills", bills))
    for _, data in bills[:20]:
        view = in_tx(
            db, functools.partial(_get, cid=cid, type_name="bills", object_id=data["TxnID"])
        )
        assert view is not None
        top_level = [ln for ln in view["lines"] if ln["parent_txn_line_id"] is None]
        assert sum(Decimal(ln["amount"]) for ln in top_level) == Decimal(view["amount"])
        assert view["open_amount"] == data["OpenAmount"]
        assert view["is_paid"] is (data["IsPaid"] == "true")


def test_ret_tags_and_deleted_types() -> None:
    assert ret_tags("vendors") == ("VendorRet",)
    assert "ItemServiceRet" in ret_tags("items") and "ItemGroupRet" in ret_tags("items")
    assert TYPE_FOR_RET_TAG["ItemInventoryAssemblyRet"] == "items"
    assert TYPE_FOR_DEL_TYPE["Vendor"] == "vendors"
    assert TYPE_FOR_DEL_TYPE["ItemService"] == "items"
    assert TYPE_FOR_DEL_TYPE["Bill"] == "bills"
    assert TYPE_FOR_DEL_TYPE["BillPaymentCheck"] == "bill_payment_checks"
    assert TYPE_FOR_DEL_TYPE["StandardTerms"] == "standard_terms"


def test_every_model_column_is_fed_by_a_field() -> None:
    bookkeeping = {
        "id",
        "company_id",
        "time_modified_utc",
        "is_deleted",
        "time_deleted",
        "deleted_at",
        "synced_at",
        "qb",
    }
    fed: dict[str, set[str]] = {
        name: {f.column for f in rt.fields} | ({"item_type"} if name == "items" else set())
        for name, rt in RECORD_TYPES.items()
    }
    for name, rt in RECORD_TYPES.items():
        table_columns = {c.name for c in rt.table.columns}
        assert fed[name] <= table_columns, f"{name}: fields without a column"
        mixin = ListRecord if rt.is_list else TxnRecord
        shared = {c for c in table_columns if hasattr(mixin, c)}
        own = table_columns - shared - bookkeeping
        assert own <= fed[name], f"{name}: columns nothing fills: {own - fed[name]}"
    for mixin, kind in ((ListRecord, "list"), (TxnRecord, "txn")):
        shared = {
            c.name
            for c in RECORD_TYPES["vendors" if kind == "list" else "bills"].table.columns
            if hasattr(mixin, c.name)
        } - bookkeeping
        union = set().union(*(fed[n] for n, rt in RECORD_TYPES.items() if rt.kind == kind))
        assert shared <= union, f"{kind} columns nothing fills: {shared - union}"


@pytest.fixture(scope="module")
def xsd16() -> Any:
    """qbXML 16.0 content models from the facts generated into the project."""
    return facts_model("16.0")


def _resolves(xsd: Any, path: str) -> bool:
    try:
        xsd.resolve(path)
    except KeyError:
        return False
    return True


def test_mappings_name_real_xsd_elements(xsd16: Any) -> None:
    """Every Ret tag exists and every field path resolves in at least one of the type's Ret
    elements of the qbXML 16.0 schema — a typo would silently leave a column empty. (Fields
    shared by all lists or all transactions, like FullName, need to exist in one of them.)"""
    tags_of_kind = {
        kind: [t for rt in RECORD_TYPES.values() if rt.kind == kind for t in rt.ret_tags]
        for kind in ("list", "txn")
    }
    for name, rt in RECORD_TYPES.items():
        for tag in rt.ret_tags:
            assert xsd16.has_element(tag), tag
        for field in rt.fields:
            shared = field in COMMON_LIST or field in COMMON_TXN
            tags = tags_of_kind[rt.kind] if shared else rt.ret_tags
            for path in field.paths:
                joined = "/".join(path)
                assert any(_resolves(xsd16, f"{tag}/{joined}") for tag in tags), (
                    f"{name}.{field.column}: {joined} is in none of {tags}"
                )


def test_line_and_link_elements_exist(xsd16: Any) -> None:
    for path in (
        "BillRet/ExpenseLineRet/AccountRef",
        "BillRet/ExpenseLineRet/CustomerRef",
        "BillRet/ExpenseLineRet/BillableStatus",
        "BillRet/ItemLineRet/ItemRef",
        "BillRet/ItemLineRet/Cost",
        "BillRet/ItemGroupLineRet/ItemGroupRef",
        "BillRet/ItemGroupLineRet/TotalAmount",
        "BillRet/ItemGroupLineRet/ItemLineRet",
        "PurchaseOrderRet/PurchaseOrderLineRet/Rate",
        "PurchaseOrderRet/PurchaseOrderLineGroupRet/PurchaseOrderLineRet",
        "BillRet/LinkedTxn/LinkType",
        "BillPaymentCheckRet/AppliedToTxnRet/BalanceRemaining",
        "BillPaymentCheckRet/AppliedToTxnRet/DiscountAmount",
        "BillPaymentCheckRet/AppliedToTxnRet/DiscountAccountRef",
    ):
        assert _resolves(xsd16, path), path


def test_deleted_types_are_xsd_values(xsd16: Any) -> None:
    allowed = set(xsd16.enumeration("ListDelType")) | set(xsd16.enumeration("TxnDelType"))
    assert set(TYPE_FOR_DEL_TYPE) <= allowed
    # Every item ListDelType we can store is mapped.
    item_del_types = {v for v in xsd16.enumeration("ListDelType") if v.startswith("Item")}
    assert item_del_types <= set(TYPE_FOR_DEL_TYPE)

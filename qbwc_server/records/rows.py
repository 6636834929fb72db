"""How a QuickBooks ``…Ret`` dict becomes rows: the record row, its lines and its links.

The complete dict is stored unchanged in the ``qb`` column, so nothing is lost when a field has
no typed column; the typed columns come from the type's field declarations
(``records/types.py``), the lines from its declared line elements.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from qbwc_server.records.fields import (
    as_list,
    day,
    decimal,
    descend,
    instant_text,
    text,
    utc_instant,
)
from qbwc_server.records.record_type import RecordType
from qbwc_server.records.types import item_type_for_tag


def prepare_row(
    rt: RecordType,
    data: Mapping[str, Any],
    tag: str | None,
    company_id: int,
    now: datetime | str,
    *,
    stamps_as_text: bool = False,
) -> dict[str, Any]:
    """The full row (every column) for one record; ``qb`` is the dict itself.

    ``stamps_as_text`` (PostgreSQL, whose text input reads an ISO 8601 instant): the UTC
    instant of TimeModified may be given as QuickBooks wrote it (:func:`instant_text`), and
    ``now`` may be the batch's time already formatted once."""
    row = rt.blank_row.copy()
    rt.extract(data, row)
    row["company_id"] = company_id
    modified = row["time_modified"]
    row["time_modified_utc"] = instant_text(modified) if stamps_as_text else utc_instant(modified)
    row["is_deleted"] = False
    row["time_deleted"] = None
    row["deleted_at"] = None
    row["synced_at"] = now
    row["qb"] = data if isinstance(data, dict) else dict(data)
    if rt.is_list:
        if row["is_active"] is None:  # QuickBooks omits IsActive only when asked to
            row["is_active"] = True
        if rt.name == "items":
            row["item_type"] = item_type_for_tag(tag)
    return row


def _ref_id(parent: Mapping[str, Any], element: str) -> str | None:
    """The ListID of ``parent[element]`` (a ``…Ref``)."""
    value = parent.get(element)
    if value is None:
        return None
    if value.__class__ is dict:
        value = value.get("ListID")
        return value if value.__class__ is str or value is None else text(value)
    return text(descend(value, (element, "ListID")))


def _money(value: Any) -> Decimal | None:
    return None if value is None else decimal(value)


# The columns of a line and of a link after (company_id, record_type, txn_id, position), in
# the order _line_row / _link_row give their values (tuples: no dict per line). PostgreSQL
# writes the same values from field declarations (records/copy_rows.py _LINE_FIELDS, ...):
# tests/storage/test_copy_rows.py holds the two equal.
LINE_COLUMNS = (
    "txn_line_id",
    "parent_txn_line_id",
    "line_kind",
    "account_list_id",
    "item_list_id",
    "description",
    "amount",
    "quantity",
    "cost",
    "memo",
    "class_list_id",
    "customer_list_id",
    "billable_status",
)
LINK_COLUMNS = (
    "link_kind",
    "linked_txn_id",
    "linked_txn_type",
    "link_type",
    "txn_date",
    "ref_number",
    "amount",
    "balance_remaining",
    "discount_amount",
    "discount_account_list_id",
)


def _line_row(line: Mapping[str, Any], kind: str, parent: str | None) -> tuple[Any, ...]:
    # Hot path: several calls per stored transaction.
    get = line.get
    group = kind == "group"
    cost = get("Cost")
    memo, desc, status = get("Memo"), get("Desc"), get("BillableStatus")
    return (
        text(get("TxnLineID")),
        parent,
        kind,
        _ref_id(line, "AccountRef"),
        _ref_id(line, "ItemGroupRef" if group else "ItemRef"),
        None if desc is None else text(desc),
        _money(get("TotalAmount" if group else "Amount")),
        _money(get("Quantity")),
        _money(get("Rate") if cost is None else cost),
        None if memo is None else text(memo),
        _ref_id(line, "ClassRef"),
        _ref_id(line, "CustomerRef"),
        None if status is None else text(status),
    )


def iter_lines(rt: RecordType, data: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The values (:data:`LINE_COLUMNS`) of the type's declared line elements in document
    order per kind; the item lines of a group follow the group line and name it as their
    parent."""
    for declared in rt.lines:
        found = data.get(declared.element)
        if found is None:
            continue
        for line in as_list(found):
            if line.__class__ is not dict and not isinstance(line, Mapping):
                continue
            row = _line_row(line, declared.kind, None)
            yield row
            if declared.nested:
                for sub in as_list(line.get(declared.nested)):
                    if sub.__class__ is dict or isinstance(sub, Mapping):
                        yield _line_row(sub, "item", row[0])


def _link_row(link: Mapping[str, Any], kind: str) -> tuple[Any, ...]:
    get = link.get
    txn_date = get("TxnDate")
    return (
        kind,
        text(get("TxnID")),
        text(get("TxnType")),
        text(get("LinkType")),
        None if txn_date is None else day(txn_date),
        text(get("RefNumber")),
        _money(get("Amount")),
        _money(get("BalanceRemaining")),
        _money(get("DiscountAmount")),
        _ref_id(link, "DiscountAccountRef"),
    )


def iter_links(data: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The values (:data:`LINK_COLUMNS`) of LinkedTxn (kind "linked") and AppliedToTxnRet
    (kind "applied_to") entries."""
    for link in as_list(data.get("LinkedTxn")):
        if link.__class__ is dict or isinstance(link, Mapping):
            yield _link_row(link, "linked")
    for applied in as_list(data.get("AppliedToTxnRet")):
        if applied.__class__ is dict or isinstance(applied, Mapping):
            yield _link_row(applied, "applied_to")

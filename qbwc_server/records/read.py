"""Reading synced records back out, as JSON-able dicts (the read API), and counting them.

Record pages use keyset pagination on the record's key within a company (ListID or TxnID,
the primary key after company_id): it never changes, so a walk never repeats a record and
never skips one that existed when it started, whatever a sync updates meanwhile. A record
inserted during the walk shows up if its key sorts after the walk's position; the change
feed (records/feed.py) is how a consumer catches everything that changed after its full read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, Row, Table, and_, func, literal, select, union_all
from sqlalchemy.orm import Session

from qbwc_server.records.record_type import RecordType
from qbwc_server.records.rows import LINE_COLUMNS
from qbwc_server.records.store import LINES, LINKS
from qbwc_server.records.types import LIST_TYPES, RECORD_TYPES, record_type

# Columns that are bookkeeping, not record data.
_HIDDEN = frozenset({"company_id", "time_modified_utc", "qb"})
_LINE_FIELDS = LINE_COLUMNS  # a line's data columns, as stored (records/rows.py)
_LINKED_FIELDS = {
    "linked_txn_id": "txn_id",
    "linked_txn_type": "txn_type",
    "txn_date": "txn_date",
    "ref_number": "ref_number",
    "link_type": "link_type",
    "amount": "amount",
}
_APPLIED_FIELDS = {
    "linked_txn_id": "txn_id",
    "linked_txn_type": "txn_type",
    "txn_date": "txn_date",
    "ref_number": "ref_number",
    "amount": "amount",
    "balance_remaining": "balance_remaining",
    "discount_amount": "discount_amount",
    "discount_account_list_id": "discount_account_list_id",
}


def _json_value(value: Any, scale: int | None) -> Any:
    """Amounts as decimal strings (2 places for money), dates and instants as ISO 8601."""
    if isinstance(value, Decimal):
        if scale == 2:
            return f"{value.quantize(Decimal('0.01')):f}"
        return f"{value.normalize():f}"
    if isinstance(value, float):  # SQLite hands back floats for some Numeric expressions
        return _json_value(Decimal(str(value)), scale)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _scales(table: Table) -> dict[str, int | None]:
    return {c.name: (c.type.scale if isinstance(c.type, Numeric) else None) for c in table.columns}


@dataclass(frozen=True)
class RecordFilter:
    modified_since: datetime | None = None
    active: bool | None = None  # None = all (lists only)
    include_deleted: bool = False
    vendor: str | None = None  # transactions only
    txn_from: date | None = None
    txn_to: date | None = None


@dataclass(frozen=True)
class RecordPage:
    data: list[dict[str, Any]]
    last_key: str | None  # ListID/TxnID of the last record, for the next cursor
    has_more: bool


def list_records(
    session: Session,
    company_id: int,
    type_name: str,
    *,
    limit: int = 100,
    after_key: str | None = None,
    filters: RecordFilter | None = None,
) -> RecordPage:
    """Up to ``limit`` records after ``after_key`` in key order, with the filters applied."""
    rt = record_type(type_name)
    table = rt.table
    key = table.c[rt.id_column]
    f = filters or RecordFilter()
    stmt = select(table).where(table.c.company_id == company_id)
    if after_key is not None:
        stmt = stmt.where(key > after_key)
    if not f.include_deleted:
        stmt = stmt.where(table.c.is_deleted.is_(False))
    if f.modified_since is not None:
        stmt = stmt.where(table.c.time_modified_utc >= f.modified_since)
    if rt.is_list and f.active is not None:
        stmt = stmt.where(table.c.is_active.is_(f.active))
    if not rt.is_list:
        if f.vendor is not None:
            stmt = stmt.where(table.c.vendor_list_id == f.vendor)
        if f.txn_from is not None:
            stmt = stmt.where(table.c.txn_date >= f.txn_from)
        if f.txn_to is not None:
            stmt = stmt.where(table.c.txn_date <= f.txn_to)
    rows = session.connection().execute(stmt.order_by(key).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    data = _views(session, company_id, rt, rows)
    return RecordPage(data, rows[-1]._mapping[key.name] if rows else None, has_more)


def _views(
    session: Session, company_id: int, rt: RecordType, rows: Sequence[Row[Any]]
) -> list[dict[str, Any]]:
    table = rt.table
    scales = _scales(table)
    columns = [c.name for c in table.columns if c.name not in _HIDDEN]
    views: list[dict[str, Any]] = []
    for row in rows:
        mapping = row._mapping
        view = {name: _json_value(mapping[name], scales[name]) for name in columns}
        view["qb"] = mapping["qb"]
        views.append(view)
    _current_names(session, company_id, views)
    if rt.is_list or not views:
        return views
    ids = [v["txn_id"] for v in views]
    by_id = {v["txn_id"]: v for v in views}
    link_key = "applied_to" if rt.link_kind == "applied_to" else "linked_txns"
    for view in views:
        view["lines"] = []
        view[link_key] = []
    conn = session.connection()
    line_scales = _scales(LINES)
    for line in conn.execute(
        select(LINES)
        .where(
            LINES.c.company_id == company_id,
            LINES.c.record_type == rt.name,
            LINES.c.txn_id.in_(ids),
        )
        .order_by(LINES.c.txn_id, LINES.c.position)
    ):
        m = line._mapping
        by_id[m["txn_id"]]["lines"].append(
            {k: _json_value(m[k], line_scales[k]) for k in _LINE_FIELDS}
        )
    link_scales = _scales(LINKS)
    fields = _APPLIED_FIELDS if link_key == "applied_to" else _LINKED_FIELDS
    kind = "applied_to" if link_key == "applied_to" else "linked"
    for link in conn.execute(
        select(LINKS)
        .where(
            LINKS.c.company_id == company_id,
            LINKS.c.record_type == rt.name,
            LINKS.c.txn_id.in_(ids),
            LINKS.c.link_kind == kind,
        )
        .order_by(LINKS.c.txn_id, LINKS.c.position)
    ):
        m = link._mapping
        by_id[m["txn_id"]][link_key].append(
            {out: _json_value(m[col], link_scales[col]) for col, out in fields.items()}
        )
    return views


# The synced lists a ``…Ref`` can point to (Employee is not synced: its refs keep their name).
_NAMED_LISTS = tuple(rt.name for rt in LIST_TYPES)
_NAME_LOOKUP_CHUNK = 2000  # ids per query (SQLite's bind-parameter limit is far above)


def _refs(value: Any, key: str, out: list[dict[str, Any]]) -> None:
    """Collect every ``…Ref`` aggregate (a dict with a ListID) inside a stored document."""
    if isinstance(value, dict):
        if key.endswith("Ref") and isinstance(value.get("ListID"), str):
            out.append(value)
        for k, v in value.items():
            _refs(v, k, out)
    elif isinstance(value, list):
        for v in value:
            _refs(v, key, out)


def _current_full_names(session: Session, company_id: int, ids: set[str]) -> dict[str, str]:
    """ListID -> the current FullName of the synced list record with that id."""
    found: dict[str, str] = {}
    wanted = sorted(ids)
    conn = session.connection()
    for start in range(0, len(wanted), _NAME_LOOKUP_CHUNK):
        chunk = wanted[start : start + _NAME_LOOKUP_CHUNK]
        parts = []
        for type_name in _NAMED_LISTS:
            table = record_type(type_name).table
            parts.append(
                select(table.c.list_id, table.c.full_name).where(
                    table.c.company_id == company_id, table.c.list_id.in_(chunk)
                )
            )
        for list_id, full_name in conn.execute(union_all(*parts)):
            if full_name is not None:
                found[list_id] = full_name
    return found


def _current_names(session: Session, company_id: int, views: list[dict[str, Any]]) -> None:
    """Bring every reference's name up to date: each ``…Ref/FullName`` in ``qb`` and
    ``vendor_name``.

    QuickBooks answers every ``…Ref`` with the referenced record's current name, but renaming
    a vendor (account, item, class, ...) does not touch the records that refer to it (their
    TimeModified and EditSequence stay), so no sync pass re-reads them: a name stored with
    each record would keep the old one forever. ListIDs never change, so names are looked up
    in the synced lists when reading. A reference to a record we do not hold keeps its name.
    """
    refs: list[dict[str, Any]] = []
    for view in views:
        _refs(view["qb"], "", refs)
    wanted = {r["ListID"] for r in refs}
    wanted.update(v["vendor_list_id"] for v in views if v.get("vendor_list_id"))
    if not wanted:
        return
    current = _current_full_names(session, company_id, wanted)
    for ref in refs:
        name = current.get(ref["ListID"])
        if name is not None:
            ref["FullName"] = name
    for view in views:
        name = current.get(view.get("vendor_list_id") or "")
        if name is not None:
            view["vendor_name"] = name


def get_record(
    session: Session, company_id: int, type_name: str, object_id: str
) -> dict[str, Any] | None:
    """One stored record (deleted ones included) in the read API's shape, or None."""
    rt = record_type(type_name)
    table = rt.table
    rows = (
        session.connection()
        .execute(
            select(table).where(
                table.c.company_id == company_id, table.c[rt.id_column] == object_id
            )
        )
        .all()
    )
    views = _views(session, company_id, rt, rows)
    return views[0] if views else None


# --- counts ----------------------------------------------------------------------------------


def count_records(session: Session, company_id: int, type_name: str) -> int:
    """Stored records of one type that are not deleted."""
    table = record_type(type_name).table
    stmt = select(func.count()).where(
        table.c.company_id == company_id, table.c.is_deleted.is_(False)
    )
    return int(session.connection().execute(stmt).scalar_one())


def record_counts(session: Session, company_id: int) -> dict[str, int]:
    """Not-deleted records per type (every type, zeros included), in one query."""
    parts = []
    for name, rt in RECORD_TYPES.items():
        table = rt.table
        parts.append(
            select(literal(name).label("type_name"), func.count().label("n"))
            .select_from(table)
            .where(and_(table.c.company_id == company_id, table.c.is_deleted.is_(False)))
        )
    counts = {name: 0 for name in RECORD_TYPES}
    for name, n in session.connection().execute(union_all(*parts)):
        counts[str(name)] = int(n)
    return counts

"""Vendor balances: re-read vendors whose Balance moved without an edit of the vendor.

QuickBooks recomputes a vendor's Balance with every bill, credit and payment, but the vendor
record itself is not edited: its TimeModified and EditSequence stay, so neither the
modified-date passes nor a reconciliation (which compares EditSequences) would ever read the
new Balance. So every AP transaction a sync stores marks its vendor, and a last step of the
session re-reads the marked vendors by ListID and stores whatever differs from what we hold.

The marks are rows of ``reconcile_marks`` under the pseudo-stream :data:`MARKS`, so they
survive a session that ends early; a vendor stored in this same session after the
transaction was written (the initial sync, say) needs no mark.

That last rule holds only for a session whose AP passes ran after it stored the vendor. A
session cut off in between leaves vendors whose Balance counts transactions the server has not
read yet, and a change to one of those cannot always be traced back to its vendor: a deletion
(TxnDeletedRet) names no vendor, and the server never stored the transaction. So the first
session that does run every AP pass to its end re-reads every vendor stored since the last such
session (:func:`mark_stored_between`, positions in the change feed, records/feed.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from models import ReconcileMark
from qbwc_server.qbxml.parse import Record
from qbwc_server.records.bulk import dialect_insert, ids_json
from qbwc_server.records.feed import CHANGES
from qbwc_server.records.store import UpsertResult
from qbwc_server.records.types import record_type

MARKS = "vendor_balances"  # ReconcileMark.stream of the marks; also the sync step's name
REFRESH_BY_ID = 100  # vendors per re-read request


def moves_balances(type_name: str) -> bool:
    """Whether records of this type move a vendor's Balance (its ``balance_vendor_ref``)."""
    return record_type(type_name).balance_vendor_ref is not None


def vendor_of(type_name: str, record: Mapping[str, Any]) -> str | None:
    """The ListID of the vendor whose Balance ``record`` (of ``type_name``) moves."""
    element = record_type(type_name).balance_vendor_ref
    if element is None:
        return None
    ref = record.get(element)
    list_id = ref.get("ListID") if isinstance(ref, Mapping) else None
    return list_id if isinstance(list_id, str) and list_id else None


def changed_vendors(stream: str, records: Iterable[Record], stored: UpsertResult) -> set[str]:
    """The vendors whose Balance an upsert of ``records`` moved: those of the records it
    inserted or changed (``stored.changed_ids``; an unchanged record moved no balance), and
    those the changed ones had before (a bill given to another vendor moves both)."""
    changed = set(stored.changed_ids)
    found = set(stored.prior_vendors)
    for record in records:
        if (record.data.get("TxnID") or record.data.get("ListID")) in changed:
            vendor = vendor_of(stream, record.data)
            if vendor is not None:
                found.add(vendor)
    return found


def mark(
    session: Session,
    company_id: int,
    vendor_ids: Iterable[str],
    stored_before: datetime | None = None,
) -> int:
    """Mark vendors for a re-read, except those stored since ``stored_before`` (the session's
    start: their Balance already counts the transactions). Returns how many are marked."""
    wanted = sorted({v for v in vendor_ids if v})
    if not wanted:
        return 0
    fresh: set[str] = set()
    if stored_before is not None:
        fresh = _stored_since(session, company_id, wanted, stored_before)
    rows = [
        {"company_id": company_id, "stream": MARKS, "record_id": v, "needs_fetch": True}
        for v in wanted
        if v not in fresh
    ]
    if rows:
        table = ReconcileMark.__table__
        session.execute(dialect_insert(session.connection(), table).on_conflict_do_nothing(), rows)  # type: ignore[arg-type]
    return len(rows)


# PostgreSQL: one primary-key probe per id (see records/store.py _PG_EXISTING: a plain IN list is
# planned as a scan of the company's vendors while the table has no statistics yet).
_PG_STORED_SINCE = """
SELECT k.id FROM jsonb_array_elements_text(CAST(:ids AS JSONB)) AS k(id)
CROSS JOIN LATERAL (
    SELECT 1 FROM qb_vendors
    WHERE company_id = :company_id AND list_id = k.id AND synced_at >= :since LIMIT 1
) AS t
"""


def _stored_since(session: Session, company_id: int, ids: list[str], since: datetime) -> set[str]:
    """The vendors among ``ids`` stored (inserted or changed) at or after ``since``."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = sql_text(_PG_STORED_SINCE)
        params = {"ids": ids_json(ids), "company_id": company_id, "since": since}
        return {row[0] for row in session.connection().execute(stmt, params)}
    vendors = record_type("vendors").table
    return set(
        session.scalars(
            select(vendors.c.list_id).where(
                vendors.c.company_id == company_id,
                vendors.c.list_id.in_(ids),
                vendors.c.synced_at >= since,
            )
        )
    )


def mark_stored_between(session: Session, company_id: int, after: int, through: int) -> int:
    """Mark the vendors stored (inserted or changed) between two change-feed positions,
    ``after < seq <= through``, that are not deleted. Returns how many are marked."""
    if through <= after:
        return 0
    vendors = record_type("vendors").table
    ids = session.scalars(
        select(CHANGES.c.object_id)
        .distinct()
        .join(
            vendors,
            (vendors.c.company_id == CHANGES.c.company_id)
            & (vendors.c.list_id == CHANGES.c.object_id),
        )
        .where(
            CHANGES.c.company_id == company_id,
            CHANGES.c.seq > after,
            CHANGES.c.seq <= through,
            CHANGES.c.record_type == "vendors",
            CHANGES.c.op == "upsert",
            vendors.c.is_deleted.is_(False),
        )
    )
    return mark(session, company_id, list(ids))


def marked(session: Session, company_id: int, limit: int = REFRESH_BY_ID) -> list[str]:
    """The next vendors to re-read."""
    return list(
        session.scalars(
            select(ReconcileMark.record_id)
            .where(ReconcileMark.company_id == company_id, ReconcileMark.stream == MARKS)
            .order_by(ReconcileMark.record_id)
            .limit(limit)
        )
    )


def unmark(session: Session, company_id: int, vendor_ids: list[str]) -> None:
    if vendor_ids:
        session.execute(
            delete(ReconcileMark).where(
                ReconcileMark.company_id == company_id,
                ReconcileMark.stream == MARKS,
                ReconcileMark.record_id.in_(vendor_ids),
            )
        )


def stored_vendors(session: Session, company_id: int, stream: str, txn_ids: list[str]) -> set[str]:
    """The vendors of stored, not yet deleted transactions (before a deletion is applied)."""
    if not moves_balances(stream) or not txn_ids:
        return set()
    table = record_type(stream).table
    return {
        v
        for v in session.scalars(
            select(table.c.vendor_list_id).where(
                table.c.company_id == company_id,
                table.c.txn_id.in_(txn_ids),
                table.c.is_deleted.is_(False),
            )
        )
        if v
    }

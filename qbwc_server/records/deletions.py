"""Deletions of synced records: marking deleted what QuickBooks deleted (its deletion log, a
reconciliation of ids, a transaction re-dated before the look-back), and removing a company's
records altogether. Every deletion is logged in the change feed (records/feed.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.orm import Session

from models import utcnow
from qbwc_server.records.bulk import one_of
from qbwc_server.records.feed import CHANGES, HEADS, lock_feed, log_changes
from qbwc_server.records.fields import utc_instant
from qbwc_server.records.store import BATCH_SIZE, LINES, LINKS
from qbwc_server.records.types import RECORD_TYPES, record_type


def _chunks(items: Sequence[str], size: int = BATCH_SIZE) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def mark_deleted(
    session: Session,
    company_id: int,
    type_name: str,
    ids: Iterable[str],
    time_deleted: str | None = None,
) -> int:
    """Mark stored, not yet deleted records deleted (ListDeletedQuery/TxnDeletedQuery, or a
    reconciliation). ``time_deleted`` is TimeDeleted as QuickBooks wrote it, if known.
    Returns how many records were marked. Unknown ids are ignored: there is nothing to mark."""
    rt = record_type(type_name)
    wanted = list(dict.fromkeys(i for i in ids if i))
    if not wanted:
        return 0
    conn = session.connection()
    table = rt.table
    id_col = table.c[rt.id_column]
    now = utcnow()
    deleted_at = utc_instant(time_deleted) or now
    marked = 0
    locked = False
    for chunk in _chunks(wanted):
        found = _unmarked(conn, table, id_col, company_id, chunk)
        if found and not locked:
            # The feed lock only when there is something to mark: a deletion sweep re-reads
            # the deletions its overlap covers every session, already marked, and takes no
            # lock (no write) for them. Read again under the lock: exact, as every write is.
            lock_feed(conn, company_id)
            locked = True
            found = _unmarked(conn, table, id_col, company_id, chunk)
        if not found:
            continue
        found_ids = [r[0] for r in found]
        conn.execute(
            update(table)
            .where(table.c.company_id == company_id, one_of(conn, id_col, found_ids))
            .values(
                is_deleted=True, time_deleted=time_deleted, deleted_at=deleted_at, synced_at=now
            )
        )
        log_changes(conn, company_id, rt.name, [(r[0], "delete", r[1]) for r in found], now)
        marked += len(found)
    return marked


def _unmarked(
    conn: Connection, table: Table, id_col: Any, company_id: int, ids: Sequence[str]
) -> list[Any]:
    """(id, EditSequence) of the stored records among ``ids`` not marked deleted yet."""
    return list(
        conn.execute(
            select(id_col, table.c.edit_sequence).where(
                table.c.company_id == company_id,
                one_of(conn, id_col, ids),
                table.c.is_deleted.is_(False),
            )
        ).all()
    )


def missing_ids(
    session: Session, company_id: int, type_name: str, present_ids: set[str]
) -> list[str]:
    """Stored, not-deleted ids of ``type_name`` that are not in ``present_ids``."""
    rt = record_type(type_name)
    table = rt.table
    id_col = table.c[rt.id_column]
    stored = session.connection().execute(
        select(id_col).where(table.c.company_id == company_id, table.c.is_deleted.is_(False))
    )
    return [row[0] for row in stored if row[0] not in present_ids]


def purge_company(session: Session, company_id: int) -> None:
    """Delete everything stored for a company: records, lines, links, change log.

    Deleting the company row cascades to the record tables and the feed head; lines, links
    and change-log rows have no foreign key (models/records.py), so company deletion must
    call this first.
    """
    conn = session.connection()
    for table in (LINES, LINKS, CHANGES, HEADS, *(rt.table for rt in RECORD_TYPES.values())):
        conn.execute(table.delete().where(table.c.company_id == company_id))

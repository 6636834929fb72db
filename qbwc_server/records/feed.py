"""The change log the change feed reads: appended with every stored change, read in order.

Change feed ordering
--------------------
Every insert, update and deletion appends a row to ``qb_record_changes`` with a per-company
sequence number ``seq``, in the same transaction. The numbers are handed out under a row lock
on the company's ``qb_record_change_heads`` row, taken before the batch is classified and held
until commit. So for one company:

* numbers are gap-free (no PostgreSQL sequence, whose values are lost on rollback), and
* they become visible in number order: a writer cannot take numbers until the previous writer
  committed or rolled back, so at any moment the committed numbers are a prefix 1..N.

A consumer that reads ``seq > cursor`` in order therefore never skips a change that commits
later. The sync lease already keeps one writer per company; the lock makes the feed correct
even when a lease expires under a slow transaction. (SQLite serializes all writers anyway:
``BEGIN IMMEDIATE``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.orm import Session

from models import RecordChange, RecordChangeHead
from qbwc_server.records.bulk import dialect_insert, insert_tuples

CHANGES: Table = RecordChange.__table__  # type: ignore[assignment]
HEADS: Table = RecordChangeHead.__table__  # type: ignore[assignment]


# --- writing (the caller holds the head lock) ---------------------------------------------


def lock_feed(conn: Connection, company_id: int) -> int:
    """Lock the company's change-feed head row (creating it) until commit; return its seq."""
    ins = dialect_insert(conn, HEADS)
    stmt = (
        ins.values(company_id=company_id, last_seq=0)
        .on_conflict_do_update(
            index_elements=[HEADS.c.company_id], set_={"last_seq": HEADS.c.last_seq}
        )
        .returning(HEADS.c.last_seq)
    )
    return int(conn.execute(stmt).scalar_one())


def log_changes(
    conn: Connection,
    company_id: int,
    type_name: str,
    changes: Sequence[tuple[str, str, str | None]],
    at: datetime,
) -> None:
    """Append ``(object_id, op, edit_sequence)`` entries; the caller holds the head lock."""
    if not changes:
        return
    last = conn.execute(
        update(HEADS)
        .where(HEADS.c.company_id == company_id)
        .values(last_seq=HEADS.c.last_seq + len(changes))
        .returning(HEADS.c.last_seq)
    ).scalar_one()
    first = int(last) - len(changes) + 1
    # PostgreSQL reads the instant from its ISO 8601 text: formatted once, not per row.
    stamp: datetime | str = at.isoformat() if conn.dialect.name == "postgresql" else at
    insert_tuples(
        conn,
        CHANGES,
        _CHANGE_COLUMNS,
        (
            (company_id, seq, type_name, object_id, op, edit_sequence, stamp)
            for seq, (object_id, op, edit_sequence) in enumerate(changes, first)
        ),
    )


_CHANGE_COLUMNS = ("company_id", "seq", "record_type", "object_id", "op", "edit_sequence", "at")


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangePage:
    data: list[dict[str, Any]]
    last_seq: int  # the position after this page (== since when it is empty)
    has_more: bool


def feed_head(session: Session, company_id: int) -> int:
    """The seq of the company's latest committed change (0 when there is none)."""
    value = (
        session.connection()
        .execute(select(HEADS.c.last_seq).where(HEADS.c.company_id == company_id))
        .scalar()
    )
    return int(value or 0)


def changes_since(session: Session, company_id: int, since: int, limit: int) -> ChangePage:
    """Changes with seq > ``since`` in seq (= commit) order."""
    rows = (
        session.connection()
        .execute(
            select(CHANGES)
            .where(CHANGES.c.company_id == company_id, CHANGES.c.seq > since)
            .order_by(CHANGES.c.seq)
            .limit(limit + 1)
        )
        .all()
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    data = [
        {
            "seq": r.seq,
            "type": r.record_type,
            "id": r.object_id,
            "op": r.op,
            "edit_sequence": r.edit_sequence,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]
    return ChangePage(data, rows[-1].seq if rows else since, has_more)

"""Storing synced QuickBooks records: bulk upserts keyed by (company, ListID/TxnID),
deletions, full ID reconciliation, counts — and the change log the change feed reads.

Everything runs inside the caller's transaction (a page of records and the stream cursor move
commit together, architecture "The sync model") and uses Core-level bulk statements, not one
ORM object per record.

Replays are harmless: a record whose EditSequence equals the stored one is *unchanged* —
nothing is written and nothing is logged (§6.7: EditSequence changes on every modification).
A record previously marked deleted that comes back is undeleted. The lines and links of a
changed transaction are replaced as a whole.

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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from models import QbTxnLine, QbTxnLink, RecordChange, RecordChangeHead, utcnow
from qbwc_server.qbxml.parse import Record
from qbwc_server.sync.bulk import dialect_insert, dumps_json, insert_rows, upsert_rows
from qbwc_server.sync.record_mapping import (
    RECORD_TYPES,
    TYPE_FOR_DEL_TYPE,
    TYPE_FOR_RET_TAG,
    RecordError,
    RecordType,
    UnknownRecordType,
    iter_lines,
    iter_links,
    prepare_row,
    record_type,
    ret_tags,
    text,
    utc_instant,
)

__all__ = [
    "TYPE_FOR_DEL_TYPE",
    "TYPE_FOR_RET_TAG",
    "RecordError",
    "RecordInput",
    "UnknownRecordType",
    "UpsertResult",
    "count_records",
    "mark_deleted",
    "missing_ids",
    "purge_company",
    "reconcile_present",
    "record_counts",
    "ret_tags",
    "upsert_records",
]

# Records per round of statements (existing-ids lookup, COPY, upsert, change log): a whole page
# at the default page sizes and at the benchmark's 1000. Also keeps every IN (...) list well
# below SQLite's bind-parameter limit (32766 since SQLite 3.32); PostgreSQL binds one array.
BATCH_SIZE = 1000

LINES: Table = QbTxnLine.__table__  # type: ignore[assignment]
LINKS: Table = QbTxnLink.__table__  # type: ignore[assignment]
CHANGES: Table = RecordChange.__table__  # type: ignore[assignment]
HEADS: Table = RecordChangeHead.__table__  # type: ignore[assignment]

# A record as the caller has it: the dict ``ret_to_dict`` made, a ``(ret_tag, dict)`` pair,
# or the parser's ``Record`` event. The tag matters for items only (ItemServiceRet ->
# item_type "Service").
RecordInput = Mapping[str, Any] | tuple[str, Mapping[str, Any]] | Record


@dataclass(frozen=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0  # includes undeleted records
    unchanged: int = 0
    # The ListIDs/TxnIDs inserted or updated (not part of equality: tests compare counts).
    changed_ids: tuple[str, ...] = field(default=(), compare=False)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.changed_ids + other.changed_ids,
        )


# --- upserts ---------------------------------------------------------------------------------


def _split(item: RecordInput) -> tuple[str | None, Mapping[str, Any]]:
    if item.__class__ is dict:
        return None, item  # type: ignore[return-value]
    if isinstance(item, Record):
        return item.tag, item.data
    if isinstance(item, tuple):
        return item[0], item[1]
    return None, item


def _batches(
    rt: RecordType, records: Iterable[RecordInput]
) -> Iterator[dict[str, tuple[str | None, Mapping[str, Any]]]]:
    """Batches keyed by id; a record repeated within a batch counts once (the last wins)."""
    batch: dict[str, tuple[str | None, Mapping[str, Any]]] = {}
    for item in records:
        tag, data = _split(item)
        object_id = data.get(rt.id_key)
        if object_id.__class__ is not str:
            object_id = text(object_id)
        if not object_id:
            raise RecordError(f"{rt.name}: a record without {rt.id_key} cannot be stored")
        if tag is not None and tag not in rt.ret_tags:
            raise RecordError(f"{tag} records do not belong to {rt.name}")
        batch.pop(object_id, None)
        batch[object_id] = (tag, data)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = {}
    if batch:
        yield batch


def upsert_records(
    session: Session,
    company_id: int,
    type_name: str,
    records: Iterable[RecordInput],
    *,
    compare_documents: bool = False,
) -> UpsertResult:
    """Insert new records, update changed ones (EditSequence differs, or the stored one is
    marked deleted), leave the rest untouched. Returns the counts.

    ``compare_documents``: a record with the stored EditSequence counts as changed when its
    document differs from the stored one: for values QuickBooks recomputes without editing
    the record (a vendor's Balance, sync/balances.py)."""
    rt = record_type(type_name)
    conn = session.connection()
    result = UpsertResult()
    locked = False
    for batch in _batches(rt, records):
        if not locked:
            _lock_feed(conn, company_id)
            locked = True
        result += _upsert_batch(conn, company_id, rt, batch, compare_documents)
    return result


def _one_of(conn: Connection, column: ColumnElement[str], ids: Sequence[str]) -> Any:
    """``column IN ids``. On PostgreSQL as ``= ANY(array)``: one parameter, so the statement
    text stays the same (an IN list of hundreds of placeholders is re-parsed by psycopg on
    every call), and an index scan still serves it."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=postgresql.ARRAY(String())))
    return column.in_(ids)


# PostgreSQL: one index probe per id, whatever the statistics say. A plain
# ``company_id = :c AND list_id = ANY(:ids)`` is planned as a scan over the whole company
# while the table has no column statistics yet (the first minute of an initial sync, before
# autovacuum analyzes it: PostgreSQL then guesses that company_id = 1 matches few rows). The
# LIMIT keeps the lateral subquery from being flattened into a join with the same problem.
# The ids travel as one JSON array (see ids_json).
_PG_EXISTING = """
SELECT k.id, t.edit_sequence, t.is_deleted
FROM jsonb_array_elements_text(CAST(:ids AS JSONB)) AS k(id)
CROSS JOIN LATERAL (
    SELECT edit_sequence, is_deleted FROM {table}
    WHERE company_id = :company_id AND {key} = k.id LIMIT 1
) AS t
"""

# Same idea for deleting the lines/links of changed transactions: collect the rows' ctids
# with per-transaction index probes (OFFSET 0 keeps the subquery a subquery), then delete
# by ctid.
_PG_DELETE_CHILDREN = """
DELETE FROM {table} WHERE ctid = ANY(ARRAY(
    SELECT x.ctid FROM jsonb_array_elements_text(CAST(:ids AS JSONB)) AS k(id)
    CROSS JOIN LATERAL (
        SELECT ctid FROM {table}
        WHERE company_id = :company_id AND record_type = :record_type AND txn_id = k.id
        OFFSET 0
    ) AS x
))
"""


def ids_json(ids: Iterable[str]) -> str:
    """Ids as the one JSON-array parameter of the PostgreSQL probes above. psycopg escapes an
    array parameter element by element in Python (a regex per id: ~1.5 ms per 1,000); the
    JSON text is made in C and unpacked by the server (``jsonb_array_elements_text``)."""
    return dumps_json(list(ids))


def _existing(
    conn: Connection, company_id: int, rt: RecordType, ids: Sequence[str]
) -> dict[str, tuple[str | None, bool]]:
    table = rt.table
    if conn.dialect.name == "postgresql":
        stmt = sql_text(_PG_EXISTING.format(table=table.name, key=rt.id_column))
        rows = conn.execute(stmt, {"ids": ids_json(ids), "company_id": company_id})
    else:
        id_col = table.c[rt.id_column]
        rows = conn.execute(
            select(id_col, table.c.edit_sequence, table.c.is_deleted).where(
                table.c.company_id == company_id, id_col.in_(ids)
            )
        )
    return {r[0]: (r[1], bool(r[2])) for r in rows}


def _stored_documents(
    conn: Connection, company_id: int, rt: RecordType, ids: Sequence[str]
) -> dict[str, Any]:
    if not ids:
        return {}
    table = rt.table
    id_col = table.c[rt.id_column]
    rows = conn.execute(
        select(id_col, table.c.qb).where(
            table.c.company_id == company_id, _one_of(conn, id_col, ids)
        )
    )
    return {r[0]: r[1] for r in rows}


def _upsert_batch(
    conn: Connection,
    company_id: int,
    rt: RecordType,
    batch: dict[str, tuple[str | None, Mapping[str, Any]]],
    compare_documents: bool = False,
) -> UpsertResult:
    existing = _existing(conn, company_id, rt, list(batch))
    new_ids: list[str] = []
    changed_ids: list[str] = []
    same_version: list[str] = []
    for object_id, (_tag, data) in batch.items():
        stored = existing.get(object_id)
        if stored is None:
            new_ids.append(object_id)
            continue
        edit_sequence = text(data.get("EditSequence"))
        stored_sequence, stored_deleted = stored
        if stored_deleted or edit_sequence is None or edit_sequence != stored_sequence:
            changed_ids.append(object_id)
        elif compare_documents:
            same_version.append(object_id)
    if same_version:
        documents = _stored_documents(conn, company_id, rt, same_version)
        changed_ids.extend(i for i in same_version if documents.get(i) != batch[i][1])
    unchanged = len(batch) - len(new_ids) - len(changed_ids)
    if not new_ids and not changed_ids:
        return UpsertResult(unchanged=unchanged)

    now = utcnow()

    def prepared(ids: list[str]) -> Iterator[dict[str, Any]]:
        for object_id in ids:
            tag, data = batch[object_id]
            yield prepare_row(rt, data, tag, company_id, now)

    # The feed lock makes the classification exact (every write of this company's records
    # happens under it), so new rows go in with a plain bulk insert (COPY on PostgreSQL,
    # streamed: the server stores rows while the next ones are prepared) and only changed
    # ones need INSERT … ON CONFLICT DO UPDATE.
    rows: list[dict[str, Any]] = []
    insert_rows(conn, rt.table, _kept(prepared(new_ids), rows))
    changed_rows = list(prepared(changed_ids))
    upsert_rows(conn, rt.table, changed_rows, conflict=("company_id", rt.id_column))
    rows.extend(changed_rows)
    if not rt.is_list:
        _replace_lines_and_links(conn, company_id, rt, changed_ids, rows)
    _log_changes(
        conn,
        company_id,
        rt.name,
        [(row[rt.id_column], "upsert", row["edit_sequence"]) for row in rows],
        now,
    )
    return UpsertResult(
        inserted=len(new_ids),
        updated=len(changed_ids),
        unchanged=unchanged,
        changed_ids=(*new_ids, *changed_ids),
    )


def _kept(rows: Iterable[dict[str, Any]], sink: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield ``rows``, keeping each in ``sink`` too."""
    for row in rows:
        sink.append(row)
        yield row


def _replace_lines_and_links(
    conn: Connection,
    company_id: int,
    rt: RecordType,
    changed_ids: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    if changed_ids:
        for table in (LINES, LINKS):
            if conn.dialect.name == "postgresql":
                stmt = sql_text(_PG_DELETE_CHILDREN.format(table=table.name))
                params = {"ids": ids_json(changed_ids), "company_id": company_id}
                conn.execute(stmt, {**params, "record_type": rt.name})
            else:
                conn.execute(
                    table.delete().where(
                        table.c.company_id == company_id,
                        table.c.record_type == rt.name,
                        table.c.txn_id.in_(changed_ids),
                    )
                )
    links: list[dict[str, Any]] = []

    def lines() -> Iterator[dict[str, Any]]:
        # Links are collected on the way: one COPY runs at a time on a connection.
        for row in rows:
            txn_id = row["txn_id"]
            data = row["qb"]
            for position, line in enumerate(iter_lines(data)):
                line["company_id"] = company_id
                line["record_type"] = rt.name
                line["txn_id"] = txn_id
                line["position"] = position
                yield line
            for position, link in enumerate(iter_links(data)):
                link["company_id"] = company_id
                link["record_type"] = rt.name
                link["txn_id"] = txn_id
                link["position"] = position
                links.append(link)

    insert_rows(conn, LINES, lines())
    insert_rows(conn, LINKS, links)


# --- the change log --------------------------------------------------------------------------


def _lock_feed(conn: Connection, company_id: int) -> int:
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


def _log_changes(
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
    insert_rows(
        conn,
        CHANGES,
        (
            {
                "company_id": company_id,
                "seq": first + n,
                "record_type": type_name,
                "object_id": object_id,
                "op": op,
                "edit_sequence": edit_sequence,
                "at": at,
            }
            for n, (object_id, op, edit_sequence) in enumerate(changes)
        ),
    )


# --- deletions -------------------------------------------------------------------------------


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
    _lock_feed(conn, company_id)
    table = rt.table
    id_col = table.c[rt.id_column]
    now = utcnow()
    deleted_at = utc_instant(time_deleted) or now
    marked = 0
    for chunk in _chunks(wanted):
        found = conn.execute(
            select(id_col, table.c.edit_sequence).where(
                table.c.company_id == company_id,
                _one_of(conn, id_col, chunk),
                table.c.is_deleted.is_(False),
            )
        ).all()
        if not found:
            continue
        found_ids = [r[0] for r in found]
        conn.execute(
            update(table)
            .where(table.c.company_id == company_id, _one_of(conn, id_col, found_ids))
            .values(
                is_deleted=True, time_deleted=time_deleted, deleted_at=deleted_at, synced_at=now
            )
        )
        _log_changes(conn, company_id, rt.name, [(r[0], "delete", r[1]) for r in found], now)
        marked += len(found)
    return marked


def reconcile_present(
    session: Session, company_id: int, type_name: str, present_ids: set[str]
) -> int:
    """Full ID reconciliation (§6.5: deleted-object queries only look back 90 days): mark
    deleted every stored, not-deleted record whose id is not in ``present_ids``."""
    return mark_deleted(
        session, company_id, type_name, missing_ids(session, company_id, type_name, present_ids)
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


# --- removal ---------------------------------------------------------------------------------


def purge_company(session: Session, company_id: int) -> None:
    """Delete everything stored for a company: records, lines, links, change log.

    Deleting the company row cascades to the record tables and the feed head; lines, links
    and change-log rows have no foreign key (models/records.py), so company deletion must
    call this first.
    """
    conn = session.connection()
    for table in (LINES, LINKS, CHANGES, HEADS, *(rt.table for rt in RECORD_TYPES.values())):
        conn.execute(table.delete().where(table.c.company_id == company_id))

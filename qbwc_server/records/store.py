"""Storing synced QuickBooks records: bulk upserts keyed by (company, ListID/TxnID), with their
lines and links and an entry in the change log (records/feed.py) for every change.

Everything runs inside the caller's transaction (a page of records and the stream cursor move
commit together) and uses Core-level bulk statements, not one ORM object per record.

Replays are harmless: a record whose EditSequence equals the stored one is *unchanged* —
nothing is written and nothing is logged (§6.7: EditSequence changes on every modification).
A record previously marked deleted that comes back is undeleted. The lines and links of a
changed transaction are replaced as a whole.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, null, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from models import QbTxnLine, QbTxnLink, utcnow
from qbwc_server.observability import counting
from qbwc_server.qbxml.parse import Record
from qbwc_server.records.bulk import (
    copy_text,
    dumps_json,
    ids_json,
    insert_rows,
    insert_tuples,
    one_of,
    upsert_rows,
)
from qbwc_server.records.copy_rows import child_lines, copy_columns, copy_lines, needs_escaping
from qbwc_server.records.feed import lock_feed, log_changes
from qbwc_server.records.fields import text
from qbwc_server.records.record_type import RecordType
from qbwc_server.records.rows import (
    LINE_COLUMNS,
    LINK_COLUMNS,
    iter_lines,
    iter_links,
    prepare_row,
)
from qbwc_server.records.types import RecordError, record_type

# Records per round of statements (existing-ids lookup, COPY, upsert, change log): a whole page
# at the default page sizes and at the benchmark's 1000. Also keeps every IN (...) list well
# below SQLite's bind-parameter limit (32766 since SQLite 3.32); PostgreSQL binds one array.
BATCH_SIZE = 1000

LINES: Table = QbTxnLine.__table__  # type: ignore[assignment]
LINKS: Table = QbTxnLink.__table__  # type: ignore[assignment]

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
    # For types that move a vendor's Balance: the vendors the updated records had before
    # (a bill given to another vendor moves both balances; records/vendor_balances.py).
    prior_vendors: tuple[str, ...] = field(default=(), compare=False)

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
            self.prior_vendors + other.prior_vendors,
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


def _record_id(rt: RecordType, tag: str | None, data: Mapping[str, Any]) -> str:
    """The record's ListID/TxnID; RecordError for a record that cannot be stored."""
    object_id = data.get(rt.id_key)
    if object_id.__class__ is not str:
        object_id = text(object_id)
    if not object_id:
        raise RecordError(f"{rt.name}: a record without {rt.id_key} cannot be stored")
    if tag is not None and tag not in rt.ret_tags:
        raise RecordError(f"{tag} records do not belong to {rt.name}")
    return str(object_id)


def _batches(
    rt: RecordType, records: Iterable[RecordInput]
) -> Iterator[dict[str, tuple[str | None, Mapping[str, Any]]]]:
    """Batches keyed by id; a record repeated within a batch counts once (the last wins)."""
    batch: dict[str, tuple[str | None, Mapping[str, Any]]] = {}
    for item in records:
        tag, data = _split(item)
        object_id = _record_id(rt, tag, data)
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
    expected_ids: Callable[[], Sequence[str] | None] | None = None,
) -> UpsertResult:
    """Insert new records, update changed ones (EditSequence differs, or the stored one is
    marked deleted), leave the rest untouched. Returns the counts.

    ``compare_documents``: a record with the stored EditSequence counts as changed when its
    document differs from the stored one: for values QuickBooks recomputes without editing
    the record (a vendor's Balance, sync/balances.py).

    ``expected_ids``: the ids the records are expected to carry, known once the first record
    has been read (a page's ``ResponseStart.record_ids``), or None. On PostgreSQL the new ones
    among them are then written while the records are read (:func:`_insert_while_reading`);
    the rest, and any record not announced, go the usual way after them."""
    rt = record_type(type_name)
    conn = session.connection()
    result = UpsertResult()
    locked = False
    if expected_ids is not None and conn.dialect.name == "postgresql":
        items = iter(records)
        first = next(items, None)
        if first is None:
            return result
        records = itertools.chain((first,), items)
        ids = expected_ids()  # announced by now: the first record has been read
        if ids and len(ids) <= BATCH_SIZE and len(set(ids)) == len(ids):
            lock_feed(conn, company_id)
            locked = True
            result, later = _insert_while_reading(conn, company_id, rt, records, ids)
            records = later
    for batch in _batches(rt, records):
        if not locked:
            lock_feed(conn, company_id)
            locked = True
        result += _upsert_batch(conn, company_id, rt, batch, compare_documents)
    counting.records_stored(session, type_name, result.changed)  # metric, counted at commit
    return result


# PostgreSQL: one index probe per id, whatever the statistics say. A plain
# ``company_id = :c AND list_id = ANY(:ids)`` is planned as a scan over the whole company
# while the table has no column statistics yet (the first minute of an initial sync, before
# autovacuum analyzes it: PostgreSQL then guesses that company_id = 1 matches few rows). The
# LIMIT keeps the lateral subquery from being flattened into a join with the same problem.
# The ids travel as one JSON array (see ids_json).
_PG_EXISTING = """
SELECT k.id, t.edit_sequence, t.is_deleted, t.vendor
FROM jsonb_array_elements_text(CAST(%(ids)s AS JSONB)) AS k(id)
CROSS JOIN LATERAL (
    SELECT edit_sequence, is_deleted, {vendor} AS vendor FROM {table}
    WHERE company_id = %(company_id)s AND {key} = k.id LIMIT 1
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


def _existing(
    conn: Connection, company_id: int, rt: RecordType, ids: Sequence[str]
) -> dict[str, tuple[str | None, bool, str | None]]:
    """Stored records among ``ids``: their EditSequence, whether they are marked deleted, and
    the vendor whose Balance they move (types that move one; None otherwise)."""
    table = rt.table
    moves = rt.balance_vendor_ref is not None
    if conn.dialect.name == "postgresql":
        # Driver SQL (psycopg's %(name)s parameters): once per stored page, no Core statement
        # to build and compile.
        vendor = "vendor_list_id" if moves else "NULL"
        sql = _PG_EXISTING.format(table=table.name, key=rt.id_column, vendor=vendor)
        rows = conn.exec_driver_sql(sql, {"ids": ids_json(ids), "company_id": company_id})
    else:
        id_col = table.c[rt.id_column]
        vendor_col = table.c.vendor_list_id if moves else null()
        rows = conn.execute(
            select(id_col, table.c.edit_sequence, table.c.is_deleted, vendor_col).where(
                table.c.company_id == company_id, id_col.in_(ids)
            )
        )
    return {r[0]: (r[1], bool(r[2]), r[3]) for r in rows}


def _stored_documents(
    conn: Connection, company_id: int, rt: RecordType, ids: Sequence[str]
) -> dict[str, Any]:
    if not ids:
        return {}
    table = rt.table
    id_col = table.c[rt.id_column]
    rows = conn.execute(
        select(id_col, table.c.qb).where(
            table.c.company_id == company_id, one_of(conn, id_col, ids)
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
        stored_sequence, stored_deleted, _vendor = stored
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
    # PostgreSQL reads instants from ISO 8601 text (COPY, jsonb_to_recordset): the batch's
    # time is formatted once, and TimeModified's instant goes as QuickBooks wrote it.
    pg = conn.dialect.name == "postgresql"
    synced_at = now.isoformat() if pg else now

    def prepared(ids: list[str]) -> Iterator[dict[str, Any]]:
        for object_id in ids:
            tag, data = batch[object_id]
            yield prepare_row(rt, data, tag, company_id, synced_at, stamps_as_text=pg)

    # The feed lock makes the classification exact (every write of this company's records
    # happens under it), so new rows go in with a plain bulk insert (COPY on PostgreSQL,
    # streamed: the server stores rows while the next ones are written) and only changed
    # ones need INSERT … ON CONFLICT DO UPDATE.
    escaped: set[str] = set()  # PostgreSQL: records whose strings COPY text must escape
    if pg:
        # The rows' COPY text straight from the records (records/copy_rows.py).
        new_records = ((i, *batch[i]) for i in new_ids)
        lines = copy_lines(rt, new_records, company_id, now.isoformat(), escaped)
        copy_text(conn, rt.table, copy_columns(rt), lines)
        rows = [(i, text(batch[i][1].get("EditSequence")), batch[i][1]) for i in new_ids]
    else:
        new_rows = list(prepared(new_ids))
        insert_rows(conn, rt.table, new_rows)
        rows = [_stored(rt, row) for row in new_rows]
    changed_rows = list(prepared(changed_ids))
    upsert_rows(conn, rt.table, changed_rows, conflict=("company_id", rt.id_column))
    rows += [_stored(rt, row) for row in changed_rows]
    if not rt.is_list:
        if pg:
            escaped.update(i for i in changed_ids if needs_escaping(dumps_json(batch[i][1])))
        _replace_lines_and_links(conn, company_id, rt, changed_ids, rows, escaped)
    log_changes(conn, company_id, rt.name, [(i, "upsert", seq) for i, seq, _data in rows], now)
    return UpsertResult(
        inserted=len(new_ids),
        updated=len(changed_ids),
        unchanged=unchanged,
        changed_ids=(*new_ids, *changed_ids),
        prior_vendors=tuple(sorted({v for i in changed_ids if (v := existing[i][2])})),
    )


def _insert_while_reading(
    conn: Connection,
    company_id: int,
    rt: RecordType,
    records: Iterable[RecordInput],
    ids: Sequence[str],
) -> tuple[UpsertResult, list[RecordInput]]:
    """PostgreSQL, under the feed lock: COPY the records whose announced id is not stored yet
    as they are read — the database stores each part while the next records are parsed and
    formatted, where reading a whole batch first left it idle until the COPY began and the
    server waiting at its end (about an eighth of a page's time at the default page sizes).
    Returns what was inserted and the records left for the usual way, in their order: stored
    ones, ones not announced, a repeat of one just written (which then counts as its
    update)."""
    existing = _existing(conn, company_id, rt, ids)
    fresh = {i for i in ids if i not in existing}
    written: dict[str, Mapping[str, Any]] = {}
    later: list[RecordInput] = []

    def new_records() -> Iterator[tuple[str, str | None, Mapping[str, Any]]]:
        for item in records:
            tag, data = _split(item)
            object_id = _record_id(rt, tag, data)
            if object_id in fresh and object_id not in written:
                written[object_id] = data
                yield object_id, tag, data
            else:
                later.append(item)

    now = utcnow()
    escaped: set[str] = set()
    lines = copy_lines(rt, new_records(), company_id, now.isoformat(), escaped)
    copy_text(conn, rt.table, copy_columns(rt), lines)  # reads every record, new or not
    if not written:
        return UpsertResult(), later
    rows = [(i, text(data.get("EditSequence")), data) for i, data in written.items()]
    if not rt.is_list:
        _replace_lines_and_links(conn, company_id, rt, (), rows, escaped)
    log_changes(conn, company_id, rt.name, [(i, "upsert", seq) for i, seq, _data in rows], now)
    return UpsertResult(inserted=len(rows), changed_ids=tuple(written)), later


# A stored record as the change log and the lines need it: (id, EditSequence, its dict).
Stored = tuple[str, str | None, Mapping[str, Any]]


def _stored(rt: RecordType, row: Mapping[str, Any]) -> Stored:
    return row[rt.id_column], row["edit_sequence"], row["qb"]


def _replace_lines_and_links(
    conn: Connection,
    company_id: int,
    rt: RecordType,
    changed_ids: Sequence[str],
    rows: Sequence[Stored],
    escaped: set[str],
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
    if conn.dialect.name == "postgresql":
        # As COPY text straight from the records (records/copy_rows.py), like the rows.
        link_lines: list[str] = []
        records = ((i, data, i in escaped) for i, _sequence, data in rows)
        copy_text(
            conn, LINES, _CHILD_KEY + LINE_COLUMNS, child_lines(rt, company_id, records, link_lines)
        )
        copy_text(conn, LINKS, _CHILD_KEY + LINK_COLUMNS, link_lines)
        return
    links: list[tuple[Any, ...]] = []
    name = rt.name

    def lines() -> Iterator[tuple[Any, ...]]:
        # Links are collected on the way: one COPY runs at a time on a connection.
        for txn_id, _sequence, data in rows:
            for position, line in enumerate(iter_lines(rt, data)):
                yield (company_id, name, txn_id, position, *line)
            for position, link in enumerate(iter_links(data)):
                links.append((company_id, name, txn_id, position, *link))

    insert_tuples(conn, LINES, _CHILD_KEY + LINE_COLUMNS, lines())
    insert_tuples(conn, LINKS, _CHILD_KEY + LINK_COLUMNS, links)


_CHILD_KEY = ("company_id", "record_type", "txn_id", "position")

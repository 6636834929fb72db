"""Reconciliation of ids: the safety net for restored company files and long gaps.

Modified-date passes cannot see a company file that was restored from a backup (records go back
to older versions with older TimeModified; records created after the backup vanish without a
deletion event), nor deletions older than QuickBooks' ~90-day deletion log (§6.5). A
reconciliation pass lists every ListID/TxnID with its EditSequence (IncludeRetElement keeps the
pages tiny), re-fetches what we lack or hold in another version, and marks deleted what
QuickBooks no longer has.

It runs when the data went back in time, when the last deletion sweep is older than QuickBooks'
deletion log, every ``reconcile_interval`` per stream, and on demand (:func:`request_reconcile`:
``POST /api/companies/{id}/reconcile``, ``qbwc-server company reconcile ID``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from models import ReconcileMark, StreamCursor
from qbwc_server.records import deletions
from qbwc_server.records import vendor_balances as balances
from qbwc_server.records.types import DECLARED, record_type
from qbwc_server.sync.cursors import get_cursor
from qbwc_server.sync.state import editing_extra


def mark_seen(
    session: Session, company_id: int, stream: str, pairs: Iterable[tuple[str, str | None]]
) -> int:
    """Record the ids of one page; returns how many need a re-fetch."""
    pairs = list(dict(pairs).items())
    if not pairs:
        return 0
    rt = record_type(stream)
    table = rt.table
    id_col = table.c[rt.id_column]
    ids = [p[0] for p in pairs]
    stored = {
        row[0]: (row[1], bool(row[2]))
        for row in session.connection().execute(
            select(id_col, table.c.edit_sequence, table.c.is_deleted).where(
                table.c.company_id == company_id, id_col.in_(ids)
            )
        )
    }
    already = set(
        session.scalars(
            select(ReconcileMark.record_id).where(
                ReconcileMark.company_id == company_id,
                ReconcileMark.stream == stream,
                ReconcileMark.record_id.in_(ids),
            )
        )
    )
    fetch = 0
    for record_id, edit_sequence in pairs:
        if record_id in already:
            continue  # a page seen twice (restarted iterator): keep the first mark
        have = stored.get(record_id)
        needs = have is None or have[1] or have[0] != edit_sequence
        fetch += int(needs)
        session.add(
            ReconcileMark(
                company_id=company_id,
                stream=stream,
                record_id=record_id,
                edit_sequence=edit_sequence,
                needs_fetch=needs,
            )
        )
    session.flush()
    return fetch


def ids_to_fetch(session: Session, company_id: int, stream: str, limit: int) -> list[str]:
    return list(
        session.scalars(
            select(ReconcileMark.record_id)
            .where(
                ReconcileMark.company_id == company_id,
                ReconcileMark.stream == stream,
                ReconcileMark.needs_fetch.is_(True),
            )
            .order_by(ReconcileMark.record_id)
            .limit(limit)
        )
    )


def fetched(session: Session, company_id: int, stream: str, ids: list[str]) -> None:
    if ids:
        session.execute(
            update(ReconcileMark)
            .where(
                and_(
                    ReconcileMark.company_id == company_id,
                    ReconcileMark.stream == stream,
                    ReconcileMark.record_id.in_(ids),
                )
            )
            .values(needs_fetch=False)
        )


def finish(session: Session, company_id: int, stream: str) -> list[str]:
    """Mark deleted what QuickBooks did not list; forget the marks. Returns those ids."""
    present = set(
        session.scalars(
            select(ReconcileMark.record_id).where(
                ReconcileMark.company_id == company_id, ReconcileMark.stream == stream
            )
        )
    )
    missing = deletions.missing_ids(session, company_id, stream, present)
    balances.mark(
        session, company_id, balances.stored_vendors(session, company_id, stream, missing)
    )
    deletions.mark_deleted(session, company_id, stream, missing)
    discard(session, company_id, stream)
    return missing


def discard(session: Session, company_id: int, stream: str) -> None:
    session.execute(
        delete(ReconcileMark).where(
            ReconcileMark.company_id == company_id, ReconcileMark.stream == stream
        )
    )


def request_reconcile(
    session: Session, company_id: int, cursors: dict[str, StreamCursor] | None = None
) -> int:
    """Ask for a reconciliation of every data stream at the next session (e.g. after the
    customer restored the company file from a backup). Returns the number of streams.
    ``cursors``: the company's cursors as the caller holds them (a sync call's SyncRun): used,
    and the ones made here added to it."""
    count = 0
    for rt in DECLARED:
        cursor = cursors.get(rt.name) if cursors is not None else None
        if cursor is None:
            cursor = get_cursor(session, company_id, rt.name)
            if cursors is not None:
                cursors[rt.name] = cursor
        if cursor.phase == "incremental":
            with editing_extra(cursor) as extra:
                extra.reconcile_requested = True
            count += 1
    return count

"""Rows of one table changed in one flush go out as one UPDATE (qbwc_server/flush_batching.py):
each row keeps exactly its own values, a row set back to what it held is not written, and a
flush of one table's rows costs one statement however differently they changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from models import StreamCursor
from qbwc_server.services.companies import create_company

STREAMS = ("vendors", "bills", "accounts")


@pytest.fixture
def cursor_ids(db: Any) -> list[int]:
    with db.transaction() as s:
        company_id = create_company(s, "Flush Co").company.id
        rows = [
            StreamCursor(company_id=company_id, stream=name, records_seen=1, extra={})
            for name in STREAMS
        ]
        s.add_all(rows)
        s.flush()
        return [row.id for row in rows]


@contextmanager
def counting(db: Any, table: str) -> Iterator[list[tuple[str, int]]]:
    """(UPDATE statement, rows it carried) for each UPDATE of ``table`` sent meanwhile."""
    seen: list[tuple[str, int]] = []
    prefix = f"UPDATE {table.upper()} "

    def count(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith(prefix):
            seen.append((sql, len(params) if many else 1))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def updates(db: Any) -> Iterator[list[tuple[str, int]]]:
    """The UPDATEs of stream_cursors the test sends."""
    with counting(db, "stream_cursors") as seen:
        yield seen


def stored(db: Any, ids: list[int]) -> dict[str, dict[str, Any]]:
    with db.transaction() as s:
        rows = s.scalars(select(StreamCursor).where(StreamCursor.id.in_(ids))).all()
        return {
            row.stream: {
                "phase": row.phase,
                "records_seen": row.records_seen,
                "watermark": row.watermark,
                "extra": row.extra,
                "updated_at": row.updated_at,
            }
            for row in rows
        }


@contextmanager
def editing(db: Any, ids: list[int]) -> Iterator[list[StreamCursor]]:
    """The cursors ``ids``, changed in one transaction (its commit flushes them together)."""
    with db.transaction() as s:
        rows = [s.get(StreamCursor, i) for i in ids]
        assert all(row is not None for row in rows)
        yield [row for row in rows if row is not None]


def test_rows_changed_in_different_columns_go_as_one_update(
    db: Any, cursor_ids: list[int], updates: list[tuple[str, int]]
) -> None:
    before = stored(db, cursor_ids)
    with editing(db, cursor_ids) as (vendors, bills, accounts):
        vendors.phase = "incremental"
        bills.records_seen = 7
        accounts.watermark = "2026-12-01T10:00:00-08:00"
        accounts.extra = {"shrink": 1}
    assert [rows for _statement, rows in updates] == [3]
    after = stored(db, cursor_ids)
    assert after["vendors"] | {"updated_at": None} == before["vendors"] | {
        "phase": "incremental",
        "updated_at": None,
    }
    assert after["bills"] | {"updated_at": None} == before["bills"] | {
        "records_seen": 7,
        "updated_at": None,
    }
    assert after["accounts"] | {"updated_at": None} == before["accounts"] | {
        "watermark": "2026-12-01T10:00:00-08:00",
        "extra": {"shrink": 1},
        "updated_at": None,
    }
    for name in STREAMS:
        assert isinstance(after[name]["updated_at"], datetime)
        assert after[name]["updated_at"] >= before[name]["updated_at"]


def test_a_row_set_back_to_its_value_is_not_written(
    db: Any, cursor_ids: list[int], updates: list[tuple[str, int]]
) -> None:
    before = stored(db, cursor_ids)
    with editing(db, cursor_ids) as (vendors, bills, accounts):
        vendors.records_seen = 5
        vendors.records_seen = 1  # back to what it was: nothing to write
        bills.phase = "incremental"
        accounts.records_seen = 9
    assert [rows for _statement, rows in updates] == [2]
    after = stored(db, cursor_ids)
    assert after["vendors"] == before["vendors"]  # not even its updated_at moved
    assert after["bills"]["phase"] == "incremental" and after["bills"]["records_seen"] == 1
    assert after["accounts"]["records_seen"] == 9 and after["accounts"]["phase"] == "initial"


def test_a_column_set_back_on_a_row_that_changed_otherwise_keeps_its_value(
    db: Any, cursor_ids: list[int], updates: list[tuple[str, int]]
) -> None:
    with editing(db, cursor_ids) as (vendors, bills, _accounts):
        vendors.records_seen = 5
        vendors.records_seen = 1  # set back ...
        vendors.phase = "incremental"  # ... while another column changed
        bills.records_seen = 4
    assert [rows for _statement, rows in updates] == [2]
    after = stored(db, cursor_ids)
    assert after["vendors"]["records_seen"] == 1 and after["vendors"]["phase"] == "incremental"
    assert after["bills"]["records_seen"] == 4 and after["bills"]["phase"] == "initial"


def test_one_changed_row_is_written_as_before(
    db: Any, cursor_ids: list[int], updates: list[tuple[str, int]]
) -> None:
    with editing(db, cursor_ids[:1]) as (vendors,):
        vendors.records_seen = 2
    assert len(updates) == 1
    statement, rows = updates[0]
    assert rows == 1 and "records_seen" in statement and "phase" not in statement
    assert stored(db, cursor_ids)["vendors"]["records_seen"] == 2


def test_rows_of_other_tables_keep_their_own_columns(db: Any) -> None:
    """Only stream cursors are aligned (their writers hold the company's row lock): two
    companies changed in one flush write only what each changed."""
    from models import Company

    with db.transaction() as s:
        ids = [create_company(s, name).company.id for name in ("One Co", "Two Co")]
    with counting(db, "companies") as seen, db.transaction() as s:
        one, two = (s.get(Company, i) for i in ids)
        assert one is not None and two is not None
        one.name = "One Co renamed"
        two.sync_interval_minutes = 120
    assert len(seen) == 2
    assert all(("name=" in u) != ("sync_interval_minutes=" in u) for u, _rows in seen)

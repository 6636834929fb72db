"""Rows written as COPY text (records/copy_rows.py, the change log in records/feed.py) store
exactly what the rows made by prepare_row / the plain inserts store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Text, cast, select

from models import RecordChange
from qbwc_server.records import bulk
from qbwc_server.records.copy_rows import child_lines, copy_columns, copy_lines, needs_escaping
from qbwc_server.records.feed import _change_rows_text, lock_feed, log_changes
from qbwc_server.records.rows import LINE_COLUMNS, LINK_COLUMNS, iter_lines, iter_links, prepare_row
from qbwc_server.records.store import LINES, LINKS
from qbwc_server.records.types import RECORD_TYPES
from tests.storage.helpers import in_tx, new_company, sim_records

# Values COPY's text format must escape (backslash, tab, newline, carriage return), values
# QuickBooks never writes but a converter must survive, and a quote (JSON escapes it: \").
ODD: dict[str, Any] = {
    "ListID": "ODD\\1",
    "TxnID": "ODD\\1",
    "EditSequence": "a\tb",
    "Name": "x\ny\\z\r",
    "FullName": "Parent:\\N",
    "Memo": 'say "hi"\t',
    "TimeModified": "2024-03-10T02:30:00",  # no offset: utc_instant's datetime
    "TimeCreated": "\\N",
    "IsActive": "false",
    "Sublevel": "x",
    "VendorRef": {"ListID": "tab\tid", "FullName": "n\\ame"},
    "PayeeEntityRef": [{"ListID": "first"}, {"ListID": "second"}],
    "AmountDue": " 12.50 ",
    "Amount": "1E+2",
    "Balance": "NaN",
    "TxnDate": "2024-02-30",
    "DueDate": "2024-02-28T00:00:00",
    "IsPaid": True,
    "TxnNumber": 7,
    "ExpenseLineRet": [
        {"TxnLineID": "L\t1", "AccountRef": {"ListID": "A\\1"}, "Amount": "1.50", "Memo": "a\nb"},
        "not a line",
        {"TxnLineID": "L2", "ClassRef": [{"ListID": "C1"}], "Cost": "x", "Rate": "2"},
    ],
    "ItemGroupLineRet": {
        "TxnLineID": "G\\1",
        "ItemGroupRef": {"ListID": "IG"},
        "TotalAmount": "5",
        "ItemLineRet": [{"TxnLineID": "G-1", "Rate": "2.5", "Quantity": "2"}, 7],
    },
    "PurchaseOrderLineRet": {"TxnLineID": "PO\r1", "Desc": "d", "BillableStatus": "Billable"},
    "LinkedTxn": [{"TxnID": "T\\2", "TxnDate": "2024-01-01", "Amount": "-3"}, "x"],
    "AppliedToTxnRet": {"TxnID": "P1", "DiscountAccountRef": {"ListID": "D"}, "TxnDate": "?"},
}
QUOTED: dict[str, Any] = {
    "ListID": "QUOTED1",
    "TxnID": "QUOTED1",
    "EditSequence": "1",
    "Name": 'Bob\'s "Best" Parts',
    "Memo": '"quoted"',
    "TimeModified": "2024-03-10T02:30:00-08:00",
    "ExpenseLineRet": {"TxnLineID": "Q-1", "Memo": '"Best"', "Amount": "1"},
    "AppliedToTxnRet": [{"TxnID": "Q-P", "RefNumber": '"7"'}],
}
# Beyond ASCII, in the typed columns and the JSON alike (the lines are UTF-8 bytes): Latin-1,
# other scripts, a character outside the Basic Multilingual Plane, a quote.
UNICODE: dict[str, Any] = {
    "ListID": "Ü-1",
    "TxnID": "Ü-1",
    "EditSequence": "1",
    "Name": 'Café Größe "№ 5" 日本 😀',
    "CompanyName": "Ærø Søn & Co",
    "Memo": "ünïcödé",
    "TimeModified": "2024-03-10T02:30:00-08:00",
}
NOW = "2026-12-06T18:00:00.123456+00:00"


def _stored(conn: Any, table: Any, company_id: int) -> list[tuple[Any, ...]]:
    # qb as the stored text: its element order and spelling count, not only its value.
    columns = [cast(c, Text) if c.name == "qb" else c for c in table.c if c.name != "company_id"]
    rows = conn.execute(select(*columns).where(table.c.company_id == company_id))
    return sorted(tuple(r) for r in rows)


@pytest.mark.parametrize("type_name", sorted(RECORD_TYPES))
def test_copy_lines_store_what_prepare_row_stores(db: Any, type_name: str) -> None:
    if not db.is_postgres:
        pytest.skip("COPY text is PostgreSQL's")
    rt = RECORD_TYPES[type_name]
    records = [
        *sim_records(type_name),
        (rt.ret_tags[0], dict(ODD)),
        (rt.ret_tags[-1], dict(QUOTED)),
        (rt.ret_tags[0], dict(UNICODE)),
    ]
    one, two = new_company(db, "One"), new_company(db, "Two")

    def store(session: Any) -> None:
        conn = session.connection()
        rows = [prepare_row(rt, d, t, one, NOW, stamps_as_text=True) for t, d in records]
        bulk.insert_rows(conn, rt.table, rows)
        new = [(str(n), t, d) for n, (t, d) in enumerate(records)]
        bulk.copy_text(conn, rt.table, copy_columns(rt), copy_lines(rt, new, two, NOW, set()))

    in_tx(db, store)
    expected = in_tx(db, lambda s: _stored(s.connection(), rt.table, one))
    assert len(expected) == len(records)
    assert in_tx(db, lambda s: _stored(s.connection(), rt.table, two)) == expected


@pytest.mark.parametrize("type_name", sorted(n for n, rt in RECORD_TYPES.items() if not rt.is_list))
def test_child_lines_store_what_iter_lines_stores(db: Any, type_name: str) -> None:
    if not db.is_postgres:
        pytest.skip("COPY text is PostgreSQL's")
    rt = RECORD_TYPES[type_name]
    records = [
        *(data for _tag, data in sim_records(type_name)),
        dict(ODD),
        dict(QUOTED),
        {"TxnID": "EMPTY"},
    ]
    one, two = new_company(db, "One"), new_company(db, "Two")
    key = ("company_id", "record_type", "txn_id", "position")

    def store(session: Any) -> None:
        conn = session.connection()
        lines, links = [], []
        for data in records:
            txn_id = data["TxnID"]
            for n, line in enumerate(iter_lines(rt, data)):
                lines.append((one, rt.name, txn_id, n, *line))
            for n, link in enumerate(iter_links(data)):
                links.append((one, rt.name, txn_id, n, *link))
        bulk.insert_tuples(conn, LINES, key + LINE_COLUMNS, lines)
        bulk.insert_tuples(conn, LINKS, key + LINK_COLUMNS, links)
        link_text: list[str] = []
        escaping = [(d["TxnID"], d, needs_escaping(bulk.dumps_json(d))) for d in records]
        assert any(e for _i, _d, e in escaping) and not all(e for _i, _d, e in escaping)
        bulk.copy_text(conn, LINES, key + LINE_COLUMNS, child_lines(rt, two, escaping, link_text))
        bulk.copy_text(conn, LINKS, key + LINK_COLUMNS, link_text)

    in_tx(db, store)
    for table in (LINES, LINKS):

        def stored(ids: Any, t: Any = table) -> Any:
            return in_tx(db, lambda s: _stored(s.connection(), t, ids))

        expected = stored(one)
        assert expected or (table is LINES and not rt.lines), table.name
        assert stored(two) == expected


def test_every_declared_type_writes_one_line_per_record() -> None:
    for rt in RECORD_TYPES.values():
        for data in (ODD, QUOTED, UNICODE, {"ListID": "1", "TxnID": "1"}):
            (line,) = copy_lines(rt, [("1", rt.ret_tags[0], data)], 1, NOW, set())
            assert line.endswith(b"\n") and line.count(b"\n") == 1, rt.name
            assert line.count(b"\t") == len(copy_columns(rt)) - 1, rt.name
            assert copy_columns(rt)[-1] == "qb" and line.rstrip().endswith(b"}"), rt.name


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\\N"),
        ("plain", "plain"),
        ("a\\b\tc\nd\re", "a\\\\b\\tc\\nd\\re"),
        ("\\N", "\\\\N"),
    ],
)
def test_copy_escape(value: str | None, text: str) -> None:
    assert bulk.copy_escape(value) == text


def test_change_rows_escape_only_when_a_value_needs_it() -> None:
    plain = _change_rows_text(3, 10, "vendors", [("A-1", "upsert", "77")], NOW)
    assert plain == f"3\t10\tvendors\tA-1\tupsert\t77\t{NOW}\n"
    odd = _change_rows_text(3, 10, "vendors", [("A\t1", "delete", None), ("B\\2", "x", "\n")], NOW)
    assert odd == (
        f"3\t10\tvendors\tA\\t1\tdelete\t\\N\t{NOW}\n3\t11\tvendors\tB\\\\2\tx\t\\n\t{NOW}\n"
    )


def test_change_log_keeps_odd_ids_and_missing_edit_sequences(db: Any) -> None:
    cid = new_company(db)
    changes = [("A\t1", "upsert", None), ("B\\N", "delete", "\r\n"), ("C-3", "upsert", "9")]
    at = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)

    def log(session: Any) -> None:
        conn = session.connection()
        lock_feed(conn, cid)
        log_changes(conn, cid, "vendors", changes, at)

    in_tx(db, log)
    rows = in_tx(
        db,
        lambda s: s.execute(
            select(
                RecordChange.seq,
                RecordChange.object_id,
                RecordChange.op,
                RecordChange.edit_sequence,
                RecordChange.at,
            )
            .where(RecordChange.company_id == cid)
            .order_by(RecordChange.seq)
        ).all(),
    )
    assert [tuple(r[:4]) for r in rows] == [(n, *c) for n, c in enumerate(changes, 1)]
    assert all(r[4].replace(tzinfo=r[4].tzinfo or UTC) == at for r in rows)

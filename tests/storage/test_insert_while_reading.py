"""upsert_records with ``expected_ids`` (a page's announced record ids): on PostgreSQL the new
records are written while they are read (records/store.py ``_insert_while_reading``). Whatever
path a record takes, what is stored must be what the usual path stores: the rows, their lines
and links, the change log in its order, the counts. On SQLite the ids are ignored (the usual
path), and the same expectations hold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from models import QbTxnLine, QbTxnLink, RecordChange
from qbwc_server.qbxml.parse import (
    Record,
    ResponseStart,
    iter_response,
)
from qbwc_server.records.store import UpsertResult, upsert_records
from qbwc_server.records.types import RecordError, record_type
from tests.storage.helpers import bill, in_tx, new_company, vendor

VOLATILE = {"company_id", "synced_at"}  # differ between two companies stored the same way


def _ids(records: list[Any]) -> list[str]:
    return [r.get("ListID") or r.get("TxnID") for r in records]


def store(
    db: Any, cid: int, type_name: str, records: list[Any], ids: list[str] | None
) -> UpsertResult:
    announced = None if ids is None else (lambda: ids)
    return in_tx(
        db,
        lambda s: upsert_records(s, cid, type_name, iter(records), expected_ids=announced),
    )


def snapshot(db: Any, cid: int, type_name: str) -> dict[str, Any]:
    """Everything stored for one company's records of one type, company-neutral."""
    table = record_type(type_name).table

    def rows(s: Any) -> dict[str, Any]:
        def plain(query: Any, order: Any) -> list[dict[str, Any]]:
            return [
                {k: v for k, v in row._mapping.items() if k not in VOLATILE}
                for row in s.execute(query.order_by(*order))
            ]

        key = table.c[record_type(type_name).id_column]
        return {
            "rows": plain(select(table).where(table.c.company_id == cid), [key]),
            "lines": plain(
                select(QbTxnLine.__table__).where(QbTxnLine.company_id == cid),
                [QbTxnLine.txn_id, QbTxnLine.position],
            ),
            "links": plain(
                select(QbTxnLink.__table__).where(QbTxnLink.company_id == cid),
                [QbTxnLink.txn_id, QbTxnLink.position],
            ),
            "changes": [
                (c.seq, c.record_type, c.object_id, c.op, c.edit_sequence)
                for c in s.scalars(
                    select(RecordChange)
                    .where(RecordChange.company_id == cid)
                    .order_by(RecordChange.seq)
                )
            ],
        }

    return in_tx(db, rows)


def both_ways(
    db: Any, type_name: str, pages: list[tuple[list[Any], list[str] | None]]
) -> tuple[list[UpsertResult], list[UpsertResult]]:
    """The same pages stored with their ids announced (company A) and without (company B);
    asserts that both stored the same and returns the results of each."""
    announced, usual = new_company(db, "Announced"), new_company(db, "Usual")
    results_a = [store(db, announced, type_name, recs, ids) for recs, ids in pages]
    results_b = [store(db, usual, type_name, recs, None) for recs, _ids in pages]
    assert snapshot(db, announced, type_name) == snapshot(db, usual, type_name)
    for a, b in zip(results_a, results_b, strict=True):
        assert a == b
        assert sorted(a.changed_ids) == sorted(b.changed_ids)
        assert sorted(a.prior_vendors) == sorted(b.prior_vendors)
    return results_a, results_b


def test_new_records_with_lines_and_links_are_stored_as_the_usual_way_stores_them(
    db: Any,
) -> None:
    vendors = [vendor(n) for n in range(40)]
    (result,), _ = both_ways(db, "vendors", [(vendors, _ids(vendors))])
    assert result == UpsertResult(inserted=40)
    bills = [bill(n, lines=3) for n in range(25)]
    (result,), _ = both_ways(db, "bills", [(bills, _ids(bills))])
    assert result == UpsertResult(inserted=25)


def test_a_page_of_changed_unchanged_and_new_records_keeps_the_usual_order_and_counts(
    db: Any,
) -> None:
    first = [bill(n, vendor_n=1) for n in range(10)]
    second = (
        [bill(n, vendor_n=1) for n in range(3)]  # unchanged
        + [bill(n, edit=1, vendor_n=2) for n in range(3, 6)]  # changed, another vendor
        + [bill(n, vendor_n=3) for n in range(10, 16)]  # new, between and after them
    )
    second.insert(4, bill(20, vendor_n=3))
    _, (_, page_two) = both_ways(db, "bills", [(first, _ids(first)), (second, _ids(second))])
    assert page_two == UpsertResult(inserted=7, updated=3, unchanged=3)
    assert page_two.prior_vendors  # the changed bills' former vendor


def test_records_the_ids_did_not_announce_and_repeats_are_stored_the_usual_way(
    db: Any,
) -> None:
    records = [vendor(n) for n in range(8)]
    missing_one = _ids(records)[:-1]  # the last record was not announced
    (result,), _ = both_ways(db, "vendors", [(records, missing_one)])
    assert result == UpsertResult(inserted=8)
    # A repeat in the page (QuickBooks never sends one): counted once, the last wins, as
    # the usual way does (the announced ids repeat too, so the page goes the usual way).
    repeated = [vendor(n) for n in range(20, 25)] + [vendor(21, edit=1)]
    (result,), _ = both_ways(db, "vendors", [(repeated, _ids(repeated))])
    assert result == UpsertResult(inserted=5)
    # An announced id that never comes (a record the caller left out): nothing of it.
    extra = [vendor(n) for n in range(30, 33)]
    (result,), _ = both_ways(db, "vendors", [(extra, [*_ids(extra), "8FFFFFFF-1"])])
    assert result == UpsertResult(inserted=3)


@pytest.mark.parametrize("bad", ["no id", "another type"])
def test_a_bad_record_in_the_middle_refuses_the_page_and_stores_nothing(db: Any, bad: str) -> None:
    cid = new_company(db)
    records: list[Any] = [vendor(n) for n in range(6)]
    records.insert(3, {"Name": "No id"} if bad == "no id" else ("BillRet", vendor(9)))
    ids = [r["ListID"] for r in records if isinstance(r, dict) and "ListID" in r]
    with pytest.raises(RecordError):
        store(db, cid, "vendors", records, ids)
    assert snapshot(db, cid, "vendors") == {"rows": [], "lines": [], "links": [], "changes": []}
    assert store(db, cid, "vendors", records[:3], ids[:3]) == UpsertResult(inserted=3)


def test_the_new_records_are_told_apart_before_the_page_is_read(db: Any) -> None:
    """The mechanism itself: with the ids announced, the stored ids are looked up when only
    the first record has been read (on PostgreSQL); the usual way reads the whole batch
    first. Fails if the store stops using the announced ids."""
    cid = new_company(db)
    records = [vendor(n) for n in range(30)]
    read = 0
    read_at_lookup: list[int] = []

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal read
        for record in records:
            read += 1
            yield record

    def lookup(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        lookup_sql = statement.lstrip().upper().startswith("SELECT")
        if lookup_sql and "edit_sequence" in statement and "qb_vendors" in statement:
            read_at_lookup.append(read)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", lookup)
    try:
        in_tx(
            db,
            lambda s: upsert_records(
                s, cid, "vendors", counted(), expected_ids=lambda: _ids(records)
            ),
        )
    finally:
        event.remove(engine, "before_cursor_execute", lookup)
    expected = 1 if engine.dialect.name == "postgresql" else len(records)
    assert read_at_lookup == [expected]


def test_a_parsed_page_announces_its_record_ids() -> None:
    """ResponseStart.record_ids: the ListID/TxnID of each record, in order (an
    ErrorRecovery's first element comes along: a hint, storage checks each record's own id).
    A streamed page announces none."""
    rets = "".join(
        f"<VendorRet><ListID>{n}-1</ListID><VendorTypeRef><ListID>T</ListID></VendorTypeRef>"
        f"<Name>V{n}</Name></VendorRet>"
        for n in range(3)
    )
    text = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        '<VendorQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="ok">'
        f"{rets}</VendorQueryRs>"
        '<BillQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="ok">'
        "<BillRet><TxnID>B-1</TxnID></BillRet>"
        "<ErrorRecovery><ListID>E-1</ListID></ErrorRecovery></BillQueryRs>"
        "</QBXMLMsgsRs></QBXML>"
    )
    events = list(iter_response(text))
    starts = [e for e in events if isinstance(e, ResponseStart)]
    assert [s.record_ids for s in starts] == [("0-1", "1-1", "2-1"), ("B-1", "E-1")]
    records = [e for e in events if isinstance(e, Record)]
    assert [r.data.get("ListID") or r.data.get("TxnID") for r in records] == [
        "0-1",
        "1-1",
        "2-1",
        "B-1",
    ]
    streamed = list(iter_response(text, whole_document_max_chars=0))
    assert [e.record_ids for e in streamed if isinstance(e, ResponseStart)] == [None, None]

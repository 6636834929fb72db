"""upsert_records / mark_deleted / missing_ids / counts against the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event, func, select

from models import QbTxnLine, QbTxnLink, RecordChange, RecordChangeHead
from models.records import QbBill, QbItem, QbVendor
from qbwc_server.qbxml.parse import parse_response
from qbwc_server.records import bulk
from qbwc_server.records.deletions import mark_deleted, missing_ids, purge_company
from qbwc_server.records.read import count_records, record_counts
from qbwc_server.records.store import BATCH_SIZE, UpsertResult, upsert_records
from qbwc_server.records.types import RECORD_TYPES, RecordError, UnknownRecordType
from tests.storage.helpers import bill, bill_payment, changes, in_tx, new_company, vendor


def upsert(db: Any, company_id: int, type_name: str, records: list[Any]) -> UpsertResult:
    return in_tx(db, lambda s: upsert_records(s, company_id, type_name, records))


def vendor_row(db: Any, company_id: int, list_id: str) -> QbVendor:
    return in_tx(
        db,
        lambda s: s.scalars(
            select(QbVendor).where(QbVendor.company_id == company_id, QbVendor.list_id == list_id)
        ).one(),
    )


def test_complete_record_keeps_the_element_order_quickbooks_wrote(db: Any) -> None:
    """``qb`` is stored as JSON text on both backends (migration 0006): JSONB would re-sort
    the keys, shortest first."""
    cid = new_company(db)
    record = vendor(3)
    # Long names before short ones, nested too: JSONB would put "Name" before "CompanyName".
    record = {"ListID": record["ListID"], "EditSequence": record["EditSequence"],
              "CompanyName": "Zed", "Name": "Vendor 3",
              "VendorAddress": {"PostalCode": "1", "City": "C", "Addr1": "A"}}  # fmt: skip
    upsert(db, cid, "vendors", [record])
    stored = vendor_row(db, cid, record["ListID"]).qb
    assert list(stored) == list(record)
    assert list(stored["VendorAddress"]) == ["PostalCode", "City", "Addr1"]


def test_replay_is_unchanged_writes_nothing_and_logs_nothing(db: Any) -> None:
    cid = new_company(db)
    vendors = [vendor(n) for n in range(3)]
    assert upsert(db, cid, "vendors", vendors) == UpsertResult(inserted=3)
    before = vendor_row(db, cid, vendors[0]["ListID"])
    assert len(changes(db, cid)) == 3

    # Same EditSequence but a different name: QuickBooks never does that, so the stored row
    # must be left alone (proves nothing is written on a replay).
    replay = [dict(v) for v in vendors]
    replay[0]["Name"] = "Renamed without an edit"
    assert upsert(db, cid, "vendors", replay) == UpsertResult(unchanged=3)
    after = vendor_row(db, cid, vendors[0]["ListID"])
    assert after.name == "Vendor 0"
    assert after.synced_at == before.synced_at
    assert len(changes(db, cid)) == 3


def test_compare_documents_updates_a_record_quickbooks_recomputed_without_an_edit(
    db: Any,
) -> None:
    """A vendor's Balance moves without a new EditSequence (sync/balances.py): only a re-read
    that compares documents stores it, and an identical re-read still writes nothing."""
    cid = new_company(db)
    first = vendor(4)
    upsert(db, cid, "vendors", [first])
    moved = dict(first, Balance="999.00")
    assert upsert(db, cid, "vendors", [moved]) == UpsertResult(unchanged=1)
    assert vendor_row(db, cid, first["ListID"]).balance == Decimal("40.50")

    def refresh(records: list[Any]) -> UpsertResult:
        return in_tx(
            db, lambda s: upsert_records(s, cid, "vendors", records, compare_documents=True)
        )

    assert refresh([moved]) == UpsertResult(updated=1)
    row = vendor_row(db, cid, first["ListID"])
    assert row.balance == Decimal("999.00") and row.qb["Balance"] == "999.00"
    assert refresh([moved]) == UpsertResult(unchanged=1)
    assert [c.op for c in changes(db, cid)] == ["upsert", "upsert"]


def test_typed_vendor_columns_and_complete_record(db: Any) -> None:
    cid = new_company(db)
    record = vendor(7, active=False)
    upsert(db, cid, "vendors", [record])
    row = vendor_row(db, cid, record["ListID"])
    assert row.name == row.full_name == "Vendor 7"
    assert row.is_active is False and row.is_deleted is False
    assert row.company_name == "Vendor 7 LLC"
    assert row.email == "ap7@vendor.example"
    assert row.account_number == "A-7"
    assert row.vendor_type_list_id == "80000010-1700000000"
    assert row.terms_list_id == "80000011-1700000000"
    assert row.is_vendor_eligible_for_1099 is True
    assert row.balance == Decimal("70.50")
    assert row.edit_sequence == "1700000000"
    assert row.time_modified == "2024-02-08T10:07:00-08:00"
    assert row.time_modified_utc == datetime(2024, 2, 8, 18, 7, tzinfo=UTC)
    assert row.qb == record  # the whole record, DataExtRet and address included


@pytest.mark.parametrize(
    ("modified", "instant"),
    [
        ("2024-02-08T10:07:00-08:00", datetime(2024, 2, 8, 18, 7, tzinfo=UTC)),
        ("2024-03-10T23:30:00+05:30", datetime(2024, 3, 10, 18, 0, tzinfo=UTC)),
        ("2024-12-31T23:59:59-14:00", datetime(2025, 1, 1, 13, 59, 59, tzinfo=UTC)),
        (" 2024-02-08T10:07:00-08:00 ", datetime(2024, 2, 8, 18, 7, tzinfo=UTC)),
        ("2024-02-08T10:07:00", datetime(2024, 2, 8, 10, 7, tzinfo=UTC)),  # no offset: UTC
        ("2024-02-08T10:07:00.250-08:00", datetime(2024, 2, 8, 18, 7, 0, 250000, tzinfo=UTC)),
        ("2024-02-30T10:07:00-08:00", None),  # no such day
        ("2024-02-08T10:07:00-16:00", datetime(2024, 2, 9, 2, 7, tzinfo=UTC)),  # converted
        ("yesterday", None),
    ],
)
def test_time_modified_instant_on_insert_and_update(
    db: Any, modified: str, instant: datetime | None
) -> None:
    # PostgreSQL is given the usual stamp as written (records/fields.py instant_text), the
    # rest as a converted instant: the same stored instant either way, on the COPY of new
    # records and on the update of a changed one.
    cid = new_company(db)
    record = vendor(3, modified=modified)
    upsert(db, cid, "vendors", [record])
    assert vendor_row(db, cid, record["ListID"]).time_modified_utc == instant
    upsert(db, cid, "vendors", [vendor(3, edit=1, modified="2020-01-01T00:00:00+00:00")])
    upsert(db, cid, "vendors", [vendor(3, edit=2, modified=modified)])
    row = vendor_row(db, cid, record["ListID"])
    assert (row.time_modified, row.time_modified_utc) == (modified, instant)
    assert [c.edit_sequence for c in changes(db, cid)] == ["1700000000", "1700000001", "1700000002"]


def test_changed_edit_sequence_updates_and_replaces_lines_and_links(db: Any) -> None:
    cid = new_company(db)
    original = bill(1, lines=3)
    assert upsert(db, cid, "bills", [original, bill(2)]).inserted == 2

    def lines_of(txn_id: str) -> list[QbTxnLine]:
        return in_tx(
            db,
            lambda s: list(
                s.scalars(
                    select(QbTxnLine)
                    .where(QbTxnLine.company_id == cid, QbTxnLine.txn_id == txn_id)
                    .order_by(QbTxnLine.position)
                )
            ),
        )

    first = lines_of(original["TxnID"])
    assert [(ln.line_kind, ln.txn_line_id) for ln in first] == [
        ("expense", "L1-0-0"),
        ("expense", "L1-0-1"),
        ("expense", "L1-0-2"),
        ("item", "I1-0"),
    ]
    assert first[0].account_list_id == "80000020-1700000000"
    assert first[0].amount == Decimal("100.25")
    assert first[0].memo == "line 0"
    assert first[0].customer_list_id == "80000050-1700000000"
    assert first[0].class_list_id == "80000030-1700000000"
    assert first[0].billable_status == "NotBillable"
    assert first[3].item_list_id == "80000070-1700000000"
    assert (first[3].quantity, first[3].cost) == (Decimal(3), Decimal(20))

    edited = bill(1, edit=1, lines=1)
    edited["LinkedTxn"] = []
    assert upsert(db, cid, "bills", [edited, bill(2)]) == UpsertResult(updated=1, unchanged=1)
    second = lines_of(original["TxnID"])
    assert [ln.txn_line_id for ln in second] == ["L1-1-0", "I1-1"]
    links = in_tx(
        db, lambda s: list(s.scalars(select(QbTxnLink).where(QbTxnLink.txn_id == "101-1700000000")))
    )
    assert links == []
    # The other bill's lines are untouched.
    assert len(lines_of(bill(2)["TxnID"])) == 3
    row = in_tx(db, lambda s: s.get(QbBill, (cid, "101-1700000000")))
    assert row is not None and row.edit_sequence == "1710000001"
    assert row.memo == "bill 1 edit 1"
    log = [(c.object_id, c.op, c.edit_sequence) for c in changes(db, cid)]
    assert log[-1] == ("101-1700000000", "upsert", "1710000001")
    assert len(log) == 3


def test_typed_bill_and_payment_columns(db: Any) -> None:
    cid = new_company(db)
    source = bill(3, txn_date="2024-03-15")
    upsert(db, cid, "bills", [source])
    upsert(db, cid, "bill_payment_checks", [bill_payment(1, [source["TxnID"], "999-1"])])
    row = in_tx(db, lambda s: s.scalars(select(QbBill)).one())
    assert row.txn_id == source["TxnID"]
    assert row.txn_number == 3
    assert row.txn_date == date(2024, 3, 15)
    assert row.due_date == date(2024, 4, 9)
    assert row.vendor_list_id == "80000101-1700000000"
    assert row.vendor_name == "Vendor 1"
    assert row.ap_account_list_id == "80000004-1700000000"
    assert row.amount == row.amount_due == row.open_amount == Decimal("261.50")
    assert row.is_paid is False
    assert row.terms_list_id == "80000011-1700000000"
    assert row.ref_number == "INV-3"
    links = in_tx(
        db,
        lambda s: list(
            s.scalars(select(QbTxnLink).order_by(QbTxnLink.record_type, QbTxnLink.position))
        ),
    )
    applied = [lk for lk in links if lk.link_kind == "applied_to"]
    linked = [lk for lk in links if lk.link_kind == "linked"]
    assert [(lk.record_type, lk.linked_txn_id) for lk in applied] == [
        ("bill_payment_checks", source["TxnID"]),
        ("bill_payment_checks", "999-1"),
    ]
    assert applied[0].amount == Decimal("75.00")
    assert applied[0].discount_amount == Decimal("1.50")
    assert applied[0].discount_account_list_id == "80000040-1700000000"
    assert [(lk.linked_txn_type, lk.link_type, lk.amount) for lk in linked] == [
        ("PurchaseOrder", "QUANTYPE", Decimal("-60.00"))
    ]


def test_mark_deleted_and_undelete(db: Any) -> None:
    cid = new_company(db)
    vendors = [vendor(n) for n in range(3)]
    upsert(db, cid, "vendors", vendors)
    gone = vendors[1]["ListID"]
    marked = in_tx(
        db,
        lambda s: mark_deleted(
            s, cid, "vendors", [gone, gone, "unknown-id"], "2024-05-01T12:00:00-07:00"
        ),
    )
    assert marked == 1
    row = vendor_row(db, cid, gone)
    assert row.is_deleted is True
    assert row.time_deleted == "2024-05-01T12:00:00-07:00"
    assert row.deleted_at == datetime(2024, 5, 1, 19, 0, tzinfo=UTC)
    assert in_tx(db, lambda s: count_records(s, cid, "vendors")) == 2
    # Deleting again is a no-op: nothing marked, nothing logged, and no write at all: not
    # even the feed lock (a deletion sweep re-reads what its overlap covers every session).
    writes: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "SAVEPOINT", "RELEASE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert in_tx(db, lambda s: mark_deleted(s, cid, "vendors", [gone, "unknown-id"])) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert writes == []
    log = changes(db, cid)
    assert [(c.op, c.object_id) for c in log[3:]] == [("delete", gone)]
    assert log[3].edit_sequence == "1700000000"

    # It comes back (same EditSequence, e.g. a deleted-list entry that was wrong): undeleted.
    assert upsert(db, cid, "vendors", [vendors[1]]) == UpsertResult(updated=1)
    row = vendor_row(db, cid, gone)
    assert (row.is_deleted, row.time_deleted, row.deleted_at) == (False, None, None)
    assert in_tx(db, lambda s: count_records(s, cid, "vendors")) == 3
    assert [c.op for c in changes(db, cid)] == ["upsert"] * 3 + ["delete", "upsert"]


def test_what_quickbooks_no_longer_lists_is_marked_deleted(db: Any) -> None:
    """A reconciliation's end (sync/reconcile.py finish): the stored ids QuickBooks did not
    list are marked deleted, once."""
    cid = new_company(db)
    vendors = [vendor(n) for n in range(5)]
    upsert(db, cid, "vendors", vendors)
    present = {v["ListID"] for v in vendors[:3]} | {"never-stored"}

    def reconcile(s: Any) -> int:
        return mark_deleted(s, cid, "vendors", missing_ids(s, cid, "vendors", present))

    assert in_tx(db, reconcile) == 2
    assert in_tx(db, reconcile) == 0
    assert in_tx(db, lambda s: count_records(s, cid, "vendors")) == 3
    deleted = {c.object_id for c in changes(db, cid) if c.op == "delete"}
    assert deleted == {vendors[3]["ListID"], vendors[4]["ListID"]}
    row = vendor_row(db, cid, vendors[4]["ListID"])
    assert row.is_deleted and row.time_deleted is None and row.deleted_at is not None


def test_companies_are_isolated(db: Any) -> None:
    one, two = new_company(db, "One"), new_company(db, "Two")
    record = vendor(1)
    assert upsert(db, one, "vendors", [record]).inserted == 1
    assert upsert(db, two, "vendors", [record]).inserted == 1
    in_tx(db, lambda s: mark_deleted(s, one, "vendors", [record["ListID"]]))
    assert in_tx(db, lambda s: count_records(s, one, "vendors")) == 0
    assert in_tx(db, lambda s: count_records(s, two, "vendors")) == 1
    # Each company has its own gap-free feed.
    assert [c.seq for c in changes(db, one)] == [1, 2]
    assert [c.seq for c in changes(db, two)] == [1]


def test_large_calls_are_batched_and_duplicates_count_once(db: Any) -> None:
    cid = new_company(db)
    records = [vendor(n) for n in range(BATCH_SIZE * 2 + 7)]
    records.insert(10, vendor(3, edit=1))  # same ListID twice in one batch: the last wins
    result = upsert(db, cid, "vendors", records)
    assert result == UpsertResult(inserted=BATCH_SIZE * 2 + 7)
    assert vendor_row(db, cid, vendor(3)["ListID"]).edit_sequence == "1700000001"
    seqs = [c.seq for c in changes(db, cid)]
    assert seqs == list(range(1, BATCH_SIZE * 2 + 8))


def test_a_rolled_back_upsert_leaves_no_gap(db: Any) -> None:
    cid = new_company(db)
    upsert(db, cid, "vendors", [vendor(1)])
    with pytest.raises(RuntimeError), db.transaction() as s:
        upsert_records(s, cid, "vendors", [vendor(2)])
        raise RuntimeError("the SOAP call failed after storing the page")
    upsert(db, cid, "vendors", [vendor(3)])
    log = changes(db, cid)
    assert [c.seq for c in log] == [1, 2]
    assert [c.object_id for c in log] == [vendor(1)["ListID"], vendor(3)["ListID"]]


def test_bad_input_is_refused(db: Any) -> None:
    cid = new_company(db)
    with pytest.raises(UnknownRecordType) as info:
        upsert(db, cid, "invoices", [vendor(1)])
    assert "invoices" in str(info.value)
    with pytest.raises(RecordError, match="without ListID"):
        upsert(db, cid, "vendors", [{"Name": "No id"}])
    with pytest.raises(RecordError, match="BillRet"):
        upsert(db, cid, "vendors", [("BillRet", vendor(1))])
    assert changes(db, cid) == []


def test_parser_records_and_item_tags(db: Any) -> None:
    cid = new_company(db)
    response = """<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>
    <ItemQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
      <ItemServiceRet><ListID>80000001-1</ListID><TimeCreated>2024-01-01T00:00:00-08:00</TimeCreated>
        <TimeModified>2024-01-01T00:00:00-08:00</TimeModified><EditSequence>1</EditSequence>
        <Name>Consulting</Name><FullName>Consulting</FullName><IsActive>true</IsActive>
        <Sublevel>0</Sublevel><SalesOrPurchase><Desc>Hours</Desc><Price>120.00</Price>
        <AccountRef><ListID>80000009-1</ListID></AccountRef></SalesOrPurchase></ItemServiceRet>
      <ItemInventoryRet><ListID>80000002-1</ListID><EditSequence>1</EditSequence>
        <Name>Widget</Name><FullName>Parts:Widget</FullName><IsActive>false</IsActive>
        <ParentRef><ListID>80000003-1</ListID><FullName>Parts</FullName></ParentRef>
        <Sublevel>1</Sublevel><PurchaseDesc>Widget (wholesale)</PurchaseDesc>
        <PurchaseCost>9.95</PurchaseCost><COGSAccountRef><ListID>8000000B-1</ListID></COGSAccountRef>
        <AssetAccountRef><ListID>80000021-1</ListID></AssetAccountRef>
        <QuantityOnHand>21</QuantityOnHand></ItemInventoryRet>
    </ItemQueryRs></QBXMLMsgsRs></QBXML>"""
    records = parse_response(response).responses[0].records
    assert upsert(db, cid, "items", records).inserted == 2
    rows = {r.list_id: r for r in in_tx(db, lambda s: list(s.scalars(select(QbItem))))}
    service, widget = rows["80000001-1"], rows["80000002-1"]
    assert (service.item_type, service.description, service.sales_price) == (
        "Service",
        "Hours",
        Decimal("120.00"),
    )
    assert service.account_list_id == "80000009-1"
    assert (widget.item_type, widget.full_name, widget.parent_list_id, widget.sublevel) == (
        "Inventory",
        "Parts:Widget",
        "80000003-1",
        1,
    )
    assert widget.is_active is False
    assert widget.purchase_cost == Decimal("9.95")
    assert widget.cogs_account_list_id == "8000000B-1"
    assert widget.quantity_on_hand == Decimal(21)
    # (tag, dict) pairs work too, and a plain dict leaves item_type unknown.
    upsert(
        db, cid, "items", [("ItemGroupRet", {"ListID": "G-1", "EditSequence": "1", "Name": "Kit"})]
    )
    upsert(db, cid, "items", [{"ListID": "U-1", "EditSequence": "1", "Name": "Plain"}])
    types = {r.list_id: r.item_type for r in in_tx(db, lambda s: list(s.scalars(select(QbItem))))}
    assert types["G-1"] == "Group" and types["U-1"] is None


def test_record_counts_cover_every_type(db: Any) -> None:
    cid = new_company(db)
    upsert(db, cid, "vendors", [vendor(n) for n in range(4)])
    upsert(db, cid, "bills", [bill(n) for n in range(2)])
    in_tx(db, lambda s: mark_deleted(s, cid, "vendors", [vendor(0)["ListID"]]))
    counts = in_tx(db, lambda s: record_counts(s, cid))
    assert set(counts) == set(RECORD_TYPES)
    assert counts["vendors"] == 3 and counts["bills"] == 2
    assert sum(counts.values()) == 5
    empty = new_company(db, "Empty")
    assert in_tx(db, lambda s: record_counts(s, empty)) == dict.fromkeys(RECORD_TYPES, 0)


@pytest.mark.parametrize("encoder", ["orjson", "json"])
def test_awkward_text_survives_the_bulk_paths(
    db: Any, encoder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tabs, newlines, backslashes, quotes and non-ASCII text (QuickBooks memos and notes have
    them) come back unchanged from the typed columns and the stored record, on inserts and on
    updates — with either JSON encoder the PostgreSQL path may use."""
    if encoder == "json":
        monkeypatch.setattr(bulk, "orjson", None)
    elif bulk.orjson is None:
        pytest.skip("orjson is not installed")
    cid = new_company(db)
    awkward = 'Line 1\n\tLine 2 \\ "quoted" \\N \r\n Zoë Bjørk & Søn <AP> 日本 \u2603'
    record = bill(5)
    record["Memo"] = awkward
    record["ExpenseLineRet"][0]["Memo"] = awkward
    record["VendorRef"]["FullName"] = awkward
    upsert(db, cid, "bills", [record])
    row = in_tx(db, lambda s: s.get(QbBill, (cid, record["TxnID"])))
    assert row is not None
    assert row.memo == awkward and row.vendor_name == awkward
    assert row.qb == record
    line = in_tx(
        db,
        lambda s: s.scalars(
            select(QbTxnLine)
            .where(QbTxnLine.txn_id == record["TxnID"])
            .order_by(QbTxnLine.position)
        ).first(),
    )
    assert line is not None and line.memo == awkward

    edited = bill(5, edit=1)
    edited["Memo"] = awkward + " (edited)"
    assert upsert(db, cid, "bills", [edited]).updated == 1
    row = in_tx(db, lambda s: s.get(QbBill, (cid, record["TxnID"])))
    assert row is not None and row.memo == awkward + " (edited)" and row.qb == edited


def test_purge_company_removes_everything_of_that_company_only(db: Any) -> None:
    one, two = new_company(db, "One"), new_company(db, "Two")
    for cid in (one, two):
        upsert(db, cid, "vendors", [vendor(1), vendor(2)])
        upsert(db, cid, "bills", [bill(1)])
        upsert(db, cid, "bill_payment_checks", [bill_payment(1, [bill(1)["TxnID"]])])
    in_tx(db, lambda s: purge_company(s, one))

    def count(model: Any, cid: int) -> int:
        return in_tx(
            db,
            lambda s: s.scalar(
                select(func.count()).select_from(model).where(model.company_id == cid)
            ),
        )

    for model in (QbVendor, QbBill, QbTxnLine, QbTxnLink, RecordChange, RecordChangeHead):
        assert count(model, one) == 0, model
        assert count(model, two) > 0, model
    assert in_tx(db, lambda s: record_counts(s, two))["bills"] == 1


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_no_rows_no_statement(dialect: str) -> None:
    # A page of transactions without links (or lines) sends no empty COPY / INSERT.
    class Conn:
        def __init__(self) -> None:
            self.dialect = SimpleNamespace(name=dialect)

        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"a statement was started ({name})")

    conn: Any = Conn()
    table: Any = QbTxnLink.__table__
    bulk.insert_tuples(conn, table, ("company_id",), iter(()))
    bulk.insert_tuples(conn, table, ("company_id",), [])
    bulk.insert_rows(conn, table, [])

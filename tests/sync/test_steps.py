"""Each step of the read sync alone: build its request, hand it a canned QuickBooks answer, look
at the state after (cursor, session state, stored records). The whole-session behaviour is
tested with the simulator (test_full_sync.py and the others); these pin each step's contract."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from models import Company, ReconcileMark, StreamCursor, utcnow
from models.records import QbVendor
from qbwc_server.config import SyncTuning
from qbwc_server.records import store, vendor_balances
from qbwc_server.services.companies import create_company
from qbwc_server.sync import sizing
from qbwc_server.sync.batch import parts_of
from qbwc_server.sync.planner import Planner
from qbwc_server.sync.run import SyncRun
from qbwc_server.sync.state import SessionState, StreamExtra, stream_extra
from qbwc_server.sync.steps import STEPS, WORK_ORDER

TUNING = SyncTuning(list_page_size=2, txn_page_size=2, window_target=4, window_max=10)
VERSION = "16.0"


# --- canned QuickBooks answers -----------------------------------------------------------------


def answer(
    rs: str,
    rid: str,
    *rets: str,
    code: int = 0,
    severity: str = "Info",
    message: str = "Status OK",
    remaining: int | None = None,
    iterator_id: str | None = None,
) -> str:
    attrs = (
        f'requestID="{rid}" statusCode="{code}" statusSeverity="{severity}" '
        f'statusMessage="{message}"'
    )
    if remaining is not None:
        attrs += f' iteratorRemainingCount="{remaining}" iteratorID="{iterator_id}"'
    body = f"<{rs} {attrs}>{''.join(rets)}</{rs}>"
    return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{body}</QBXMLMsgsRs></QBXML>'


def vendor(list_id: str, name: str, modified: str, seq: str = "1") -> str:
    return (
        f"<VendorRet><ListID>{list_id}</ListID><TimeCreated>2020-01-01T00:00:00-05:00"
        f"</TimeCreated><TimeModified>{modified}</TimeModified><EditSequence>{seq}"
        f"</EditSequence><Name>{name}</Name><IsActive>true</IsActive></VendorRet>"
    )


def account(list_id: str, name: str, modified: str) -> str:
    return (
        f"<AccountRet><ListID>{list_id}</ListID><TimeCreated>2020-01-01T00:00:00-05:00"
        f"</TimeCreated><TimeModified>{modified}</TimeModified><EditSequence>1</EditSequence>"
        f"<Name>{name}</Name><FullName>{name}</FullName><IsActive>true</IsActive>"
        "<AccountType>Expense</AccountType></AccountRet>"
    )


def bill(txn_id: str, vendor_id: str, txn_date: str, modified: str) -> str:
    return (
        f"<BillRet><TxnID>{txn_id}</TxnID><TimeCreated>2020-01-01T00:00:00-05:00</TimeCreated>"
        f"<TimeModified>{modified}</TimeModified><EditSequence>1</EditSequence>"
        f"<TxnDate>{txn_date}</TxnDate><VendorRef><ListID>{vendor_id}</ListID>"
        "<FullName>V</FullName></VendorRef><AmountDue>10.00</AmountDue>"
        "<ExpenseLineRet><TxnLineID>L1</TxnLineID><Amount>10.00</Amount></ExpenseLineRet>"
        "</BillRet>"
    )


def request_element(xml: str, tag: str) -> etree._Element:
    root = etree.fromstring(xml.split("?>", 2)[2].encode())
    found = root.find(f".//{tag}")
    assert found is not None, xml
    return found


# --- a SyncRun inside a transaction ------------------------------------------------------------


@pytest.fixture
def company_id(db: Any) -> int:
    with db.transaction() as s:
        return create_company(s, "Steps Co", history_start="2024-01-01").company.id


@pytest.fixture
def sync_run(db: Any, company_id: int) -> Callable[..., Any]:
    @contextmanager
    def open_run(state: SessionState | None = None) -> Iterator[SyncRun]:
        with db.transaction() as s:
            company = s.get(Company, company_id)
            assert company is not None
            yield SyncRun(s, company, state or SessionState(queue=[]), VERSION, TUNING)

    return open_run


def cursor_of(run: SyncRun, name: str) -> StreamCursor:
    return run.cursor(name)


def ask(name: str, run: SyncRun) -> tuple[str, dict[str, Any]]:
    """The request step ``name`` builds now (it must have one)."""
    built = STEPS[name].request(run)
    assert built is not None, f"{name} had nothing to ask"
    return built


# --- the work order ----------------------------------------------------------------------------


def test_the_work_order_is_registered_in_session_order() -> None:
    names = [step.name for step in WORK_ORDER]
    assert names[0] == "restore_probe"
    assert names[-3:] == ["list_deletions", "txn_deletions", "vendor_balances"]
    assert names[1:-3] == [
        "accounts", "classes", "standard_terms", "date_driven_terms", "vendor_types",
        "currencies", "sales_tax_codes", "other_names", "vendors", "items", "customers",
        "bills", "bill_payment_checks", "bill_payment_credit_cards", "vendor_credits",
        "checks", "credit_card_charges", "credit_card_credits", "purchase_orders",
        "item_receipts",
    ]  # fmt: skip
    assert set(STEPS) == set(names)


# --- a stream without iterator: one request, the pass is done ----------------------------------


def test_accounts_whole_list_in_one_request(sync_run: Any) -> None:
    state = SessionState(queue=["accounts", "classes"])
    with sync_run(state) as run:
        xml, meta = ask("accounts", run)
        rq = request_element(xml, "AccountQueryRq")
        assert rq.get("iterator") is None and rq.find("MaxReturned") is None
        assert rq.findtext("ActiveStatus") == "All"
        assert [e.text for e in rq.findall("OwnerID")] == ["0"]
        assert meta == {
            "kind": "page", "stream": "accounts", "window": [None, None],
            "pass": "initial", "iterator": None, "rid": "accounts:1", "first_look": 100,
        }  # fmt: skip
        STEPS["accounts"].on_response(
            run,
            meta,
            answer(
                "AccountQueryRs",
                "accounts:1",
                account("A1", "Rent", "2024-05-01T10:00:00-05:00"),
                account("A2", "Fuel", "2024-05-02T10:00:00-05:00"),
            ),
        )
        cursor = cursor_of(run, "accounts")
        assert cursor.phase == "incremental" and cursor.passes_completed == 1
        assert cursor.watermark == "2024-05-02T10:00:00-05:00"
        assert stream_extra(cursor).watermark_id == "A2"
        assert cursor.records_seen == 2 and state.processed == 2
        assert state.queue == ["classes"]  # its turn is over for this session


# --- an iterator list: windows and pages -------------------------------------------------------


def test_vendors_open_with_their_whole_range_and_page_through_it(sync_run: Any) -> None:
    state = SessionState(queue=["vendors"])
    with sync_run(state) as run:
        xml, meta = ask("vendors", run)
        rq = request_element(xml, "VendorQueryRq")
        assert rq.get("iterator") == "Start" and rq.findtext("MaxReturned") == "2"
        assert rq.findtext("FromModifiedDate") is None  # the whole range: the first look
        assert rq.findtext("ToModifiedDate") is None
        assert meta["first_look"] == 2
        STEPS["vendors"].on_response(
            run,
            meta,
            answer(
                "VendorQueryRs",
                meta["rid"],
                vendor("V1", "One", "1999-05-01T10:00:00"),
                vendor("V2", "Two", "1999-05-02T10:00:00"),
                remaining=1,
                iterator_id="{IT-1}",
            ),
        )
        assert state.live is not None and state.live.id == "{IT-1}"
        cursor = cursor_of(run, "vendors")
        assert cursor.window_total == 3 and cursor.window_pages == 1

        xml, meta = ask("vendors", run)
        rq = request_element(xml, "VendorQueryRq")
        assert rq.get("iterator") == "Continue" and rq.get("iteratorID") == "{IT-1}"
        STEPS["vendors"].on_response(
            run,
            meta,
            answer(
                "VendorQueryRs",
                meta["rid"],
                vendor("V3", "Three", "1999-06-01T10:00:00"),
                remaining=0,
                iterator_id="{IT-1}",
            ),
        )
        assert state.live is None
        # 3 records, under the window maximum: the whole range was one window, the pass done.
        assert cursor.phase == "incremental" and cursor.pages == 2
        assert cursor.window_from is None and state.queue == []
        held = run.session.scalars(select(QbVendor.list_id).order_by(QbVendor.list_id)).all()
        assert held == ["V1", "V2", "V3"]


def test_the_last_page_of_a_window_takes_a_small_remainder_with_it(sync_run: Any) -> None:
    state = SessionState(queue=["vendors"])
    with sync_run(state) as run:
        xml, meta = ask("vendors", run)
        assert request_element(xml, "VendorQueryRq").findtext("MaxReturned") == "2"
        STEPS["vendors"].on_response(
            run,
            meta,
            answer(
                "VendorQueryRs",
                meta["rid"],
                vendor("V1", "One", "1999-05-01T10:00:00"),
                vendor("V2", "Two", "1999-05-02T10:00:00"),
                remaining=3,  # 3 left: one page of 3 (at most 1.5 pages) instead of 2 + 1
                iterator_id="{IT-1}",
            ),
        )
        xml, meta = ask("vendors", run)
        rq = request_element(xml, "VendorQueryRq")
        assert rq.get("iterator") == "Continue" and rq.findtext("MaxReturned") == "3"
        cursor = cursor_of(run, "vendors")
        assert cursor.window_records == 2
        cursor.window_total = 6  # 4 left: more than 1.5 pages, a page of the usual size
        assert sizing.with_tail(2, cursor) == 2
        cursor.window_total = 3  # 1 left: the usual page takes it anyway
        assert sizing.with_tail(2, cursor) == 2


def test_a_window_too_dense_is_split_before_paging_through_it(sync_run: Any) -> None:
    with sync_run(SessionState(queue=["bills"])) as run:
        xml, meta = ask("bills", run)
        rq = request_element(xml, "BillQueryRq")
        assert rq.find("TxnDateRangeFilter/FromTxnDate").text == "2024-01-01"  # type: ignore[union-attr]
        assert rq.find("TxnDateRangeFilter/ToTxnDate") is None  # the whole range first
        assert rq.findtext("IncludeLineItems") == "true"
        assert rq.findtext("IncludeLinkedTxns") == "true"
        STEPS["bills"].on_response(
            run,
            meta,
            answer(
                "BillQueryRs",
                meta["rid"],
                bill("T1", "V1", "2024-01-02", "2024-01-02T10:00:00"),
                bill("T2", "V1", "2024-01-03", "2024-01-03T10:00:00"),
                remaining=20,  # 22 > window_max 10: windows, from the first one
                iterator_id="{IT-2}",
            ),
        )
        cursor = cursor_of(run, "bills")
        assert (cursor.window_from, cursor.window_to) == ("2024-01-01", "2024-06-28")
        assert cursor.window_pages == 0 and run.state.live is None
        assert cursor.records_seen == 2  # the first look's page is kept
        xml, meta = ask("bills", run)
        rq = request_element(xml, "BillQueryRq")
        assert rq.findtext("TxnDateRangeFilter/ToTxnDate") == "2024-06-28"
        assert rq.get("iterator") == "Start" and "first_look" not in meta
        STEPS["bills"].on_response(
            run,
            meta,
            answer(
                "BillQueryRs",
                meta["rid"],
                bill("T1", "V1", "2024-01-02", "2024-01-02T10:00:00"),
                bill("T2", "V1", "2024-01-03", "2024-01-03T10:00:00"),
                remaining=12,  # 14 > 10: halved (dates say nothing about TimeModified)
                iterator_id="{IT-3}",
            ),
        )
        assert cursor.window_from == "2024-01-01" and cursor.window_to is not None
        assert cursor.window_to < "2024-06-28" and cursor.window_pages == 0


def test_feature_off_skips_the_stream(sync_run: Any) -> None:
    state = SessionState(queue=["purchase_orders", "item_receipts"])
    with sync_run(state) as run:
        _xml, meta = ask("purchase_orders", run)
        STEPS["purchase_orders"].on_response(
            run,
            meta,
            answer(
                "PurchaseOrderQueryRs",
                meta["rid"],
                code=3250,
                severity="Error",
                message="This feature is not enabled or not available in this version",
            ),
        )
        cursor = cursor_of(run, "purchase_orders")
        assert cursor.phase == "skipped" and cursor.skipped_reason
        assert stream_extra(cursor).skip_code == 3250
        assert state.queue == ["item_receipts"]
        assert STEPS["purchase_orders"].request(run) is None  # not again within a day


def test_an_unreadable_page_asks_again_smaller_until_it_cannot(sync_run: Any) -> None:
    state = SessionState(queue=["vendors", "customers"])
    with sync_run(state) as run:
        xml, meta = ask("vendors", run)
        assert request_element(xml, "VendorQueryRq").findtext("MaxReturned") == "2"
        STEPS["vendors"].on_response(run, meta, "<QBXML><QBXMLMsgsRs><VendorQ")
        cursor = cursor_of(run, "vendors")
        assert cursor.last_error is None and state.queue == ["vendors", "customers"]
        assert stream_extra(cursor).shrink == 1
        xml, meta = ask("vendors", run)  # again, in this session: half the page
        rq = request_element(xml, "VendorQueryRq")
        assert rq.findtext("MaxReturned") == "1" and rq.get("iterator") == "Start"
        for _ in range(sizing.MAX_SHRINK):
            STEPS["vendors"].on_response(run, meta, "<QBXML><QBXMLMsgsRs><VendorQ")
            if state.queue == ["customers"]:
                break
            _xml, meta = ask("vendors", run)
        # As small as it gets and still unreadable: the stream's error, a later session.
        assert "could not read" in (cursor.last_error or "")
        assert cursor.retry_after is not None and state.queue == ["customers"]


def test_an_hresult_is_the_streams_error_and_makes_its_next_page_smaller(
    sync_run: Any,
) -> None:
    state = SessionState(queue=["accounts", "vendors"])
    with sync_run(state) as run:
        _xml, meta = ask("vendors", run)
        STEPS["vendors"].on_hresult(run, meta, "0x80040400", "QuickBooks found an error")
        cursor = cursor_of(run, "vendors")
        assert "0x80040400" in (cursor.last_error or "") and cursor.retry_after is not None
        assert state.queue == ["accounts"]
        assert stream_extra(cursor).shrink == 1 and stream_extra(cursor).awaiting is None


def test_a_page_that_got_no_answer_is_asked_smaller_in_a_narrower_window(
    sync_run: Any,
) -> None:
    """The session ended between sending a page and taking its answer (a body over the
    server's limit is refused before the sync sees it): the next session asks less."""
    with sync_run(SessionState(queue=["bills"])) as run:
        xml, meta = ask("bills", run)
        assert request_element(xml, "BillQueryRq").findtext("MaxReturned") == "2"
        cursor = cursor_of(run, "bills")
        assert stream_extra(cursor).awaiting == meta["rid"]
        window = (cursor.window_from, cursor.window_to)
    with sync_run(SessionState(queue=["bills"])) as run:  # the next session
        xml, _meta = ask("bills", run)
        rq = request_element(xml, "BillQueryRq")
        assert rq.findtext("MaxReturned") == "1"
        cursor = cursor_of(run, "bills")
        assert cursor.window_from == window[0]
        # The whole range (no end) the first look asked is narrowed to the first window.
        assert window[1] is None and cursor.window_to == "2024-06-28"
        assert rq.findtext("TxnDateRangeFilter/ToTxnDate") == cursor.window_to


def test_pages_taken_grow_the_size_back(sync_run: Any) -> None:
    with sync_run(SessionState(queue=["vendors"])) as run:
        cursor = cursor_of(run, "vendors")
        cursor.extra = StreamExtra(shrink=1).to_json()
        for n in range(sizing.GROW_AFTER):
            xml, meta = ask("vendors", run)
            size = request_element(xml, "VendorQueryRq").findtext("MaxReturned")
            assert size == "1"
            modified = f"1999-0{n + 1}-01T10:00:00"
            page = vendor(f"V{n}", f"N{n}", modified)
            STEPS["vendors"].on_response(
                run, meta, answer("VendorQueryRs", meta["rid"], page, remaining=1, iterator_id="i")
            )
        assert stream_extra(cursor).shrink == 0
        xml, _meta = ask("vendors", run)
        assert request_element(xml, "VendorQueryRq").findtext("MaxReturned") == "2"


def test_a_list_answered_whole_is_fetched_in_windows_once_it_could_not_be_taken(
    sync_run: Any,
) -> None:
    with sync_run(SessionState(queue=["accounts"])) as run:
        xml, meta = ask("accounts", run)
        rq = request_element(xml, "AccountQueryRq")
        assert rq.find("FromModifiedDate") is None and rq.find("ToModifiedDate") is None
        STEPS["accounts"].on_response(run, meta, "<QBXML><QBXMLMsgsRs><AccountQ")
        xml, meta = ask("accounts", run)
        rq = request_element(xml, "AccountQueryRq")
        assert rq.get("iterator") is None and rq.find("MaxReturned") is None
        assert rq.findtext("ToModifiedDate") == "1999-12-31T23:59:59"  # the first window
        STEPS["accounts"].on_response(
            run, meta, answer("AccountQueryRs", meta["rid"], account("A1", "Old", "1999-01-01"))
        )
        cursor = cursor_of(run, "accounts")
        assert cursor.phase == "initial" and cursor.window_from == "2000-01-01T00:00:00"


def test_an_answer_to_another_request_is_refused(sync_run: Any) -> None:
    with sync_run(SessionState(queue=["accounts"])) as run:
        _xml, meta = ask("accounts", run)
        STEPS["accounts"].on_response(run, meta, answer("AccountQueryRs", "someone-else"))
        assert "was expected" in (cursor_of(run, "accounts").last_error or "")


# --- reconciliation ----------------------------------------------------------------------------


def test_reconciliation_scans_ids_refetches_the_missing_and_deletes_the_gone(
    sync_run: Any,
) -> None:
    with sync_run(SessionState(queue=["vendors"])) as run:
        store.upsert_records(
            run.session,
            run.company.id,
            "vendors",
            [
                {"ListID": "V1", "EditSequence": "1", "Name": "Kept"},
                {"ListID": "V9", "EditSequence": "1", "Name": "Gone"},
            ],
        )
        cursor = cursor_of(run, "vendors")
        cursor.phase = cursor.pass_kind = "incremental"
        cursor.extra = StreamExtra(reconcile_requested=True).to_json()
        step = STEPS["vendors"]

        xml, meta = ask(step.name, run)  # the scan
        rq = request_element(xml, "VendorQueryRq")
        assert [e.text for e in rq.findall("IncludeRetElement")] == ["ListID", "EditSequence"]
        assert rq.findtext("MaxReturned") == "1000" and rq.find("OwnerID") is None
        assert meta["pass"] == "reconcile" and meta["stage"] == "scan"
        scanned = "<VendorRet><ListID>V1</ListID><EditSequence>1</EditSequence></VendorRet>"
        scanned += "<VendorRet><ListID>V2</ListID><EditSequence>4</EditSequence></VendorRet>"
        step.on_response(
            run, meta, answer("VendorQueryRs", meta["rid"], scanned, remaining=0, iterator_id="x")
        )
        assert stream_extra(cursor).reconcile_stage == "fetch"

        xml, meta = ask(step.name, run)  # re-fetch what we lack
        rq = request_element(xml, "VendorQueryRq")
        assert [e.text for e in rq.findall("ListID")] == ["V2"] and meta["ids"] == ["V2"]
        step.on_response(
            run, meta, answer("VendorQueryRs", meta["rid"], vendor("V2", "New", "2024-01-01"))
        )

        xml, meta = ask(step.name, run)  # reconciled: the incremental pass follows
        assert meta["pass"] == "incremental"
        assert cursor.pass_kind == "incremental" and cursor.last_reconciled_at is not None
        assert stream_extra(cursor).reconcile_stage is None
        rows = dict(run.session.execute(select(QbVendor.list_id, QbVendor.is_deleted)).all())
        assert rows == {"V1": False, "V2": False, "V9": True}
        marks = run.session.scalars(
            select(ReconcileMark).where(ReconcileMark.stream == "vendors")
        ).all()
        assert marks == []


# --- the restore probe -------------------------------------------------------------------------


def test_the_probe_asks_for_each_watermark_record_and_notes_suspects(sync_run: Any) -> None:
    state = SessionState(queue=["restore_probe", "vendors"])
    with sync_run(state) as run:
        probe = STEPS["restore_probe"]
        assert probe.request(run) is None  # nothing synced yet: nothing to ask
        for name, record_id in (("vendors", "V1"), ("bills", "T1")):
            cursor = cursor_of(run, name)
            cursor.watermark = "2024-05-01T10:00:00-05:00"
            cursor.extra = StreamExtra(watermark_id=record_id).to_json()
        xml, meta = ask(probe.name, run)
        rq = request_element(xml, "VendorQueryRq")
        assert rq.findtext("ListID") == "V1"
        assert [e.text for e in rq.findall("IncludeRetElement")] == [
            "ListID", "EditSequence", "TimeModified",
        ]  # fmt: skip
        assert request_element(xml, "BillQueryRq").findtext("TxnID") == "T1"
        same = vendor("V1", "One", "2024-05-01T10:00:00-05:00")
        response = answer("VendorQueryRs", "probe:vendors", same).replace(
            "</QBXMLMsgsRs>",
            '<BillQueryRs requestID="probe:bills" statusCode="500" statusSeverity="Warn" '
            'statusMessage="not found"/></QBXMLMsgsRs>',
        )
        probe.on_response(run, meta, response)
        assert state.restore_suspects == {"bills": "T1"}  # vanished: maybe restored
        assert state.queue == ["vendors"]


# --- the deletion sweeps -----------------------------------------------------------------------


def test_the_list_deletion_sweep_marks_deleted_what_quickbooks_deleted(sync_run: Any) -> None:
    state = SessionState(queue=["list_deletions"], restore_suspects={"vendors": "V1"})
    with sync_run(state) as run:
        store.upsert_records(
            run.session, run.company.id, "vendors", [{"ListID": "V1", "EditSequence": "1"}]
        )
        xml, meta = ask("list_deletions", run)
        rq = request_element(xml, "ListDeletedQueryRq")
        types = [e.text for e in rq.findall("ListDelType")]
        assert "Vendor" in types and "ItemService" in types and "Bill" not in types
        assert rq.find("DeletedDateRangeFilter") is None  # the first sweep: everything
        deleted = (
            "<ListDeletedRet><ListDelType>Vendor</ListDelType><ListID>V1</ListID>"
            "<TimeDeleted>2024-06-01T09:00:00-05:00</TimeDeleted></ListDeletedRet>"
        )
        STEPS["list_deletions"].on_response(
            run, meta, answer("ListDeletedQueryRs", meta["rid"], deleted)
        )
        cursor = cursor_of(run, "list_deletions")
        assert cursor.watermark == "2024-06-01T09:00:00-05:00"
        assert cursor.phase == "incremental" and cursor.passes_completed == 1
        assert run.session.scalar(select(QbVendor.is_deleted)) is True
        assert state.restore_suspects == {}  # the watermark record was deleted, not restored
        xml, _meta = ask("list_deletions", run)
        since = request_element(xml, "ListDeletedQueryRq").findtext(
            "DeletedDateRangeFilter/FromDeletedDate"
        )
        assert since == "2024-06-01T07:00:00"  # the watermark minus the overlap, local time


# --- vendor balances ---------------------------------------------------------------------------


def test_marked_vendors_are_reread_and_unmarked(sync_run: Any) -> None:
    state = SessionState(queue=["vendor_balances"])
    with sync_run(state) as run:
        assert STEPS["vendor_balances"].request(run) is None  # nothing marked
        vendor_balances.mark(run.session, run.company.id, {"V1", "V2"})
        xml, meta = ask("vendor_balances", run)
        rq = request_element(xml, "VendorQueryRq")
        assert [e.text for e in rq.findall("ListID")] == ["V1", "V2"]
        assert meta["rid"] == "vendor_balances:1"
        STEPS["vendor_balances"].on_response(
            run, meta, answer("VendorQueryRs", meta["rid"], vendor("V1", "One", "2024-01-01"))
        )
        assert vendor_balances.marked(run.session, run.company.id) == []
        assert run.session.scalar(select(QbVendor.list_id)) == "V1"
        assert state.processed == 1


# --- the planner walks the steps ---------------------------------------------------------------


def test_the_planner_plans_the_session_and_dispatches_answers(db: Any, company_id: int) -> None:
    with db.transaction() as s:
        company = s.get(Company, company_id)
        assert company is not None
        state = SessionState()
        planner = Planner(s, company, state, VERSION, TUNING)
        _xml, meta = planner.next_request()  # type: ignore[misc]
        # No watermarks yet: the probe has nothing to ask; every stream's first look goes in
        # one message set (sync/batch.py), the accounts first.
        parts = parts_of(meta)
        assert parts and parts[0]["stream"] == "accounts" and state.queue is not None
        assert {"vendors", "bills", "txn_deletions"} <= {p["stream"] for p in parts}
        assert state.queue[0] == "accounts" and state.started_at is not None
        assert not planner.lists_done()
        rest = "".join(
            f'<{p["stream"]}Rs requestID="{p["rid"]}" statusCode="1" statusSeverity="Info" '
            'statusMessage="A query request did not find a matching object"/>'
            for p in parts[1:]
        )
        accounts = answer("AccountQueryRs", parts[0]["rid"]).replace(
            "</QBXMLMsgsRs>", rest + "</QBXMLMsgsRs>"
        )
        planner.handle_response(meta, accounts)
        assert "accounts" not in state.queue and "classes" not in state.queue
        planner.handle_response({"stream": "no-such-step"}, "")  # ignored
        assert 0 <= planner.progress() < 100


def test_a_restore_suspect_left_after_the_sweep_requeues_every_stream(
    db: Any, company_id: int
) -> None:
    with db.transaction() as s:
        company = s.get(Company, company_id)
        assert company is not None
        vendors = StreamCursor(company_id=company_id, stream="vendors", phase="incremental")
        vendors.last_pass_completed_at = utcnow() - timedelta(hours=1)
        s.add(vendors)
        s.flush()
        state = SessionState(queue=[], restore_suspects={"vendors": "V1"}, processed=3)
        planner = Planner(s, company, state, VERSION, TUNING)
        assert planner.has_more()
        assert state.queue is not None and state.queue[0] == "accounts"
        assert state.queue[-2:] == ["list_deletions", "txn_deletions"]
        assert state.restore_suspects == {}
        assert stream_extra(vendors).reconcile_requested


def test_session_state_keeps_its_json_keys() -> None:
    """Sessions in flight across an upgrade read the state written before it."""
    raw = {
        "queue": ["vendors"],
        "processed": 5,
        "started_at": "2026-01-01T00:00:00",
        "iter": {"stream": "vendors", "pass": "initial", "id": "{X}", "window": [None, "a"]},
        "iterator_restarts": {"vendors": 1},
        "restore_suspects": {"bills": ""},
        "balance_pages": 2,
        "restore_detected": ["old key, ignored"],
    }
    state = SessionState.from_json(raw)
    assert state.live is not None and state.live.id == "{X}"
    raw.pop("restore_detected")
    assert state.to_json() == raw
    extra = StreamExtra.from_json({"skip_code": 3250, "last_reconcile_removed": 4})
    assert extra.to_json() == {"skip_code": 3250}

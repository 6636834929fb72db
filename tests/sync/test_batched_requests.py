"""Several streams asked in one message set (sync/batch.py, qbxml/batch.py; issue 13).

An incremental session used to ask each of its ~20 streams and both deletion sweeps in a round
trip of its own; now the opening requests of incremental passes and the sweeps share one
message set, each answer taken by its stream as if it had come alone. Held here: the round
trips of an incremental session, the data still equal to QuickBooks after edits of every kind,
an answer missing from the response (that stream tries again, nothing lost), the batched
documents valid against Intuit's schema (the rig validates every request it sends), and the
message-set helpers themselves.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import event, select

from models import StreamCursor
from qbwc_server.config import DEFAULT_TUNING
from qbwc_server.qbxml.batch import combine, split
from qbwc_server.qbxml.parse import QbxmlParseError, ResponseStart, UnsafeXmlError, iter_response
from qbwc_server.sync.batch import batch_meta, cost, joins, parts_of
from qbwc_server.sync.state import SessionState
from tests.sync.helpers import compare_all, first_txn_date, generate_current
from tests.sync.test_changes import _make_changes

REQUEST = re.compile(r"<(\w+)Rq\b")


def messages(rig: Any, most: int = 200) -> list[list[str]]:
    """From now on, the requests of each message set QuickBooks is handed (at most ``most``:
    a session that never ends fails instead of hanging the suite)."""
    seen: list[list[str]] = []
    process = rig.qb.process

    def spy(request: str) -> str:
        seen.append([m for m in REQUEST.findall(request) if m != "QBXMLMsgs"])
        if len(seen) > most:
            raise AssertionError(f"more than {most} messages in the session")
        return str(process(request))

    rig.qb.process = spy
    return seen


def test_an_incremental_session_asks_its_streams_in_one_message(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=21)
    rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    compare_all(rig).assert_equal()
    _make_changes(company)
    seen = messages(rig)
    second = rig.run_session()
    compare_all(rig).assert_equal()  # every kind of edit arrived
    # The batch (the restore probe in it), the vendor balance re-read, the closing ping: was
    # ~24, then 4 while the probe went alone.
    assert len(seen) <= 3, [m[:3] for m in seen]
    assert second.round_trips <= 10, second.round_trips
    batched = seen[0]
    wanted = {"VendorQuery", "BillQuery", "AccountQuery", "ListDeletedQuery", "TxnDeletedQuery"}
    assert wanted <= set(batched)
    # Each stream with a watermark asked twice: its probe and its incremental pass.
    assert batched.count("VendorQuery") == 2 and batched.count("BillQuery") == 2, batched
    assert len(batched) >= 40
    assert rig.validated_requests > 0  # every request checked against the XSD


def test_an_incremental_session_takes_its_empty_answers_without_savepoints(
    inproc_rig: Any, db: Any
) -> None:
    """Most answers in an incremental session's batch are "no match": they write nothing but
    their stream's cursor, so they are taken without a savepoint (sync/steps/base.py
    needs_savepoint; its SAVEPOINT, RELEASE and two flushes were most of such a session's
    cost). Answers that hold records still get one each, and the data stays QuickBooks'."""
    company = generate_current("tiny", seed=22)
    rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    # The first incremental pass re-reads what the overlap (QBWC_SYNC_OVERLAP_MINUTES) covers;
    # the next ones, later than the overlap, find nothing but the edits since.
    company.clock.advance(timedelta(hours=3))
    rig.run_session()
    company.clock.advance(timedelta(hours=3))
    vendor = next(v for v in company.records("Vendor") if v.get("IsActive", True))
    company.edit("Vendor", vendor["ListID"], {"Phone": "(555) 010-4242"})
    answers: list[str] = []
    process = rig.qb.process

    def keep(request: str) -> str:
        answer = str(process(request))
        answers.append(answer)
        return answer

    rig.qb.process = keep
    savepoints: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SAVEPOINT"):
            savepoints.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        rig.run_session()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    compare_all(rig).assert_equal()  # the edit arrived, nothing else moved
    # The restore probe's answers (sync/steps/restore_probe.py) hold one record each by design.
    parts = [
        rs
        for answer in answers
        for rs in _responses(answer)
        if not str(rs.get("requestID")).startswith("probe:")
    ]
    holding = sum(1 for rs in parts if len(rs))
    assert len(parts) >= 20 and holding < len(parts) // 2, (len(parts), holding)
    assert len(savepoints) <= holding, (len(savepoints), holding)
    assert savepoints, "the answers that hold records are still taken in savepoints"


def _responses(answer: str) -> list[Any]:
    root = etree.fromstring(answer.split("?>", 2)[-1].encode())
    return [rs for msgs in root for rs in msgs if isinstance(rs.tag, str)]


MAX_RETURNED = re.compile(r"<MaxReturned>(\d+)</MaxReturned>")


def test_a_first_sync_takes_its_small_streams_in_one_or_two_messages(inproc_rig: Any) -> None:
    """A first sync opens every stream with a look at its whole range (sync/windows.py
    whole_range), and those looks share message sets within a budget: a small company file
    is read whole in a handful of round trips (was one per stream and window, ~60)."""
    company = generate_current("tiny", seed=24)
    rig = inproc_rig(company, "all")
    seen = messages(rig)
    sent: list[str] = []
    process = rig.qb.process

    def keep(request: str) -> str:
        sent.append(request)
        return str(process(request))

    rig.qb.process = keep
    report = rig.run_session()
    compare_all(rig).assert_equal()
    assert report.round_trips <= 14, (report.round_trips, [m[:3] for m in seen])
    looks = [m for m in seen if len(m) > 1]
    assert sum(len(m) for m in looks) >= 20  # every stream and both sweeps, in batches
    assert len(looks) <= 2
    for request in sent:
        if request.count("Rq requestID") > 1:
            asked = sum(int(n) for n in MAX_RETURNED.findall(request))
            assert asked <= DEFAULT_TUNING.first_look_budget, asked
    assert rig.validated_requests > 0  # every request checked against the XSD


def test_a_dense_stream_walks_windows_after_its_first_look(inproc_rig: Any) -> None:
    """A stream holding more than a window's maximum is cut to a first window at its first
    look (its page kept), and pages through windows as before: nothing lost, nothing twice."""
    company = generate_current("tiny", seed=25)
    rig = inproc_rig(company, "all", QBWC_LIST_PAGE_SIZE="7", QBWC_TXN_PAGE_SIZE="5",
                     QBWC_WINDOW_TARGET="10")  # fmt: skip
    sent: list[str] = []
    process = rig.qb.process

    def keep(request: str) -> str:
        sent.append(request)
        return str(process(request))

    rig.qb.process = keep
    rig.run_session()
    compare_all(rig).assert_equal()
    bills = [r for r in sent if "<BillQueryRq" in r and r.count("Rq requestID") == 1]
    assert len(bills) > 5
    assert any("<ToTxnDate>" in r for r in bills)  # windows of the historical pass
    assert len(company.records("Bill")) > 25  # more than the window maximum: it was dense
    with_changes = rig.run_session()  # nothing changed: the next session re-reads little
    assert with_changes.round_trips <= 12


def test_an_answer_missing_from_a_batch_is_asked_again_later(inproc_rig: Any, db: Any) -> None:
    company = generate_current("tiny", seed=22)
    rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    _make_changes(company)
    process = rig.qb.process

    def without_bills(request: str) -> str:
        answer = str(process(request))
        if request.count("Rq requestID") > 10:  # the batch: QuickBooks "forgets" the bills
            answer = re.sub(r"<BillQueryRs\b.*?</BillQueryRs>", "", answer, flags=re.S)
        return answer

    rig.qb.process = without_bills
    report = rig.run_session(expect=None)
    assert report.outcome == "completed"
    problems = compare_all(rig).problems
    assert problems and all(p.startswith("bills ") for p in problems), problems
    with db.transaction() as s:
        bills = s.execute(select(StreamCursor).where(StreamCursor.stream == "bills")).scalar_one()
        assert "no answer to this request" in (bills.last_error or "")
        bills.retry_after = None  # as after the stream's back-off
    rig.qb.process = process
    rig.run_session()  # the next session asks the bills again
    compare_all(rig).assert_equal()


# --- the helpers ---------------------------------------------------------------------------------

DOC = (
    '<?xml version="1.0" ?>\n<?qbxml version="16.0"?>\n<QBXML>\n'
    '<QBXMLMsgsRq onError="continueOnError">\n{inner}\n</QBXMLMsgsRq>\n</QBXML>\n'
)


def test_combine_keeps_every_request_in_order() -> None:
    a = DOC.format(
        inner='<VendorQueryRq requestID="a"><MaxReturned>5</MaxReturned></VendorQueryRq>'
    )
    b = DOC.format(inner='<ListDeletedQueryRq requestID="b"><ListDelType>Vendor</ListDelType>'
                   "</ListDeletedQueryRq>")  # fmt: skip
    combined = combine([a, b], "16.0")
    assert combined.index('requestID="a"') < combined.index('requestID="b"')
    assert 'onError="continueOnError"' in combined
    assert combined.count("<QBXMLMsgsRq") == 1


RESPONSE = (
    '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n'
    '<VendorQueryRs requestID="Vendor:1" statusCode="0" statusSeverity="Info" statusMessage="OK">'
    "<VendorRet><ListID>80-1</ListID><Name>A &amp; B</Name></VendorRet></VendorQueryRs>\n"
    '<BillQueryRs requestID="Bill:1" statusCode="1" statusSeverity="Info" '
    'statusMessage="A query request did not find a matching object in QuickBooks"/>\n'
    "</QBXMLMsgsRs>\n</QBXML>\n"
)


def test_split_gives_each_answer_as_a_response_of_its_own() -> None:
    answers = split(RESPONSE)
    assert set(answers) == {"Vendor:1", "Bill:1"}
    vendor = list(iter_response(answers["Vendor:1"]))
    starts = [e for e in vendor if isinstance(e, ResponseStart)]
    assert [s.status.request_id for s in starts] == ["Vendor:1"]
    assert any(getattr(e, "data", {}).get("Name") == "A & B" for e in vendor)
    bill = [e for e in iter_response(answers["Bill:1"]) if isinstance(e, ResponseStart)]
    assert bill[0].status.status_code == 1


def test_split_answers_a_group_of_requests_as_one_response() -> None:
    """The restore probe's requests travel in a batch and come back as one answer, in the
    order QuickBooks gave them, under the group's key; a group nobody answered is absent."""
    extra = '<VendorQueryRs requestID="Vendor:2" statusCode="1" statusSeverity="Info" />'
    response = RESPONSE.replace("</QBXMLMsgsRs>", extra + "</QBXMLMsgsRs>")
    answers = split(response, {"probe": ["Vendor:2", "Vendor:1"], "none": ["Vendor:9"]})
    assert set(answers) == {"probe", "Bill:1"}
    starts = [e for e in iter_response(answers["probe"]) if isinstance(e, ResponseStart)]
    assert [s.status.request_id for s in starts] == ["Vendor:1", "Vendor:2"]
    assert answers["Bill:1"] == split(RESPONSE)["Bill:1"]


def test_split_refuses_what_the_parser_refuses() -> None:
    with pytest.raises(UnsafeXmlError):
        split('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><QBXML/>')
    with pytest.raises(QbxmlParseError):
        split("<QBXML><QBXMLMsgsRs>")
    cleaned = split(RESPONSE.replace("A &amp; B", "A \x01B"))  # a character XML cannot carry
    assert "Vendor:1" in cleaned


def test_which_requests_join_a_batch() -> None:
    assert joins({"kind": "page", "pass": "incremental", "iterator": "Start"})
    assert joins({"kind": "page", "pass": "incremental", "iterator": None})
    assert joins({"kind": "deleted", "stream": "list_deletions"})
    assert joins({"kind": "probe", "stream": "restore_probe", "rids": ["probe:vendors"]})
    assert not joins({"kind": "page", "pass": "incremental", "iterator": "Continue"})
    assert not joins({"kind": "page", "pass": "initial", "iterator": "Start"})
    first_look = {"kind": "page", "pass": "initial", "iterator": "Start", "first_look": 100}
    assert joins(first_look) and cost(first_look) == 100
    assert joins({"kind": "page", "pass": "initial", "iterator": None, "first_look": 100})
    assert not joins({**first_look, "iterator": "Continue"})
    assert cost({"kind": "deleted"}) == 0
    assert not joins({"kind": "page", "pass": "reconcile", "iterator": None})
    assert not joins({"kind": "refresh"})
    meta = batch_meta([{"rid": "a"}, {"rid": "b"}])
    assert parts_of(meta) == [{"rid": "a"}, {"rid": "b"}]
    assert parts_of({"kind": "page"}) is None


def test_a_prepared_request_survives_the_session_state() -> None:
    state = SessionState(prepared=("<QBXML/>", {"kind": "refresh", "rid": "x"}))
    again = SessionState.from_json(state.to_json())
    assert again.prepared == ("<QBXML/>", {"kind": "refresh", "rid": "x"})
    assert SessionState.from_json({"prepared": ["x"]}).prepared is None


def test_two_streams_with_more_than_a_page_of_changes_each(inproc_rig: Any) -> None:
    """Vendors and bills both changed beyond a page: the batch starts both iterators, the
    session holds one; the stream holding it goes on first, the other starts again after it.
    (Before, they took the iterator from each other and the session never ended.)"""
    company = generate_current("tiny", seed=23)
    rig = inproc_rig(
        company, first_txn_date(company), QBWC_LIST_PAGE_SIZE="5", QBWC_TXN_PAGE_SIZE="5"
    )
    rig.run_session()
    company.clock.advance(timedelta(minutes=10))
    expense = next(a["ListID"] for a in company.records("Account") if a["AccountType"] == "Expense")
    for n in range(12):
        vendor = company.add("Vendor", {"Name": f"Batch Vendor {n}"})
        company.add(
            "Bill",
            {
                "VendorRef": {"ListID": vendor},
                "TxnDate": company.clock.now.date().isoformat(),
                "ExpenseLineRet": [{"AccountRef": {"ListID": expense}, "Amount": "1.00"}],
            },
        )
    seen = messages(rig)
    report = rig.run_session()
    assert report.round_trips < 80, report.round_trips
    assert any(len(m) > 5 for m in seen)  # the incremental batch
    compare_all(rig).assert_equal()

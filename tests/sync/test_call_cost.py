"""The fixed database cost of a sync's SOAP calls (issue 13 item 2): what every
sendRequestXML / receiveResponseXML of a sync writes and reads besides the records.

- the session row is written once per call (not once per change: calls, state, requests_sent);
- the company row is not written on every call (the lease and "last contact" are renewed
  when due: engine/lease.py, engine/conversation.py);
- an empty write-back queue is not queried (whether anything is open comes with the ticket);
- the stream cursors are read with one statement per call: a page's call reads its stream's
  cursor alone; the session's last answer may read them all once more (the vendor balance
  step, with nothing to re-read, settles there: sync/planner.py drop_idle).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks, Profile
from qbwc_server.sim.wsgi_transport import WsgiTransport
from tests.sync.helpers import compare_all, make_rig

WORK_CALLS = ("sendRequestXML", "receiveResponseXML")


class CountingTransport:
    """The in-process transport, noting the SQL statements of each call by table and verb."""

    def __init__(self, inner: WsgiTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, Counter[str]]] = []
        self.pings = 0

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> Any:
        method = headers.get("SOAPAction", "").strip('"').rsplit("/", 1)[-1]
        self.calls.append((method, Counter()))
        answer = self.inner(path, body, headers)
        if method == "sendRequestXML" and b"CompanyQueryRq" in answer[2]:
            self.pings += 1  # engine/conversation.py company_ping: asked only to end a session
        return answer

    def note(self, statement: str) -> None:
        if self.calls:
            self.calls[-1][1][_kind(statement)] += 1


def _kind(statement: str) -> str:
    text = " ".join(statement.split())
    verb = text.split(" ", 1)[0].upper()
    tables = re.findall(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", text, re.IGNORECASE)
    if "tickets" in tables:  # the ticket's statement (its company, session, open queue)
        return f"{verb} tickets"
    if verb == "SELECT" and tables[:1] == ["stream_cursors"] and "stream_cursors.stream =" in text:
        return "SELECT one stream_cursor"  # one stream's cursor (sync/run.py SyncRun.existing)
    return f"{verb} {tables[0] if tables else ''}".strip()


@contextmanager
def counting(engine: Any, transport: CountingTransport) -> Iterator[None]:
    def listener(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        transport.note(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_a_sync_call_writes_its_session_once_and_leaves_company_and_queue_alone(
    inproc_app: Any, request_schema: Any, db: Any
) -> None:
    profile = Profile("vendors250", 1, 250, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    app, api = inproc_app(QBWC_LIST_PAGE_SIZE=10)
    transport = CountingTransport(WsgiTransport(app))
    rig = make_rig(
        app=app,
        api=api,
        qb=FakeQuickBooks(CompanyFile.generate(seed=3, profile=profile)),
        schema=request_schema,
        transport=transport,
    )
    with counting(db.engine, transport):
        rig.run_session()
    work = [(method, counts) for method, counts in transport.calls if method in WORK_CALLS]
    assert len(work) > 20, "the session should be a real sync of several pages"
    # The first sendRequestXML checks the company file (and notes the PC): not counted.
    last = len(work) - 1
    for number, (method, counts) in enumerate(work[1:], start=1):
        where = f"call {number} ({method}): {dict(counts)}"
        assert counts["UPDATE qbwc_sessions"] == 1, where
        assert counts["SELECT operations"] == 0, where  # nothing queued: not looked at
        cursor_reads = counts["SELECT stream_cursors"] + counts["SELECT one stream_cursor"]
        assert cursor_reads <= (2 if number == last else 1), where
    # Paging the vendors, a call reads the vendors' cursor alone, not the company's twenty-odd.
    alone = sum(1 for _, counts in work if counts["SELECT one stream_cursor"])
    assert alone >= len(work) // 2, alone
    # The session ends with the last page's answer: no request is sent only to end it.
    assert transport.pings == 0
    # The lease and the last contact are renewed when due, not on every call: the first call
    # of the session at most (authenticate took the lease moments before).
    company_writes = sum(counts["UPDATE companies"] for _, counts in work[1:])
    assert company_writes <= 3, company_writes


class PageCounting(CountingTransport):
    """Also counts the vendor pages QuickBooks answered, and those it answered empty."""

    def __init__(self, inner: WsgiTransport) -> None:
        super().__init__(inner)
        self.vendor_pages = 0
        self.empty_vendor_pages = 0

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> Any:
        if b"VendorQueryRs" in body:
            self.vendor_pages += 1
            self.empty_vendor_pages += b"VendorRet" not in body
        return super().__call__(path, body, headers)


def test_a_first_pass_ends_with_one_open_window_when_its_opening_look_says_so(
    inproc_app: Any, request_schema: Any, db: Any
) -> None:
    """The opening look counted the stream; once what is left fits in a window, that window is
    the last, open-ended (sync/passes.py): no window sized by the density just seen followed
    by empty ones up to the horizon. Nothing is missed: every vendor is stored."""
    profile = Profile("vendors600", 1, 600, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    app, api = inproc_app(QBWC_LIST_PAGE_SIZE=20, QBWC_WINDOW_TARGET=40)
    transport = PageCounting(WsgiTransport(app))
    qb = FakeQuickBooks(CompanyFile.generate(seed=5, profile=profile))
    rig = make_rig(app=app, api=api, qb=qb, schema=request_schema, transport=transport)
    rig.run_session()
    assert transport.vendor_pages > 20  # many windows of a few pages each
    assert transport.empty_vendor_pages == 0
    compare_all(rig).assert_equal()


def test_an_incremental_session_reads_the_cursors_in_one_statement_per_call(
    inproc_app: Any, request_schema: Any, db: Any
) -> None:
    """An incremental session's calls look at every queued stream (its progress, its batch):
    the cursors are read in one statement for them all, not one each (was ~20 for the restore
    probe's answer: sync/run.py read_ahead)."""
    app, api = inproc_app()
    transport = CountingTransport(WsgiTransport(app))
    company = CompanyFile.generate(seed=9, profile="tiny")
    rig = make_rig(
        app=app, api=api, qb=FakeQuickBooks(company), schema=request_schema, transport=transport
    )
    rig.run_session()
    rig.run_session()  # the first incremental session re-reads the overlap
    company.clock.advance(timedelta(hours=3))
    transport.calls.clear()
    with counting(db.engine, transport):
        rig.run_session()
    work = [(method, counts) for method, counts in transport.calls if method in WORK_CALLS]
    # One exchange: the restore probe travels in the streams' batch (sync/batch.py).
    assert [method for method, _ in work] == ["sendRequestXML", "receiveResponseXML"]
    for method, counts in work:
        cursor_reads = counts["SELECT stream_cursors"] + counts["SELECT one stream_cursor"]
        assert cursor_reads <= 2, (method, dict(counts))
    compare_all(rig).assert_equal()

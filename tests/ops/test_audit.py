"""Issue 12 item 3: the qbXML audit trail — off / errors / all, retention, redaction, and the
two ways to read it (the API and ``qbwc-server session show``)."""

from __future__ import annotations

import time
import zlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from models import AuditEntry, Company, QbwcSession, utcnow
from qbwc_server import cli
from qbwc_server.app import create_app
from qbwc_server.audit import store
from qbwc_server.audit.recorder import AuditRecorder
from qbwc_server.services.companies import create_company
from qbwc_server.sim.quickbooks import FaultPlan
from tests.conftest import make_settings
from tests.writeback.support import Bench, make_bench

TAX_ID = "98-7654321"


def bench_with(db: Any, database_url: str, mode: str, **kwargs: Any) -> Bench:
    settings = make_settings(database_url, 80, QBWC_AUDIT=mode)
    return make_bench(db, database_url, app=create_app(settings, db), **kwargs)


def write_a_vendor(bench: Bench) -> None:
    op = bench.queue(
        "vendor.create", {"name": "Audited Vendor", "tax_id": TAX_ID, "account_number": "AC-77"}
    )
    bench.settle()
    assert bench.op(op["id"])["state"] == "done"


def sessions(bench: Bench) -> list[dict[str, Any]]:
    status, body = bench.api("GET", f"/api/companies/{bench.company_id}/sessions")
    assert status == 200
    return list(body["data"])


def detail(bench: Bench, session_id: int, query: str = "") -> dict[str, Any]:
    status, body = bench.api(
        "GET", f"/api/companies/{bench.company_id}/sessions/{session_id}{query}"
    )
    assert status == 200, body
    return dict(body)


def test_all_keeps_every_exchange_redacted(db: Any, database_url: str) -> None:
    bench = bench_with(db, database_url, "all")
    write_a_vendor(bench)
    session = next(s for s in sessions(bench) if s["outcome"] == "completed")
    view = detail(bench, session["id"])
    assert view["audit"] == {"mode": "all", "kept": True, "reason": None}
    methods = [e["method"] for e in view["exchange"]]
    assert methods[0] == "authenticate" and methods[-1] == "closeConnection"
    assert "sendRequestXML" in methods and "receiveResponseXML" in methods
    assert all(isinstance(e["duration_ms"], int) and e["request_id"] for e in view["exchange"])
    sent = [e for e in view["exchange"] if e["method"] == "sendRequestXML"]
    assert "<?qbxml" in sent[0]["request"] and "QBXMLMsgsRq" in sent[0]["request"]
    assert sent[0]["response"] and "HostQuery" in sent[0]["response"]  # strHCPResponse
    add = next(e for e in sent if "VendorAddRq" in (e["request"] or ""))
    assert "<VendorTaxIdent>[redacted]</VendorTaxIdent>" in add["request"]
    assert "<AccountNumber>[redacted]</AccountNumber>" in add["request"]
    answered = [e for e in view["exchange"] if e["method"] == "receiveResponseXML"]
    assert any("VendorAddRs" in (e["response"] or "") for e in answered)
    assert all(e["result"] is not None for e in answered)  # the progress we answered
    text = str(view)
    assert TAX_ID not in text and TAX_ID.replace("-", "") not in text and "AC-77" not in text
    # Redacted at rest, not only in the view; and compressed.
    with db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.session_id == session["id"])))
    stored = b"".join(zlib.decompress(r.request_xml or zlib.compress(b"")) for r in rows)
    assert b"VendorAddRq" in stored and TAX_ID.encode() not in stored
    big = max(rows, key=lambda r: r.response_bytes)
    assert big.response_xml is not None and len(big.response_xml) < big.response_bytes
    # Without bodies: the same calls, no qbXML.
    slim = detail(bench, session["id"], "?bodies=false")
    assert [e["method"] for e in slim["exchange"]] == methods
    assert "request" not in slim["exchange"][1]


def test_errors_keeps_only_sessions_with_an_error(db: Any, database_url: str) -> None:
    # The first write meets a lock (status 3175, severity Error): that session keeps its trail.
    bench = bench_with(db, database_url, "errors", faults=FaultPlan(lock_errors={1: 3175}))
    write_a_vendor(bench)
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for s in sessions(bench):
        (kept if detail(bench, s["id"])["exchange"] else dropped).append(s)
    assert kept and dropped
    errored = detail(bench, kept[0]["id"])
    assert any(e["error"] for e in errored["exchange"])
    assert any('statusCode="3175"' in (e["response"] or "") for e in errored["exchange"])
    # Its trail runs to its end: the closing call is kept with it (a clean session's closing
    # call is not written at all: its trail goes, audit/recorder.py).
    assert errored["exchange"][-1]["method"] == "closeConnection", errored["exchange"][-1]
    clean = detail(bench, dropped[0]["id"])
    assert clean["outcome"] in ("completed", "none")
    assert clean["audit"]["kept"] is False and "without errors" in clean["audit"]["reason"]


PAGE = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><VendorQueryRs requestID="vendors:1" '
    'statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
    + "".join(
        f"<VendorRet><ListID>80-{n}</ListID><Name>Vendor {n}</Name>"
        f"<VendorTaxIdent>{TAX_ID}</VendorTaxIdent></VendorRet>"
        for n in range(2000)
    )
    + "</VendorQueryRs></QBXMLMsgsRs></QBXML>"
)


@pytest.fixture
def company_id(db: Any) -> int:
    with db.transaction() as s:
        return create_company(s, "Audit Co").company.id


@pytest.mark.parametrize("mode", ["errors", "all"])
def test_a_clean_calls_large_answer_keeps_its_head_in_errors_mode(
    db: Any, database_url: str, company_id: int, mode: str
) -> None:
    """QBWC_AUDIT=errors: a call without an error keeps the first CLEAN_KEEP characters of a
    large answer (its trail is deleted when the session ends clean anyway); a call with an
    error, and every call in mode all, keep every byte. Redacted either way."""
    recorder = AuditRecorder(db, make_settings(database_url, 80, QBWC_AUDIT=mode))
    with db.transaction() as s:
        session = QbwcSession(company_id=company_id, username="u", started_at=utcnow())
        s.add(session)
        s.flush()
        session_id = session.id
    for error in (False, True):
        entry = {
            "method": "receiveResponseXML", "request": None, "response": PAGE, "hresult": None,
            "message": None, "result": "50", "error": error, "session_id": session_id,
            "company_id": company_id, "request_id": f"r-{error}", "duration_ms": 3,
        }  # fmt: skip
        recorder._write(entry, session_ends=False)
    with db.transaction() as s:
        rows = {r.error: r for r in s.scalars(select(AuditEntry))}
    for error, row in rows.items():
        assert row.response_bytes == len(PAGE)
        stored = zlib.decompress(row.response_xml).decode()  # type: ignore[arg-type]
        assert TAX_ID not in stored and "<VendorTaxIdent>[redacted]</VendorTaxIdent>" in stored
        if mode == "errors" and not error:
            assert "more characters not kept" in stored
            assert 'statusCode="0"' in stored and len(stored) < store.CLEAN_KEEP + 200
        else:
            assert stored.endswith("</QBXML>") and stored.count("<VendorRet>") == 2000


def test_a_body_is_abridged_after_its_last_complete_tag() -> None:
    body = "<QBXML><VendorRet><Name>A</Name><VendorTaxIdent>12-3456789</VendorTaxIdent></VendorRet>"
    assert store.abridged(body, keep=len(body)) == body  # short enough: unchanged
    # Cut inside the tax id's text: the element's text is not kept at all.
    cut = store.abridged(body, keep=body.index("3456789") + 3)
    assert cut.startswith("<QBXML><VendorRet><Name>A</Name><VendorTaxIdent>\n<!--")
    assert "12-3" not in cut and "more characters not kept" in cut
    # Cut inside a tag: back to the tag before it.
    cut = store.abridged(body, keep=body.index("</Name>") + 3)
    assert cut.startswith("<QBXML><VendorRet><Name>\n<!--")
    assert store.size_of("é" * 3) == 6 and store.size_of(body) == len(body)


def test_off_keeps_nothing(db: Any, database_url: str) -> None:
    bench = bench_with(db, database_url, "off", faults=FaultPlan(lock_errors={1: 3175}))
    write_a_vendor(bench)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0
    view = detail(bench, sessions(bench)[0]["id"])
    assert view["exchange"] is None and view["audit"]["reason"].startswith("QBWC_AUDIT=off")


def test_retention_deletes_old_trails_in_bounded_passes(db: Any, database_url: str) -> None:
    bench = bench_with(db, database_url, "all")
    write_a_vendor(bench)
    with db.transaction() as s:
        session_id = s.scalars(select(QbwcSession.id)).first()
        for _ in range(store.PURGE_BATCH + 200):
            s.add(AuditEntry(session_id=session_id, method="getLastError", at=utcnow()))
        s.flush()
        total = s.scalar(select(func.count()).select_from(AuditEntry))
        s.execute(update(AuditEntry).values(at=utcnow() - timedelta(days=31)))
        recent = s.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc())).first()
        s.execute(update(AuditEntry).where(AuditEntry.id == recent).values(at=utcnow()))
    assert total > store.PURGE_BATCH
    with db.transaction() as s:
        assert store.purge_expired(s, 30) == store.PURGE_BATCH  # bounded work per pass
    # The server runs the next pass by itself after a SOAP call (a new process: due at once).
    fresh = bench_with(db, database_url, "all")
    fresh.session()
    with db.transaction() as s:
        old = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.at < utcnow() - timedelta(days=30))
        )
        assert old == 0
        assert s.get(AuditEntry, recent) is not None  # within the retention: kept


def test_session_show_prints_the_exchange(
    db: Any, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = bench_with(db, database_url, "all")
    write_a_vendor(bench)
    session_id = next(s["id"] for s in sessions(bench) if s["outcome"] == "completed")
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["session", "show", str(session_id), "--exchange"]) == 0
    out = capsys.readouterr().out
    assert f"session:        {session_id}" in out and "outcome:        completed" in out
    assert "exchange:" in out and "sendRequestXML" in out and "--- request ---" in out
    assert "VendorAddRq" in out and TAX_ID not in out
    assert cli.main(["session", "show", str(session_id)]) == 0
    assert "--- request ---" not in capsys.readouterr().out
    assert cli.main(["session", "show", "999999"]) == 1


def test_a_session_of_another_company_is_not_found(db: Any, database_url: str) -> None:
    bench = bench_with(db, database_url, "all")
    write_a_vendor(bench)
    other = make_bench(db, database_url, app=bench.app)
    session_id = sessions(bench)[0]["id"]
    status, body = other.api("GET", f"/api/companies/{other.company_id}/sessions/{session_id}")
    assert status == 404 and "no session" in body["error"]["message"]


def test_errors_mode_writes_nothing_for_a_poll_with_nothing_to_do(
    db: Any, database_url: str
) -> None:
    """The common case at scale: a Web Connector polls, the server answers "none". Under
    QBWC_AUDIT=errors that costs no audit write at all (not even one deleted again)."""
    from sqlalchemy import event

    bench = bench_with(db, database_url, "errors", sync_interval_minutes=60)
    write_a_vendor(bench)  # a session with work: its trail written, then dropped (clean)
    with db.transaction() as s:
        s.execute(update(Company).values(last_complete_sync_at=utcnow()))
    inserted: list[str] = []

    def count(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
        inserted.append(target.method)

    event.listen(AuditEntry, "before_insert", count)
    try:
        report = bench.session()
    finally:
        event.remove(AuditEntry, "before_insert", count)
    assert str(report.outcome) == "none"
    assert inserted == []


def test_a_sync_calls_entry_has_every_column_it_writes(db: Any, database_url: str) -> None:
    """The entry of a sync call goes to the driver as it is on PostgreSQL (audit/recorder.py):
    each column as the ORM reads it back."""
    started = utcnow()
    bench = bench_with(db, database_url, "all")
    write_a_vendor(bench)
    with db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.method == "receiveResponseXML")))
    assert rows
    for row in rows:
        assert row.company_id == bench.company_id and row.session_id is not None
        assert started - timedelta(seconds=1) <= row.at <= utcnow() and row.at.tzinfo is not None
        assert row.request_id and row.duration_ms >= 0 and row.error is False
        assert row.response_xml is not None and row.response_bytes > len(row.response_xml) > 0
        assert row.result is not None and int(row.result) >= 0


def test_the_retention_pass_is_left_for_after_a_response_only_when_due(
    db: Any, database_url: str
) -> None:
    """An idle poll's call leaves no work for after its response unless the minute's retention
    pass is due (the serving worker then finishes it on its event loop, serving/worker.py);
    when it is due, exactly one request takes it and runs it after its response."""
    from types import SimpleNamespace

    from qbwc_server.observability.http_logging import AFTER_RESPONSE_KEY, after_response_pending

    recorder = AuditRecorder(db, make_settings(database_url, 80, QBWC_AUDIT="errors"))

    def call(method: str) -> dict[str, Any]:
        environ: dict[str, Any] = {AFTER_RESPONSE_KEY: []}
        ctx = SimpleNamespace(
            method_name=method, in_object=[], out_object=["x"], call_start=0.0,
            transport=SimpleNamespace(req_env=environ),
        )  # fmt: skip
        recorder._on_return(ctx)
        return environ

    due = call("serverVersion")  # a new process: the first pass is due at once
    assert after_response_pending(due) and len(due[AFTER_RESPONSE_KEY]) == 1
    for work in due[AFTER_RESPONSE_KEY]:
        work()  # the pass runs (and claims the minute)
    for method in ("serverVersion", "clientVersion", "closeConnection"):
        assert not after_response_pending(call(method))
    recorder.purge._last -= store.PURGE_INTERVAL_SECONDS  # a minute later
    assert after_response_pending(call("clientVersion"))
    assert after_response_pending({})  # no request layer: unknown counts as pending


def test_errors_mode_does_not_write_a_clean_sessions_closing_call(
    db: Any, database_url: str
) -> None:
    """A clean session's trail goes at its end under QBWC_AUDIT=errors: its closing call is
    not written only to be deleted with it (audit/recorder.py), and nothing is left."""
    from sqlalchemy import event

    bench = bench_with(db, database_url, "errors")
    inserted: list[str] = []

    def count(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
        inserted.append(target.method)

    event.listen(AuditEntry, "before_insert", count)
    try:
        write_a_vendor(bench)
    finally:
        event.remove(AuditEntry, "before_insert", count)
    assert "closeConnection" not in inserted, inserted
    assert sessions(bench)
    for s in sessions(bench):
        assert not detail(bench, s["id"])["exchange"], s


@pytest.mark.parametrize("mode", ["errors", "all"])
def test_authenticates_entry_is_written_before_the_answer(
    db: Any, database_url: str, company_id: int, mode: str
) -> None:
    """A session's first entry is stored before authenticate answers: written after the
    response, it could wait on the database until the whole session had run and its
    closeConnection had dropped a clean trail, and be left as a trail of one entry."""
    from types import SimpleNamespace

    from qbwc_server.observability import context
    from qbwc_server.observability.http_logging import AFTER_RESPONSE_KEY

    with db.transaction() as s:
        row = QbwcSession(company_id=company_id, username="u", state={}, hresults=[])
        s.add(row)
        s.flush()
        session_id = row.id
    recorder = AuditRecorder(db, make_settings(database_url, 80, QBWC_AUDIT=mode))
    recorder.purge.due()  # claims this minute's retention pass: no other work is left
    environ: dict[str, Any] = {AFTER_RESPONSE_KEY: []}
    ctx = SimpleNamespace(
        method_name="authenticate", in_object=["user", "secret"], out_object=[["t" * 43, ""]],
        call_start=time.time(), transport=SimpleNamespace(req_env=environ),
    )  # fmt: skip
    with context.request_context({}):
        context.bind(company_id=company_id, session_id=session_id)
        recorder._on_return(ctx)
    assert environ[AFTER_RESPONSE_KEY] == []  # nothing left for after the response
    with db.transaction() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.session_id == session_id)))
    assert [(e.method, e.result) for e in entries] == [("authenticate", "(work)")]
    assert "secret" not in repr(entries[0].__dict__) and "t" * 43 not in repr(entries[0].__dict__)


@pytest.mark.parametrize("faults", [None, FaultPlan(lock_errors={1: 3175})])
def test_a_clean_entry_landing_after_its_session_ended_is_not_left_behind(
    db: Any, database_url: str, monkeypatch: pytest.MonkeyPatch, faults: FaultPlan | None
) -> None:
    """QBWC_AUDIT=errors: a call's entry is written after its response, and can land after the
    session's closeConnection dropped a clean trail (seen in CI on SQLite: a finished session
    showed one receiveResponseXML). Here every clean sync call's entry lands late. Such an
    entry is not written; a session that keeps its trail (an error) keeps the late entries."""
    held: list[Any] = []
    after_response = AuditRecorder._after_response

    def hold_sync_calls(ctx: Any, work: Any) -> None:
        if ctx.method_name in ("sendRequestXML", "receiveResponseXML"):
            held.append(work)  # written only once every session has ended
        else:
            after_response(ctx, work)

    monkeypatch.setattr(AuditRecorder, "_after_response", staticmethod(hold_sync_calls))
    bench = bench_with(db, database_url, "errors", faults=faults)
    write_a_vendor(bench)
    assert held
    for work in held:
        work()
    views = [detail(bench, s["id"]) for s in sessions(bench)]
    assert all(v["ended_at"] for v in views)
    clean = [v for v in views if v["outcome"] in ("completed", "none") and not v["hresults"]]
    kept = [v for v in views if v["exchange"]]
    assert clean
    for view in clean:
        if view not in kept:
            assert view["audit"]["reason"].endswith("without errors is not kept")
    if faults is None:
        assert not kept, [(v["id"], [e["method"] for e in v["exchange"]]) for v in kept]
    else:
        # The session that met the lock keeps its trail, with the late entries in it.
        assert len(kept) == 1 and any(e["error"] for e in kept[0]["exchange"])
        methods = [e["method"] for e in kept[0]["exchange"]]
        assert "sendRequestXML" in methods and "receiveResponseXML" in methods, methods

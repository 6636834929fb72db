"""WebConnector.run_session against scripted QBWC servers: exact call order and report contents."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.webconnector import WebConnector
from tests.sim.wc_fakes import (
    HCP,
    RawReply,
    ScriptedServer,
    StubQuickBooks,
    serve,
    soap_fault,
)

VENDOR_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="stopOnError"><VendorQueryRq requestID="{n}"/></QBXMLMsgsRq></QBXML>'
)


def run(
    server: ScriptedServer, qb: StubQuickBooks | None = None, **options: Any
) -> tuple[SessionReport, StubQuickBooks, WebConnector]:
    qb = qb or StubQuickBooks()
    with serve(server) as url:
        wc = WebConnector(
            url,
            "user-1",
            "secret",
            qb,
            app_name="AP Sync",
            owner_id="{OWNER}",
            file_id="{FILE}",
            timeout=5,
            **options,
        )
        report = wc.run_session()
    return report, qb, wc


def work_server(progress: list[int], **handlers: Callable[[dict[str, str]], Any]) -> ScriptedServer:
    """authenticate -> "" (open file); one request per entry of `progress`."""
    steps = iter(progress)
    counter = itertools.count(1)
    base: dict[str, Callable[[dict[str, str]], Any]] = {
        "authenticate": lambda p: ["tkt-9", ""],
        "sendRequestXML": lambda p: VENDOR_QUERY.format(n=next(counter)),
        "receiveResponseXML": lambda p: next(steps),
        "closeConnection": lambda p: "Complete!",
    }
    base.update(handlers)
    return ScriptedServer(base)


def test_nvu_closes_connection_and_stops() -> None:
    server = ScriptedServer({"authenticate": lambda p: ["", "nvu"]})
    report, qb, _ = run(server)
    expected = ["serverVersion", "clientVersion", "authenticate", "closeConnection"]
    assert server.methods == expected
    assert report.calls == expected
    assert report.outcome is Outcome.NVU
    assert not report.ok
    assert "Invalid password" in report.errors[0]
    assert qb.events == []  # QuickBooks never opened
    assert server.of("authenticate") == [{"strUserName": "user-1", "strPassword": "secret"}]
    assert server.of("clientVersion") == [{"strVersion": "2.3.0.215"}]
    assert server.of("serverVersion") == [{}]


def test_none_with_postpone_and_min_run() -> None:
    server = ScriptedServer({"authenticate": lambda p: ["tkt-2", "NONE", "120", "900"]})
    report, qb, _ = run(server)
    assert server.methods == ["serverVersion", "clientVersion", "authenticate", "closeConnection"]
    assert server.of("closeConnection") == [{"ticket": "tkt-2"}]
    assert report.outcome is Outcome.NONE
    assert report.ok
    assert (report.postpone_seconds, report.min_run_seconds) == (120, 900)
    assert report.close_message == "OK"
    assert qb.events == []


def test_busy_is_not_an_error() -> None:
    server = ScriptedServer({"authenticate": lambda p: ["tkt-3", "busy", "60"]})
    report, _, _ = run(server)
    assert report.outcome is Outcome.BUSY
    assert report.ok
    assert report.postpone_seconds == 60
    assert report.min_run_seconds is None
    assert server.methods[-1] == "closeConnection"


def test_three_request_session_with_progress() -> None:
    qb = StubQuickBooks()
    server = work_server(
        [33, 66, 100],
        # §2 step 6: by the time closeConnection arrives, the QuickBooks session is closed.
        closeConnection=lambda p: "QB still open!" if qb.session_open else "Complete!",
    )
    progress_seen: list[int] = []
    report, _, _ = run(server, qb, on_progress=lambda r, p: progress_seen.append(p))
    assert server.methods == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert report.outcome is Outcome.COMPLETED and report.ok
    assert report.progress == progress_seen == [33, 66, 100]
    assert report.round_trips == 10
    assert report.requests_processed == 3
    # QuickBooks opened with "" (the open file) and closed BEFORE closeConnection (§2 step 6).
    assert qb.events == ["open:", "process", "process", "process", "close"]
    assert report.ticket == "tkt-9"
    assert report.close_message == "Complete!"

    sends = server.of("sendRequestXML")
    assert sends[0]["strHCPResponse"] == HCP  # first call only
    assert [s["strHCPResponse"] for s in sends[1:]] == ["", ""]
    assert {s["strCompanyFileName"] for s in sends} == {qb.path}
    assert {(s["qbXMLCountry"], s["qbXMLMajorVers"], s["qbXMLMinorVers"]) for s in sends} == {
        ("US", "13", "0")
    }
    assert report.qbxml_version == "13.0"
    # QuickBooks got exactly what the server sent; the server got exactly what QuickBooks said.
    assert qb.requests == [VENDOR_QUERY.format(n=n) for n in (1, 2, 3)]
    receives = server.of("receiveResponseXML")
    assert all(r["ticket"] == "tkt-9" and r["hresult"] == "" for r in receives)
    assert receives[1]["response"].count("<VendorRet>") == 2
    # Records tallied from the qbXML responses (1 + 2 + 3 vendors).
    assert report.records_by_type == {"VendorRet": 6}
    assert report.status_codes == {"VendorQueryRs:0": 3}
    assert report.bytes_out == sum(len(c.body) for c in server.received)
    assert report.requests == []  # keep_requests is off by default


def test_keep_requests_and_company_path_from_authenticate() -> None:
    server = work_server([100], authenticate=lambda p: ["t", r"C:\Data\acme.QBW"])
    report, qb, _ = run(server, keep_requests=True, keep_responses=True)
    assert qb.open_paths == [r"C:\Data\acme.QBW"]
    assert report.requests == [VENDOR_QUERY.format(n=1)]
    assert report.responses and "<VendorRet>" in report.responses[0]


def test_noop_then_work() -> None:
    sends = iter(["", "", VENDOR_QUERY.format(n=1)])
    server = work_server(
        [100],
        sendRequestXML=lambda p: next(sends),
        getLastError=lambda p: "NoOp",
    )
    report, _, wc = run(server)
    assert server.methods[3:] == [
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert report.noop_waits == 2
    assert wc.clock.now == 10.0  # two simulated 5-second pauses, no real sleeping
    assert report.outcome is Outcome.COMPLETED
    hcps = [s["strHCPResponse"] for s in server.of("sendRequestXML")]
    assert hcps[0] == HCP and hcps[1:] == ["", ""]


def test_empty_send_with_error_message_ends_session() -> None:
    server = work_server(
        [], sendRequestXML=lambda p: "", getLastError=lambda p: "Company file not recognised"
    )
    report, qb, _ = run(server)
    assert server.methods[3:] == ["sendRequestXML", "getLastError", "closeConnection"]
    assert report.outcome is Outcome.SERVER_ERROR
    assert report.errors == ["Company file not recognised"]
    assert qb.events == ["open:", "close"]


def test_negative_progress_calls_get_last_error() -> None:
    server = work_server([-101], getLastError=lambda p: "Sync failed: vendor 3 rejected")
    report, qb, _ = run(server)
    assert server.methods[3:] == [
        "sendRequestXML",
        "receiveResponseXML",
        "getLastError",
        "closeConnection",
    ]
    assert report.outcome is Outcome.SERVER_ERROR
    assert report.progress == [-101]
    assert report.errors == ["Sync failed: vendor 3 rejected"]
    assert qb.events[-1] == "close"


def test_quickbooks_parse_error_goes_to_receive_response_hresult() -> None:
    qb = StubQuickBooks(request_errors={1: ("0x80040400", "QuickBooks found an error")})
    server = work_server([50, 100])
    report, _, _ = run(server, qb)
    first, second = server.of("receiveResponseXML")
    assert first["response"] == "" and first["hresult"] == "0x80040400"
    assert first["message"] == "QuickBooks found an error"
    assert second["hresult"] == "" and "<VendorRet>" in second["response"]
    assert report.hresults == ["0x80040400: QuickBooks found an error"]
    assert report.ok


def test_soap_fault_in_send_request_is_qbwc1041_and_aborts() -> None:
    server = work_server([], sendRequestXML=lambda p: soap_fault("NullPointerException"))
    report, qb, _ = run(server)
    assert server.methods == ["serverVersion", "clientVersion", "authenticate", "sendRequestXML"]
    assert report.outcome is Outcome.CALL_FAILED
    assert len(report.errors) == 1
    assert report.errors[0].startswith("QBWC1041: ")
    assert "NullPointerException" in report.errors[0]
    assert qb.events == ["open:", "close"]  # QuickBooks session still closed


def test_connection_error_retry_with_path_then_done() -> None:
    qb = StubQuickBooks(
        open_failures=[
            ("0x80040408", "Could not start QuickBooks."),
            ("0x8004040A", "A different company file is open."),
        ]
    )
    replies = iter([r"C:\Other\file.QBW", "DONE"])
    server = work_server([], connectionError=lambda p: next(replies))
    report, _, _ = run(server, qb)
    assert server.methods == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "connectionError",
        "connectionError",
        "closeConnection",
    ]
    assert server.of("connectionError") == [
        {"ticket": "tkt-9", "hresult": "0x80040408", "message": "Could not start QuickBooks."},
        {
            "ticket": "tkt-9",
            "hresult": "0x8004040A",
            "message": "A different company file is open.",
        },
    ]
    assert qb.open_paths == ["", r"C:\Other\file.QBW"]
    assert report.outcome is Outcome.CONNECTION_FAILED
    assert report.connection_errors[0].startswith("0x80040408")
    assert "0x8004040A" in report.errors[0]


def test_connection_error_retry_succeeds() -> None:
    qb = StubQuickBooks(open_failures=[("0x80040416", "not running")])
    server = work_server([100], connectionError=lambda p: r"C:\Data\acme.QBW")
    report, _, _ = run(server, qb)
    assert server.methods[3:] == [
        "connectionError",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert qb.open_paths == ["", r"C:\Data\acme.QBW"]
    assert report.outcome is Outcome.COMPLETED


def test_connection_error_retries_are_bounded() -> None:
    qb = StubQuickBooks(open_failures=[("0x80040408", "x")] * 5)
    server = work_server([], connectionError=lambda p: "")
    report, _, _ = run(server, qb)
    assert server.methods.count("connectionError") == 3  # first failure + 2 retries
    assert len(qb.open_paths) == 3
    assert report.outcome is Outcome.CONNECTION_FAILED


def test_client_version_answers() -> None:
    warn = work_server([100], clientVersion=lambda p: "W:Please upgrade soon")
    report, _, _ = run(warn)
    assert report.outcome is Outcome.COMPLETED
    assert report.ok
    assert any("Please upgrade soon" in w for w in report.warnings)

    for answer in ("E:Too old", "O:2.3.0.300"):
        server = work_server([], clientVersion=functools.partial(lambda a, p: a, answer))
        report, qb, _ = run(server)
        assert server.methods == ["serverVersion", "clientVersion"]
        assert report.outcome is Outcome.CLIENT_REJECTED
        assert answer[2:] in report.errors[0]
        assert qb.events == []


def test_server_version_fault_is_only_a_warning() -> None:
    server = work_server([100], serverVersion=lambda p: soap_fault("no such method"))
    report, _, _ = run(server)
    assert report.outcome is Outcome.COMPLETED
    assert report.ok
    assert "no such method" in report.warnings[0]


def test_authenticate_html_error_is_qbwc1012() -> None:
    server = ScriptedServer(
        {"authenticate": lambda p: RawReply(b"<html/>", "200 OK", "text/html; charset=utf-8")}
    )
    report, _, _ = run(server)
    assert report.outcome is Outcome.CALL_FAILED
    assert report.errors[0].startswith("QBWC1012: ")
    assert "expected 'text/xml'" in report.errors[0]
    assert server.methods == ["serverVersion", "clientVersion", "authenticate"]


def test_interactive_mode_is_rejected() -> None:
    server = work_server(
        [],
        sendRequestXML=lambda p: "",
        getLastError=lambda p: "Interactive mode",
        getInteractiveURL=lambda p: "https://example.test/interactive",
        interactiveRejected=lambda p: "Fine, later",
    )
    report, _, _ = run(server)
    assert server.methods[3:] == [
        "sendRequestXML",
        "getLastError",
        "getInteractiveURL",
        "interactiveRejected",
        "closeConnection",
    ]
    interactive = server.of("getInteractiveURL")[0]
    assert interactive["wcTicket"] == "tkt-9" and interactive["sessionID"]
    assert report.outcome is Outcome.INTERACTIVE_REJECTED


def test_runaway_server_is_stopped() -> None:
    server = work_server([], receiveResponseXML=lambda p: 50)
    report, qb, _ = run(server, max_round_trips=25)
    assert report.outcome is Outcome.RUNAWAY
    assert len(server.received) == 25
    assert "runaway" in report.errors[0]
    assert qb.events[-1] == "close"


def test_quickbooks_simulated_time_is_reported_and_moves_the_clock() -> None:
    qb = StubQuickBooks(cost_per_request=2.5)
    report, _, wc = run(work_server([50, 100]), qb)
    assert report.qb_simulated_seconds == 5.0
    assert report.quickbooks_seconds >= 5.0
    assert wc.clock.now == 5.0
    assert report.server_seconds > 0
    assert report.ended_at - report.started_at == 5.0


def test_session_index_and_separate_stats() -> None:
    server = work_server([100, 100])
    qb = StubQuickBooks()
    with serve(server) as url:
        wc = WebConnector(url, "u", "p", qb, app_name="a", owner_id="o", file_id="f", timeout=5)
        first = wc.run_session()
        second = wc.run_session()
    assert (first.index, second.index) == (1, 2)
    assert first.round_trips == second.round_trips == 6
    assert wc.client.stats.round_trips == 12

"""Transport faults: the connection drops before a call is sent or after the server answered."""

from __future__ import annotations

import itertools

import pytest

from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.transport_faults import TransportFault, TransportFaults
from qbwc_server.sim.webconnector import WebConnector
from tests.sim.wc_fakes import ScriptedServer, StubQuickBooks, serve


def make_server() -> ScriptedServer:
    """Every session: two requests, progress 50 then 100."""
    counter = itertools.count(1)
    progress = itertools.cycle([50, 100])
    return ScriptedServer(
        {
            "authenticate": lambda p: ["tkt", ""],
            "sendRequestXML": lambda p: f"<QBXML><n>{next(counter)}</n></QBXML>",
            "receiveResponseXML": lambda p: next(progress),
        }
    )


def run_with(
    faults: TransportFaults, sessions: int = 1
) -> tuple[list[SessionReport], ScriptedServer, StubQuickBooks]:
    server = make_server()
    qb = StubQuickBooks()
    with serve(server) as url:
        wc = WebConnector(
            url,
            "u",
            "p",
            qb,
            app_name="a",
            owner_id="o",
            file_id="f",
            transport_faults=faults,
            timeout=5,
        )
        reports = [wc.run_session() for _ in range(sessions)]
    return reports, server, qb


def test_drop_before_receive_response_server_never_sees_it() -> None:
    reports, server, qb = run_with(TransportFaults.of("drop-before:receiveResponseXML:2"))
    (report,) = reports
    assert server.methods == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
    ]
    # The Web Connector attempted the call, then gave up: no closeConnection.
    assert report.calls == [*server.methods, "receiveResponseXML"]
    assert report.outcome is Outcome.TRANSPORT_ERROR
    assert report.errors[0].startswith("QBWC1042: ")
    assert report.transport_faults == ["drop-before:receiveResponseXML:2 (session 1)"]
    # QuickBooks processed both requests and its session was closed (iterators die).
    assert qb.events == ["open:", "process", "process", "close"]
    assert report.round_trips == 6


def test_drop_after_send_request_server_committed_it() -> None:
    reports, server, qb = run_with(TransportFaults.of("drop-after:sendRequestXML:1"))
    (report,) = reports
    # The server handled sendRequestXML (it would have marked the request as sent)...
    assert server.methods[-1] == "sendRequestXML"
    assert len(server.received) == 4
    # ...but the answer was lost: QuickBooks never saw the request.
    assert qb.events == ["open:", "close"]
    assert report.outcome is Outcome.TRANSPORT_ERROR
    assert report.errors[0].startswith("QBWC1041: ")
    assert report.round_trips == 4


def test_drop_by_ordinal_and_only_in_the_selected_session() -> None:
    faults = TransportFaults([TransportFault("before", None, 4, session=2)])
    reports, server, _ = run_with(faults, sessions=3)
    first, second, third = reports
    assert first.outcome is Outcome.COMPLETED
    assert second.outcome is Outcome.TRANSPORT_ERROR
    assert second.calls[-1] == "sendRequestXML"  # the 4th call of session 2
    assert third.outcome is Outcome.COMPLETED
    assert len(faults.fired) == 1
    assert server.methods.count("closeConnection") == 2


def test_drop_after_close_connection_keeps_the_outcome() -> None:
    reports, server, _ = run_with(TransportFaults.of("drop-after:closeConnection"))
    (report,) = reports
    assert server.methods[-1] == "closeConnection"
    assert report.outcome is Outcome.COMPLETED
    assert not report.ok
    assert report.errors[0].startswith("QBWC1044: ")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("drop-before:sendRequestXML", TransportFault("before", "sendRequestXML", 1, 1)),
        ("drop-after:receiveResponseXML:3@2", TransportFault("after", "receiveResponseXML", 3, 2)),
        ("drop-after:*:7@*", TransportFault("after", None, 7, None)),
    ],
)
def test_parse(spec: str, expected: TransportFault) -> None:
    assert TransportFault.parse(spec) == expected


@pytest.mark.parametrize(
    "spec", ["drop:sendRequestXML", "drop-before:", "drop-before:sendRequest", "drop-after:*:0"]
)
def test_parse_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        TransportFault.parse(spec)

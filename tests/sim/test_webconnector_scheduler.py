"""Scheduler: many sessions in simulated time, postpone / minimum-run honoured, hooks run."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from qbwc_server.sim.clock import SimClock
from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.scheduler import Scheduler
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport
from tests.sim.wc_fakes import ScriptedServer, StubQuickBooks, serve

WEEK = 7 * 24 * 3600


def connector(url: str, qb: StubQuickBooks | None = None, **options: Any) -> WebConnector:
    return WebConnector(
        url,
        "u",
        "p",
        qb or StubQuickBooks(),
        app_name="a",
        owner_id="o",
        file_id="f",
        timeout=5,
        **options,
    )


def test_a_week_of_15_minute_runs() -> None:
    # Work every 10th session, "none" otherwise: 672 sessions, all in simulated time.
    sessions = itertools.count(1)
    current = {"n": 0}

    def authenticate(p: dict[str, str]) -> list[str]:
        current["n"] = next(sessions)
        return [f"t{current['n']}", "" if current["n"] % 10 == 1 else "none"]

    server = ScriptedServer(
        {
            "authenticate": authenticate,
            "sendRequestXML": lambda p: "<QBXML/>",
            "receiveResponseXML": lambda p: 100,
        }
    )
    qb = StubQuickBooks(cost_per_request=3.0)
    # ~2,800 SOAP calls: in-process WSGI (same bytes as HTTP) keeps this test well under a second.
    wc = connector("http://qbwc.test/qbwc", qb, transport=WsgiTransport(server))
    summary = Scheduler(wc, 15 * 60).run(duration_seconds=WEEK)
    assert len(summary.sessions) == 7 * 96
    assert summary.outcomes == {"completed": 68, "none": 604}
    assert summary.ok
    assert summary.requests_processed == 68
    assert summary.qb_simulated_seconds == 68 * 3.0
    # Starts are exactly 15 simulated minutes apart (sessions are shorter than the interval).
    starts = [r.started_at for r in summary.sessions]
    assert starts[:3] == [0.0, 900.0, 1800.0]
    assert starts[-1] == WEEK - 900
    assert summary.records_by_type["VendorRet"] == sum(range(1, 69))
    assert summary.round_trips == 604 * 4 + 68 * 6


@dataclass
class PostponeServer:
    """First authenticate: none + postpone 120 s; second: none + minimum run 3600 s."""

    replies: list[list[str]] = field(
        default_factory=lambda: [
            ["t1", "none", "120"],
            ["t2", "none", "", "3600"],
            ["t3", "none"],
            ["t4", "none"],
        ]
    )

    def server(self) -> ScriptedServer:
        it = iter(self.replies)
        return ScriptedServer({"authenticate": lambda p: next(it)})


def test_postpone_and_minimum_run_interval() -> None:
    with serve(PostponeServer().server()) as url:
        scheduler = Scheduler(connector(url), 15 * 60)
        summary = scheduler.run(sessions=4)
    starts = [r.started_at for r in summary.sessions]
    # postponed by 120 s, then the interval is raised to 3600 s for good.
    assert starts == [0.0, 120.0, 120.0 + 3600.0, 120.0 + 7200.0]
    assert scheduler.interval_seconds == 3600.0


def test_long_sessions_are_followed_immediately() -> None:
    server = ScriptedServer(
        {
            "authenticate": lambda p: ["t", ""],
            "sendRequestXML": lambda p: "<QBXML/>",
            "receiveResponseXML": lambda p: 100,
        }
    )
    qb = StubQuickBooks(cost_per_request=1000.0)  # a 1000-second QuickBooks request
    with serve(server) as url:
        summary = Scheduler(connector(url, qb), 600).run(sessions=3)
    assert [r.started_at for r in summary.sessions] == [0.0, 1000.0, 2000.0]


@dataclass
class CompanyClock:
    now: datetime = datetime(2024, 1, 1, 8, 0)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Company:
    clock: CompanyClock = field(default_factory=CompanyClock)


@dataclass
class QuickBooksWithCompany(StubQuickBooks):
    company: Company = field(default_factory=Company)


def test_hook_between_sessions_and_company_clock() -> None:
    qb = QuickBooksWithCompany()
    seen: list[tuple[int, datetime]] = []

    def hook(scheduler: Scheduler, report: SessionReport) -> None:
        seen.append((report.index, qb.company.clock.now))
        if report.index == 3:
            scheduler.stop()

    clock = SimClock(now=0.0)
    with serve(ScriptedServer()) as url:
        scheduler = Scheduler(connector(url, qb), 3600, clock, between_sessions=hook)
        summary = scheduler.run(sessions=10)
    assert [i for i, _ in seen] == [1, 2, 3]
    assert len(summary.sessions) == 3
    # The company clock followed simulated time: session n started at (n - 1) hours.
    assert [t for _, t in seen] == [datetime(2024, 1, 1, h, 0) for h in (8, 9, 10)]
    assert all(r.outcome is Outcome.NONE for r in summary.sessions)


def test_stop_on_error() -> None:
    server = ScriptedServer({"authenticate": lambda p: ["", "nvu"]})
    with serve(server) as url:
        summary = Scheduler(connector(url), 60).run(sessions=5, stop_on_error=True)
    assert len(summary.sessions) == 1
    assert not summary.ok
    assert summary.errors[0][0] == 1

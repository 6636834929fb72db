"""QBWC's Auto-Run scheduler in simulated time: a week of 15-minute runs takes seconds.

Rules (protocol doc §3.3, §4.1 Scheduler):
* the .qwc interval is a minimum gap between the *starts* of two updates; a session that runs
  longer than the interval is followed immediately by the next one;
* authenticate [3] (minimum run interval) raises the interval for all later runs;
* authenticate [2] (postpone) sets the next run to "end of this session + postpone seconds",
  replacing the normal interval for that one gap.

The fake QuickBooks company clock (``qb.company.clock`` or ``qb.clock``, anything with
``advance(timedelta)``) is kept in step with simulated time when it exists; nothing else of the
fake is assumed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from qbwc_server.sim.clock import SimClock
from qbwc_server.sim.report import SessionReport, SimulationSummary
from qbwc_server.sim.webconnector import WebConnector

BetweenSessions = Callable[["Scheduler", SessionReport], None]


def find_company_clock(quickbooks: object) -> Any | None:
    """The fake's company clock if it has one with ``advance(timedelta)``, else None."""
    company = getattr(quickbooks, "company", None)
    for owner in (company, quickbooks):
        clock = getattr(owner, "clock", None) if owner is not None else None
        if clock is not None and callable(getattr(clock, "advance", None)):
            return clock
    return None


class Scheduler:
    """Runs :class:`WebConnector` sessions on a schedule in simulated time."""

    def __init__(
        self,
        webconnector: WebConnector,
        interval_seconds: float,
        clock: SimClock | None = None,
        *,
        between_sessions: BetweenSessions | None = None,
        honour_postpone: bool = True,
        honour_min_run: bool = True,
        sync_company_clock: bool = True,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self.webconnector = webconnector
        if clock is not None:
            webconnector.clock = clock
        self.clock = webconnector.clock
        self.interval_seconds = float(interval_seconds)
        self.between_sessions = between_sessions
        self.honour_postpone = honour_postpone
        self.honour_min_run = honour_min_run
        self.company_clock = (
            find_company_clock(webconnector.quickbooks) if sync_company_clock else None
        )
        self._company_synced_at = self.clock.now
        self.reports: list[SessionReport] = []
        self.next_run_at = self.clock.now
        self.stopped = False

    def stop(self) -> None:
        """May be called from the between-sessions hook to end the run."""
        self.stopped = True

    def run(
        self,
        sessions: int | None = None,
        *,
        duration_seconds: float | None = None,
        stop_on_error: bool = False,
    ) -> SimulationSummary:
        """Run until ``sessions`` sessions ran or ``duration_seconds`` of simulated time passed."""
        if sessions is None and duration_seconds is None:
            raise ValueError("give sessions or duration_seconds")
        started = self.clock.now
        end = started + duration_seconds if duration_seconds is not None else None
        first_report = len(self.reports)
        self.stopped = False
        while not self.stopped:
            if sessions is not None and len(self.reports) - first_report >= sessions:
                break
            if end is not None and self.next_run_at >= end:
                break
            self._wait_until(self.next_run_at)
            report = self.webconnector.run_session()
            self.reports.append(report)
            self._schedule_after(report)
            if self.between_sessions is not None:
                self.between_sessions(self, report)
            if stop_on_error and not report.ok:
                break
        self._sync_company_clock()
        return SimulationSummary.from_reports(
            self.reports[first_report:], started_at=started, ended_at=self.clock.now
        )

    def _schedule_after(self, report: SessionReport) -> None:
        if self.honour_min_run and report.min_run_seconds:
            self.interval_seconds = max(self.interval_seconds, float(report.min_run_seconds))
        if self.honour_postpone and report.postpone_seconds:
            self.next_run_at = report.ended_at + report.postpone_seconds
        else:
            self.next_run_at = max(report.started_at + self.interval_seconds, report.ended_at)

    def _wait_until(self, when: float) -> None:
        self.clock.advance_to(when)
        self._sync_company_clock()

    def _sync_company_clock(self) -> None:
        if self.company_clock is None:
            return
        delta = self.clock.now - self._company_synced_at
        if delta > 0:
            self.company_clock.advance(timedelta(seconds=delta))
        self._company_synced_at = self.clock.now

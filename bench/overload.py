"""Overload harness (issue 13 item 4): what authenticate answers, and how fast, when the server
or its database is saturated or down.

    python bench/overload.py [--flood-threads N] [--seconds S] [--json]

A private PostgreSQL cluster (``tests/chaos/cluster.py``) and ``qbwc-server serve --workers 1
--threads 2`` (a small server, easy to saturate). A *probe* Web Connector whose company is due
(it has work) calls authenticate every half second, closing each session at once, while:

* ``flood``: ``--flood-threads`` clients run empty sessions back to back on keep-alive
  connections (many more connectors than server threads);
* ``lock``: another database client holds ``LOCK TABLE companies`` (every SOAP call that reads a
  company waits for it): the database is saturated, the server's threads all wait;
* ``down``: PostgreSQL is stopped, then started again; afterwards the probe's company status
  (``GET /api/companies/{id}``) is read.

It prints, per scenario, authenticate's answers (``work`` = a session was granted) with their
postpones, and its latency (p50/p99/max), and whether the behaviour the issue requires holds:
authenticate answers at once (within ``AT_ONCE_SECONDS``) and, when it does not take the
session, ``none``/``busy`` with a postpone; the database being down gives a clean protocol
answer and the company status says so; and during the flood, a first sync whose session was
granted just before it completes with its data equal to QuickBooks (a session in flight is
never cut). ``tests/overload/test_overload.py`` asserts exactly these in the suite.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from common import emit
from load_stats import percentile
from wire import KeepAliveTransport

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.qwc import parse_qwc
from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.soap_client import QbwcCallError, SoapClient
from qbwc_server.sim.webconnector import WebConnector
from tests.chaos.cluster import PrivateCluster, private_cluster
from tests.chaos.server import GunicornServer
from tests.conftest import ADMIN_TOKEN
from tests.foundation.helpers import api
from tests.sync.helpers import Api, compare_all, first_txn_date, generate_current
from tests.sync.helpers import Rig as SyncRig

AT_ONCE_SECONDS = 1.0  # "at once": well inside any Web Connector timeout, no queueing
PROBE_EVERY = 0.5
WORKERS, THREADS = 1, 2


@dataclass
class ProbeResult:
    scenario: str
    answers: Counter[str] = field(default_factory=Counter)  # work | none | busy | nvu | error:…
    latencies: list[float] = field(default_factory=list)
    missing_postpone: int = 0  # none/busy answers without a postpone
    flood_sessions: int = 0
    notes: list[str] = field(default_factory=list)
    # The session in flight (flood): granted just before the flood, it must complete; then the
    # company's data must equal its QuickBooks.
    in_flight: str = ""
    discrepancies: list[str] = field(default_factory=list)

    @property
    def slow(self) -> int:
        return sum(1 for x in self.latencies if x > AT_ONCE_SECONDS)

    def summary(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "answers": dict(self.answers),
            "probes": len(self.latencies),
            "p50_s": round(percentile(self.latencies, 50), 3),
            "p99_s": round(percentile(self.latencies, 99), 3),
            "max_s": round(max(self.latencies or [0.0]), 3),
            "slower_than_at_once": self.slow,
            "missing_postpone": self.missing_postpone,
            "flood_sessions": self.flood_sessions,
            "in_flight": self.in_flight,
            "discrepancies": self.discrepancies[:5],
            "notes": self.notes,
        }


@dataclass
class Rig:
    cluster: PrivateCluster
    server: GunicornServer
    probe: dict[str, Any]  # the created company (API answer)
    idle: dict[str, Any]


@contextlib.contextmanager
def rig() -> Iterator[Rig]:
    with private_cluster() as cluster:
        server = GunicornServer(
            cluster.url, {"QBWC_ADMIN_TOKEN": ADMIN_TOKEN}, workers=WORKERS, threads=THREADS
        )
        try:
            probe = create(server, "Probe Co", 0)
            idle = create(server, "Idle Co", 24 * 60)
            yield Rig(cluster, server, probe, idle)
        finally:
            server.close()


def create(server: GunicornServer, name: str, interval: int) -> dict[str, Any]:
    status, body, _ = api(
        server.base,
        "POST",
        "/api/companies",
        {"name": name, "sync_interval_minutes": interval, "confirm_binding": False},
    )
    assert status == 201, body
    return dict(body)


def probe_once(r: Rig, result: ProbeResult) -> None:
    client = SoapClient(r.server.qbwc_url, timeout=300)
    started = time.perf_counter()
    try:
        answer = client.authenticate(r.probe["username"], r.probe["connector_key"])
    except QbwcCallError as exc:
        result.latencies.append(time.perf_counter() - started)
        result.answers[f"error:{exc.kind}"] += 1
        return
    result.latencies.append(time.perf_counter() - started)
    word = (answer[1] if len(answer) > 1 else "").strip().lower()
    if word in ("none", "busy", "nvu"):
        result.answers[word] += 1
        if word != "nvu" and (len(answer) < 3 or not answer[2].strip()):
            result.missing_postpone += 1
    else:
        result.answers["work"] += 1
    if answer and answer[0]:
        with contextlib.suppress(QbwcCallError):
            client.close_connection(answer[0])  # give the session (and its lease) back


def probing(r: Rig, result: ProbeResult, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        probe_once(r, result)
        time.sleep(max(0.0, PROBE_EVERY - (time.monotonic() - started)))


def flood(r: Rig, threads: int, seconds: float) -> ProbeResult:
    result = ProbeResult("flood")
    stop = threading.Event()
    counts = Counter[str]()
    lock = threading.Lock()
    quickbooks = FakeQuickBooks(CompanyFile.generate(seed=1, profile="tiny"))

    def empty_sessions() -> None:
        transport = KeepAliveTransport("127.0.0.1", r.server.port, timeout=300)
        client = SoapClient(r.server.qbwc_url, timeout=300, transport=transport)
        wc = WebConnector(
            r.server.qbwc_url, r.idle["username"], r.idle["connector_key"], quickbooks,
            app_name="flood", owner_id="{00000000-0000-0000-0000-000000000000}",
            file_id="{00000000-0000-0000-0000-000000000001}", client=client,
        )  # fmt: skip
        while not stop.is_set():
            report = wc.run_session()
            with lock:
                counts[str(report.outcome)] += 1

    syncing = InFlight(r)
    workers = [threading.Thread(target=empty_sessions, daemon=True) for _ in range(threads)]
    syncing.start()  # granted before the flood: its calls run while the server is saturated
    for t in workers:
        t.start()
    time.sleep(2.0)  # the queue builds up
    probing(r, result, seconds)
    stop.set()
    for t in workers:
        t.join(timeout=120)
    result.flood_sessions = sum(counts.values())
    result.notes.append(f"flood sessions by outcome: {dict(counts)}")
    result.in_flight, result.discrepancies = syncing.finish()
    result.notes.append(
        f"session in flight during the flood: {result.in_flight}; data vs QuickBooks: "
        f"{len(result.discrepancies)} difference(s)"
    )
    return result


class InFlight:
    """A first sync (``tiny`` company file) whose session is granted just before the flood."""

    def __init__(self, r: Rig) -> None:
        company = generate_current("tiny", seed=13)
        api_client = Api(base_url=r.server.base)
        status, created = api_client.request(
            "POST",
            "/api/companies",
            {"name": "In Flight Co", "history_start": first_txn_date(company),
             "sync_interval_minutes": 0, "confirm_binding": False},
        )  # fmt: skip
        assert status == 201, created
        status, qwc_text = api_client.request("GET", f"/api/companies/{created['id']}/qwc")
        assert status == 200, qwc_text
        qwc = parse_qwc(str(qwc_text).encode("utf-8"))
        qb = FakeQuickBooks(company)
        wc = WebConnector.from_qwc(
            qwc, created["connector_key"], qb, url=r.server.qbwc_url, timeout=300
        )
        self.rig = SyncRig(
            api_client, int(created["id"]), created["connector_key"], qwc, qb, wc, None
        )
        self.report: SessionReport | None = None
        self.granted = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.report = self.rig.wc.run_session()

    def start(self) -> None:
        requests = self.rig.qb
        self.thread.start()
        deadline = time.monotonic() + 30
        while not requests.requests_processed and time.monotonic() < deadline:
            time.sleep(0.005)  # until QuickBooks got the session's first request

    def finish(self) -> tuple[str, list[str]]:
        self.thread.join(timeout=300)
        if self.report is None:
            return "did not end", ["the session in flight did not end"]
        outcome = str(self.report.outcome)
        if self.report.outcome != Outcome.COMPLETED or not self.report.ok:
            return outcome, [f"session in flight ended {outcome}: {self.report.errors[:2]}"]
        return outcome, compare_all(self.rig).problems


def locked(r: Rig, seconds: float) -> ProbeResult:
    result = ProbeResult("lock")
    with psycopg.connect(r.cluster.url, autocommit=False) as conn:
        conn.execute("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
        holder = threading.Timer(seconds + 5.0, conn.rollback)
        holder.start()
        try:
            probing(r, result, seconds)
        finally:
            holder.cancel()
            conn.rollback()
    result.notes.append(f"companies table locked by another client for the {seconds:.0f} s")
    return result


def down(r: Rig, seconds: float) -> ProbeResult:
    result = ProbeResult("down")
    r.cluster.stop("fast")
    try:
        probing(r, result, seconds)
    finally:
        r.cluster.start()
    r.server.wait_ready()
    status, view, _ = api(r.server.base, "GET", f"/api/companies/{r.probe['id']}")
    text = str(view.get("status") if isinstance(view, dict) else view)
    result.notes.append(f"company status after the outage (HTTP {status}): {text}")
    shown = "database" in text.lower()
    result.notes.append("status shows the outage" if shown else "STATUS DOES NOT SHOW THE OUTAGE")
    return result


def verdicts(results: list[ProbeResult]) -> list[tuple[str, bool]]:
    out = []
    for res in results:
        out.append(
            (f"{res.scenario}: authenticate answered within {AT_ONCE_SECONDS:g} s", not res.slow)
        )
        out.append(
            (f"{res.scenario}: none/busy answers carry a postpone", not res.missing_postpone)
        )
        errors = sum(n for k, n in res.answers.items() if k.startswith("error"))
        out.append((f"{res.scenario}: a clean protocol answer every time", not errors))
        if res.scenario == "flood":
            out.append(("flood: the session in flight completed, data equal to QuickBooks",
                        res.in_flight == "completed" and not res.discrepancies))  # fmt: skip
        if res.scenario == "down":
            shown = "status shows the outage" in res.notes
            out.append(("down: the company status shows the database outage", shown))
    return out


def run(flood_threads: int, seconds: float) -> list[ProbeResult]:
    with rig() as r:
        return [flood(r, flood_threads, seconds), locked(r, seconds), down(r, seconds)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood-threads", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=8.0, help="probing per scenario")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.flood_threads, args.seconds)
    lines = [f"server: qbwc-server serve --workers {WORKERS} --threads {THREADS}, private cluster"]
    for res in results:
        s = res.summary()
        lines.append(
            f"{s['scenario']:>6}: authenticate answers {s['answers']} latency p50 {s['p50_s']} s "
            f"p99 {s['p99_s']} s max {s['max_s']} s; slower than {AT_ONCE_SECONDS:g} s: "
            f"{s['slower_than_at_once']}; none/busy without postpone: {s['missing_postpone']}"
        )
        lines += [f"        {note}" for note in res.notes]
    checks = verdicts(results)
    lines += [f"  {'PASS' if ok else 'FAIL'}  {name}" for name, ok in checks]
    emit({"scenarios": [r.summary() for r in results], "checks": dict(checks)}, args.json, lines)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())

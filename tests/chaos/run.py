"""The chaos run (issue 13 item 5): many companies sync and write back while the server's
workers are SIGKILLed, the database restarts and connections drop; at the end nothing is lost,
nothing is written twice and nothing is stuck.

One run, all on 127.0.0.1:

* a private PostgreSQL cluster (``cluster.py``) and ``qbwc-server serve`` on it (``server.py``);
* ``companies`` companies created through the API, each with its own fake QuickBooks company
  file (``tiny`` profile, history up to today) and a simulated Web Connector (one connection per
  call, like the simulator's default: no client retries that could hide a double write);
* each company runs ``rounds`` sessions one after the other in its own thread; between two
  sessions its bookkeeper edits QuickBooks (edits, new vendors and bills, inactivations,
  deletions) and the AP platform queues write-backs through the API (a new vendor and a bill
  for it; the API call is retried with the same idempotency key when the server is down);
  about ``drop_probability`` of the sessions lose their connection before or after a random
  call (the simulator's transport faults);
* meanwhile a fault thread SIGKILLs a gunicorn worker every ``kill_every`` seconds and restarts
  PostgreSQL (``fast`` or ``immediate``, i.e. crashed) every ``restart_every`` seconds;
* then a quiet phase: no faults, sessions until every company has finished a clean session
  after its last change and no operation is waiting.

Time between two scheduled runs of a Web Connector (15 minutes) is longer than the sync lease
(``QBWC_SYNC_LEASE_SECONDS``): before each session the run lets the leases of that company's
dropped sessions lapse, as the real gap would (``lapse_leases``), and counts it.

Checks (``ChaosResult.discrepancies``, must be empty): every company's synced data equals its
fake QuickBooks (``tests/sync/expected.py`` through ``compare_all``); every operation is
``done`` with exactly one record carrying its ExternalGUID in QuickBooks, or failed with a
reason and none; no ExternalGUID twice; no operation queued or sent; no company or operation
lease held after the last session.

Replaying: every random choice (company files, edits, write-backs, which call of which session
drops, fault times) comes from ``seed``; the interleaving of threads and processes is the
machine's, so a replay makes the same plan, not the same timing.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from models import Company, Operation, StreamCursor
from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.qwc import parse_qwc
from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.transport_faults import TransportFault, TransportFaults
from qbwc_server.sim.webconnector import WebConnector
from tests.chaos.bookkeeper import edit_quickbooks
from tests.chaos.cluster import PrivateCluster, private_cluster
from tests.chaos.plan import ChaosConfig, ChaosResult
from tests.chaos.server import GunicornServer
from tests.conftest import ADMIN_TOKEN
from tests.sync.helpers import Api, Rig, compare_all, first_txn_date, generate_current

Log = Callable[[str], None]
FINAL_STATES = frozenset({"done", "failed", "needs_attention", "cancelled"})
GUID_TYPES = {"vendor.create": "Vendor", "bill.create": "Bill"}


class ChaosApi(Api):
    """The JSON API over HTTP, retried while the server or its database is down (the same
    request again: POSTs carry an idempotency key)."""

    def __init__(self, base_url: str, events: Counter[str], lock: threading.Lock) -> None:
        super().__init__(base_url=base_url)
        self.events = events
        self.lock = lock

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status: int = 0
        parsed: Any = None
        for attempt in range(60):
            try:
                status, parsed = super().request(method, path, body)
            except (OSError, urllib.error.URLError):
                status, parsed = 0, None
            if status and status < 500:
                return status, parsed
            with self.lock:
                self.events["api_retries"] += 1
            time.sleep(min(2.0, 0.2 * (attempt + 1)))
        return status, parsed


@dataclass
class Connector:
    """One company: its QuickBooks, its Web Connector and what was asked of it."""

    index: int
    rig: Rig
    rng: random.Random
    synced_once: bool = False
    queued: int = 0

    @property
    def company(self) -> CompanyFile:
        return self.rig.company


class Chaos:
    def __init__(self, config: ChaosConfig, log: Log = print) -> None:
        self.config = config
        self.log = log
        self.result = ChaosResult(config)
        self.lock = threading.Lock()
        self.stop_faults = threading.Event()
        # Set once every kind of fault the fault thread injects has happened at least once:
        # companies keep running sessions (beyond ``rounds``) until then, so a short run
        # cannot pass without a worker kill and a database restart.
        self.each_fault_seen = threading.Event()
        self.started = time.monotonic()
        self.cluster: PrivateCluster
        self.engine: Engine
        self.server: GunicornServer
        self.api: ChaosApi

    def count(self, counter: Counter[str], key: str, n: int = 1) -> None:
        with self.lock:
            counter[key] += n

    def sample(self, kind: str, text: str, keep: int = 3) -> None:
        with self.lock:
            texts = self.result.samples.setdefault(kind, [])
            if len(texts) < keep:
                texts.append(text.strip().splitlines()[0][:300] if text.strip() else "")

    def over_time(self) -> bool:
        return time.monotonic() - self.started > self.config.time_limit

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> ChaosResult:
        cfg = self.config
        env = {**cfg.server_env, "QBWC_ADMIN_TOKEN": ADMIN_TOKEN}
        with private_cluster() as cluster:
            self.cluster = cluster
            self.engine = create_engine(
                cluster.url.replace("postgresql://", "postgresql+psycopg://", 1),
                pool_pre_ping=True,
            )
            server = GunicornServer(cluster.url, env, workers=cfg.workers, threads=cfg.threads)
            try:
                self.server = server
                self.api = ChaosApi(server.base, self.result.events, self.lock)
                connectors = [self.make_connector(i) for i in range(cfg.companies)]
                self.log(f"{len(connectors)} companies created; chaotic phase")
                self.chaotic_phase(connectors)
                self.log("quiet phase")
                self.quiet_phase(connectors)
                self.check(connectors)
            finally:
                server.close()
                self.engine.dispose()
        self.result.seconds = time.monotonic() - self.started
        return self.result

    def make_connector(self, index: int) -> Connector:
        rng = random.Random(f"chaos:{self.config.seed}:company:{index}")
        company = generate_current(self.config.profile, seed=self.config.seed * 1000 + index)
        status, created = self.api.request(
            "POST",
            "/api/companies",
            {
                "name": f"Chaos Co {index}",
                "history_start": first_txn_date(company),
                "sync_interval_minutes": 0,
                "confirm_binding": False,
            },
        )
        assert status == 201, (status, created)
        company_id = int(created["id"])
        status, qwc_text = self.api.request("GET", f"/api/companies/{company_id}/qwc")
        assert status == 200, (status, qwc_text)
        qwc = parse_qwc(qwc_text.encode("utf-8"))
        qb = FakeQuickBooks(company)
        wc = WebConnector.from_qwc(
            qwc, created["connector_key"], qb, url=self.server.qbwc_url, timeout=120
        )
        rig = Rig(self.api, company_id, created["connector_key"], qwc, qb, wc, None)
        return Connector(index, rig, rng)

    def chaotic_phase(self, connectors: list[Connector]) -> None:
        faults = threading.Thread(target=self.inject_faults, name="faults", daemon=True)
        faults.start()
        threads = [
            threading.Thread(target=self.drive, args=(c,), name=f"company-{c.index}", daemon=True)
            for c in connectors
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, self.config.time_limit - (time.monotonic() - self.started)))
        self.stop_faults.set()
        faults.join(timeout=120)
        if any(t.is_alive() for t in threads) or faults.is_alive():
            self.result.discrepancies.append("the chaotic phase did not end within the time limit")
        if not self.cluster.running():
            self.cluster.start()
        self.server.wait_ready()

    def inject_faults(self) -> None:
        rng = random.Random(f"chaos:{self.config.seed}:faults")
        now = time.monotonic()
        next_kill = now + rng.uniform(*self.config.kill_every)
        next_restart = now + rng.uniform(*self.config.restart_every)
        while not self.stop_faults.wait(0.05):
            now = time.monotonic()
            if now >= next_kill:
                if self.server.kill_worker(rng) is not None:
                    self.count(self.result.faults, "worker_sigkill")
                next_kill = now + rng.uniform(*self.config.kill_every)
            if now >= next_restart:
                mode = rng.choice(("fast", "immediate"))
                try:
                    self.cluster.restart(mode, rng.uniform(*self.config.down_seconds))
                    self.count(self.result.faults, f"db_restart_{mode}")
                except Exception as exc:  # a failed restart is a finding, not a crash
                    self.result.discrepancies.append(f"database restart ({mode}) failed: {exc}")
                    return
                next_restart = time.monotonic() + rng.uniform(*self.config.restart_every)
            faults = self.result.faults
            if (
                faults["worker_sigkill"]
                and faults["db_restart_fast"] + faults["db_restart_immediate"]
            ):
                self.each_fault_seen.set()

    def drive(self, c: Connector) -> None:
        round_number = 0
        while round_number < self.config.rounds or not self.each_fault_seen.is_set():
            if self.over_time():
                return
            round_number += 1
            if round_number > 1 and c.rng.random() < self.config.edit_probability:
                for action in edit_quickbooks(c.company, c.rng, c.index, self.config.edit_actions):
                    self.count(self.result.events, f"qb_{action}")
            ready = c.synced_once or round_number > 2
            if ready and c.rng.random() < self.config.writeback_probability:
                self.queue_writebacks(c)
            faults = TransportFaults()
            if c.rng.random() < self.config.drop_probability:
                phase = cast(Literal["before", "after"], c.rng.choice(("before", "after")))
                ordinal = c.rng.randint(1, c.rng.choice((6, 40)))  # empty sessions have 4 calls
                fault = TransportFault(phase, None, ordinal, session=None)
                faults = TransportFaults([fault])
            self.session(c, faults)
            time.sleep(c.rng.uniform(0.0, 0.3))

    def session(self, c: Connector, faults: TransportFaults | None = None) -> SessionReport:
        self.lapse_leases(c.rig.company_id)
        c.rig.wc.transport_faults = faults or TransportFaults()
        report = c.rig.wc.run_session()
        c.rig.reports.append(report)
        if report.qbxml_version:
            c.rig.qbxml_major = int(report.qbxml_version.split(".")[0])
        for _session, _method, fault in c.rig.wc.transport_faults.fired:
            self.count(self.result.faults, f"connection_drop_{fault.phase}")
        self.count(self.result.outcomes, str(report.outcome))
        if report.errors and report.outcome != Outcome.TRANSPORT_ERROR:
            self.sample(str(report.outcome), f"company {c.index}: {report.errors[0]}")
        if report.outcome == Outcome.COMPLETED and report.ok:
            c.synced_once = True
        return report

    def lapse_leases(self, company_id: int, *, retries: bool = False) -> None:
        """Time passes between two scheduled runs: the leases of dropped sessions lapse."""
        past = datetime.now(UTC) - timedelta(seconds=1)
        try:
            with self.engine.begin() as conn:
                lapsed = conn.execute(
                    update(Company)
                    .where(Company.id == company_id, Company.lease_ticket.is_not(None))
                    .where(Company.lease_expires_at > past)
                    .values(lease_expires_at=past)
                ).rowcount
                lapsed += conn.execute(
                    update(Operation)
                    .where(Operation.company_id == company_id, Operation.leased_by.is_not(None))
                    .where(Operation.lease_expires_at > past)
                    .values(lease_expires_at=past)
                ).rowcount
                if retries:
                    # Retry times of operations (1-16 minutes) come, as in the real gap.
                    lapsed += conn.execute(
                        update(Operation)
                        .where(Operation.company_id == company_id)
                        .where(Operation.not_before > past)
                        .values(not_before=past)
                    ).rowcount
        except SQLAlchemyError as exc:
            self.sample("lease lapse failure", f"{type(exc).__name__}: {exc}")
            self.count(self.result.events, "lease_lapse_skipped_db_down")
            return
        if lapsed:
            self.count(self.result.events, "leases_lapsed", lapsed)

    # -- write-backs -----------------------------------------------------------------------

    def queue_writebacks(self, c: Connector) -> None:
        c.queued += 1
        tag = f"{c.index}-{c.queued}"
        expense = next(a for a in c.company.records("Account") if a["AccountType"] == "Expense")
        vendor = self.queue(
            c, "vendor.create", f"v-{tag}", {"name": f"Chaos Supplies {tag}", "phone": "555-0100"}
        )
        if vendor is None:
            return
        self.queue(
            c,
            "bill.create",
            f"b-{tag}",
            {
                "vendor": {"operation_id": vendor["id"]},
                "txn_date": c.company.clock.now.date().isoformat(),
                "ref_number": f"CH-{tag}",
                "expense_lines": [
                    {"account": {"full_name": expense["FullName"]}, "amount": "12.34"}
                ],
            },
        )

    def queue(
        self, c: Connector, op_type: str, key: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        status, body = self.api.request(
            "POST",
            f"/api/companies/{c.rig.company_id}/operations",
            {
                "type": op_type,
                "idempotency_key": f"chaos-{self.config.seed}-{key}",
                "payload": payload,
            },
        )
        if status in (200, 201):
            self.count(self.result.events, f"queued_{op_type}")
            return dict(body)
        self.count(self.result.events, f"refused_{op_type}_{status}")
        self.sample(f"refused {op_type}", f"{status} {json.dumps(body)}")
        return None

    # -- the end ---------------------------------------------------------------------------

    def quiet_phase(self, connectors: list[Connector]) -> None:
        for c in connectors:
            clean_after_change = 0
            for _ in range(self.config.quiet_sessions):
                self.lapse_leases(c.rig.company_id, retries=True)
                report = self.session(c)
                waiting = self.waiting_operations(c)
                clean = report.outcome == Outcome.COMPLETED and report.ok
                clean_after_change = clean_after_change + 1 if clean else 0
                # Two clean sessions: the first may still carry the last write-backs' records.
                if clean_after_change >= 2 and not waiting:
                    break
            else:
                self.result.discrepancies.append(
                    f"company {c.index}: not settled after {self.config.quiet_sessions} quiet "
                    f"sessions (last: {c.rig.reports[-1].outcome} {c.rig.reports[-1].errors[:2]})"
                )

    def waiting_operations(self, c: Connector) -> int:
        return sum(1 for op in self.operations(c) if op["state"] not in FINAL_STATES)

    def operations(self, c: Connector) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        path = f"/api/companies/{c.rig.company_id}/operations?limit=200"
        cursor = ""
        for _ in range(100):
            status, body = self.api.request("GET", path + (f"&cursor={cursor}" if cursor else ""))
            assert status == 200, (status, body)
            out.extend(body["data"])
            cursor = body.get("next_cursor") or ""
            if not cursor:
                break
        return out

    def check(self, connectors: list[Connector]) -> None:
        problems = self.result.discrepancies
        for c in connectors:
            comparison = compare_all(c.rig)
            self.result.compared_records += sum(comparison.compared.values())
            problems += [f"company {c.index}: {p}" for p in comparison.problems[:10]]
            if len(comparison.problems) > 10:
                problems.append(f"company {c.index}: {len(comparison.problems) - 10} more")
            states = self.stream_states(c)
            waiting = [s for s in states if ", retry in " in s]
            if waiting:
                self.count(
                    self.result.events, "streams_waiting_on_a_retry_at_the_end", len(waiting)
                )
                self.sample(
                    "stream waiting on a retry at the end", f"company {c.index} {waiting[0]}"
                )
            if comparison.problems:
                # What the company's streams say of themselves: a stream waiting on a retry
                # or stuck in a pass explains missing records (seen once in CI, unexplained).
                problems += [f"company {c.index}: {s}" for s in states]
            problems += [f"company {c.index}: {p}" for p in self.check_operations(c)]
        problems += self.held_leases()

    def stream_states(self, c: Connector) -> list[str]:
        """Each stream's phase, pass, pages, errors and retry time, one line each."""
        with self.engine.connect() as conn:
            cursors = conn.execute(
                select(StreamCursor.__table__).where(StreamCursor.company_id == c.rig.company_id)
            ).all()
        now = datetime.now(UTC)
        lines = []
        for row in cursors:
            cursor = row._mapping
            retry = cursor["retry_after"]
            waits = (
                f", retry in {(retry - now).total_seconds():.0f} s" if retry and retry > now else ""
            )
            lines.append(
                f"stream {cursor['stream']}: {cursor['phase']}/{cursor['pass_kind']}, "
                f"{cursor['pages']} pages, {cursor['records_seen']} records, "
                f"{cursor['consecutive_errors']} errors{waits}; last error: "
                f"{(cursor['last_error'] or '-')[:160]}"
            )
        return lines

    def check_operations(self, c: Connector) -> list[str]:
        problems: list[str] = []
        guids: Counter[str] = Counter()
        for qb_type in set(GUID_TYPES.values()):
            for record in c.company.records(qb_type):
                if record.get("ExternalGUID"):
                    guids[str(record["ExternalGUID"])] += 1
        for guid, n in guids.items():
            if n > 1:
                problems.append(f"ExternalGUID {guid} is on {n} records in QuickBooks")
        for op in self.operations(c):
            self.count(self.result.operations, op["state"])
            found = guids.get(op["external_guid"], 0)
            label = f"operation {op['id']} ({op['type']}, {op['state']})"
            if op["state"] not in FINAL_STATES:
                problems.append(f"{label} is still waiting")
            elif op["state"] == "done" and found != 1:
                problems.append(f"{label}: {found} records with its ExternalGUID in QuickBooks")
            elif op["state"] != "done" and found:
                problems.append(f"{label}: QuickBooks has it ({found} records)")
            elif op["state"] in ("failed", "needs_attention") and not (op.get("error") or {}).get(
                "message"
            ):
                problems.append(f"{label}: no reason given")
        return problems

    def held_leases(self) -> list[str]:
        now = datetime.now(UTC)
        with self.engine.connect() as conn:
            companies = conn.execute(
                select(Company.id).where(
                    Company.lease_ticket.is_not(None), Company.lease_expires_at > now
                )
            ).all()
            operations = conn.execute(
                select(Operation.id).where(
                    Operation.leased_by.is_not(None), Operation.lease_expires_at > now
                )
            ).all()
        return [f"company {r[0]}: sync lease still held" for r in companies] + [
            f"operation {r[0]}: lease still held" for r in operations
        ]


def run_chaos(config: ChaosConfig, log: Log = print) -> ChaosResult:
    return Chaos(config, log).run()

"""The fleet of bench_load.py: companies created in bulk or for real, and the client that
runs each simulated Web Connector's sessions on its schedule (see bench_load.py)."""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from common import (
    ADMIN_TOKEN,
)
from load_stats import (
    InFlight,
    Step,
)
from sqlalchemy import insert
from wire import KeepAliveTransport, benchmark_address

from models import Company, utcnow
from qbwc_server.config import new_guid
from qbwc_server.services import connector_keys
from qbwc_server.services.companies import create_company, get_company
from qbwc_server.services.settings_store import owner_id_in
from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.soap_client import SoapClient
from qbwc_server.sim.webconnector import WebConnector
from tests.foundation.helpers import api as http_api
from tests.sync.helpers import first_txn_date, generate_current, qb_local_now

SCHEDULE_SECONDS = 15 * 60  # QBWC's schedule in the .qwc (RunEveryNMinutes)
TARGET_CONNECTORS = 50_000
EXPECTED = {
    "idle": Outcome.NONE,
    "incremental": Outcome.COMPLETED,
    "writeback": Outcome.COMPLETED,
    "first": Outcome.COMPLETED,
}


@dataclass
class Connector:
    kind: str
    company_id: int
    username: str
    key: str
    file_id: str
    app_name: str
    quickbooks: FakeQuickBooks | None = None
    period: float = 1.0
    busy: bool = False
    queued: int = 0


# --- set-up ---------------------------------------------------------------------------------


def bulk_companies(app: Any, count: int, *, synced: bool, prefix: str) -> list[Connector]:
    """``count`` companies inserted in batches (a bound, synced, not-due company when
    ``synced``; a brand-new one otherwise), each with its own Connector Key."""
    now = utcnow()
    out: list[Connector] = []
    rows: list[dict[str, Any]] = []
    for i in range(count):
        key = connector_keys.generate_key()
        username = f"qbwc-{prefix}{i:06d}{secrets.token_hex(2)}"
        file_id = new_guid()
        app_name = f"AP Sync - {prefix} {i} ({secrets.token_hex(4)})"
        rows.append(
            {
                "name": f"{prefix} {i}",
                "username": username,
                "file_id": file_id,
                "app_name": app_name,
                "key_hash": connector_keys.hash_key(key),
                "key_version": 1,
                "key_rotated_at": now,
                "sync_interval_minutes": 24 * 60,
                "history_start": (now.date() - timedelta(days=3 * 365)).isoformat(),
                # Bound already, or binding on first contact: no person confirms the file here
                # (the column's default asks for Begin Sync, and the slot would never sync).
                "confirm_binding": False,
                "bound_at": now if synced else None,
                "bound_file_stamp": file_id if synced else None,
                "last_complete_sync_at": now if synced else None,
                "last_contact_at": now if synced else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        out.append(Connector("idle" if synced else "first", 0, username, key, file_id, app_name))
    with app.rt.db.transaction() as session:
        for start in range(0, len(rows), 5000):
            result = session.execute(
                insert(Company).returning(Company.id), rows[start : start + 5000]
            )
            for connector, company_id in zip(out[start:], result.scalars(), strict=False):
                connector.company_id = int(company_id)
    return out


def real_company(app: Any, name: str, seed: int, interval: int) -> Connector:
    """A company created as the API creates one, with a tiny company file of today."""
    with app.rt.db.transaction() as session:
        created = create_company(
            session,
            name,
            sync_interval_minutes=interval,
            history_start="all",
            confirm_binding=False,
        )
        company = created.company
        owner_id_in(session, app.rt.settings)
        connector = Connector(
            "incremental", company.id, company.username, created.connector_key,
            company.file_id, company.app_name,
        )  # fmt: skip
    files = generate_current("tiny", seed=seed)
    connector.quickbooks = FakeQuickBooks(files)
    with app.rt.db.transaction() as session:
        # The look-back of the test rigs: the oldest transaction (cheaper than "all").
        get_company(session, connector.company_id).history_start = first_txn_date(files)
    return connector


class Fleet:
    def __init__(self, args: argparse.Namespace, url: str, owner_id: str) -> None:
        self.args = args
        self.url = url
        parts = urlsplit(url)
        self.host, self.port = str(parts.hostname), int(parts.port or 80)
        self.base = f"http://{self.host}:{self.port}"
        self.owner_id = owner_id
        self.in_flight = InFlight()
        self.local = threading.local()
        self.step = Step("setup", 0.0)
        self.first_pool: list[Connector] = []
        self.first_seed = itertools.count(10_000)
        self.lock = threading.Lock()

    # -- one session -----------------------------------------------------------------------

    def transport(self) -> KeepAliveTransport:
        transport: KeepAliveTransport | None = getattr(self.local, "transport", None)
        if transport is None:
            transport = KeepAliveTransport(self.host, self.port, timeout=120)
            transport.observer = lambda m, s, st, k: self.step.call(m, s, st, k)
            self.local.transport = transport
        return transport

    def counted(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        address = getattr(self.local, "address", None)
        if address is not None:
            headers = {**headers, "X-Forwarded-For": address}
        self.in_flight.add(1)
        try:
            return self.transport()(path, body, headers)
        finally:
            self.in_flight.add(-1)

    def run_session(self, c: Connector, scheduled: float) -> None:
        step = self.step
        lag = time.perf_counter() - scheduled
        # Each Web Connector calls from its own address, written by the reverse proxy.
        self.local.address = None if self.args.one_address else benchmark_address(c.company_id)
        try:
            if c.kind == "first" and c.quickbooks is None:
                c.quickbooks = FakeQuickBooks(generate_current("tiny", seed=next(self.first_seed)))
            if c.kind == "incremental":
                bookkeeping(c)
            if c.kind == "writeback" and not self.queue_vendor(c, step):
                return
            quickbooks = c.quickbooks or self.idle_quickbooks
            wc = WebConnector(
                self.url, c.username, c.key, quickbooks, app_name=c.app_name,
                owner_id=self.owner_id, file_id=c.file_id, analyze_responses=False,
                client=SoapClient(self.url, timeout=120, transport=self.counted),
            )  # fmt: skip
            report = wc.run_session()
            unexpected = report.outcome != EXPECTED[c.kind]
            if unexpected and report.outcome == Outcome.NONE and not report.errors:
                # Turned away at once while the server was saturated (authenticate "none"
                # with a postpone, soap/admission.py): shed, not an error; counted apart.
                step.session(c.kind, "shed", [], lag)
            else:
                step.session(c.kind, str(report.outcome), report.errors or unexpected * ["x"], lag)
            if c.kind == "first" and report.ok and report.outcome == Outcome.COMPLETED:
                self.next_first_company(c)
        except Exception as exc:  # the benchmark must go on; the error is counted
            step.error(f"client:{type(exc).__name__}")
        finally:
            c.busy = False

    def queue_vendor(self, c: Connector, step: Step) -> bool:
        c.queued += 1
        path = f"/api/companies/{c.company_id}/operations"
        body = {
            "type": "vendor.create",
            "idempotency_key": f"load-{c.company_id}-{c.queued}",
            "payload": {"name": f"Load Vendor {c.company_id}-{c.queued}"},
        }
        try:
            status, _, _ = http_api(self.base, "POST", path, body, token=ADMIN_TOKEN)
        except OSError as exc:
            step.error(f"api:{type(exc).__name__}")
            return False
        if status not in (200, 201):
            step.error(f"api:http_{status}")
            return False
        return True

    def next_first_company(self, c: Connector) -> None:
        """A finished first sync: this slot takes the next brand-new company."""
        with self.lock:
            if not self.first_pool:
                c.kind = "idle"  # pool exhausted: it polls on as a synced company
                c.quickbooks = None
                return
            fresh = self.first_pool.pop()
        c.company_id, c.username, c.key = fresh.company_id, fresh.username, fresh.key
        c.file_id, c.app_name, c.quickbooks = fresh.file_id, fresh.app_name, None

    # -- the schedule ----------------------------------------------------------------------

    def periods(self, connectors: list[Connector], rate: float) -> None:
        """Per-connector poll period for an offered ``rate`` of sessions/s: incremental and
        write-back connectors make their shares of it, each first-sync slot starts one first sync
        every ``--first-sync-period`` seconds (0: back to back)."""
        args = self.args
        counts = {k: sum(1 for c in connectors if c.kind == k) for k in EXPECTED}
        shares = {"incremental": args.incremental_share, "writeback": args.writeback_share}
        idle_share = 1.0 - sum(shares.values())
        for c in connectors:
            if c.kind == "first":
                # --first-sync-period paces each slot (default 5 s); 0 runs them back to back.
                c.period = max(0.05, args.first_sync_period)
            elif c.kind == "idle":
                c.period = counts["idle"] / max(1e-9, rate * idle_share)
            else:
                c.period = counts[c.kind] / max(1e-9, rate * shares[c.kind])

    def run_step(
        self,
        connectors: list[Connector],
        pool: ThreadPoolExecutor,
        step: Step,
        seconds: float,
        rng: random.Random,
    ) -> None:
        self.step = step
        self.periods(connectors, step.offered_per_second)
        now = time.perf_counter()
        heap = [(now + rng.random() * c.period, i) for i, c in enumerate(connectors)]
        heapq.heapify(heap)
        futures: list[tuple[Future[None], Connector]] = []
        end = now + seconds
        while True:
            due, i = heap[0]
            now = time.perf_counter()
            if now >= end:
                break
            if due > now:
                time.sleep(min(due - now, end - now, 0.02))
                continue
            c = connectors[i]
            heapq.heapreplace(heap, (due + c.period, i))
            if c.busy:
                if c.kind != "first":
                    step.skipped_polls += 1
                continue
            c.busy = True
            futures.append((pool.submit(self.run_session, c, due), c))
        step.ended = time.perf_counter()
        # Sessions the client could not even start within the step (every client thread was
        # waiting for the server): not offered after all, counted as such.
        for future, c in futures:
            if future.cancel():
                c.busy = False
                step.not_started += 1

    def idle_quickbooks_file(self) -> None:
        self.idle_quickbooks = FakeQuickBooks(CompanyFile.generate(seed=1, profile="tiny"))


def bookkeeping(c: Connector) -> None:
    """Between two runs of an incremental connector: a vendor edited, sometimes a new bill."""
    assert c.quickbooks is not None
    company = c.quickbooks.company
    company.clock.set(max(company.clock.now, qb_local_now()))
    company.clock.advance(timedelta(seconds=1))
    rng = random.Random(f"{c.company_id}:{c.queued}")
    c.queued += 1
    vendors = [v for v in company.records("Vendor") if v.get("IsActive", True)]
    vendor = rng.choice(vendors)
    company.edit("Vendor", vendor["ListID"], {"Phone": f"555-{rng.randint(1000, 9999)}"})
    if rng.random() < 0.5:
        account = next(a for a in company.records("Account") if a["AccountType"] == "Expense")
        company.add(
            "Bill",
            {
                "VendorRef": {"ListID": vendor["ListID"]},
                "TxnDate": company.clock.now.date().isoformat(),
                "ExpenseLineRet": [{"AccountRef": {"ListID": account["ListID"]}, "Amount": "9.99"}],
            },
        )


def first_sync_done(base: str, company_id: int) -> bool:
    status, view, _ = http_api(base, "GET", f"/api/companies/{company_id}", token=ADMIN_TOKEN)
    if status != 200:
        return False
    return all(s["mode"] == "skipped" or s["passes_completed"] for s in view["streams"])


def first_syncs(fleet: Fleet, connectors: list[Connector], parallel: int = 4) -> float:
    """The real first sync of every incremental and write-back company (set-up, not measured)."""
    started = time.perf_counter()
    errors: list[str] = []

    def sync(c: Connector) -> None:
        assert c.quickbooks is not None
        for _ in range(10):
            wc = WebConnector(
                fleet.url, c.username, c.key, c.quickbooks, app_name=c.app_name,
                owner_id=fleet.owner_id, file_id=c.file_id, analyze_responses=False,
                client=SoapClient(fleet.url, timeout=120, transport=fleet.counted),
            )  # fmt: skip
            report = wc.run_session()
            if report.ok and first_sync_done(fleet.base, c.company_id):
                return
        errors.append(f"company {c.company_id}: first sync not finished in 10 sessions")

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(sync, connectors))
    if errors:
        raise RuntimeError("; ".join(errors[:5]))
    return time.perf_counter() - started

"""The idle poll and the 20,000-vendor sync, side by side with a peer (issue 13, items 1-2).

    python bench/bench_idle.py [--seconds S] [--rounds N] [--vendors N] [--sync-rounds N]
                               [--profile] [--peer-version V|latest] [--peer-venv DIR]
                               [--pg URL] [--json]

One run on this machine, both servers up at the same time, driven by the same client:

* **ours**: ``qbwc-server serve`` (gunicorn, gthread, its default workers and threads) on a
  fresh PostgreSQL database (created and dropped);
* **the peer**: qbwc-kit from PyPI (FastAPI, keeps sessions in memory, stores nothing) in a
  throw-away venv this script creates (``bench/peer.py``; the version is pinned and printed),
  served by uvicorn with a trivial always-``none`` handler and a trivial vendor-paging handler.

The client is the simulator's Web Connector (``qbwc_server.sim``: its envelopes are byte for
byte the real client's) over one persistent HTTP/1.1 connection, like .NET's
(``bench/wire.py``), one session after the other.

Figures:

* **empty sessions/s**: serverVersion, clientVersion, authenticate -> ``none``, closeConnection,
  for ``--seconds`` per measurement, ``--rounds`` times alternating ours and the peer's (the
  machine is shared: medians are printed, each round too). Our company has finished a real
  first sync (a tiny company file) and is not due, so authenticate has nothing to do.
* **server CPU per empty session**: from ``/proc/<pid>/stat`` of the server's processes (the
  gunicorn master and workers; uvicorn), before and after; ours also with the PostgreSQL
  backends' CPU (the peer has no database), and split by thread (``/proc/<pid>/task``): the
  main threads — the workers' event loops, which read, parse and answer the four requests and
  run the three calls answered there, and the idle master — and the request threads
  (authenticate with its database read).
* **records per second of server time** on a first sync of a company file with ``--vendors``
  vendors (plus the few dozen list records every file has): records QuickBooks returned over
  the server's CPU seconds (not wall). Ours commits every record with its change-feed entry;
  the peer parses each page and keeps nothing. ``--sync-rounds`` times (default 3), ours then
  the peer in each round (each of ours a never-synced company); every round is printed, and
  each side's median run gives the ratio: a single sync takes a second or two of CPU, and
  either side's time moves by up to a fifth from one run to the next.
* ``--profile``: a CPU-time cProfile of our WSGI app in this process (no HTTP) for idle polls
  and for the vendor sync: the top 20 functions by own time and by cumulative time, and our
  CPU per empty session in-process next to over HTTP (what gunicorn and HTTP add).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from common import (
    DEFAULT_PG,
    CpuMeter,
    ThreadMeter,
    bench_main,
    database_backends,
    fresh_database,
    load_average,
    make_app,
    process_tree,
    served,
    settle,
)
from companies import (
    PAGE_SIZE,
    PEER_FILE,
    PEER_OWNER,
    WARMUP_SESSIONS,
    Login,
    connector,
    first_sync_done,
    keep_alive,
    our_company,
    run_first_sync,
    vendor_file,
)
from idle_profile import profile_ours
from machine_speed import describe, reference_ms
from peer import PEER_PASSWORD, PEER_USER, add_peer_arguments, peer_venv, serve_peer

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.webconnector import WebConnector

# --- measuring ------------------------------------------------------------------------------


@dataclass
class IdleFigures:
    server: str
    sessions: int
    seconds: float
    app_cpu: float
    db_cpu: float
    load: float
    errors: list[str] = field(default_factory=list)
    threads: dict[str, float] = field(default_factory=dict)  # CPU s by thread kind (ours)

    @property
    def per_second(self) -> float:
        return self.sessions / self.seconds if self.seconds else 0.0

    @property
    def app_cpu_ms(self) -> float:
        return 1000 * self.app_cpu / max(1, self.sessions)

    @property
    def total_cpu_ms(self) -> float:
        return 1000 * (self.app_cpu + self.db_cpu) / max(1, self.sessions)


def measure_idle(
    name: str,
    wc: WebConnector,
    seconds: float,
    app_pids: Callable[[], list[int]],
    db_pids: Callable[[], list[int]] | None,
) -> IdleFigures:
    """Empty sessions back to back for ``seconds``; every one must end with ``none``."""
    errors: list[str] = []
    for _ in range(WARMUP_SESSIONS):
        report = wc.run_session()
        if report.outcome != Outcome.NONE:
            raise RuntimeError(f"{name}: an idle poll ended {report.outcome}: {report.errors[:2]}")
    app_cpu = CpuMeter(app_pids)
    db_cpu = CpuMeter(db_pids or list)
    threads = ThreadMeter(app_pids)
    load = load_average()
    app_cpu.start()
    db_cpu.start()
    threads.start()
    sessions = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        report = wc.run_session()
        sessions += 1
        if report.outcome != Outcome.NONE or report.errors:
            errors.append(f"{report.outcome}: {report.errors[:1]}")
    wall = time.perf_counter() - started
    return IdleFigures(
        name,
        sessions,
        wall,
        app_cpu.stop(),
        db_cpu.stop(),
        max(load, load_average()),
        errors,
        threads.stop(),
    )


@dataclass
class SyncFigures:
    server: str
    records: int  # distinct records the server received (each stored once by ours)
    returned: int  # records QuickBooks returned (re-asked pages count again)
    sessions: int
    round_trips: int
    wall: float
    app_cpu: float
    db_cpu: float

    @property
    def per_app_cpu(self) -> float:
        return self.records / self.app_cpu if self.app_cpu else 0.0

    @property
    def per_total_cpu(self) -> float:
        total = self.app_cpu + self.db_cpu
        return self.records / total if total else 0.0


def measure_sync(
    name: str,
    wc: WebConnector,
    fake: FakeQuickBooks,
    done: Callable[[], bool],
    app_pids: Callable[[], list[int]],
    db_pids: Callable[[], list[int]] | None,
    distinct: int,
) -> SyncFigures:
    app_cpu = CpuMeter(app_pids)
    db_cpu = CpuMeter(db_pids or list)
    returned_before = dict(fake.records_returned)
    round_trips = wc.client.stats.round_trips
    app_cpu.start()
    db_cpu.start()
    started = time.perf_counter()
    sessions = run_first_sync(wc, done)
    wall = time.perf_counter() - started
    app_cpu.stop()
    db_cpu.stop()
    returned = {
        k: v - returned_before.get(k, 0)
        for k, v in fake.records_returned.items()
        if k not in ("ListDeleted", "TxnDeleted")
    }
    return SyncFigures(
        name,
        distinct,
        sum(returned.values()),
        sessions,
        wc.client.stats.round_trips - round_trips,
        wall,
        app_cpu.seconds,
        db_cpu.seconds,
    )


def sync_once(
    name: str,
    login: Login,
    url: str,
    pid: int,
    done: Callable[[], bool],
    db_pids: Callable[[], list[int]] | None,
    distinct: int,
    file: CompanyFile,
    one_address: bool,
) -> SyncFigures:
    """One first sync of ``file`` against the server at ``url`` (its process ``pid``)."""
    fake = FakeQuickBooks(file)
    wc = connector(login, fake, url, keep_alive(url, one_address))
    return measure_sync(name, wc, fake, done, lambda: process_tree(pid), db_pids, distinct)


# --- the run --------------------------------------------------------------------------------


@contextlib.contextmanager
def our_server(url: str, workers: int) -> Iterator[tuple[str, int]]:
    # Behind a reverse proxy on this machine (README, Security): X-Forwarded-For is read.
    with served(url, workers=workers, QBWC_TRUSTED_PROXIES="127.0.0.1") as (qbwc_url, pid):
        yield qbwc_url, pid


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    lines: list[str] = []
    out: dict[str, Any] = {"benchmark": "idle_and_sync_vs_peer", "load_before": load_average()}
    reference_before = reference_ms()
    with (
        peer_venv(args.peer_version, args.peer_venv) as penv,
        fresh_database("postgresql", args.pg) as url,
    ):
        out["peer"] = penv.versions
        lines.append(f"peer: {penv.describe()} (throw-away venv {penv.root})")
        app = make_app(url)
        idle_id, idle_login = our_company(app, "Idle Co", interval=24 * 60, history_start="all")
        # One never-synced company per sync round: each round is a first sync.
        sync_companies = [
            our_company(app, f"Vendors Co {n}", interval=0, history_start="all")
            for n in range(1, args.sync_rounds + 1)
        ]
        app.rt.db.dispose()
        db_pids = lambda: database_backends(url)  # noqa: E731
        tiny = FakeQuickBooks(CompanyFile.generate(seed=args.seed, profile="tiny"))
        with (
            our_server(url, args.workers) as (ours_url, ours_pid),
            serve_peer(penv, "idle", PAGE_SIZE) as (peer_url, peer_pid),
        ):
            base = ours_url.rsplit("/qbwc", 1)[0]
            lines.append(
                f"ours: qbwc-server serve --workers {args.workers} (gunicorn gthread) on "
                f"PostgreSQL; peer: uvicorn peer_app:app; load average {load_average():.2f}"
            )
            # A real first sync (tiny file) makes our idle company a normal, synced company.
            ours_wc = connector(idle_login, tiny, ours_url, keep_alive(ours_url, args.one_address))
            run_first_sync(ours_wc, lambda: first_sync_done(base, idle_id))
            peer_login = Login(PEER_USER, PEER_PASSWORD, "Peer", PEER_OWNER, PEER_FILE)
            peer_wc = connector(peer_login, tiny, peer_url, keep_alive(peer_url, args.one_address))
            rounds: list[tuple[IdleFigures, IdleFigures]] = []
            for number in range(1, args.rounds + 1):
                ours = measure_idle(
                    "ours", ours_wc, args.seconds, lambda: process_tree(ours_pid), db_pids
                )
                peer = measure_idle(
                    "peer", peer_wc, args.seconds, lambda: process_tree(peer_pid), None
                )
                rounds.append((ours, peer))
                lines.append(
                    f"  round {number}: ours {ours.per_second:7.1f}/s "
                    f"({ours.app_cpu_ms:.2f} ms app + {ours.total_cpu_ms - ours.app_cpu_ms:.2f} ms "
                    f"PostgreSQL CPU/session), peer {peer.per_second:7.1f}/s "
                    f"({peer.app_cpu_ms:.2f} ms CPU/session); load {ours.load:.2f}/{peer.load:.2f}"
                )
        idle = summarize_idle(rounds)
        out["idle"] = idle
        lines += idle_lines(idle)

        pairs: list[tuple[SyncFigures, SyncFigures]] = []
        lines.append(
            f"first sync of a {args.vendors:,}-vendor company file, {args.sync_rounds} round(s), "
            "ours first in odd rounds, the peer in even ones, each on a quiet machine:"
        )
        with (
            our_server(url, args.workers) as (ours_url, ours_pid),
            serve_peer(penv, "vendors", PAGE_SIZE) as (peer_url, peer_pid),
        ):
            base = ours_url.rsplit("/qbwc", 1)[0]
            peer_login = Login(PEER_USER, PEER_PASSWORD, "Peer", PEER_OWNER, PEER_FILE)
            for number, (sync_id, sync_login) in enumerate(sync_companies, 1):
                # A file of its own per round (the server would refuse a file already bound
                # to another company): the same size, other names.
                vendors_file = vendor_file(args.vendors, args.seed + number - 1)
                distinct = sum(len(table) for table in vendors_file.tables.values())

                ours_run = functools.partial(
                    sync_once,
                    "ours",
                    sync_login,
                    ours_url,
                    ours_pid,
                    functools.partial(first_sync_done, base, sync_id),
                    db_pids,
                    distinct,
                )
                peer_run = functools.partial(
                    sync_once,
                    "peer",
                    peer_login,
                    peer_url,
                    peer_pid,
                    lambda: True,
                    None,
                    args.vendors,
                )
                # Each measurement starts on a quiet machine (settle: what the last one left
                # running, such as PostgreSQL analysing the table ours just filled, would land on
                # it), and the order alternates, so neither side always goes first.
                done: dict[str, SyncFigures] = {}
                for run_side in (ours_run, peer_run) if number % 2 else (peer_run, ours_run):
                    settle()
                    figures = run_side(vendors_file, args.one_address)
                    done[figures.server] = figures
                ours_sync, peer_sync = done["ours"], done["peer"]
                pairs.append((ours_sync, peer_sync))
                lines.append(
                    f"  round {number}: ours {ours_sync.per_app_cpu:7,.0f} records/s "
                    f"({ours_sync.app_cpu:.2f} s), peer {peer_sync.per_app_cpu:7,.0f} records/s "
                    f"({peer_sync.app_cpu:.2f} s); ratio "
                    f"{ours_sync.per_app_cpu / peer_sync.per_app_cpu:.2f}x"
                )
        ours_sync = _median_run([o for o, _ in pairs])
        peer_sync = _median_run([p for _, p in pairs])
        out["sync"] = sync_dict(ours_sync, peer_sync, args.vendors)
        out["sync"]["rounds"] = [sync_dict(o, p, args.vendors) for o, p in pairs]
        lines += sync_lines(ours_sync, peer_sync, args.vendors)

        if args.profile:
            prof = profile_ours(
                url, idle_login, args.profile_sessions, args.vendors, args.seed, args.one_address
            )
            out["profile"] = {k: v for k, v in prof.items() if k != "text"}
            http_ms = out["idle"]["ours"]["app_cpu_ms_per_session"]
            lines.append(
                f"our CPU per empty session over HTTP (gunicorn + app): {http_ms:.2f} ms; "
                f"in-process: {prof['inproc_cpu_ms_per_empty_session']:.2f} ms"
            )
            lines += prof["text"]
    out["load_after"] = load_average()
    lines.append(f"load average before/after: {out['load_before']:.2f} / {out['load_after']:.2f}")
    out["machine_reference_ms"] = [reference_before, reference_ms()]
    lines.append(describe(*out["machine_reference_ms"]))
    return out, lines


def summarize_idle(rounds: list[tuple[IdleFigures, IdleFigures]]) -> dict[str, Any]:
    def side(figures: list[IdleFigures]) -> dict[str, Any]:
        return {
            "sessions_per_second": round(statistics.median(f.per_second for f in figures), 1),
            "app_cpu_ms_per_session": round(statistics.median(f.app_cpu_ms for f in figures), 3),
            "total_cpu_ms_per_session": round(
                statistics.median(f.total_cpu_ms for f in figures), 3
            ),
            "sessions": sum(f.sessions for f in figures),
            "errors": [e for f in figures for e in f.errors][:5],
            "rounds": [round(f.per_second, 1) for f in figures],
        }

    ours = side([r[0] for r in rounds])
    peer = side([r[1] for r in rounds])
    # Where ours spends it: the workers' event loops (reading, parsing and answering the four
    # requests, three calls answered there) and their request threads (authenticate).
    ours["threads_ms_per_session"] = {
        key: round(
            statistics.median(
                1000 * r[0].threads.get(key, 0.0) / max(1, r[0].sessions) for r in rounds
            ),
            3,
        )
        for key in ("loop_user", "loop_system", "threads_user", "threads_system")
    }
    ratio = ours["sessions_per_second"] / peer["sessions_per_second"]
    return {"ours": ours, "peer": peer, "ratio": round(ratio, 3), "target_ratio": 1.0}


def idle_lines(idle: dict[str, Any]) -> list[str]:
    ours, peer = idle["ours"], idle["peer"]
    errors = ours["errors"] or peer["errors"]
    shown = f"   ERRORS ours {ours['errors']} peer {peer['errors']}" if errors else ""
    return [
        "empty sessions (serverVersion, clientVersion, authenticate -> none, closeConnection), "
        "one keep-alive connection, medians:",
        f"  ours  {ours['sessions_per_second']:8.1f} sessions/s   CPU/session "
        f"{ours['app_cpu_ms_per_session']:.2f} ms server processes, "
        f"{ours['total_cpu_ms_per_session']:.2f} ms with PostgreSQL   (target <= 1 ms)",
        "  ours by thread (ms per session, user + system): event loops "
        f"{ours['threads_ms_per_session']['loop_user']:.2f} + "
        f"{ours['threads_ms_per_session']['loop_system']:.2f}, request threads "
        f"{ours['threads_ms_per_session']['threads_user']:.2f} + "
        f"{ours['threads_ms_per_session']['threads_system']:.2f}",
        f"  peer  {peer['sessions_per_second']:8.1f} sessions/s   CPU/session "
        f"{peer['app_cpu_ms_per_session']:.2f} ms (in memory, no database)",
        f"  ratio ours/peer {idle['ratio']:.2f}x   (target >= 1.0x){shown}",
    ]


def _median_run(runs: list[SyncFigures]) -> SyncFigures:
    """The run with the median records per server-CPU second (the upper one of an even count):
    one real run, so its figures belong together."""
    ranked = sorted(runs, key=lambda f: f.per_app_cpu)
    return ranked[len(ranked) // 2]


def sync_dict(ours: SyncFigures, peer: SyncFigures, vendors: int) -> dict[str, Any]:
    def one(f: SyncFigures) -> dict[str, Any]:
        return {
            "records": f.records,
            "returned": f.returned,
            "sessions": f.sessions,
            "round_trips": f.round_trips,
            "wall_seconds": round(f.wall, 2),
            "app_cpu_seconds": round(f.app_cpu, 3),
            "db_cpu_seconds": round(f.db_cpu, 3),
            "records_per_app_cpu_second": round(f.per_app_cpu),
            "records_per_cpu_second_with_db": round(f.per_total_cpu),
        }

    return {
        "vendors_in_file": vendors,
        "ours": one(ours),
        "peer": one(peer),
        "ratio_app_cpu": round(ours.per_app_cpu / peer.per_app_cpu, 3),
        "ratio_with_db": round(ours.per_total_cpu / peer.per_total_cpu, 3),
        "target_ratio": 1.0,
    }


def sync_lines(ours: SyncFigures, peer: SyncFigures, vendors: int) -> list[str]:
    return [
        f"first sync of a {vendors:,}-vendor company file, records per second of server CPU "
        "(each side's median run):",
        f"  ours  {ours.per_app_cpu:8,.0f} records/s of server-process CPU "
        f"({ours.records:,} records, {ours.returned:,} returned, in {ours.app_cpu:.2f} s), "
        f"{ours.per_total_cpu:,.0f} with PostgreSQL's {ours.db_cpu:.2f} s; "
        f"{ours.round_trips} round trips, {ours.sessions} session(s), {ours.wall:.1f} s wall; "
        "every record committed with its change-feed entry",
        f"  peer  {peer.per_app_cpu:8,.0f} records/s of server-process CPU "
        f"({peer.records:,} records in {peer.app_cpu:.2f} s); {peer.round_trips} round trips, "
        f"{peer.wall:.1f} s wall; keeps nothing",
        f"  ratio ours/peer {ours.per_app_cpu / peer.per_app_cpu:.2f}x server-process CPU, "
        f"{ours.per_total_cpu / peer.per_app_cpu:.2f}x counting PostgreSQL   (target >= 1.0x)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per idle measurement")
    parser.add_argument("--rounds", type=int, default=3, help="idle measurements per server")
    parser.add_argument("--vendors", type=int, default=20_000)
    parser.add_argument(
        "--sync-rounds", type=int, default=3, help="first syncs per server (medians printed)"
    )
    parser.add_argument("--workers", type=int, default=2, help="ours: serve --workers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    add_peer_arguments(parser)
    parser.add_argument("--profile", action="store_true", help="cProfile top 20 of our app")
    parser.add_argument("--profile-sessions", type=int, default=500)
    parser.add_argument(
        "--one-address",
        action="store_true",
        help="every session from 127.0.0.1 (default: a new X-Forwarded-For address each)",
    )
    return bench_main(parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())

"""A fleet of Web Connectors against gunicorn + PostgreSQL (issue 13, item 3).

    python bench/bench_load.py [--connectors N] [--compress C] [--seconds S]
                               [--ramp R1 R2 ...] [--step-seconds S] [--workers N] [--threads N]
                               [--incremental N] [--writeback N] [--first-syncs N]
                               [--first-sync-period S] [--json]

``--connectors`` simulated Web Connectors (default 5,000, up to 50,000), each polling on the
real 15-minute schedule compressed ``--compress`` times (default 10: 5,000 connectors then
offer the session rate of 50,000 on the real schedule, ~56 sessions/s). The fleet:

* **idle** connectors (all but the ones below): companies created directly in the database in
  bulk, with their Connector Keys, already bound and synced, not due: every poll is an empty
  session (serverVersion, clientVersion, authenticate -> none, closeConnection);
* ``--incremental`` companies (default 40) whose first sync of a ``tiny`` company file ran for
  real during set-up, syncing on every run; between two sessions their bookkeeper edits a
  vendor or adds a bill: small incremental syncs, ``--incremental-share`` of the sessions;
* ``--writeback`` companies (default 10), synced, not due; before each of their runs a new
  vendor is queued through the API: sessions that write, ``--writeback-share`` of them;
* ``--first-syncs`` slots (default 2), each starting a first sync of a fresh ``tiny`` company
  file (new companies from a pool created in bulk) every ``--first-sync-period`` seconds
  (default 5: 24 a minute for the two, ~35,000 new company files a day, far beyond what a fleet
  of 50,000 onboards and still "a few first syncs" of issue 13's mix); ``0`` runs them back to
  back, ~3 a second, the stress form (its figures are printed the same way).

The client keeps each connector's session order (a connector due while its previous session
runs skips that poll, as QBWC does) and drives sessions from a thread pool, each thread
keeping one HTTP/1.1 connection alive (``wire.py``); the SOAP envelopes are the simulator's.

Phases: the ramp, each offered rate of ``--ramp`` (sessions/s) for ``--step-seconds``,
stopping after two steps past the knee (p99 over all calls > 250 ms, or errors); then
``--seconds`` at the ``--compress`` rate ("sustained"). Each step starts from an empty pipeline:
sessions still running at its end finish unreported, and sessions the client could not even
start in time (all its threads waiting for the server) are counted as not started. Each step
prints sessions/s and calls/s achieved,
p50/p95/p99 (per SOAP method too), errors by kind, database connections (pg_stat_activity,
sampled each second), server CPU per session and what limits it (CPU of the workers vs
PostgreSQL vs this client, calls queued for server threads, database waits). Everything on
127.0.0.1; every loop is bounded by the phase durations.
"""

from __future__ import annotations

import argparse
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from common import (
    DEFAULT_PG,
    database_backends,
    emit,
    fresh_database,
    load_average,
    make_app,
    process_tree,
    served,
)
from load_fleet import (
    SCHEDULE_SECONDS,
    TARGET_CONNECTORS,
    Connector,
    Fleet,
    bulk_companies,
    first_syncs,
    real_company,
)
from load_stats import (
    P99_TARGET_MS,
    CpuClock,
    Sampler,
    Step,
    limit_diagnosis,
)

from qbwc_server.services.settings_store import owner_id_in

# --- the run --------------------------------------------------------------------------------


def drain(fleet: Fleet, connectors: list[Connector], limit: float = 180.0) -> None:
    """Let the sessions still running finish (into a step nobody reports)."""
    fleet.step = Step("drain", 0.0)
    deadline = time.perf_counter() + limit
    while any(c.busy for c in connectors) and time.perf_counter() < deadline:
        time.sleep(0.2)


def step_line(s: dict[str, Any]) -> str:
    cores = s["cores"]
    return (
        f"{s['step']:>14} offered {s['offered_sessions_per_second']:6.1f}/s: "
        f"{s['sessions_per_second']:6.1f} sessions/s {s['calls_per_second']:7.1f} calls/s "
        f"p50/p95/p99 {s['p50_ms']:.0f}/{s['p95_ms']:.0f}/{s['p99_ms']:.0f} ms "
        f"errors {s['error_count']} db conns {s['db_connections_max']} max "
        f"({s['db_active_mean']} active) server CPU/session {s['server_cpu_ms_per_session']} ms "
        f"+ db {s['db_cpu_ms_per_session']} ms; cores: workers {cores.get('server', 0):.2f} "
        f"pg {cores.get('database', 0):.2f} client {cores.get('client', 0):.2f} "
        f"machine {cores.get('machine', 0):.2f}; start lag p99 {s['start_lag_p99_s']} s"
        + (f", skipped polls {s['skipped_polls']}" if s["skipped_polls"] else "")
        + (
            f", NOT STARTED (client threads all waiting) {s['not_started']}"
            if s["not_started"]
            else ""
        )
    )


def method_lines(s: dict[str, Any]) -> list[str]:
    out = [f"    {'method':22} {'calls':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    for method, m in s["by_method"].items():
        out.append(
            f"    {method:22} {m['calls']:7d} {m['p50_ms']:8.1f} {m['p95_ms']:8.1f} "
            f"{m['p99_ms']:8.1f}"
        )
    out.append(f"    sessions: {s['sessions_by_kind']}")
    if s["errors"]:
        out.append(f"    errors: {s['errors']}")
    return out


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    rng = random.Random(args.seed)
    lines: list[str] = []
    rate = args.connectors * args.compress / SCHEDULE_SECONDS
    target_rate = TARGET_CONNECTORS / SCHEDULE_SECONDS
    out: dict[str, Any] = {
        "benchmark": "load",
        "connectors": args.connectors,
        "compress": args.compress,
        "offered_sessions_per_second": round(rate, 1),
        "target": {
            "sessions_per_second": round(target_rate, 1),
            "p99_ms": P99_TARGET_MS,
            "errors": 0,
        },
        "load_before": load_average(),
        "steps": [],
    }
    with fresh_database("postgresql", args.pg) as db_url:
        app = make_app(db_url)
        with app.rt.db.transaction() as session:
            owner = owner_id_in(session, app.rt.settings)
        started = time.perf_counter()
        special = args.incremental + args.writeback
        idle = bulk_companies(
            app, args.connectors - special - args.first_syncs, synced=True, prefix="idle"
        )
        fresh = bulk_companies(app, args.first_pool, synced=False, prefix="first")
        bulk_seconds = time.perf_counter() - started
        synced = [
            real_company(app, f"Incremental {i}", i + 1, 0) for i in range(args.incremental)
        ] + [real_company(app, f"Write-back {i}", 5000 + i, 24 * 60) for i in range(args.writeback)]
        for c in synced[args.incremental :]:
            c.kind = "writeback"
        app.rt.db.dispose()
        # Behind a reverse proxy on this machine (README, Security): X-Forwarded-For is read.
        with served(
            db_url, workers=args.workers, threads=args.threads, QBWC_TRUSTED_PROXIES="127.0.0.1"
        ) as (url, pid):
            fleet = Fleet(args, url, owner)
            fleet.idle_quickbooks_file()
            setup_seconds = first_syncs(fleet, synced)
            slots = [fresh.pop() for _ in range(min(args.first_syncs, len(fresh)))]
            fleet.first_pool = fresh
            connectors = idle + synced + slots
            lines.append(
                f"fleet: {len(idle):,} idle, {args.incremental} incremental "
                f"({args.incremental_share:.1%} of sessions), {args.writeback} write-back "
                f"({args.writeback_share:.1%}), {len(slots)} first-sync slots (pool of "
                f"{len(fresh) + len(slots)} tiny files); {len(idle) + len(fresh):,} companies "
                f"inserted in {bulk_seconds:.1f} s, first syncs of the {len(synced)} synced "
                f"companies {setup_seconds:.1f} s (set-up, not measured)"
            )
            lines.append(
                f"server: qbwc-server serve --workers {args.workers} --threads {args.threads} "
                f"(gunicorn gthread) + PostgreSQL; client: {args.client_threads} threads, one "
                f"keep-alive connection each; client addresses: "
                f"{'all 127.0.0.1' if args.one_address else 'one per connector (X-Forwarded-For)'}"
                f"; load average {load_average():.2f}"
            )
            groups = {
                "server": lambda: process_tree(pid),
                "database": lambda: database_backends(db_url),
            }
            ramp = [(f"ramp {r:g}/s", float(r), args.step_seconds) for r in args.ramp]
            knee: dict[str, Any] | None = None
            past_knee = 0
            sustained: dict[str, Any] | None = None
            with (
                ThreadPoolExecutor(args.client_threads) as pool,
                Sampler(db_url, fleet.in_flight, lambda: fleet.step),
            ):
                # The ramp upwards to the knee, then the sustained phase; each step starts
                # from an empty pipeline (what one step left running is not counted).
                for name, offered, seconds in [*ramp, ("sustained", rate, args.seconds)]:
                    if name != "sustained" and past_knee >= 2:
                        continue
                    step = Step(name, offered)
                    clock = CpuClock(groups)
                    clock.start()
                    fleet.run_step(connectors, pool, step, seconds, rng)
                    step.cpu = clock.stop()
                    drain(fleet, connectors)
                    summary = step.summary()
                    out["steps"].append(summary)
                    lines.append(step_line(summary))
                    if name == "sustained":
                        sustained = summary
                        lines += method_lines(summary)
                    elif summary["p99_ms"] > P99_TARGET_MS or summary["error_count"]:
                        if knee is None:
                            knee = summary
                            lines += method_lines(summary)
                        past_knee += 1
                    if summary["p99_ms"] > P99_TARGET_MS or summary["error_count"]:
                        lines.append(
                            "    limit: " + limit_diagnosis(summary, args.workers, args.threads)
                        )
    assert sustained is not None
    met = (
        sustained["sessions_per_second"] >= 0.95 * target_rate
        and sustained["p99_ms"] < P99_TARGET_MS
        and sustained["error_count"] == 0
    )
    out["sustained_meets_target"] = met
    out["knee"] = knee
    lines.append(
        f"sustained ({args.connectors:,} connectors, schedule compressed {args.compress:g}x = "
        f"{rate:.1f} sessions/s offered): {sustained['sessions_per_second']} sessions/s, "
        f"{sustained['calls_per_second']} calls/s, p99 {sustained['p99_ms']} ms, "
        f"{sustained['error_count']} errors, server CPU {sustained['server_cpu_ms_per_session']} "
        f"ms/session (+ {sustained['db_cpu_ms_per_session']} ms PostgreSQL)"
    )
    lines.append(
        f"target: {TARGET_CONNECTORS:,} connectors every 15 minutes = {target_rate:.1f} "
        f"sessions/s plus their share of syncs, p99 < {P99_TARGET_MS:.0f} ms, 0 errors: "
        + ("MET" if met else "NOT MET")
    )
    if knee is not None:
        lines.append(
            f"knee: p99 {knee['p99_ms']} ms (> {P99_TARGET_MS:.0f}) or errors "
            f"({knee['error_count']}) at {knee['offered_sessions_per_second']} sessions/s offered "
            f"({knee['sessions_per_second']} achieved)"
        )
    else:
        reached = f"not reached up to {args.ramp[-1]:g} sessions/s" if args.ramp else "no ramp run"
        lines.append(f"knee: {reached}")
    out["load_after"] = load_average()
    lines.append(f"load average before/after: {out['load_before']:.2f} / {out['load_after']:.2f}")
    return out, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connectors", type=int, default=5000)
    parser.add_argument("--compress", type=float, default=10.0, help="schedule speed-up")
    parser.add_argument("--seconds", type=float, default=60.0, help="sustained phase")
    parser.add_argument(
        "--ramp", type=float, nargs="*", default=[10, 20, 30, 40, 50, 60, 80],
        help="offered sessions/s of the ramp steps (none: no ramp)",
    )  # fmt: skip
    parser.add_argument("--step-seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="serve --workers (its default)")
    parser.add_argument("--threads", type=int, default=4, help="serve --threads (its default)")
    parser.add_argument("--incremental", type=int, default=40)
    parser.add_argument("--incremental-share", type=float, default=0.08)
    parser.add_argument("--writeback", type=int, default=10)
    parser.add_argument("--writeback-share", type=float, default=0.015)
    parser.add_argument("--first-syncs", type=int, default=2, help="concurrent first syncs")
    # A tiny first sync takes ~0.3 s: the pool must last the ramp and the sustained phase.
    parser.add_argument("--first-pool", type=int, default=3000, help="fresh companies for them")
    # Issue 13's fleet makes "a few first syncs": one every 5 s per slot is 24 a minute for
    # two, ~35,000 new company files a day (a fleet of 50,000 onboards a few a day). Back to
    # back (0) a slot runs ~3 tiny first syncs a second: the stress form.
    parser.add_argument(
        "--first-sync-period",
        type=float,
        default=5.0,
        help="seconds between one slot's first syncs (default 5; 0: back to back, the stress form)",
    )
    parser.add_argument("--client-threads", type=int, default=128)
    parser.add_argument(
        "--one-address",
        action="store_true",
        help="every connector calls from 127.0.0.1 (default: its own X-Forwarded-For address)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.connectors <= TARGET_CONNECTORS:
        parser.error(f"--connectors must be between 1 and {TARGET_CONNECTORS}")
    if args.incremental + args.writeback + args.first_syncs >= args.connectors:
        parser.error("--connectors must exceed --incremental + --writeback + --first-syncs")
    results, lines = run(args)
    emit(results, args.json, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

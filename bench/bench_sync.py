"""Full initial sync benchmark (issue 4): round trips and server time vs simulated QuickBooks time.

    python bench/bench_sync.py [--profile small large] [--transport inproc http]
                               [--db postgresql|sqlite] [--time-budget S] [--max-sessions N]
                               [--cprofile FILE] [--json]

One run = a fresh database, the real WSGI app, a company with ``history_start="all"`` syncing on
every run, a generated company file (``CompanyFile.generate(profile=...)``) behind the fake
QuickBooks with its default ``CostModel``, and the simulated Web Connector driving sessions until
the initial sync is complete (every stream past its first pass), over the in-process
``WsgiTransport`` (server time = the WSGI call) or real HTTP on 127.0.0.1 (server time = the
client's wait for each answer, so it includes loopback HTTP and werkzeug).

Figures: round trips, server seconds (total and per SOAP method), simulated QuickBooks seconds
(cost model), their ratio (target: server < 10 % of QuickBooks), records synced and records per
server second. ``--time-budget`` stops a long run (the ``large`` profile has thousands of round
trips) after that many seconds of session wall time: the figures then cover the part synced,
and ``complete`` is false. ``--cprofile`` profiles the server's SOAP calls only (in-process).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import pstats
import statistics
import time
from typing import Any

from common import (
    DEFAULT_PG,
    CpuMeter,
    MeasuredTransport,
    database_backends,
    emit,
    fresh_database,
    load_average,
    make_app,
    make_company,
    mib,
    process_tree,
    rss_bytes,
    served,
)

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.quickbooks.catalog import ALL_TYPES
from qbwc_server.sim.report import SessionReport
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport
from qbwc_server.status import stream_status

TARGET_RATIO = 0.10
# Per profile: default seconds of session wall time before the run is cut short (0 = none).
DEFAULT_BUDGET = {"tiny": 0.0, "small": 0.0, "large": 150.0}


class BudgetExhausted(Exception):
    pass


def _initial_sync_done(app: Any, company_id: int) -> tuple[bool, list[str]]:
    """True when every stream that is not skipped has finished its first pass."""
    from qbwc_server.services.companies import get_company

    with app.rt.db.transaction() as session:
        company = get_company(session, company_id)
        status = stream_status(session, company)
    pending = [s["name"] for s in status if s["mode"] != "skipped" and not s["passes_completed"]]
    return not pending, pending


def run_once(
    profile: str,
    transport: str,
    db_kind: str,
    pg_url: str,
    seed: int,
    budget: float,
    max_sessions: int,
    profiler: cProfile.Profile | None,
    freeze: bool = True,
) -> dict[str, Any]:
    load_before = load_average()
    started = time.perf_counter()
    company_file = CompanyFile.generate(seed=seed, profile=profile)
    generate_seconds = time.perf_counter() - started
    in_file = sum(len(company_file.tables[t]) for t in ALL_TYPES if t in company_file.tables)
    fake = FakeQuickBooks(company_file)  # default CostModel
    if freeze:
        # In-process, the simulator's company file (700 MB for "large") would sit in the same
        # heap as the server and make every full garbage collection of the server walk it.
        # Freezing moves everything alive now out of the collector's reach; the HTTP transport
        # runs the server in its own process and needs no such help.
        gc.collect()
        gc.freeze()
    with fresh_database(db_kind, pg_url) as url:
        app = make_app(url)
        company = make_company(app, history_start="all")
        clock_start = time.perf_counter()

        calls = 0

        def on_progress(_report: SessionReport, _progress: int) -> None:
            nonlocal calls
            calls += 1
            if freeze and calls % 50 == 0:
                # The fake builds records lazily as it serves pages: freeze those too (between
                # two server calls, so none of the server's own objects is alive to be frozen
                # except its long-lived caches).
                gc.freeze()
            if budget and time.perf_counter() - clock_start > budget:
                raise BudgetExhausted

        measured: MeasuredTransport | None = None
        db_cpu = CpuMeter(lambda: database_backends(url))
        server_cpu: CpuMeter | None = None
        with contextlib.ExitStack() as stack:
            if transport == "http":
                app.rt.db.dispose()
                server_url, server_pid = stack.enter_context(served(url))
                server_cpu = CpuMeter(lambda: process_tree(server_pid))
                server_cpu.start()
            else:
                server_url = "http://localhost/qbwc"
                measured = MeasuredTransport(WsgiTransport(app), profiler=profiler)
            wc = WebConnector.from_qwc(
                company.qwc,
                company.connector_key,
                fake,
                url=server_url,
                transport=measured,
                analyze_responses=False,
                on_progress=on_progress,
            )
            outcomes: list[str] = []
            errors: list[str] = []
            cut_short = False
            complete = False
            pending: list[str] = []
            rss0 = rss_bytes()
            db_cpu.start()
            for _ in range(max_sessions):
                try:
                    report = wc.run_session()
                except BudgetExhausted:
                    cut_short = True
                    outcomes.append("cut_short")
                    break
                outcomes.append(str(report.outcome))
                errors.extend(report.errors[:3])
                complete, pending = _initial_sync_done(app, company.id)
                if complete:
                    break
            wall = time.perf_counter() - clock_start
            db_cpu.stop()
            if server_cpu is not None:
                server_cpu.stop()
        app.rt.db.dispose()
    if measured is not None:
        measured.gc_timer.remove()
    if freeze:
        gc.unfreeze()
    stats = wc.client.stats
    by_method: dict[str, dict[str, float]] = {}
    for call in stats.calls:
        entry = by_method.setdefault(call.method, {"calls": 0, "seconds": 0.0})
        entry["calls"] += 1
        entry["seconds"] += call.seconds
    for entry in by_method.values():
        entry["mean_ms"] = round(1000 * entry["seconds"] / max(1, entry["calls"]), 2)
        entry["seconds"] = round(entry["seconds"], 3)
    records = sum(fake.records_returned.values())
    server = stats.wait_seconds
    python_cpu = measured.cpu_seconds if measured is not None else None
    if server_cpu is not None:
        python_cpu = server_cpu.seconds
    cpu_total = (python_cpu or 0.0) + db_cpu.seconds
    qb_sim = fake.simulated_seconds
    return {
        "profile": profile,
        "transport": transport,
        "database": db_kind,
        "generate_seconds": round(generate_seconds, 2),
        "records_in_file": in_file,
        "sessions": len(outcomes),
        "outcomes": outcomes,
        "errors": errors,
        "complete": complete,
        "pending_streams": pending,
        "cut_short_by_budget": cut_short,
        "round_trips": stats.round_trips,
        "bytes_to_server": stats.bytes_sent,
        "bytes_from_server": stats.bytes_received,
        "records_synced": records,
        "server_seconds": round(server, 3),
        "server_ms_per_round_trip": round(1000 * server / max(1, stats.round_trips), 2),
        "server_records_per_second": round(records / server) if server else None,
        "qb_simulated_seconds": round(qb_sim, 3),
        "ratio_server_to_qb": round(server / qb_sim, 4) if qb_sim else None,
        "target_ratio": TARGET_RATIO,
        "meets_target": bool(qb_sim) and server / qb_sim < TARGET_RATIO,
        "server_cpu_seconds": round(python_cpu or 0.0, 3),
        "db_cpu_seconds": round(db_cpu.seconds, 3),
        "ratio_cpu_to_qb": round(cpu_total / qb_sim, 4) if qb_sim else None,
        "session_wall_seconds": round(wall, 2),
        "rss_growth_mib": mib(rss_bytes() - rss0),
        "gc_seconds_in_server": round(measured.gc_timer.seconds, 3) if measured else None,
        "full_gc_in_server": measured.gc_timer.full_collections if measured else None,
        "load_average_before_after": [load_before, load_average()],
        "by_method": by_method,
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeated runs of one configuration (the machine may be busy)."""
    keys = (
        "server_seconds",
        "ratio_server_to_qb",
        "server_cpu_seconds",
        "db_cpu_seconds",
        "ratio_cpu_to_qb",
        "round_trips",
    )
    out: dict[str, Any] = {"profile": runs[0]["profile"], "transport": runs[0]["transport"]}
    for key in keys:
        out[key] = statistics.median(r[key] or 0 for r in runs)
    return out


def format_result(r: dict[str, Any]) -> list[str]:
    head = f"sync profile={r['profile']} transport={r['transport']} db={r['database']}"
    state = "complete" if r["complete"] else "INCOMPLETE"
    if r["cut_short_by_budget"]:
        state += " (cut short by --time-budget)"
    lines = [
        head,
        f"  generate_seconds          {r['generate_seconds']:10.2f}",
        f"  sessions                  {r['sessions']:10d}   {state} {','.join(r['outcomes'])}",
        f"  records_from_quickbooks   {r['records_synced']:10d}   (the file holds "
        f"{r['records_in_file']}; re-asked pages count twice)",
        f"  round_trips               {r['round_trips']:10d}",
        f"  server_seconds            {r['server_seconds']:10.2f}   "
        f"({r['server_ms_per_round_trip']:.1f} ms/round trip, "
        f"{r['server_records_per_second'] or 0} records/s)",
        f"  qb_simulated_seconds      {r['qb_simulated_seconds']:10.2f}   (default CostModel)",
        f"  ratio server/qb           {r['ratio_server_to_qb'] or 0:10.1%}   target < "
        f"{r['target_ratio']:.0%}: {'MET' if r['meets_target'] else 'NOT MET'}",
        f"  server_cpu_seconds        {r['server_cpu_seconds']:10.2f}   (server Python) + "
        f"{r['db_cpu_seconds']:.2f} (PostgreSQL backends) = "
        f"{r['ratio_cpu_to_qb'] or 0:.1%} of qb time",
        f"  session_wall_seconds      {r['session_wall_seconds']:10.2f}   (load average "
        f"{r['load_average_before_after'][0]:.1f} -> {r['load_average_before_after'][1]:.1f})",
    ]
    if r["gc_seconds_in_server"] is not None:
        lines.append(
            f"  gc_seconds_in_server      {r['gc_seconds_in_server']:10.2f}   "
            f"({r['full_gc_in_server']} full collections; without them the server took "
            f"{r['server_seconds'] - r['gc_seconds_in_server']:.2f} s)"
        )
    for method, entry in sorted(r["by_method"].items(), key=lambda kv: -kv[1]["seconds"]):
        lines.append(
            f"    {method:22} {int(entry['calls']):6d} calls {entry['seconds']:9.2f} s "
            f"{entry['mean_ms']:8.1f} ms/call"
        )
    if r["errors"]:
        lines.append(f"  errors: {r['errors']}")
    if r["pending_streams"] and not r["cut_short_by_budget"]:
        lines.append(f"  streams without a complete first pass: {r['pending_streams']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile", nargs="+", default=["small"], choices=["tiny", "small", "large"]
    )
    parser.add_argument(
        "--transport", nargs="+", default=["inproc", "http"], choices=["inproc", "http"]
    )
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--time-budget",
        type=float,
        default=None,
        help="stop after S seconds of sessions (default: 150 for large, none otherwise; 0=none)",
    )
    parser.add_argument("--max-sessions", type=int, default=5, help="sessions to finish the sync")
    parser.add_argument("--cprofile", help="write a cProfile of the server's SOAP calls here")
    parser.add_argument("--top", type=int, default=30, help="hotspots printed with --cprofile")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="in-process: leave the simulator's heap to the garbage collector (see run_once)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration (medians)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    results: list[dict[str, Any]] = []
    lines: list[str] = []
    # CPU-time profile: other work on the machine does not inflate the figures.
    profiler = cProfile.Profile(time.thread_time) if args.cprofile else None
    summary: list[dict[str, Any]] = []
    for profile in args.profile:
        for transport in args.transport:
            budget = args.time_budget if args.time_budget is not None else DEFAULT_BUDGET[profile]
            runs = []
            for _ in range(args.repeat):
                result = run_once(
                    profile,
                    transport,
                    args.db,
                    args.pg,
                    args.seed,
                    budget,
                    args.max_sessions,
                    profiler if transport == "inproc" else None,
                    freeze=transport == "inproc" and not args.no_freeze,
                )
                runs.append(result)
                lines.extend(format_result(result))
            results.extend(runs)
            if args.repeat > 1:
                entry = summarize(runs)
                summary.append(entry)
                lines.append(
                    f"median of {args.repeat} runs, profile={profile} transport={transport}: "
                    f"server {entry['server_seconds']:.2f} s = {entry['ratio_server_to_qb']:.1%} "
                    f"of qb time; server CPU {entry['server_cpu_seconds']:.2f} s + db CPU "
                    f"{entry['db_cpu_seconds']:.2f} s = {entry['ratio_cpu_to_qb']:.1%}"
                )
    if profiler is not None:
        profiler.dump_stats(args.cprofile)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        lines.append(out.getvalue())
    emit({"benchmark": "sync", "runs": results, "medians": summary}, args.json, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

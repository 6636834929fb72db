"""The 20,000-vendor first sync in-process under cProfile: where the sync path's CPU goes.

    python bench/sync_profile.py [--vendors N] [--pg URL] [--top N] [--sort tottime|cumulative]
                                 [--sql] [--no-profile] [--split]

Our WSGI app in this process (no HTTP) on a fresh PostgreSQL database; prints the app's CPU
seconds, records per CPU second and the top functions (``bench_idle.py --profile`` does the
same beside the idle poll; this one is the sync alone, for working on it). ``--split`` also
prints the CPU inside the pages' answers (a data step's on_response: parsing and storing the
records, the per-record cost) apart from the rest, the fixed cost of the SOAP calls.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import DEFAULT_PG, MeasuredTransport, fresh_database, make_app
from companies import connector, inproc_first_sync_done, our_company, run_first_sync, vendor_file
from sqlalchemy import event

from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.wsgi_transport import WsgiTransport
from qbwc_server.sync.steps.base import CursorStep


def time_pages(seconds: list[float]) -> None:
    """Add the CPU time spent inside every data step's on_response to ``seconds[0]``."""
    inner = CursorStep.on_response

    def on_response(self: CursorStep, run: Any, meta: dict[str, Any], response: str) -> None:
        started = time.thread_time()
        try:
            inner(self, run, meta, response)
        finally:
            seconds[0] += time.thread_time() - started

    CursorStep.on_response = on_response  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--sql", action="store_true", help="count SQL statements by text")
    parser.add_argument("--split", action="store_true", help="per-record vs per-call CPU")
    args = parser.parse_args(argv)
    pages = [0.0]
    if args.split:
        time_pages(pages)
    with fresh_database("postgresql", args.pg) as url:
        app = make_app(url)
        statements: Counter[str] = Counter()
        if args.sql:

            @event.listens_for(app.rt.db.engine, "before_cursor_execute")
            def _count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
                statements[" ".join(statement.split())[:150]] += 1

        company_id, login = our_company(app, "Profiled vendors", interval=0, history_start="all")
        fake = FakeQuickBooks(vendor_file(args.vendors, args.seed))
        profiler = None if args.no_profile else cProfile.Profile(time.thread_time)
        transport = MeasuredTransport(WsgiTransport(app), profiler=profiler)
        wc = connector(login, fake, "http://x/qbwc", transport)
        gc.collect()
        gc.freeze()
        try:
            sessions = run_first_sync(wc, lambda: inproc_first_sync_done(app, company_id))
        finally:
            gc.unfreeze()
            transport.gc_timer.remove()
        app.rt.db.dispose()
    records = sum(len(t) for t in fake.company.tables.values())
    cpu = transport.cpu_seconds
    print(
        f"{sessions} sessions, {records} records in the file, {len(transport.samples)} calls, "
        f"{cpu:.2f} s CPU in the app: {records / cpu:,.0f} records/s in-process"
        + ("" if profiler is None else " (under cProfile)")
    )
    if args.split:
        calls = len(transport.samples)
        rest = cpu - pages[0]
        per_call = sum(statements.values()) / calls
        print(
            f"  in the pages' answers (per record): {pages[0]:.2f} s; the rest (per call): "
            f"{rest:.2f} s, {1000 * rest / calls:.2f} ms per call"
            + (f"; {per_call:.1f} SQL statements per call" if args.sql else "")
        )
        by_method: dict[str, list[float]] = {}
        for sample in transport.samples:
            by_method.setdefault(sample.method, []).append(sample.cpu)
        for method, cpus in sorted(by_method.items(), key=lambda kv: -sum(kv[1])):
            print(
                f"  {method:20s} {len(cpus):4d} calls, {sum(cpus):.3f} s, "
                f"{1000 * sum(cpus) / len(cpus):.2f} ms per call"
            )
    for statement, count in statements.most_common(40):
        print(f"{count:6d}  {statement}")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue().replace(str(Path.cwd()) + "/", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

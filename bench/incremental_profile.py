"""One tiny company's incremental sessions in-process: what bench_load's ``incremental`` kind
costs the server per session (issue 13: most of the fleet's server CPU once the idle poll is
cheap).

    python bench/incremental_profile.py [--sessions N] [--pg URL] [--sql]

Our WSGI app in this process (no HTTP) on a fresh PostgreSQL database; the company and its
bookkeeper are bench_load's (``load_fleet.real_company``, ``load_fleet.bookkeeping``: a
vendor edited before every session, a bill added before every other one). After its first sync
and one incremental session (which re-reads what the overlap covers), ``--sessions`` sessions
are measured: CPU per session and per call of each SOAP method (this thread's CPU inside the
call), with ``--sql`` the SQL statements per session by text.
"""

from __future__ import annotations

import argparse
import gc
from collections import Counter, defaultdict
from typing import Any

from common import DEFAULT_PG, MeasuredTransport, fresh_database, make_app
from companies import inproc_first_sync_done, run_first_sync
from load_fleet import bookkeeping, real_company
from sqlalchemy import event

from qbwc_server.services.settings_store import owner_id_in
from qbwc_server.sim.soap_client import SoapClient
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport

URL = "http://x/qbwc"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--sql", action="store_true", help="SQL statements per session by text")
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    with fresh_database("postgresql", args.pg) as url:
        app = make_app(url)
        company = real_company(app, "Incremental", args.seed, interval=0)
        with app.rt.db.transaction() as session:
            owner_id = owner_id_in(session, app.rt.settings)
        transport = MeasuredTransport(WsgiTransport(app))
        assert company.quickbooks is not None  # real_company gives the company its file
        wc = WebConnector(
            URL, company.username, company.key, company.quickbooks, app_name=company.app_name,
            owner_id=owner_id, file_id=company.file_id, analyze_responses=False,
            client=SoapClient(URL, timeout=120, transport=transport),
        )  # fmt: skip
        run_first_sync(wc, lambda: inproc_first_sync_done(app, company.company_id))
        bookkeeping(company)
        wc.run_session()  # the first incremental pass re-reads the overlap: not measured
        statements: Counter[str] = Counter()
        if args.sql:

            @event.listens_for(app.rt.db.engine, "before_cursor_execute")
            def _count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
                statements[" ".join(statement.split())[:140]] += 1

        gc.collect()
        gc.freeze()  # as the serving worker does (serving/worker.py load_wsgi)
        first = len(transport.samples)
        cpu_before = transport.cpu_seconds
        try:
            for _ in range(args.sessions):
                bookkeeping(company)
                report = wc.run_session()
                if not report.ok:
                    raise RuntimeError(f"incremental session: {report.outcome} {report.errors[:3]}")
        finally:
            gc.unfreeze()
            transport.gc_timer.remove()
        app.rt.db.dispose()
    n = args.sessions
    calls = transport.samples[first:]
    per_method: defaultdict[str, list[float]] = defaultdict(list)
    for sample in calls:
        per_method[sample.method].append(sample.cpu)
    cpu = transport.cpu_seconds - cpu_before
    print(
        f"{n} incremental sessions of a tiny company file, in-process: "
        f"{1000 * cpu / n:.1f} ms CPU per session, {len(calls) / n:.1f} calls per session"
        + (f", {sum(statements.values()) / n:.1f} SQL statements per session" if args.sql else "")
    )
    for method, cpus in per_method.items():
        each = 1000 * sum(cpus) / len(cpus)
        print(f"  {method:20s} {len(cpus) / n:4.1f} per session  {each:6.2f} ms each")
    for statement, count in statements.most_common(30):
        print(f"{count / n:7.1f}  {statement}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

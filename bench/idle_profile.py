"""bench_idle.py --profile: a CPU-time cProfile of our WSGI app in this process (no HTTP) for
idle polls and for a vendor sync, printed as the top functions by own and cumulative time."""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import re
import time
from typing import Any

from common import (
    ROOT,
    MeasuredTransport,
    make_app,
)
from companies import (
    WARMUP_SESSIONS,
    Login,
    connector,
    inproc_first_sync_done,
    our_company,
    run_first_sync,
    vendor_file,
)
from wire import NewAddressEachSession

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.soap_client import Transport
from qbwc_server.sim.wsgi_transport import WsgiTransport

TOP = 20


# --- profiling in-process -------------------------------------------------------------------


def profile_text(profiler: cProfile.Profile, title: str) -> list[str]:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(TOP)
    stats.sort_stats("cumulative").print_stats(TOP)
    text = out.getvalue()
    # Shorter file names: the project's relative to its root, libraries from site-packages on.
    text = re.sub(r"/\S*/site-packages/", "", text)
    text = text.replace(str(ROOT) + "/", "")
    return [f"--- cProfile (CPU time) of our WSGI app, {title}", text]


def profile_ours(
    url: str, idle: Login, sessions: int, vendors: int, seed: int, one_address: bool
) -> dict[str, Any]:
    """Our app in this process: idle polls and a vendor sync under cProfile (CPU time)."""
    app = make_app(url, QBWC_TRUSTED_PROXIES="127.0.0.1")
    unused = FakeQuickBooks(CompanyFile.generate(seed=seed))

    def wsgi(inner: Transport) -> Transport:
        return inner if one_address else NewAddressEachSession(inner)

    idle_wc = connector(idle, unused, "http://x/qbwc", wsgi(WsgiTransport(app)))
    for _ in range(WARMUP_SESSIONS):
        idle_wc.run_session()
    # Unprofiled first: CPU per empty session of the app alone (no HTTP, no gunicorn).
    plain = MeasuredTransport(WsgiTransport(app))
    idle_wc.client._transport = wsgi(plain)
    for _ in range(sessions):
        idle_wc.run_session()
    inproc_ms = 1000 * plain.cpu_seconds / sessions
    plain.gc_timer.remove()

    idle_profiler = cProfile.Profile(time.thread_time)
    measured = MeasuredTransport(WsgiTransport(app), profiler=idle_profiler)
    idle_wc.client._transport = wsgi(measured)
    for _ in range(sessions):
        idle_wc.run_session()
    measured.gc_timer.remove()

    sync_profiler = cProfile.Profile(time.thread_time)
    company_id, login = our_company(app, "Profiled vendors", interval=0, history_start="all")
    fake = FakeQuickBooks(vendor_file(vendors, seed))
    sync_transport = MeasuredTransport(WsgiTransport(app), profiler=sync_profiler)
    sync_wc = connector(login, fake, "http://x/qbwc", sync_transport)
    gc.collect()
    gc.freeze()  # the fake's 20,000 vendors are not the server's garbage
    try:
        run_first_sync(sync_wc, lambda: inproc_first_sync_done(app, company_id))
    finally:
        gc.unfreeze()
        sync_transport.gc_timer.remove()
    app.rt.db.dispose()
    records = sum(len(table) for table in fake.company.tables.values())
    lines = [f"our CPU per empty session in-process (WSGI app only): {inproc_ms:.2f} ms"]
    lines += profile_text(idle_profiler, f"{sessions} idle polls (4 calls each)")
    lines += profile_text(
        sync_profiler,
        f"first sync of {records} records ({sync_transport.cpu_seconds:.2f} s CPU in the app, "
        f"{records / max(sync_transport.cpu_seconds, 1e-9):,.0f} records/s in-process)",
    )
    return {
        "inproc_cpu_ms_per_empty_session": round(inproc_ms, 3),
        "inproc_sync_records": records,
        "inproc_sync_cpu_seconds": round(sync_transport.cpu_seconds, 3),
        "text": lines,
    }

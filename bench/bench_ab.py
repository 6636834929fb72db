"""Two checkouts of this project side by side: server CPU per empty session, interleaved.

    python bench/bench_ab.py --b PATH [--a PATH] [--blocks N] [--sessions N] [--pg URL]

One run of bench_idle.py's idle figure moves by up to a fifth from run to run on this machine,
so two versions measured one after the other cannot be told apart by a change of a few
percent. Here both are served at once (``qbwc-server serve``, one worker each, each from its
own checkout on its own fresh PostgreSQL database migrated by that checkout), each with a
company whose first sync is done, and the same simulated Web Connector runs ``--sessions``
empty sessions against one, then the other, in ``--blocks`` alternating blocks (the side that
goes first alternating too). Each block's server CPU (``/proc`` of the server's processes) is
divided by its sessions; printed: each side's median and every block, and the ratio B/A of
the blocks side by side — a change shows as the median of those ratios, measured in the same
seconds on the same machine. ``--a`` defaults to this checkout; ``--b`` is the other (e.g.
``git worktree add /tmp/base <commit>``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from common import (
    ADMIN_TOKEN,
    DEFAULT_PG,
    ROOT,
    bench_main,
    fresh_database,
    process_cpu_seconds,
    process_tree,
    served,
)
from companies import WARMUP_SESSIONS, Login, connector, first_sync_done, keep_alive

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.qwc import parse_qwc
from qbwc_server.sim.webconnector import WebConnector


def migrate_checkout(checkout: Path, url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(checkout)}
    subprocess.run(
        [sys.executable, "-m", "qbwc_server.cli", "migrate"],
        env=env,
        check=True,
        capture_output=True,
        cwd=checkout,
    )


def _api(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
    return (
        json.loads(payload)
        if response.headers.get_content_type() == "application/json"
        else payload
    )


def idle_connector(qbwc_url: str) -> WebConnector:
    """A company created through the served checkout's own API, its first sync run."""
    base = qbwc_url.rsplit("/qbwc", 1)[0]
    created = _api(
        base,
        "POST",
        "/api/companies",
        {"name": "Idle Co", "sync_interval_minutes": 24 * 60, "confirm_binding": False},
    )
    qwc = parse_qwc(_api(base, "GET", f"/api/companies/{created['id']}/qwc"))
    login = Login.from_qwc(qwc, created["connector_key"])
    tiny = CompanyFile.generate(seed=7, profile="tiny")
    wc = connector(login, FakeQuickBooks(tiny), qbwc_url, keep_alive(qbwc_url))
    for _ in range(20):
        wc.run_session()
        if first_sync_done(base, created["id"]):
            break
    else:
        raise RuntimeError(f"the first sync on {qbwc_url} did not finish")
    for _ in range(WARMUP_SESSIONS * 2):
        wc.run_session()
    return wc


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    checkouts = {"A": Path(args.a).resolve(), "B": Path(args.b).resolve()}
    per_session: dict[str, list[float]] = {"A": [], "B": []}
    with contextlib.ExitStack() as stack:
        sides: dict[str, tuple[WebConnector, list[int]]] = {}
        for name, checkout in checkouts.items():
            url = stack.enter_context(fresh_database("postgresql", args.pg))
            migrate_checkout(checkout, url)
            qbwc_url, pid = stack.enter_context(
                served(url, workers=1, QBWC_TRUSTED_PROXIES="127.0.0.1", PYTHONPATH=str(checkout))
            )
            sides[name] = (idle_connector(qbwc_url), process_tree(pid))
        for block in range(args.blocks):
            for name in ("A", "B") if block % 2 == 0 else ("B", "A"):
                wc, pids = sides[name]
                before = sum(process_cpu_seconds(p) for p in pids)
                for _ in range(args.sessions):
                    wc.run_session()
                spent = sum(process_cpu_seconds(p) for p in pids) - before
                per_session[name].append(1000 * spent / args.sessions)
    ratios = [b / a for a, b in zip(per_session["A"], per_session["B"], strict=True) if a > 0]
    results = {
        "checkouts": {name: str(path) for name, path in checkouts.items()},
        "sessions_per_block": args.sessions,
        "ms_per_session": per_session,
        "median_ms": {name: statistics.median(v) for name, v in per_session.items()},
        "ratio_b_over_a": ratios,
        "median_ratio": statistics.median(ratios),
    }
    lines = [
        f"server CPU per empty session (1 worker each, {args.blocks} alternating blocks of "
        f"{args.sessions} sessions):"
    ]
    for name, path in checkouts.items():
        values = per_session[name]
        blocks = " ".join(f"{v:.2f}" for v in values)
        lines.append(f"  {name} {path}: median {statistics.median(values):.3f} ms  ({blocks})")
    blocks = " ".join(f"{r:.2f}" for r in ratios)
    lines.append(f"  B/A block by block: median {statistics.median(ratios):.3f}  ({blocks})")
    return results, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default=str(ROOT), help="a checkout (default: this one)")
    parser.add_argument("--b", required=True, help="another checkout")
    parser.add_argument("--blocks", type=int, default=12)
    parser.add_argument("--sessions", type=int, default=300, help="empty sessions per block")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    return bench_main(parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())

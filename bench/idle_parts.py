"""Where an empty session's CPU goes in a served worker, part by part (issue 13: the idle poll).

    python bench/idle_parts.py [--sessions 2000] [--part module:Qualified.name ...] [--pg URL]
                               [--json]

``bench_idle.py`` says how much CPU an empty session takes (serverVersion, clientVersion,
authenticate answered ``none``, closeConnection over one kept-alive connection); this says
where, in the real thing: ``qbwc-server serve`` with one worker on a fresh PostgreSQL database,
a company whose first sync is done, and the simulated Web Connector polling it. The worker
starts with the named functions wrapped (as ``call_parts.py`` wraps them in-process): a
``sitecustomize`` module this benchmark writes into a temporary directory on the server's
``PYTHONPATH`` wraps them in every process gunicorn forks, and a thread there writes the
parts' figures to a file four times a second. The figures of the measured sessions are the
difference between the file before and after them (the first sync and the warm-up left out).

Printed per part: calls per session, thread CPU per call and per session, and its share of the
worker's whole CPU per session (``/proc``, all its threads). Parts nest (the loop's turn holds
the call's answer), so the shares do not add up. The wrappers cost about 2 us each (two
``thread_time`` reads): the worker runs slower than unwrapped, and ``bench_idle.py`` stays the
figure to quote; this one tells the parts' sizes against each other.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import threading
import time
from json import dumps as _dumps  # taken before any part wraps json.dumps
from pathlib import Path
from typing import Any

from bench_ab import idle_connector, migrate_checkout
from call_parts import Part, wrap_for_good
from common import (
    DEFAULT_PG,
    ROOT,
    bench_main,
    fresh_database,
    process_cpu_seconds,
    process_tree,
    served,
)

BENCH = Path(__file__).resolve().parent
SPECS_ENV = "IDLE_PARTS_SPECS"
OUT_ENV = "IDLE_PARTS_OUT"
SNAPSHOT_SECONDS = 0.25

# The served idle path, outermost first (serving/worker.py, app.py, soap/, engine/).
DEFAULT_PARTS = (
    "qbwc_server.serving.worker:SlowClientWorker.wait_for_and_dispatch_events",
    "qbwc_server.serving.worker:SlowClientWorker._readable",
    "qbwc_server.serving.worker:read_plain",
    "qbwc_server.serving.worker:SlowClientWorker._answers_at_once",
    "qbwc_server.serving.worker:SlowClientWorker._serve_plain",
    "qbwc_server.serving.simple_http:PlainResponder.environ",
    "qbwc_server.app:QbwcApp.__call__",
    "qbwc_server.soap.wsgi:SoapEndpoint.__call__",
    "qbwc_server.soap.wsgi:read_envelope",
    "qbwc_server.soap.idle_lane:IdleLane.answer",
    "qbwc_server.soap.calls:QbwcCalls.authenticate",
    "qbwc_server.engine.prepared_read:PreparedRead._run",
    "qbwc_server.engine.authenticate:no_work_ticket",
    "qbwc_server.observability.soap_metering:SoapMetering._observe",
    "qbwc_server.serving.simple_http:PlainResponder.answer",
    "qbwc_server.serving.worker:SlowClientWorker._send",
    "qbwc_server.observability.http_logging:AfterClose.close",
)

_HOOK = '''"""Written by bench/idle_parts.py: wraps its parts in each process the server forks."""
import os


def _install():
    specs = os.environ.get({specs_env!r}, "")
    out = os.environ.get({out_env!r}, "")
    if not specs or not out:
        return
    import sys

    sys.path.insert(0, {bench!r})
    import idle_parts

    idle_parts.install_in_worker(specs.split(","), out)


os.register_at_fork(after_in_child=_install)
'''


def write_hook(directory: Path) -> None:
    """A ``sitecustomize`` for the server's ``PYTHONPATH``."""
    text = _HOOK.format(specs_env=SPECS_ENV, out_env=OUT_ENV, bench=str(BENCH))
    (directory / "sitecustomize.py").write_text(text)


def install_in_worker(specs: list[str], out: str) -> None:
    """In the forked process: wrap ``specs`` for good and keep ``out`` up to date."""
    parts = wrap_for_good(specs)
    path = Path(f"{out}.{os.getpid()}")

    def keep_writing() -> None:
        while True:
            time.sleep(SNAPSHOT_SECONDS)
            figures = [[p.name, p.calls, p.cpu, p.wall] for p in parts]
            temporary = path.with_suffix(".tmp")
            temporary.write_text(_dumps(figures))
            os.replace(temporary, path)

    threading.Thread(target=keep_writing, name="idle-parts", daemon=True).start()


def read_snapshot(out: str) -> dict[str, Part]:
    """The parts' figures of the newest file the worker wrote (one worker: one file)."""
    files = sorted(Path(out).parent.glob(Path(out).name + ".*"), key=os.path.getmtime)
    files = [f for f in files if f.suffix != ".tmp"]
    if not files:
        raise RuntimeError("the served worker wrote no figures: was the hook loaded?")
    figures = json.loads(files[-1].read_text())
    return {name: Part(name, calls, cpu, wall) for name, calls, cpu, wall in figures}


def difference(before: dict[str, Part], after: dict[str, Part]) -> list[Part]:
    return [
        Part(
            name,
            part.calls - before[name].calls,
            part.cpu - before[name].cpu,
            part.wall - before[name].wall,
        )
        for name, part in after.items()
    ]


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    specs = args.part or list(DEFAULT_PARTS)
    with contextlib.ExitStack() as stack:
        hook = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="idle-parts-")))
        write_hook(hook)
        out = str(hook / "figures")
        url = stack.enter_context(fresh_database("postgresql", args.pg))
        migrate_checkout(ROOT, url)
        qbwc_url, pid = stack.enter_context(
            served(
                url,
                workers=1,
                QBWC_TRUSTED_PROXIES="127.0.0.1",
                PYTHONPATH=os.pathsep.join([str(ROOT), str(hook)]),
                IDLE_PARTS_SPECS=",".join(specs),  # SPECS_ENV
                IDLE_PARTS_OUT=out,  # OUT_ENV
            )
        )
        wc = idle_connector(qbwc_url)
        time.sleep(3 * SNAPSHOT_SECONDS)
        worker = _worker_of(pid)
        before, cpu_before = read_snapshot(out), process_cpu_seconds(worker)
        for _ in range(args.sessions):
            wc.run_session()
        time.sleep(3 * SNAPSHOT_SECONDS)
        after, cpu_after = read_snapshot(out), process_cpu_seconds(worker)
    parts = difference(before, after)
    sessions = args.sessions
    worker_ms = 1000 * (cpu_after - cpu_before) / sessions
    rows = [
        {
            "part": part.name,
            "calls_per_session": round(part.calls / sessions, 2),
            "cpu_us_per_call": round(1e6 * part.cpu / max(part.calls, 1), 1),
            "cpu_us_per_session": round(1e6 * part.cpu / sessions, 1),
            "share_of_worker": round(part.cpu / max(cpu_after - cpu_before, 1e-9), 3),
        }
        for part in parts
    ]
    results = {
        "benchmark": "idle_parts",
        "sessions": sessions,
        "worker_cpu_ms_per_session": round(worker_ms, 3),
        "parts": rows,
    }
    lines = [
        f"{sessions} empty sessions, one served worker with {len(parts)} parts wrapped: "
        f"{worker_ms:.3f} ms of the worker's CPU per session (all its threads; the wrappers "
        "cost some of it). Parts nest:",
        f"  {'calls/session':>13} {'us/call':>8} {'us/session':>10} {'share':>6}   part",
    ]
    for row in rows:
        lines.append(
            f"  {row['calls_per_session']:13.2f} {row['cpu_us_per_call']:8.1f} "
            f"{row['cpu_us_per_session']:10.1f} {100 * row['share_of_worker']:5.1f}%   "
            f"{row['part']}"
        )
    return results, lines


def _worker_of(master: int) -> int:
    workers = [p for p in process_tree(master) if p != master]
    if len(workers) != 1:
        raise RuntimeError(f"expected one worker under {master}, found {workers}")
    return workers[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--sessions", type=int, default=2_000, help="empty sessions measured")
    parser.add_argument("--part", action="append", help="module:Qualified.name (repeatable)")
    return bench_main(parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())

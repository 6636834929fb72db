"""Shared pieces of the server benchmarks (bench_sync.py, bench_ingest.py).

Not a test helper: plain functions to stand up the real WSGI app on a throw-away database,
create a company the way the API does, wire the simulated Web Connector to it (in-process or
over real HTTP on 127.0.0.1) and measure time and memory of the server's SOAP calls only.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# BENCH_PROJECT_ROOT benchmarks another copy of the project (e.g. a scratch copy with a patch).
# (Not QBWC_*: the server refuses unknown QBWC_* variables.)
ROOT = Path(os.environ.get("BENCH_PROJECT_ROOT") or Path(__file__).resolve().parents[1]).resolve()
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from qbwc_server.app import QbwcApp, create_app  # noqa: E402
from qbwc_server.config import Settings, load_settings  # noqa: E402
from qbwc_server.services.companies import create_company  # noqa: E402
from qbwc_server.services.qwc import render_qwc  # noqa: E402
from qbwc_server.services.settings_store import owner_id_in  # noqa: E402
from qbwc_server.sim.qwc import QwcInfo, parse_qwc  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1/postgres"
# spyne warns "Overwriting application" each time an app is built; several runs build several.
logging.getLogger("spyne").setLevel(logging.ERROR)
ADMIN_TOKEN = "bench-admin-token-0123456789"
Transport = Callable[[str, bytes, dict[str, str]], tuple[int, str, bytes]]


# --- databases ------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(kind: str, pg_url: str = DEFAULT_PG) -> Iterator[str]:
    """Yield the URL of an empty database: a new PostgreSQL database (dropped afterwards) or a
    SQLite file in a temporary directory."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="qbwc-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    base = make_url(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"qbwc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


# --- the app and a company ------------------------------------------------------------------


def make_app(database_url: str, **env: str) -> QbwcApp:
    """The real WSGI app (migrations applied); ``env`` adds QBWC_* settings."""
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "QBWC_ADMIN_TOKEN": ADMIN_TOKEN,
            "QBWC_PUBLIC_URL": "http://localhost:8000",
            "QBWC_LOG_LEVEL": "WARNING",
            **env,
        }
    )
    return create_app(settings, migrate=True)


@dataclass(frozen=True)
class BenchCompany:
    id: int
    connector_key: str
    qwc: QwcInfo


def make_company(app: QbwcApp, *, history_start: str = "all") -> BenchCompany:
    """A company syncing on every run, with its .qwc read back as the Web Connector reads it."""
    settings: Settings = app.rt.settings
    with app.rt.db.transaction() as session:
        created = create_company(
            session,
            "Bench Co",
            sync_interval_minutes=0,
            history_start=history_start,
            confirm_binding=False,
        )
        qwc_text = render_qwc(created.company, settings, owner_id_in(session, settings))
        company_id = created.company.id
    return BenchCompany(company_id, created.connector_key, parse_qwc(qwc_text.encode()))


@contextlib.contextmanager
def served(
    database_url: str,
    *,
    workers: int = 1,
    threads: int | None = None,
    wrapper: Sequence[str] = (),
    start_seconds: float = 60,
    **env: str,
) -> Iterator[tuple[str, int]]:
    """Run the production server (``qbwc-server serve``: gunicorn, gthread) in its own process
    on 127.0.0.1 against an already migrated database; yield its /qbwc URL and its PID. In its
    own process its heap (and so each garbage collection) holds the server only. ``threads``:
    ``serve --threads`` (default: serve's own). ``wrapper``: a command the server runs under
    (valgrind, say), given ``start_seconds`` to answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://localhost:{port}"
    child_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "QBWC_ADMIN_TOKEN": ADMIN_TOKEN,
        "QBWC_PUBLIC_URL": base,
        "QBWC_LOG_LEVEL": "INFO",  # the default: access lines, as the peer writes uvicorn's
        # The server imports this copy of the project, not whatever the venv has installed.
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        **env,
    }
    command = [
        *wrapper,
        *([sys.executable] if wrapper else []),  # the venv's Python, not the script's #! line
        str(Path(sys.executable).with_name("qbwc-server")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-migrate",
        *(["--threads", str(threads)] if threads is not None else []),
    ]
    # BENCH_SERVER_LOG=path keeps the server's log (INFO and up) for a look after the run.
    kept = os.environ.get("BENCH_SERVER_LOG")
    opened = open(kept, "w+b") if kept else tempfile.TemporaryFile()  # noqa: SIM115
    with opened as log:
        child = subprocess.Popen(command, env=child_env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + start_seconds
            while not _healthy(base):
                if child.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"the server did not start: {' '.join(command)}\n{tail}")
                time.sleep(0.1)
            yield base + "/qbwc", child.pid
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


# --- measuring the server's calls -----------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler:
    """Samples this process's RSS in a thread while active; ``peak`` is the highest seen."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self.peak = rss_bytes()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, rss_bytes())


@dataclass
class CallSample:
    method: str
    seconds: float
    bytes_in: int  # request body size (what the server received)
    rss_before: int = 0
    rss_peak: int = 0
    rss_after: int = 0
    traced_peak: int = 0  # tracemalloc: the most the traced total rose above traced_before
    traced_before: int = 0  # the traced total before the call, after a gc.collect()
    traced_after: int = 0  # the traced total after the call, after a gc.collect()
    cpu: float = 0.0  # this thread's CPU seconds in the call
    other_cpu: float = 0.0  # CPU seconds of ``MeasuredTransport.other_cpu`` (e.g. PostgreSQL)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn: the master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def database_backends(database_url: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to the database of ``database_url``."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        return []
    engine = create_engine(url.set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return [int(r[0]) for r in rows]
    finally:
        engine.dispose()


class CpuMeter:
    """CPU seconds used by a set of processes between ``start()`` and ``stop()``; the set is
    re-read at both ends (new PostgreSQL backends appear as the pool grows)."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids
        self._before: dict[int, float] = {}
        self.seconds = 0.0

    def start(self) -> None:
        self._before = {pid: process_cpu_seconds(pid) for pid in self.pids()}

    def stop(self) -> float:
        after = {pid: process_cpu_seconds(pid) for pid in self.pids()}
        self.seconds = sum(cpu - self._before.get(pid, 0.0) for pid, cpu in after.items())
        return self.seconds


def _thread_cpu(pid: int) -> dict[str, float]:
    """User and system CPU seconds of a process's main thread and of its other threads
    together (``/proc/<pid>/task``): in a gthread worker, the event loop and the request
    threads."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"loop_user": 0.0, "loop_system": 0.0, "threads_user": 0.0, "threads_system": 0.0}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a thread that ended meanwhile
        where = "loop" if int(tid) == pid else "threads"
        out[f"{where}_user"] += int(fields[11]) / tick
        out[f"{where}_system"] += int(fields[12]) / tick
    return out


class ThreadMeter:
    """:class:`CpuMeter` split by thread kind across processes: the main threads (a gthread
    worker's event loop, gunicorn's master) and all other threads (its request threads).
    A thread that ended between start and stop loses its time (the pool keeps its threads)."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids
        self._before: dict[int, dict[str, float]] = {}
        self.seconds: dict[str, float] = {}

    def start(self) -> None:
        self._before = {pid: _thread_cpu(pid) for pid in self.pids()}

    def stop(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid in self.pids():
            before = self._before.get(pid, {})
            for key, value in _thread_cpu(pid).items():
                totals[key] = totals.get(key, 0.0) + value - before.get(key, 0.0)
        self.seconds = totals
        return totals


class GcTimer:
    """Time spent in garbage collections while ``active`` (hooked into ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.active = False
        self.seconds = 0.0
        self.full_collections = 0
        self._started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if not self.active:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        if info.get("generation") == 2:
            self.full_collections += 1

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self)


@dataclass
class MeasuredTransport:
    """Wraps an in-process transport: times each SOAP call (the server's work only), the
    garbage collections inside it and, for the methods in ``memory_methods``, samples RSS and
    (with ``trace``) tracemalloc, from the first measured call until its owner stops it: what a
    call frees of an earlier call's memory is seen (bench_ingest.py, item 2)."""

    inner: Transport
    memory_methods: frozenset[str] = frozenset()
    trace: bool = False
    profiler: cProfile.Profile | None = None
    samples: list[CallSample] = field(default_factory=list)
    gc_timer: GcTimer = field(default_factory=GcTimer)
    cpu_seconds: float = 0.0  # this thread's CPU inside the calls (the server's Python work)
    other_cpu: Callable[[], float] | None = None  # e.g. CPU seconds of the database backends

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        method = headers.get("SOAPAction", "").strip('"').rsplit("/", 1)[-1]
        measure = method in self.memory_methods
        sample = CallSample(method, 0.0, len(body))
        sampler = RssSampler() if measure else None
        if measure:
            if self.trace:
                tracemalloc.start()  # a no-op while it runs
                gc.collect()  # the caller's garbage in reference cycles is not the call's
                sample.traced_before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
            sample.rss_before = rss_bytes()
        if sampler is not None:
            sampler.__enter__()
        if self.profiler is not None:
            self.profiler.enable()
        self.gc_timer.active = True
        other_started = self.other_cpu() if self.other_cpu is not None else 0.0
        cpu_started = time.thread_time()
        started = time.perf_counter()
        try:
            return self.inner(path, body, headers)
        finally:
            sample.seconds = time.perf_counter() - started
            sample.cpu = time.thread_time() - cpu_started
            self.cpu_seconds += sample.cpu
            if self.other_cpu is not None:
                sample.other_cpu = self.other_cpu() - other_started
            self.gc_timer.active = False
            if self.profiler is not None:
                self.profiler.disable()
            if sampler is not None:
                sampler.__exit__()
                sample.rss_peak = sampler.peak
                # Garbage the call left in reference cycles is not retained memory: collect it
                # (outside the timed part) before looking at what stays.
                gc.collect()
                sample.rss_after = rss_bytes()
                if self.trace:
                    sample.traced_after, peak = tracemalloc.get_traced_memory()
                    sample.traced_peak = peak - sample.traced_before
            self.samples.append(sample)


# --- output ---------------------------------------------------------------------------------


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine since boot (/proc/stat)."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def settle(quiet: float = 0.1, window: float = 0.5, longest: float = 15.0) -> float:
    """Wait until the machine is quiet — under ``quiet`` of one core busy over ``window``
    seconds — or ``longest`` seconds passed; returns the seconds waited. What one server left
    running (PostgreSQL analysing a table it just filled, a WAL flush) would otherwise land
    on the next measurement of the other."""
    cores = os.cpu_count() or 1
    started = time.monotonic()
    while time.monotonic() - started < longest:
        busy0, total0 = _busy_jiffies()
        time.sleep(window)
        busy1, total1 = _busy_jiffies()
        if total1 > total0 and (busy1 - busy0) / (total1 - total0) * cores < quiet:
            break
    return time.monotonic() - started


def load_average() -> float:
    """1-minute load average: other work on this 2-core machine inflates wall-clock figures."""
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def mib(n: float) -> float:
    return round(n / (1024 * 1024), 1)


def emit(results: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        print(json.dumps(results, indent=2, sort_keys=False, default=str))
    else:
        print("\n".join(lines))


Run = Callable[[argparse.Namespace], tuple[dict[str, Any], list[str]]]


def bench_main(parser: argparse.ArgumentParser, run: Run, argv: list[str] | None) -> int:
    """Add ``--json``, parse ``argv``, run the benchmark and print its figures (text or JSON)."""
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results, lines = run(args)
    emit(results, args.json, lines)
    return 0

"""What bench_load.py measures during one step of offered load, and how it is printed.

A :class:`Step` collects, thread-safely, every SOAP call's latency by method (as the client
saw it: queueing in the server included), errors by kind, sessions by connector kind and
outcome, and how late each session started against its schedule (the client's own lag: a
late start means the offered rate was not really offered). :class:`Sampler` reads, once a
second, PostgreSQL's ``pg_stat_activity`` for the benchmark's database (connections by state
and wait event) and the number of calls in flight; CPU comes from ``/proc`` at the step's ends.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common import process_cpu_seconds
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

P99_TARGET_MS = 250.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot (/proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [float(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    total = sum(fields[:8])
    return total - idle, total


@dataclass
class Step:
    name: str
    offered_per_second: float
    started: float = field(default_factory=time.perf_counter)
    ended: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    sessions: Counter[str] = field(default_factory=Counter)  # "kind:outcome"
    lags: list[float] = field(default_factory=list)
    skipped_polls: int = 0  # a connector was still in its previous session when due
    not_started: int = 0  # sessions due in the step that no client thread could start
    db_samples: list[dict[str, int]] = field(default_factory=list)
    in_flight_samples: list[int] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # seconds (or cores for machine)

    def call(self, method: str, seconds: float, status: int, kind: str) -> None:
        with self.lock:
            self.latencies[method].append(seconds)
            if kind:
                self.errors[f"{method}:{kind}"] += 1

    def session(self, kind: str, outcome: str, errors: list[str], lag: float) -> None:
        with self.lock:
            self.sessions[f"{kind}:{outcome}"] += 1
            self.lags.append(lag)
            if errors:
                self.errors[f"session:{kind}:{outcome}"] += 1

    def error(self, key: str) -> None:
        with self.lock:
            self.errors[key] += 1

    @property
    def seconds(self) -> float:
        return (self.ended or time.perf_counter()) - self.started

    def session_count(self) -> int:
        return sum(self.sessions.values())

    def call_count(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]

    def p99_ms(self) -> float:
        return 1000 * percentile(self.all_latencies(), 99)

    def summary(self) -> dict[str, Any]:
        n = self.session_count()
        methods = {
            m: {
                "calls": len(v),
                "p50_ms": round(1000 * percentile(v, 50), 1),
                "p95_ms": round(1000 * percentile(v, 95), 1),
                "p99_ms": round(1000 * percentile(v, 99), 1),
            }
            for m, v in sorted(self.latencies.items())
        }
        db_total = [s.get("total", 0) for s in self.db_samples] or [0]
        db_active = [s.get("active", 0) for s in self.db_samples] or [0]
        waits: Counter[str] = Counter()
        for s in self.db_samples:
            waits.update({k: v for k, v in s.items() if k.startswith("wait:")})
        server_cpu = self.cpu.get("server", 0.0)
        db_cpu = self.cpu.get("database", 0.0)
        return {
            "step": self.name,
            "offered_sessions_per_second": round(self.offered_per_second, 1),
            "seconds": round(self.seconds, 1),
            "sessions": n,
            "sessions_per_second": round(n / self.seconds, 1) if self.seconds else 0,
            "calls_per_second": round(self.call_count() / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(1000 * percentile(self.all_latencies(), 50), 1),
            "p95_ms": round(1000 * percentile(self.all_latencies(), 95), 1),
            "p99_ms": round(self.p99_ms(), 1),
            "by_method": methods,
            "sessions_by_kind": dict(sorted(self.sessions.items())),
            "errors": dict(sorted(self.errors.items())),
            "error_count": sum(self.errors.values()),
            "start_lag_p99_s": round(percentile(self.lags, 99), 2),
            "skipped_polls": self.skipped_polls,
            "not_started": self.not_started,
            "db_connections_max": max(db_total),
            "db_connections_mean": round(sum(db_total) / len(db_total), 1),
            "db_active_mean": round(sum(db_active) / len(db_active), 2),
            "db_waits": dict(waits.most_common(5)),
            "in_flight_mean": round(
                sum(self.in_flight_samples) / max(1, len(self.in_flight_samples)), 1
            ),
            "in_flight_max": max(self.in_flight_samples or [0]),
            "cores": {k: round(v / self.seconds, 2) for k, v in self.cpu.items() if self.seconds},
            "server_cpu_ms_per_session": round(1000 * server_cpu / n, 2) if n else None,
            "db_cpu_ms_per_session": round(1000 * db_cpu / n, 2) if n else None,
        }


class InFlight:
    """Calls on the wire right now (client side)."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, delta: int) -> None:
        with self._lock:
            self.value += delta


class Sampler:
    """Once a second: the database's connections (pg_stat_activity) and calls in flight, into
    whatever step is current."""

    def __init__(self, database_url: str, in_flight: InFlight, current: Callable[[], Step]) -> None:
        url = make_url(database_url).set(drivername="postgresql+psycopg")
        self.engine = create_engine(url, pool_size=1)
        self.in_flight = in_flight
        self.current = current
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.engine.dispose()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            step = self.current()
            step.in_flight_samples.append(self.in_flight.value)
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(
                        text(
                            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).all()
            except Exception:
                continue
            sample: Counter[str] = Counter(total=len(rows))
            for state, wait_type, wait_event in rows:
                sample["active" if state == "active" else str(state)] += 1
                if state == "active" and wait_type:
                    sample[f"wait:{wait_type}:{wait_event}"] += 1
            step.db_samples.append(dict(sample))


class CpuClock:
    """CPU seconds of named process groups (and the machine) between two readings."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self._before: dict[str, dict[int, float]] = {}
        self._machine: tuple[float, float] = (0.0, 0.0)
        self._client = 0.0

    def start(self) -> None:
        self._before = {
            name: {pid: process_cpu_seconds(pid) for pid in pids()}
            for name, pids in self.groups.items()
        }
        self._machine = machine_cpu()
        self._client = time.process_time()

    def stop(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, pids in self.groups.items():
            before = self._before.get(name, {})
            out[name] = sum(process_cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids())
        out["client"] = time.process_time() - self._client
        busy, total = machine_cpu()
        ticks = os.sysconf("SC_CLK_TCK")
        out["machine"] = (busy - self._machine[0]) / ticks
        out["machine_capacity"] = (total - self._machine[1]) / ticks
        return out


def limit_diagnosis(s: dict[str, Any], workers: int, threads: int) -> str:
    """What most likely limits a step: CPU (whose), threads, database waits."""
    cores = s["cores"]
    capacity = os.cpu_count() or 1
    busy = cores.get("machine", 0.0)
    server, database, client = (cores.get(k, 0.0) for k in ("server", "database", "client"))
    other = max(0.0, busy - server - database - client)
    parts = [
        f"machine CPU {busy:.2f}/{capacity} cores busy: server workers {server:.2f}, "
        f"PostgreSQL {database:.2f}, this client {client:.2f}, other processes {other:.2f}"
    ]
    slots = workers * threads
    if s["in_flight_mean"] >= 0.8 * slots:
        parts.append(
            f"calls in flight {s['in_flight_mean']} mean / {s['in_flight_max']} max for "
            f"{slots} server threads: calls queue for a gunicorn thread"
        )
    if s["db_waits"]:
        parts.append(f"PostgreSQL waits sampled: {s['db_waits']}")
    if busy >= 0.9 * capacity:
        biggest = max(("server", "database", "client"), key=lambda k: cores.get(k, 0.0))
        parts.append(f"CPU-bound (the largest share: {biggest})")
    return "; ".join(parts)

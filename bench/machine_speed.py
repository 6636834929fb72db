"""How fast this machine runs Python in these minutes: a fixed piece of pure-Python work, timed.

On this shared VM the same CPU-bound loop took from 0.27 to 0.39 s of CPU within minutes
(2026-12-07: its neighbours, not our code), and every absolute figure of a benchmark — CPU per
empty session, records per second — moves with it. bench_idle.py and bench_ingest.py print this
reference before and after their runs, so a figure can be read against the machine's speed in
those minutes. The ratios against the peer, measured in the same minutes, need no correction.
"""

from __future__ import annotations

import math
import time

REFERENCE_LOOPS = 200_000


def _work(loops: int) -> int:
    """Dict lookups, string building, small allocations: the kind of work the server's Python
    does, with no I/O and no allocation that outlives it."""
    table: dict[str, int] = {}
    total = 0
    for i in range(loops):
        key = f"k{i & 1023}"
        table[key] = table.get(key, 0) + i
        total += len(key)
    return total


def reference_ms(rounds: int = 5, loops: int = REFERENCE_LOOPS) -> float:
    """This thread's CPU milliseconds for the reference work, the best of ``rounds`` (lower is
    faster): about 0.3 s of CPU in all."""
    best = math.inf
    for _ in range(rounds):
        started = time.thread_time()
        _work(loops)
        best = min(best, time.thread_time() - started)
    return round(best * 1000, 2)


def describe(before: float, after: float) -> str:
    return (
        f"machine reference before/after: {before:.1f} / {after:.1f} ms of CPU for a fixed "
        "piece of Python (bench/machine_speed.py; lower is faster, read absolute figures with it)"
    )

"""bench/machine_speed.py: the reference the benchmarks print beside their absolute figures is
CPU time of a fixed piece of work, in proportion to the work."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import machine_speed


def test_the_reference_is_cpu_time_in_proportion_to_the_work() -> None:
    small = machine_speed.reference_ms(rounds=3, loops=20_000)
    large = machine_speed.reference_ms(rounds=3, loops=160_000)
    assert 0 < small < large
    # Eight times the loops: between four and sixteen times the time, however loaded the
    # machine is (the best of three rounds of each).
    assert 4 < large / small < 16, (small, large)


def test_the_line_names_the_reference_and_how_to_read_it() -> None:
    line = machine_speed.describe(41.25, 55.0)
    assert "41.2 / 55.0 ms" in line or "41.3 / 55.0 ms" in line
    assert "lower is faster" in line and "bench/machine_speed.py" in line

"""bench/machine_speed.py: the reference the benchmarks print beside their absolute figures is
CPU time of a fixed piece of work, in proportion to the work."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import machine_speed


def test_the_reference_is_cpu_time_in_proportion_to_the_work() -> None:
    # The two sizes alternate, the best of five of each is kept: this VM's speed moves from
    # one second to the next (a CI run once measured the small one alone in a slow minute, the
    # large one in a quick one: 9.61 against 37.9 ms), and alternating puts both in the same
    # minutes.
    smalls, larges = [], []
    for _ in range(5):
        smalls.append(machine_speed.reference_ms(rounds=1, loops=20_000))
        larges.append(machine_speed.reference_ms(rounds=1, loops=160_000))
    small, large = min(smalls), min(larges)
    assert 0 < small < large
    # Eight times the loops: between three and twenty-four times the time, however loaded the
    # machine is.
    assert 3 < large / small < 24, (smalls, larges)


def test_the_line_names_the_reference_and_how_to_read_it() -> None:
    line = machine_speed.describe(41.25, 55.0)
    assert "41.2 / 55.0 ms" in line or "41.3 / 55.0 ms" in line
    assert "lower is faster" in line and "bench/machine_speed.py" in line

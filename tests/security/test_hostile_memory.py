"""What one hostile body costs, measured in a fresh process (bench/bench_hostile_bodies.py):
peak RSS growth during the call, log bytes, and whether a Connector Key reached the log.
Before issue 9's fix a 20 MB attribute cost 60 MiB and logged 20 MB, 20 MB of elements cost
763 MiB, 8 MB of attributes 1,000 MiB, and a 60 MB broken body logged 63 MB with the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench" / "bench_hostile_bodies.py"


def measure(case: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBWC_")}
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--one", case, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("case", ["attr20", "elements20", "attrs8", "junk60", "page15_stranger"])
def test_a_hostile_body_costs_little(case: str) -> None:
    r = measure(case)
    assert r["status"].split()[0] in ("400", "403", "413", "500"), r
    assert r["rss_growth_mib"] < 16, r
    assert r["log_bytes"] < 1000, r
    assert r["key_in_log"] is False, r
    assert r["seconds"] < 2, r


def test_a_live_sessions_large_page_costs_about_its_text() -> None:
    r = measure("page15_session")
    assert r["status"].startswith("200"), r
    assert r["rss_growth_mib"] < 3 * r["body_mib"], r

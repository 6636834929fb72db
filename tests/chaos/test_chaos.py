"""The short chaos run of CI (issue 13 item 5; the long one is ``bench/chaos.py``): companies
sync and write back while gunicorn workers are SIGKILLed, a private PostgreSQL cluster restarts
and connections drop; afterwards every company's data equals its QuickBooks, nothing was
written twice and nothing is stuck."""

from __future__ import annotations

import os

import pytest

from tests.chaos.bookkeeper import EDIT_ACTIONS
from tests.chaos.cluster import postgres_bin_dir
from tests.chaos.plan import ChaosConfig
from tests.chaos.run import run_chaos


@pytest.mark.slow
def test_short_chaos_run_loses_nothing_and_writes_nothing_twice() -> None:
    if not os.environ.get("QBWC_TEST_DATABASE_URL", "").startswith("postgres"):
        pytest.skip(
            "the chaos run starts its own PostgreSQL cluster: it runs once, with the "
            "PostgreSQL pass of the suite (QBWC_TEST_DATABASE_URL=postgresql://...)"
        )
    if postgres_bin_dir() is None:
        pytest.fail("PostgreSQL binaries (initdb, pg_ctl) not found: the chaos run needs them")
    seed = int(os.environ.get("CHAOS_SEED", "2026"))
    config = ChaosConfig(
        seed=seed,
        companies=4,
        rounds=5,
        kill_every=(2.0, 5.0),
        restart_every=(6.0, 12.0),
        drop_probability=0.35,
        # Everything a bookkeeper does, bill deletions included (they found a stale vendor
        # Balance after an interrupted session: tests/sync/test_interrupted_balances.py).
        edit_actions=EDIT_ACTIONS,
        time_limit=240.0,
    )
    result = run_chaos(config, log=lambda _line: None)
    report = "\n".join(result.lines())
    print(report)
    assert result.faults["worker_sigkill"] >= 1, report
    assert result.faults["db_restart_fast"] + result.faults["db_restart_immediate"] >= 1, report
    assert result.faults["connection_drop_before"] + result.faults["connection_drop_after"], report
    assert result.outcomes["completed"] >= config.companies, report
    assert result.operations["done"] >= 1, report
    assert result.events["qb_delete_bill"] >= 1, report
    assert result.compared_records > 0, report
    assert result.discrepancies == [], report

"""``status.progress``: the stage in words, percent and time left (status/progress.py), and
``qbwc-server company show`` printing the same status, problem and progress."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

from models import StreamCursor
from qbwc_server import cli
from qbwc_server.records.types import DECLARED
from qbwc_server.status.text import duration, format_company
from qbwc_server.status.words import NOUNS, STEP_WORDS, stage_words
from qbwc_server.sync.steps import WORK_ORDER
from tests.profile.helpers import status_of
from tests.sync.helpers import generate_current


def cursor(**values: Any) -> StreamCursor:
    base: dict[str, Any] = {"phase": "initial", "pass_kind": "initial"}
    base.update(values)
    return StreamCursor(**base)


def test_every_step_of_the_sync_has_words() -> None:
    for step in WORK_ORDER:
        assert step.name in NOUNS or step.name in STEP_WORDS, step.name
    assert set(NOUNS) == {rt.name for rt in DECLARED}


def test_stage_words_say_what_is_read() -> None:
    bills = cursor(window_from="2019-01-01", window_to="2021-06-30")
    assert stage_words("bills", bills, "2019-01-01", 2026) == "Historical bills 2019\u20132021"
    assert stage_words("bills", cursor(window_from="2024-03-01"), None, 2026) == (
        "Historical bills 2024\u20132026"
    )
    assert stage_words("bills", None, "2019-01-01", 2026) == "Historical bills from 2019"
    assert stage_words("vendors", cursor(), None, 2026) == "Vendors (first sync)"
    done = cursor(phase="incremental", pass_kind="incremental")
    assert stage_words("bill_payment_checks", done, None, 2026) == (
        "Changes to bill payments by check"
    )
    checking = cursor(phase="incremental", pass_kind="reconcile")
    assert stage_words("vendors", checking, None, 2026) == "Checking vendors against QuickBooks"
    assert stage_words("txn_deletions", None, None, 2026) == "Deleted transactions"


def test_time_left_reads_in_hours_and_minutes() -> None:
    assert duration(None) == "not measured yet"
    assert duration(30) == "about 1 min"
    assert duration(3 * 3600 + 125) == "about 3 h 3 min"


def test_company_show_prints_the_status_problem_and_progress_of_the_api(
    inproc_rig: Any, database_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    rig = inproc_rig(generate_current("tiny"), history_start="all")
    printed: list[str] = []

    def show_now(report: Any, value: int) -> None:
        if not printed:
            printed.append(run_cli(["company", "show", str(rig.company_id)]))
            printed.append(str(status_of(rig)["progress"]["stage"]))

    rig.wc.on_progress = show_now
    rig.run_session()
    during, stage = printed
    assert "status:          Syncing" in during
    assert "progress:" in during and stage in during and "time left:" in during

    rig.qb.faults.qb_not_running = True
    rig.api.request("PATCH", f"/api/companies/{rig.company_id}", {"sync_interval_minutes": 0})
    rig.wc.on_progress = None
    rig.run_session(expect=None)
    text = run_cli(["company", "show", str(rig.company_id)])
    view = rig.api.get(f"/api/companies/{rig.company_id}")
    problem = view["status"]["problem"]
    assert "status:          Needs attention" in text
    assert f"problem:         {problem['title']} (0x80040408)" in text
    assert f"what to do ({problem['who']}):" in text
    assert "  1. " in text and "Web Connectors (last 30 days):" in text
    assert "QBHOST at 127.0.0.1" in text
    assert format_company(view).splitlines()[:8] == text.splitlines()[:8]


def run_cli(args: list[str]) -> str:
    """``qbwc-server ARGS`` in this process (DATABASE_URL set by the test), its output."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(args) == 0
    return out.getvalue()

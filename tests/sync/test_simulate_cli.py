"""Issue 3: ``qbwc-server simulate`` drives our own server over HTTP from a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_ROOT
from tests.sync.helpers import Api


def _command() -> list[str]:
    """The installed ``qbwc-server`` script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("qbwc-server")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "qbwc_server.cli"]


def test_simulate_command_completes_sessions_against_a_live_server(
    live_server: Any, tmp_path: Path
) -> None:
    api = Api(base_url=live_server.url)
    status, created = api.request(
        "POST",
        "/api/companies",
        {
            "name": "Simulated Co",
            "history_start": "all",
            "sync_interval_minutes": 0,
            "confirm_binding": False,
        },
    )
    assert status == 201, created
    status, qwc_text = api.request("GET", f"/api/companies/{created['id']}/qwc")
    assert status == 200
    qwc = tmp_path / "simulated.qwc"
    qwc.write_text(qwc_text, encoding="utf-8")

    env = dict(os.environ)
    done = subprocess.run(
        [
            *_command(),
            "simulate",
            f"--qwc={qwc}",
            f"--password={created['connector_key']}",
            f"--url={live_server.qbwc_url}",
            "--profile=tiny",
            "--sessions=2",
            "--json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env=env,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:], done.stdout[-2000:])
    summary = json.loads(done.stdout)
    assert summary["ok"] is True and summary["session_count"] == 2
    assert summary["outcomes"] == {"completed": 2}, summary["outcomes"]
    assert summary["errors"] == []
    first, second = summary["sessions"]
    assert first["progress"][-1] == 100 and second["progress"][-1] == 100
    # The first sync reads the whole file (its streams' opening looks share message sets, so
    # it is a handful of requests too); the second only what changed.
    assert second["requests_processed"] > 0
    assert sum(first["records_by_type"].values()) > 300 > sum(second["records_by_type"].values())
    assert sum(summary["records_by_type"].values()) > 300
    assert not [code for code in summary["status_codes"] if code.endswith(":3120")]
    assert all("0x80040400" not in h for s in summary["sessions"] for h in s["hresults"])

    # The server saw the same story: two completed sessions and the data of the tiny company.
    view = api.get(f"/api/companies/{created['id']}")
    assert view["status"]["last_session_outcome"] == "completed"
    assert view["binding"]["bound"] is True
    assert sum(view["record_counts"].values()) > 300
    completed = [s for s in view["recent_sessions"] if s.get("outcome") == "completed"]
    assert len(completed) == 2, view["recent_sessions"]

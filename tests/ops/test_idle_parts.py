"""bench/idle_parts.py: the hook it puts on the server's PYTHONPATH wraps the named functions
in the processes forked after start (gunicorn's workers), not in the one started, and their
figures reach the file the benchmark reads."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import idle_parts
from call_parts import Part

CHILD = textwrap.dedent(
    """
    import json, os, time
    json.dumps(1)  # the process started: not wrapped
    pid = os.fork()
    if pid == 0:
        for n in range(3):
            json.dumps(n)
        time.sleep(4 * {snapshot})
        os._exit(0)
    os.waitpid(pid, 0)
    """
)


def test_the_hook_wraps_in_forked_processes_and_writes_their_figures(tmp_path: Path) -> None:
    idle_parts.write_hook(tmp_path)
    out = str(tmp_path / "figures")
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        idle_parts.SPECS_ENV: "json:dumps,json:loads",
        idle_parts.OUT_ENV: out,
    }
    code = CHILD.format(snapshot=idle_parts.SNAPSHOT_SECONDS)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    files = list(tmp_path.glob("figures.*"))
    assert len(files) == 1, files  # one forked process wrote; the parent wrapped nothing
    parts = idle_parts.read_snapshot(out)
    assert parts["json:dumps"].calls == 3
    assert parts["json:dumps"].cpu > 0
    assert parts["json:loads"].calls == 0


def test_without_its_settings_the_hook_does_nothing(tmp_path: Path) -> None:
    idle_parts.write_hook(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDLE_PARTS_")}
    env["PYTHONPATH"] = str(tmp_path)
    code = CHILD.format(snapshot=idle_parts.SNAPSHOT_SECONDS)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert not list(tmp_path.glob("figures*"))


def test_the_measured_sessions_are_the_difference_of_two_snapshots() -> None:
    before = {"a": Part("a", 10, 1.0, 2.0), "b": Part("b", 0, 0.0, 0.0)}
    after = {"a": Part("a", 14, 1.5, 2.25), "b": Part("b", 2, 0.25, 0.5)}
    assert idle_parts.difference(before, after) == [
        Part("a", 4, 0.5, 0.25),
        Part("b", 2, 0.25, 0.5),
    ]

"""The production server (``qbwc-server serve``: gunicorn, gthread) in its own process group,
for runs that kill its workers: gunicorn's master starts a new worker for each one killed."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


class GunicornServer:
    """``qbwc-server serve`` on a free port of 127.0.0.1 (migrations applied at start)."""

    def __init__(
        self, database_url: str, env: dict[str, str], *, workers: int = 2, threads: int = 4
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.qbwc_url = self.base + "/qbwc"
        self.workers = workers
        # CHAOS_SERVER_LOG=path keeps the server's log for a look after the run.
        kept = os.environ.get("CHAOS_SERVER_LOG")
        self._log: IO[bytes] = (  # closed in close()
            open(kept, "w+b") if kept else tempfile.TemporaryFile()  # noqa: SIM115
        )
        child_env = {
            **os.environ,
            **env,
            "DATABASE_URL": database_url,
            "QBWC_PUBLIC_URL": f"http://localhost:{self.port}",
            "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        command = [
            str(Path(sys.executable).with_name("qbwc-server")),
            "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(workers), "--threads", str(threads),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=child_env, stdout=subprocess.DEVNULL, stderr=self._log
        )
        self.wait_ready()

    def log_tail(self, chars: int = 3000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-chars:]

    def _get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until /readyz answers 200 (the database is reachable, migrations current) and every
        worker is up."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_tail()}")
            if self._get("/readyz") == 200 and len(self.worker_pids()) >= self.workers:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server is not ready after {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid)

    def kill_worker(self, rng: random.Random) -> int | None:
        """SIGKILL one worker at random (whatever it is doing); returns its PID."""
        workers = sorted(self.worker_pids())
        if not workers:
            return None
        victim = rng.choice(workers)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return victim

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

"""A real ``qbwc-server serve`` (gunicorn, its own process and workers) for the operations tests.

Started on a free port of 127.0.0.1 against the test database, with its output in a file so a
test can read every line the server process wrote; stopped with SIGTERM (the process we
started, by its id).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import ADMIN_TOKEN, PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("qbwc-server")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "qbwc_server.cli"]


def http_get(
    url: str, token: str | None = None, timeout: float = 10, headers: dict[str, str] | None = None
) -> tuple[int, bytes, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


class ServedProcess:
    def __init__(
        self,
        database_url: str,
        log_path: Path,
        *,
        workers: int = 2,
        env: dict[str, str] | None = None,
        migrate: bool = False,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.qbwc_url = f"http://localhost:{self.port}/qbwc"
        self.log_path = log_path
        full_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("QBWC_", "PROMETHEUS_"))
        }
        full_env.update(
            {
                "DATABASE_URL": database_url,
                "QBWC_PUBLIC_URL": f"http://localhost:{self.port}",
                "QBWC_ADMIN_TOKEN": ADMIN_TOKEN,
                "PYTHONUNBUFFERED": "1",
            }
        )
        full_env.update(env or {})
        command = [
            *cli_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        if not migrate:
            command.append("--no-migrate")
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.output()[-3000:]}")
            try:
                status, _, _ = http_get(self.url + "/readyz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready: {self.output()[-3000:]}")

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

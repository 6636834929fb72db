"""A private PostgreSQL cluster for runs that restart or break the database.

Never the machine's shared server: ``initdb`` into a temporary directory, ``pg_ctl`` on a free
port of 127.0.0.1 with its socket in that directory, removed at the end. The binaries are
found under ``/usr/lib/postgresql/*/bin`` (the newest version) or on ``PATH``. PostgreSQL
refuses to run as root, so as root the cluster runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class ClusterError(RuntimeError):
    pass


def postgres_bin_dir() -> Path | None:
    """Directory holding initdb/pg_ctl, or None when PostgreSQL is not installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateCluster:
    """One throw-away cluster: :meth:`start`, :meth:`restart` (``fast`` or ``immediate``, the
    latter is a crash: no shutdown checkpoint, recovery at start), :meth:`stop`."""

    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = _free_port()
        self.restarts = 0
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]
            user = pwd.getpwnam("postgres")
            os.chown(root, user.pw_uid, user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [*self._as_user, str(self.bin_dir / args[0]), *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise ClusterError(
                f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-1500:]}"
                f"\n{self.log_tail()}"
            )

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-instructions",
        )  # fmt: skip

    def _options(self) -> str:
        # Only the loopback address, the socket in our directory; fsync off: the run restarts
        # PostgreSQL (even "immediate", a crash of the server), never the machine, so the
        # operating system's cache keeps every write the server made.
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200 -c shared_buffers=64MB"
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast", down_seconds: float = 0.0) -> None:
        """Stop (``fast``: clients are disconnected; ``immediate``: crash) and start again
        after ``down_seconds`` (the database is unreachable meanwhile)."""
        self.stop(mode)
        if down_seconds > 0:
            time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def running(self) -> bool:
        done = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
        )
        return done.returncode == 0


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ClusterError("PostgreSQL binaries not found (/usr/lib/postgresql/*/bin, PATH)")
    root = Path(tempfile.mkdtemp(prefix="qbwc-pg-"))
    cluster = PrivateCluster(root, bin_dir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(ClusterError, subprocess.TimeoutExpired):
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)

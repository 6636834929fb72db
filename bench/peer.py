"""The peer in the side-by-side benchmarks: qbwc-kit (PyPI), a FastAPI QBWC library.

Never a project dependency: :func:`peer_venv` creates a throw-away virtual environment, installs
``qbwc-kit[server]`` (pinned, see ``PEER_VERSION``) and uvicorn (FastAPI's server) into it, and
:func:`serve_peer` runs the peer's own ``qbwc_kit.server.create_app`` there under uvicorn, the
way its README mounts it, with one of two trivial handlers:

* ``idle``: every login is valid and ``tasks_for`` returns no task, so authenticate answers
  ``none`` (qbwc-kit keeps sessions in memory and needs nothing else);
* ``vendors``: one task pages through ``VendorQuery`` with an iterator (``MaxReturned`` as our
  server's list pages), parses every page with qbwc-kit's parser and keeps nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# The version measured in the README's figures; ``--peer-version latest`` takes the newest.
PEER_VERSION = "0.1.3"
PEER_USER = "peer-bench"
PEER_PASSWORD = "peer-bench-password"

# Written into the throw-away venv: the peer's documented FastAPI adapter around a service
# with a trivial authenticator (constant-time comparison, as its README asks).
_APP_SOURCE = textwrap.dedent(
    '''
    """qbwc-kit served for the benchmark (written by bench/peer.py)."""
    import os
    import secrets

    from qbwc_kit import QBWCService, qbxml
    from qbwc_kit.qbxml import QBXMLRequest
    from qbwc_kit.server import create_app

    MODE = os.environ["PEER_MODE"]
    PAGE = int(os.environ.get("PEER_PAGE_SIZE", "500"))
    USER = os.environ["PEER_USER"].encode()
    PASSWORD = os.environ["PEER_PASSWORD"].encode()


    class SyncVendors:
        name = "vendors"

        def run(self, ctx):
            request = qbxml.query(
                "Vendor", max_returned=PAGE, iterator="Start", active_status="All"
            )
            while True:
                result = yield QBXMLRequest([request])
                page = result.first().raise_for_status()
                if not page.has_more:
                    return
                request.iterator = "Continue"
                request.iterator_id = page.iterator_id


    class Authenticator:
        def authenticate(self, username, password):
            user_ok = secrets.compare_digest(username.encode(), USER)
            password_ok = secrets.compare_digest(password.encode(), PASSWORD)
            return user_ok and password_ok

        def tasks_for(self, username):
            return [] if MODE == "idle" else [SyncVendors()]


    app = create_app(
        QBWCService(authenticator=Authenticator()),
        endpoint_url=os.environ["PEER_URL"],
    )
    '''
)


def add_peer_arguments(parser: argparse.ArgumentParser) -> None:
    """``--peer-version`` and ``--peer-venv``, for :func:`peer_venv`."""
    parser.add_argument("--peer-version", default=PEER_VERSION, help="qbwc-kit version|latest")
    parser.add_argument("--peer-venv", help="keep the peer's venv in DIR (reused next time)")


@dataclass(frozen=True)
class PeerEnv:
    root: Path
    python: Path
    versions: dict[str, str]  # distribution -> installed version

    def describe(self) -> str:
        return ", ".join(f"{name} {version}" for name, version in sorted(self.versions.items()))


def _installed(python: Path, names: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, sys\nfor n in sys.argv[1:]:\n    print(n, m.version(n))\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, *names], check=True, capture_output=True, text=True
    ).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


@contextlib.contextmanager
def peer_venv(version: str = PEER_VERSION, reuse: str | None = None) -> Iterator[PeerEnv]:
    """A venv with qbwc-kit[server] ``version`` (``latest``: the newest) and uvicorn.

    ``reuse``: a directory kept between runs (created when missing); otherwise a temporary
    directory removed at the end.
    """
    keep = reuse is not None
    root = Path(reuse) if reuse is not None else Path(tempfile.mkdtemp(prefix="qbwc-peer-"))
    try:
        python = root / "bin" / "python"
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
        requirement = "qbwc-kit[server]" + ("" if version == "latest" else f"=={version}")
        wanted = None if version == "latest" else version
        try:
            have = _installed(python, ["qbwc-kit", "fastapi", "uvicorn"])
        except subprocess.CalledProcessError:
            have = {}
        if not have or (wanted is not None and have.get("qbwc-kit") != wanted):
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", requirement, "uvicorn"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        versions = _installed(python, ["qbwc-kit", "fastapi", "starlette", "uvicorn"])
        (root / "peer_app.py").write_text(_APP_SOURCE)
        yield PeerEnv(root, python, versions)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_peer(
    env: PeerEnv,
    mode: str,
    page_size: int = 500,
    *,
    wrapper: Sequence[str] = (),
    start_seconds: float = 60,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """uvicorn serving the peer app in ``mode`` (idle|vendors) on 127.0.0.1; yields its /qbwc
    URL and the PID of the server process. ``wrapper``: a command the server runs under
    (valgrind, say), given ``start_seconds`` to answer."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/qbwc"
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PEER_MODE": mode,
        "PEER_PAGE_SIZE": str(page_size),
        "PEER_USER": PEER_USER,
        "PEER_PASSWORD": PEER_PASSWORD,
        "PEER_URL": url,
        "PYTHONPATH": str(env.root),
        **(extra_env or {}),
    }
    # uvicorn's defaults otherwise: access log on, as ``qbwc-server serve`` writes its access
    # lines at its default level, INFO (bench/common.py served; an idle poll's calls are DEBUG
    # lines there). Both servers write their lines (to /dev/null or a temporary file).
    command = [*wrapper, str(env.python), "-m", "uvicorn", "peer_app:app", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(
            command, env=child_env, cwd=env.root, stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            deadline = time.monotonic() + start_seconds
            while not _answers(url):
                if child.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"the peer did not start: {' '.join(command)}\n{tail}")
                time.sleep(0.1)
            yield url, child.pid
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "?wsdl", timeout=2) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False

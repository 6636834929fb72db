"""The ``qbwc-server`` command, run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from models import Company
from qbwc_server import cli
from qbwc_server.db import Database
from qbwc_server.services.connector_keys import key_matches
from tests.conftest import LiveServer, _fresh_postgres
from tests.foundation.helpers import QbwcSessionDriver, api, create_company

Command = tuple[list[str], dict[str, str]]


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    """The parent's environment without any QBWC_* setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBWC_")}
    env.pop("DATABASE_URL", None)
    env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "qbwc_server.cli", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_all(commands: list[Command], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """Run independent commands side by side (each is a whole Python start-up)."""
    procs = [(args, start(args, env, cwd)) for args, env in commands]
    done = []
    for args, proc in procs:
        out, err = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_all([(args, env)], cwd)[0]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.args, result.stderr[-2000:])
    return result.stdout


def parse_xml(text: str) -> dict[str, str]:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(text.encode("utf-8"), parser)
    assert root.tag == "QBWCXML"
    return {str(el.tag): (el.text or "") for el in root.iter() if isinstance(el.tag, str)}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[Any]:
    """``fresh_database()``: the URL of a brand-new, empty database (PostgreSQL when
    QBWC_TEST_DATABASE_URL says so); dropped after the test."""
    configured = os.environ.get("QBWC_TEST_DATABASE_URL", "")
    drops: list[Any] = []
    made: list[str] = []

    def make() -> str:
        if configured.startswith("postgres"):
            url, drop = _fresh_postgres(configured)
            drops.append(drop)
        else:
            url = f"sqlite:///{tmp_path / f'fresh-{len(made)}.db'}"
        made.append(url)
        return url

    yield make
    for drop in drops:
        drop()


# --- companies ----------------------------------------------------------------------------------
# A Python start-up costs about a second of CPU, so the real subprocess runs cover the entry point,
# the environment, exit codes and files; the remaining output formats run ``cli.main`` in-process.


def test_company_commands_as_subprocesses(sqlite_url: str, tmp_path: Path) -> None:
    env = cli_env(sqlite_url, QBWC_PUBLIC_URL="https://qb.example.com")
    created = run(
        [
            "company",
            "create",
            "Acme & Sons",
            "--json",
            "--sync-interval-minutes",
            "0",
            "--history-start",
            "all",
        ],
        env,
        tmp_path,
    )
    acme = json.loads(ok(created))
    assert acme["name"] == "Acme & Sons"
    assert isinstance(acme["id"], int) and acme["username"]
    assert acme["connector_key"].startswith("QBWC-")
    assert (acme["sync_interval_minutes"], acme["history_start"]) == (0, "all")

    qwc_file = tmp_path / "out" / "acme.qwc"
    qwc_file.parent.mkdir()
    insecure = {**env, "QBWC_PUBLIC_URL": "http://example.com"}
    qwc_to_file, refused = run_all(
        [
            (["qwc", str(acme["id"]), "-o", str(qwc_file)], env),
            (["qwc", str(acme["id"]), "-o", "refused.qwc"], insecure),
        ],
        tmp_path,
    )
    ok(qwc_to_file)
    text = qwc_file.read_text(encoding="utf-8")
    acme_qwc = parse_xml(text)
    assert acme_qwc["UserName"] == acme["username"]
    assert acme_qwc["FileID"] == acme["file_id"]
    assert acme_qwc["AppURL"] == "https://qb.example.com/qbwc"
    assert acme_qwc["AppSupport"] == "https://qb.example.com/support"
    assert acme_qwc["RunEveryNMinutes"] == "1"
    assert "Acme & Sons" in acme_qwc["AppDescription"]
    assert acme["connector_key"] not in text

    # A .qwc QBWC would refuse (plain http, QBWC1010) is not written; the reason is printed.
    assert refused.returncode != 0
    assert "https" in refused.stderr and "QBWC_PUBLIC_URL" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "refused.qwc").exists()

    # The database holds what the command said: only a hash of the key.
    db = Database(sqlite_url)
    try:
        with db.transaction() as s:
            row = s.scalars(select(Company).where(Company.id == acme["id"])).one()
            assert row.username == acme["username"]
            assert key_matches(acme["connector_key"], row.key_hash)
            assert acme["connector_key"] not in row.key_hash
    finally:
        db.dispose()


@pytest.fixture
def main(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """``main(*argv) -> (exit code, stdout, stderr)``: ``qbwc_server.cli.main`` in-process."""
    for name in [k for k in os.environ if k.startswith("QBWC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("QBWC_PUBLIC_URL", "https://qb.example.com")
    monkeypatch.chdir(tmp_path)

    def run_main(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run_main


def field(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.M)
    assert found, (pattern, text)
    return found.group(1)


def test_company_command_output(main: Any, sqlite_url: str) -> None:
    code, plain, _ = main("company", "create", "Globex Holdings")
    assert code == 0
    globex_id = int(field(r"^id:\s+(\d+)$", plain))
    globex_user = field(r"^user name:\s+(\S+)$", plain)
    globex_key = field(r"^Connector Key:\s+(QBWC-\S+)$", plain)
    code, out, _ = main("company", "create", "Initech", "--json")
    initech = json.loads(out)

    code, out, _ = main("company", "list", "--json")
    assert code == 0
    assert [(c["id"], c["name"]) for c in json.loads(out)] == [
        (globex_id, "Globex Holdings"),
        (initech["id"], "Initech"),
    ]
    code, listed, _ = main("company", "list")
    assert code == 0 and "Globex Holdings" in listed and globex_user in listed
    code, out, _ = main("company", "show", str(globex_id), "--json")
    view = json.loads(out)
    assert view["username"] == globex_user
    for key in ("state", "last_contact_at", "last_session_outcome", "last_error"):
        assert key in view["status"]
    assert view["status"]["state"] == "Never connected"
    assert view["binding"]["bound"] is False and view["recent_sessions"] == []
    code, shown, _ = main("company", "show", str(globex_id))
    assert code == 0
    assert "Never connected" in shown and globex_user in shown and "not connected yet" in shown
    for text in (out, shown, listed):
        assert globex_key not in text and initech["connector_key"] not in text
        assert "connector_key" not in text and "key_hash" not in text

    code, out, _ = main("company", "rotate-key", str(globex_id))
    assert code == 0
    rotated = field(r"^New Connector Key:\s+(QBWC-\S+)$", out)
    assert rotated != globex_key
    code, out, _ = main("company", "rotate-key", str(initech["id"]), "--json")
    initech_rotated = json.loads(out)
    assert initech_rotated["key_version"] == 2
    assert initech_rotated["username"] == initech["username"]
    assert initech_rotated["connector_key"] != initech["connector_key"]
    db = Database(sqlite_url)
    try:
        with db.transaction() as s:
            rows = {c.id: c for c in s.scalars(select(Company))}
        assert key_matches(rotated, rows[globex_id].key_hash)
        assert not key_matches(globex_key, rows[globex_id].key_hash)
        assert key_matches(initech_rotated["connector_key"], rows[initech["id"]].key_hash)
        assert not key_matches(initech["connector_key"], rows[initech["id"]].key_hash)
    finally:
        db.dispose()

    code, out, _ = main("company", "reset-binding", str(globex_id))
    assert code == 0 and "binding reset" in out

    # Not a terminal: the .qwc goes to stdout; "-o -" asks for that explicitly.
    code, to_stdout, _ = main("qwc", str(globex_id))
    assert code == 0
    qwc = parse_xml(to_stdout)
    assert qwc["UserName"] == globex_user
    assert main("qwc", str(globex_id), "-o", "-")[1] == to_stdout
    assert parse_xml(main("qwc", str(initech["id"]))[1])["OwnerID"] == qwc["OwnerID"]
    assert globex_key not in to_stdout and rotated not in to_stdout


def test_errors_exit_non_zero_with_a_message(main: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main("company", "create", "Existing")[0] == 0
    code, _, err = main("company", "show", "999")
    assert code == 1 and "no company with id 999" in err
    code, _, err = main("company", "rotate-key", "nope")
    assert code == 1 and "no company" in err
    code, _, err = main("qwc", "998")
    assert code == 1 and "no company with id 998" in err
    code, out, err = main("company", "create", "   ")
    assert code == 1 and "name" in err and "Connector Key" not in out
    code, _, err = main("company", "create", "X", "--history-start", "last week")
    assert code == 1 and "history_start" in err
    code, _, err = main("company", "create", "X", "--sync-interval-minutes", "-5")
    assert code == 1 and "sync_interval_minutes" in err
    code, out, _ = main("company", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Existing"]  # nothing else was written

    # Configuration errors stop every command before it touches anything: exit code 2.
    for name, value in [("QBWC_SYNC_LEASE_SECONDS", "soon"), ("QBWC_FOO", "1")]:
        monkeypatch.setenv(name, value)
        code, out, err = main("company", "create", "Misconfigured")
        assert code == 2 and name in err and out == ""
        monkeypatch.delenv(name)
    code, out, _ = main("company", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Existing"]

    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2


def test_cli_and_api_share_one_database(
    live_server: LiveServer, database_url: str, tmp_path: Path
) -> None:
    """Runs on PostgreSQL too (QBWC_TEST_DATABASE_URL): the CLI against the test database."""
    env = cli_env(database_url, QBWC_PUBLIC_URL=live_server.url)
    company = create_company(live_server.url, "Shared Co")
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    wc.close()

    rotated, qwc = run_all(
        [
            (["company", "rotate-key", str(company["id"]), "--json"], env),
            (["qwc", str(company["id"]), "-o", "-"], env),
        ],
        tmp_path,
    )
    new_key = json.loads(ok(rotated))["connector_key"]
    old = QbwcSessionDriver(live_server.qbwc_url)
    assert old.authenticate(company["username"], company["connector_key"])[1] == "nvu"
    assert QbwcSessionDriver(live_server.qbwc_url).authenticate(company["username"], new_key)[
        1
    ] in ("", "none")
    # Same .qwc from the command and from the API (same OwnerID, same URLs).
    status, api_qwc, _ = api(live_server.url, "GET", f"/api/companies/{company['id']}/qwc")
    assert status == 200
    assert ok(qwc) == api_qwc


# --- serve --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Served:
    """``qbwc-server serve`` in a subprocess; stopped (SIGTERM) when the test ends."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.cwd = cwd
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qbwc_server.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                *args,
            ],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_alive(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"serve exited with {self.proc.returncode}: {err[-2000:]}")
            try:
                if get(self.url + "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not answer /healthz in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def wait_stopped(self) -> None:
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def launch(args: list[str], env: dict[str, str]) -> Served:
        served = Served(args, env, tmp_path)
        started.append(served)
        return served

    yield launch
    for served in started:  # stop them all first: a graceful stop takes most of a second
        served.stop()
    for served in started:
        served.wait_stopped()


def test_serve_migrates_on_start_unless_told_not_to(serve: Any, fresh_database: Any) -> None:
    token = "serve-admin-token-123456"
    migrating = serve([], cli_env(fresh_database(), QBWC_ADMIN_TOKEN=token))
    # No QBWC_OWNER_ID: the OwnerID cannot be stored before the schema exists.
    no_migrate_env = cli_env(fresh_database(), QBWC_ADMIN_TOKEN=token)
    not_migrating = serve(["--no-migrate"], no_migrate_env)
    migrating.wait_alive()
    not_migrating.wait_alive()

    status, body = get(migrating.url + "/readyz")
    assert status == 200, body
    assert body["migrations"] == "current"
    status, listed, _ = api(migrating.url, "GET", "/api/companies", token=token)
    assert status == 200 and listed == {"data": []}

    status, body = get(not_migrating.url + "/readyz")
    assert status == 503 and body["migrations"] == "pending"
    assert "latest schema" in ok(run(["migrate"], no_migrate_env, not_migrating.cwd))
    status, body = get(not_migrating.url + "/readyz")
    assert status == 200, body
    # The running server works on the schema it did not create, OwnerID included.
    status, created, _ = api(
        not_migrating.url, "POST", "/api/companies", {"name": "Late Schema"}, token=token
    )
    assert status == 201, created
    status, qwc, _ = api(
        not_migrating.url, "GET", f"/api/companies/{created['id']}/qwc", token=token
    )
    assert status == 200 and "<OwnerID>{" in qwc

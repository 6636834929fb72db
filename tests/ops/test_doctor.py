"""Issue 12 item 4: ``qbwc-server doctor`` passes on a good setup and names each broken one;
``qbwc-server status`` prints one line per company."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from qbwc_server.diagnostics.doctor import FAIL, OK, Check, report, run_checks
from tests.conftest import ADMIN_TOKEN, PROJECT_ROOT
from tests.foundation.helpers import create_company
from tests.ops.served import cli_command, free_port


def _env(database_url: str, public_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "QBWC_PUBLIC_URL": public_url,
        "QBWC_ADMIN_TOKEN": ADMIN_TOKEN,
        **extra,
    }


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_doctor_passes_on_a_good_setup(live_server: Any, database_url: str) -> None:
    env = _env(database_url, live_server.url, QBWC_LOG_FORMAT="json")
    checks = run_checks(env)
    names = [c.name for c in checks]
    assert names == [
        "settings",
        "public URL",
        "database",
        "migrations",
        "clock",
        "volume",
        "AppSupport",
    ]
    assert all(c.status == OK for c in checks), [c.line() for c in checks]
    text, status = report(checks)
    assert status == 0 and text.endswith("all checks passed")
    assert "ms per round trip" in _by_name(checks)["database"].detail

    # The command: the same lines, exit status 0.
    done = subprocess.run(
        [*cli_command(), "doctor"],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(done.stdout.strip().splitlines()) == len(checks) + 1


def _failed(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks if c.status == FAIL}


def test_a_broken_setting_is_named_with_its_fix(database_url: str) -> None:
    checks = run_checks(_env(database_url, "http://localhost:8000", QBWC_WORKERS="many"))
    assert [c.name for c in checks] == ["settings"]
    assert "QBWC_WORKERS" in checks[0].detail and checks[0].status == FAIL
    assert report(checks)[1] == 1


def test_an_unreachable_database(live_server: Any) -> None:
    port = free_port()  # nothing listens there
    failed = _failed(run_checks(_env(f"postgresql://qbwc@127.0.0.1:{port}/qbwc", live_server.url)))
    assert set(failed) == {"database"}
    assert "not reachable" in failed["database"].detail and failed["database"].fix
    assert "password" not in failed["database"].line()


def test_pending_migrations(live_server: Any, tmp_path: Path) -> None:
    failed = _failed(run_checks(_env(f"sqlite:///{tmp_path}/empty.db", live_server.url)))
    assert set(failed) == {"migrations"}
    assert failed["migrations"].fix == "qbwc-server migrate"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://sync.example.com", "refuses http"),
        ("https://192.0.2.10", "refuses IP addresses"),
    ],
)
def test_a_public_url_the_web_connector_refuses(database_url: str, url: str, why: str) -> None:
    checks = run_checks(_env(database_url, url))
    failed = _failed(checks)
    assert set(failed) == {"public URL"} and why in failed["public URL"].detail
    assert "QBWC_PUBLIC_URL=https://" in failed["public URL"].fix
    assert _by_name(checks)["AppSupport"].detail.startswith("not checked")


def test_app_support_not_answering(db: Any, database_url: str) -> None:
    failed = _failed(run_checks(_env(database_url, f"http://localhost:{free_port()}")))
    assert set(failed) == {"AppSupport"}
    assert "/support did not answer" in failed["AppSupport"].detail


def test_clock_skew_against_the_database(live_server: Any, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite uses this machine's clock: there is no skew to measure")

    def slow_clock() -> datetime:
        return datetime.now(UTC) - timedelta(seconds=45)

    failed = _failed(run_checks(_env(database_url, live_server.url), clock=slow_clock))
    assert set(failed) == {"clock"}
    assert "behind the database" in failed["clock"].detail and "NTP" in failed["clock"].fix


def test_volume_not_writable(live_server: Any, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-volume"
    failed = _failed(run_checks(_env(f"sqlite:///{missing}/qbwc.db", live_server.url)))
    assert "volume" in failed and "not writable" in failed["volume"].detail
    assert "-v qbwc-data:/data" in failed["volume"].fix


def test_status_prints_one_line_per_company(live_server: Any, database_url: str) -> None:
    create_company(live_server.url, "Acme Supplies")
    create_company(live_server.url, "Globex Holdings")
    done = subprocess.run(
        [*cli_command(), "status"],
        env={"PATH": "/usr/bin:/bin", **_env(database_url, live_server.url)},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 3  # header + one per company
    assert "Acme Supplies" in lines[1] and "Never connected" in lines[1] and "never" in lines[1]
    assert "Globex Holdings" in lines[2]

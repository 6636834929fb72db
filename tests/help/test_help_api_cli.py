"""``GET /api/help``, ``GET /api/help/{code}`` over real HTTP, and ``qbwc-server help``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from qbwc_server import cli
from qbwc_server.help import catalog
from tests.conftest import LiveServer
from tests.foundation.helpers import api


def test_list_every_entry(live_server: LiveServer) -> None:
    status, body, headers = api(live_server.url, "GET", "/api/help")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert body["count"] == len(catalog.ENTRIES) == len(body["data"])
    first = body["data"][0]
    assert set(first) == {"code", "kind", "title", "cause", "steps", "who"}
    assert isinstance(first["steps"], list) and first["steps"]


def test_list_filters(live_server: LiveServer) -> None:
    status, body, _ = api(live_server.url, "GET", "/api/help?kind=hresult")
    assert status == 200 and body["data"]
    assert {item["kind"] for item in body["data"]} == {"hresult"}
    status, body, _ = api(live_server.url, "GET", "/api/help?q=closing%20date")
    assert status == 200 and {"3171", "3161"} <= {item["code"] for item in body["data"]}
    for bad in ("/api/help?kind=nonsense", "/api/help?limit=3"):
        status, body, _ = api(live_server.url, "GET", bad)
        assert status == 422 and body["error"]["field"] in ("kind", "limit"), body


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/help/0x80040408", "0x80040408"),
        ("/api/help/80040408", "0x80040408"),
        ("/api/help/0X8004040a", "0x8004040A"),
        ("/api/help/QBWC1012", "QBWC1012"),
        ("/api/help/qbwc1012", "QBWC1012"),
        ("/api/help/3100", "3100"),
        ("/api/help/Wrong_Company_File", "wrong_company_file"),
        ("/api/help/waiting_for_confirmation", "waiting_for_confirmation"),
    ],
)
def test_show_one(live_server: LiveServer, path: str, code: str) -> None:
    status, body, _ = api(live_server.url, "GET", path)
    assert status == 200, body
    assert body == catalog.lookup(code).as_dict()  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ["/api/help/nope", "/api/help/1012", "/api/help/0x8004FFFF"])
def test_unknown_code_is_a_json_404(live_server: LiveServer, path: str) -> None:
    status, body, _ = api(live_server.url, "GET", path)
    assert status == 404 and body["error"]["status"] == 404
    assert "/api/help" in body["error"]["message"]


def test_help_needs_the_admin_token(live_server: LiveServer) -> None:
    for path in ("/api/help", "/api/help/3100"):
        status, body, _ = api(live_server.url, "GET", path, token=None)
        assert status == 401 and "token" in body["error"]["message"]
        status, body, _ = api(live_server.url, "GET", path, token="wrong-token-0123456789")
        assert status == 401
    status, body, _ = api(live_server.url, "POST", "/api/help/3100", {})
    assert status == 405 and body["error"]["status"] == 405


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    for name in [k for k in os.environ if k.startswith("QBWC_")]:
        monkeypatch.delenv(name)

    def run_main(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run_main


def test_cli_shows_one_entry(main: Any) -> None:
    code, out, _ = main("help", "80040408")
    assert code == 0
    assert out.startswith("0x80040408: QuickBooks could not be started")
    assert "Who acts:  QuickBooks admin" in out and "\n  1. Open QuickBooks" in out
    code, out, _ = main("help", "qbwc1042", "--json")
    assert code == 0 and json.loads(out) == catalog.lookup("QBWC1042").as_dict()  # type: ignore[union-attr]


def test_cli_lists_and_searches(main: Any) -> None:
    code, out, _ = main("help")
    assert code == 0
    for item in catalog.ENTRIES:
        assert f"  {item.code} " in out
    code, out, _ = main("help", "--kind", "server", "--json")
    assert code == 0 and {i["kind"] for i in json.loads(out)} == {"server"}
    code, out, _ = main("help", "--search", "single-user")
    assert code == 0 and "0x80040418" in out
    code, out, _ = main("help", "--search", "zzz-no-such-word")
    assert code == 1 and "no help entry matches" in out


def test_cli_unknown_code(main: Any) -> None:
    code, out, err = main("help", "QBWC9999")
    assert code == 1 and out == "" and "no help entry for 'QBWC9999'" in err


def test_cli_entry_point_runs_without_a_database(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBWC_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/absent/never.db"  # help never opens it
    result = subprocess.run(
        [sys.executable, "-m", "qbwc_server.cli", "help", "wrong_company_file"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrong company file" in result.stdout
    assert not (tmp_path / "absent").exists()

"""`simulate` command: argument handling, summaries, exit codes, progress output."""

from __future__ import annotations

import argparse
import io
import itertools
import json
from pathlib import Path

import pytest

from qbwc_server.sim.cli import add_simulate_arguments, run_simulate
from qbwc_server.sim.progress import bar
from tests.sim.wc_fakes import ScriptedServer, StubQuickBooks, serve

QWC = """<?xml version="1.0"?>
<QBWCXML><AppName>AP Sync</AppName><AppID></AppID><AppURL>{url}</AppURL>
<AppDescription>d</AppDescription><AppSupport>{url}</AppSupport><UserName>cust-7</UserName>
<OwnerID>{{O}}</OwnerID><FileID>{{F}}</FileID><QBType>QBFS</QBType>
<Scheduler><RunEveryNMinutes>30</RunEveryNMinutes></Scheduler></QBWCXML>"""


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_simulate_arguments(parser)
    return parser.parse_args(argv)


def work_server() -> ScriptedServer:
    progress = itertools.cycle([50, 100])
    return ScriptedServer(
        {
            "authenticate": lambda p: ["t", ""] if p["strPassword"] == "right-key" else ["", "nvu"],
            "sendRequestXML": lambda p: "<QBXML/>",
            "receiveResponseXML": lambda p: next(progress),
            "closeConnection": lambda p: "Sync complete",
        }
    )


def simulate(tmp_path: Path, server: ScriptedServer, extra: list[str]) -> tuple[int, str, str, str]:
    with serve(server) as url:
        qwc = tmp_path / "app.qwc"
        qwc.write_text(QWC.format(url=url))
        out, err = io.StringIO(), io.StringIO()
        args = parse(["--qwc", str(qwc), *extra])
        code = run_simulate(args, quickbooks=StubQuickBooks(), out=out, err=err)
    return code, out.getvalue(), err.getvalue(), url


def test_json_summary_of_three_sessions(tmp_path: Path) -> None:
    server = work_server()
    code, out, err, url = simulate(
        tmp_path, server, ["--password", "right-key", "--sessions", "3", "--json"]
    )
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True
    assert data["url"] == url  # default: the .qwc's AppURL
    assert data["session_count"] == 3
    assert data["outcomes"] == {"completed": 3}
    assert data["requests_processed"] == 6
    assert data["round_trips"] == len(server.received) == 3 * 8
    assert data["records_by_type"] == {"VendorRet": sum(range(1, 7))}
    # The .qwc's 30-minute schedule in simulated time.
    assert [s["started_at"] for s in data["sessions"]] == [0.0, 1800.0, 3600.0]
    assert server.of("authenticate")[0]["strUserName"] == "cust-7"
    assert "session 3/3: completed" in err


def test_wrong_password_exits_1_with_human_summary(tmp_path: Path) -> None:
    code, out, _, _ = simulate(tmp_path, work_server(), ["--password", "wrong", "--quiet"])
    assert code == 1
    assert "Sessions: 1 (nvu 1)" in out
    assert "Invalid password" in out


def test_transport_fault_from_the_command_line(tmp_path: Path) -> None:
    server = work_server()
    code, out, _, _ = simulate(
        tmp_path,
        server,
        [
            "--password",
            "right-key",
            "--sessions",
            "2",
            "--fault",
            "drop-after:receiveResponseXML:1",
            "--json",
            "--quiet",
        ],
    )
    assert code == 1
    data = json.loads(out)
    assert data["outcomes"] == {"transport_error": 1, "completed": 1}
    assert data["errors"][0]["session"] == 1
    assert data["errors"][0]["error"].startswith("QBWC1042")


def test_url_override_and_bad_inputs(tmp_path: Path) -> None:
    server = work_server()
    with serve(server) as url:
        qwc = tmp_path / "app.qwc"
        qwc.write_text(QWC.format(url="https://nowhere.invalid/qbwc"))
        out = io.StringIO()
        args = parse(["--qwc", str(qwc), "--password", "right-key", "--url", url, "--quiet"])
        assert run_simulate(args, quickbooks=StubQuickBooks(), out=out, err=io.StringIO()) == 0
    assert "Errors: none" in out.getvalue()

    err = io.StringIO()
    bad = parse(["--qwc", str(tmp_path / "missing.qwc"), "--password", "x"])
    assert run_simulate(bad, quickbooks=StubQuickBooks(), out=io.StringIO(), err=err) == 2
    assert "cannot read" in err.getvalue()

    err = io.StringIO()
    bad = parse(["--qwc", str(qwc), "--password", "x", "--fault", "drop-sideways:x"])
    assert run_simulate(bad, quickbooks=StubQuickBooks(), out=io.StringIO(), err=err) == 2


def test_required_arguments() -> None:
    with pytest.raises(SystemExit):
        parse(["--qwc", "a.qwc"])


def test_progress_bar() -> None:
    assert bar(0, 10) == "[----------]"
    assert bar(50, 10) == "[#####-----]"
    assert bar(130, 10) == "[##########]"
    assert bar(-5, 10) == "[----------]"


def test_state_that_cannot_be_saved_is_reported(tmp_path: Path) -> None:
    qb = StubQuickBooks()
    qb.company = lambda: None  # type: ignore[attr-defined]  # lambdas cannot be pickled
    with serve(work_server()) as url:
        qwc = tmp_path / "app.qwc"
        qwc.write_text(QWC.format(url=url))
        state = tmp_path / "state.pickle"
        args = parse(["--qwc", str(qwc), "--password", "right-key", "--state", str(state)])
        out, err = io.StringIO(), io.StringIO()
        code = run_simulate(args, quickbooks=qb, out=out, err=err)
    assert code == 1
    assert "cannot save state" in err.getvalue()
    assert not state.exists()
    assert not (tmp_path / "state.pickle.tmp").exists()

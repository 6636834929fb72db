"""The fake Web Connector driving the real fake QuickBooks (qbwc_server.sim.quickbooks)."""

from __future__ import annotations

import argparse
import io
import json
import pickle
import re
from pathlib import Path
from typing import Any

from qbwc_server.sim import quickbooks
from qbwc_server.sim.cli import add_simulate_arguments, run_simulate
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.scheduler import Scheduler
from qbwc_server.sim.webconnector import WebConnector
from tests.sim.wc_fakes import ScriptedServer, serve

VENDOR_PAGE = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="stopOnError"><VendorQueryRq requestID="{rid}" iterator="{mode}"{iid}>'
    "<MaxReturned>10</MaxReturned>{filters}</VendorQueryRq></QBXMLMsgsRq></QBXML>"
)


class IteratingServer:
    """A minimal QBWC server: pages through all vendors with an iterator, one page per request.

    ``resume_iterator`` makes the next session continue the previous session's iterator, which
    QuickBooks must refuse because iterators die with the QuickBooks session (§6.4).
    """

    def __init__(self) -> None:
        self.iterator_id: str | None = None
        self.remaining: int | None = None
        self.statuses: list[str] = []
        self.hcp: list[str] = []
        self.resume_iterator = False
        self.page = 0
        self.app = ScriptedServer(
            {
                "authenticate": lambda p: ["tkt", ""],
                "sendRequestXML": self.send,
                "receiveResponseXML": self.receive,
                "closeConnection": lambda p: "done paging",
            }
        )

    def send(self, params: dict[str, str]) -> str:
        if params["strHCPResponse"]:
            self.hcp.append(params["strHCPResponse"])
        self.page += 1
        if self.iterator_id and (self.remaining or self.resume_iterator):
            self.resume_iterator = False
            iid, mode, filters = f' iteratorID="{self.iterator_id}"', "Continue", ""
        else:
            iid, mode, filters = "", "Start", "<ActiveStatus>All</ActiveStatus>"
        return VENDOR_PAGE.format(rid=self.page, mode=mode, iid=iid, filters=filters)

    def receive(self, params: dict[str, str]) -> int:
        response = params["response"]
        status = re.search(r'statusCode="(\d+)"', response)
        self.statuses.append(status.group(1) if status else params["hresult"])
        remaining = re.search(r'iteratorRemainingCount="(\d+)"', response)
        ident = re.search(r'iteratorID="([^"]+)"', response)
        if ident:
            self.iterator_id = ident.group(1)
        self.remaining = int(remaining.group(1)) if remaining else 0
        return 50 if self.remaining else 100


def make_fake_qb() -> Any:
    company = quickbooks.CompanyFile.generate(seed=3, profile="tiny")
    return quickbooks.FakeQuickBooks(company)


def test_iterator_session_against_fake_quickbooks() -> None:
    server = IteratingServer()
    qb = make_fake_qb()
    vendors = len(qb.company.vendors) if hasattr(qb.company, "vendors") else None
    with serve(server.app) as url:
        wc = WebConnector(
            url,
            "u",
            "p",
            qb,
            app_name="AP Sync",
            owner_id="{11111111-2222-3333-4444-555555555555}",
            file_id="{99999999-2222-3333-4444-555555555555}",
            keep_requests=True,
            timeout=10,
        )
        report = wc.run_session()
        server.resume_iterator = True
        second = wc.run_session()

    assert report.outcome is Outcome.COMPLETED, report.errors
    assert report.progress[-1] == 100
    assert all(p == 50 for p in report.progress[:-1])
    assert report.records_by_type["VendorRet"] >= 10
    if vendors is not None:
        assert report.records_by_type["VendorRet"] == vendors
    assert report.qb_simulated_seconds > 0
    assert report.qbxml_version == "16.0"  # the fake supports up to 16.0
    assert report.company_path == qb.path
    # The HCP the server got carries the FileID stamp under our OwnerID (§4.3).
    assert "{99999999-2222-3333-4444-555555555555}" in server.hcp[0]
    assert len(report.requests) == report.requests_processed

    # Next session: the old iterator is dead, QuickBooks answers with an error status.
    first_status_of_second = server.statuses[len(report.progress)]
    assert first_status_of_second != "0"
    assert second.status_codes[f"VendorQueryRs:{first_status_of_second}"] == 1


def test_scheduler_moves_the_company_clock() -> None:
    qb = make_fake_qb()
    before = qb.company.clock.now
    with serve(ScriptedServer()) as url:  # authenticate: none
        wc = WebConnector(url, "u", "p", qb, app_name="a", owner_id="o", file_id="f", timeout=5)
        Scheduler(wc, 3600).run(sessions=5)
    assert (qb.company.clock.now - before).total_seconds() == 4 * 3600


QWC = """<?xml version="1.0"?>
<QBWCXML><AppName>AP Sync</AppName><AppID></AppID><AppURL>{url}</AppURL>
<AppDescription>d</AppDescription><AppSupport>{url}</AppSupport><UserName>cust-7</UserName>
<OwnerID>{{11111111-2222-3333-4444-555555555555}}</OwnerID>
<FileID>{{99999999-2222-3333-4444-555555555555}}</FileID><QBType>QBFS</QBType>
<Scheduler><RunEveryNMinutes>30</RunEveryNMinutes></Scheduler></QBWCXML>"""


def cli(tmp_path: Path, url: str, *argv: str) -> tuple[int, str, str]:
    qwc = tmp_path / "app.qwc"
    qwc.write_text(QWC.format(url=url))
    parser = argparse.ArgumentParser()
    add_simulate_arguments(parser)
    args = parser.parse_args(["--qwc", str(qwc), "--password", "k", "--quiet", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = run_simulate(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_quickbooks_not_running(tmp_path: Path) -> None:
    server = ScriptedServer({"authenticate": lambda p: ["tkt", ""]})
    with serve(server) as url:
        code, out, err = cli(tmp_path, url, "--fault", "qb-not-running", "--json")
    assert code == 1, err
    data = json.loads(out)
    assert data["outcomes"] == {"connection_failed": 1}
    assert server.of("connectionError")[0]["hresult"] == "0x80040408"
    assert server.methods[-2:] == ["connectionError", "closeConnection"]


def test_cli_state_file_keeps_the_company(tmp_path: Path) -> None:
    company = quickbooks.CompanyFile.generate(seed=1, profile="tiny")
    assert pickle.loads(pickle.dumps(company)).records("Vendor") == company.records("Vendor")
    state = tmp_path / "company.pickle"
    server = IteratingServer()
    with serve(server.app) as url:
        code, out, err = cli(tmp_path, url, "--state", str(state), "--sessions", "3")
        assert code == 0, out + err
        first = pickle.loads(state.read_bytes())
        code, out, err = cli(tmp_path, url, "--state", str(state), "--sessions", "2", "--json")
        assert code == 0, out + err
    second = pickle.loads(state.read_bytes())
    # Three sessions at 30-minute intervals, then the second run continued from that clock.
    assert (second.clock.now - first.clock.now).total_seconds() >= 1800
    assert json.loads(out)["records_by_type"]["VendorRet"] > 0


def test_cli_rejects_unknown_quickbooks_fault(tmp_path: Path) -> None:
    code, _, err = cli(tmp_path, "http://127.0.0.1:9/qbwc", "--fault", "gremlins")
    assert code == 2
    assert "gremlins" in err

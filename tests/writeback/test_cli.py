"""``qbwc-server operations list|retry|cancel``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qbwc_server import cli
from tests.writeback.support import Bench


@pytest.fixture
def run(bench: Bench, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.setenv("DATABASE_URL", bench.database_url)
    monkeypatch.delenv("QBWC_ADMIN_TOKEN", raising=False)

    def call(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_list_retry_cancel(bench: Bench, run: Any) -> None:
    customer = bench.qb_records("Customer")[0]["Name"]
    clash = bench.queue("vendor.create", {"name": customer})
    fine = bench.queue("vendor.create", {"name": "CLI Supplies"})
    later = bench.queue("vendor.create", {"name": "Never Mind Ltd"})
    cid = str(bench.company_id)

    code, out, _ = run("operations", "list", cid)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "type", "state"]
    assert [int(line.split()[0]) for line in lines[1:]] == [later["id"], fine["id"], clash["id"]]

    code, out, _ = run("operations", "cancel", str(later["id"]))
    assert code == 0 and "cancelled" in out
    bench.session()

    code, out, _ = run("operations", "list", cid, "--state", "failed", "--json")
    assert code == 0
    (failed,) = json.loads(out)
    assert failed["id"] == clash["id"] and failed["error"]["code"] == 3100
    code, out, _ = run("operations", "list", cid, "--state", "done")
    assert "QuickBooks list_id=" in out and str(fine["id"]) in out
    code, out, _ = run("operations", "list", cid, "--state", "cancelled", "--json")
    assert [o["id"] for o in json.loads(out)] == [later["id"]]

    code, out, _ = run("operations", "retry", str(clash["id"]))
    assert code == 0 and "queued" in out
    assert bench.op(clash["id"])["state"] == "queued"

    code, _, err = run("operations", "retry", str(fine["id"]))
    assert code == 1 and "only failed or needs_attention" in err
    code, _, err = run("operations", "cancel", "987654")
    assert code == 1 and "no operation" in err
    code, out, _ = run("operations", "list", cid, "--state", "sent")
    assert code == 0 and "no operations" in out

"""Issue 12 item 1: /metrics under gunicorn with two workers adds up every worker's counters,
and the series move while a simulated session runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.ops.scenario import METRICS_TOKEN, Run, total, value
from tests.ops.served import ServedProcess, http_get

pytestmark = pytest.mark.slow


@pytest.fixture
def run(served_run: Run) -> Run:
    return served_run


def test_soap_counters_add_up_over_both_workers(run: Run) -> None:
    calls = total(run.after, "qbwc_soap_requests_total") - total(
        run.before, "qbwc_soap_requests_total"
    )
    # Every call of the three sessions is counted once, whichever worker answered it: a
    # single worker's numbers would fall short.
    assert calls == run.soap_calls
    pids = {
        line.split('"pid": ')[1].split(",")[0]
        for line in run.server_output.splitlines()
        if '"path": "/qbwc"' in line and '"pid": ' in line
    }
    assert len(pids) == 2, pids  # both workers answered SOAP calls
    histogram = value(run.after, "qbwc_soap_request_seconds_count", method="sendRequestXML")
    assert histogram == value(
        run.after, "qbwc_soap_requests_total", method="sendRequestXML", outcome="ok"
    )
    assert value(run.after, "qbwc_soap_request_seconds_bucket", method="authenticate", le="+Inf")


def test_series_move_as_the_sessions_run(run: Run) -> None:
    def moved(name: str, **labels: str) -> tuple[float, float]:
        return (
            total(run.during, name, **labels) - total(run.before, name, **labels),
            total(run.after, name, **labels) - total(run.during, name, **labels),
        )

    sync, writeback = moved("qbwc_sessions_total", outcome="completed")
    assert (sync, writeback) == (1, 1)
    assert moved("qbwc_sessions_total", outcome="nvu")[0] == 1
    stored_sync, stored_writeback = moved("qbwc_records_stored_total")
    assert stored_sync > 300  # the tiny company's records
    assert stored_writeback >= 1  # the vendor QuickBooks returned for the write-back
    assert moved("qbwc_records_stored_total", type="vendors")[1] >= 1
    assert moved("qbwc_soap_requests_total", method="receiveResponseXML", outcome="ok")[0] > 10

    # Gauges read from the database: the company is connected, its operation done.
    assert value(run.after, "qbwc_companies", state="Connected to Server") == 1
    assert value(run.during, "qbwc_operations", state="done") == 0
    assert value(run.after, "qbwc_operations", state="done") == 1
    assert value(run.after, "qbwc_operations", state="queued") == 0
    assert value(run.after, "qbwc_database_up") == 1
    pool = total(run.after, "qbwc_db_pool_connections")
    assert pool >= 1  # idle + in use over the live workers
    # Company ids never become label values.
    for name, labels in run.after:
        assert ("company_id", str(run.company_id)) not in labels, name


def test_metrics_need_a_token(migrated_db: Any, database_url: str, tmp_path: Path) -> None:
    server = ServedProcess(
        database_url, tmp_path / "s.log", workers=1, env={"QBWC_METRICS_TOKEN": METRICS_TOKEN}
    )
    try:
        assert http_get(server.url + "/metrics")[0] == 401
        assert http_get(server.url + "/metrics", "wrong-token-0123456789")[0] == 401
        assert http_get(server.url + "/metrics", METRICS_TOKEN)[0] == 200
        status, body, headers = http_get(server.url + "/metrics", ADMIN_TOKEN)
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        assert b"qbwc_companies{" in body
    finally:
        server.stop()

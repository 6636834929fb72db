"""Issue 12 item 2: structured logs. Every line the server process writes is one JSON object
with the request's ids; nothing secret is in any line, in either format."""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from qbwc_server.app import create_app
from qbwc_server.observability import context
from qbwc_server.observability.logs import configure_logging
from qbwc_server.observability.redaction import Redactor, redact_qbxml
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.foundation.helpers import QbwcSessionDriver, synced_company
from tests.ops.scenario import METRICS_TOKEN, PROXY_REQUEST_ID, TAX_ID, Run
from tests.writeback.support import make_bench


def _lines(run: Run) -> list[dict[str, Any]]:
    out = []
    for raw in run.server_output.splitlines():
        if raw.strip():
            parsed = json.loads(raw)  # every line is JSON, gunicorn's own included
            assert isinstance(parsed, dict), raw
            out.append(parsed)
    return out


def test_every_line_is_a_json_object_with_ids(served_run: Run) -> None:
    lines = _lines(served_run)
    assert len(lines) > 100
    for line in lines:
        assert {"ts", "level", "event"} <= set(line), line
    assert any(line["event"].startswith("Starting gunicorn") for line in lines)
    assert any(line["event"].startswith("Booting worker") for line in lines)
    soap = [line for line in lines if line.get("path") == "/qbwc"]
    assert soap and all("request_id" in line and "duration_ms" in line for line in soap)
    assert {line["method"] for line in soap} >= {
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    }
    # serverVersion and a clientVersion that lets the session go on say nothing: at DEBUG only
    # (test_an_idle_poll_writes_its_access_lines_at_debug_only).
    assert not {line["method"] for line in soap} & {"serverVersion", "clientVersion"}
    in_session = [line for line in soap if line["method"] == "receiveResponseXML"]
    assert all(line["company_id"] == served_run.company_id for line in in_session)
    assert all(isinstance(line["session_id"], int) for line in in_session)
    # Lines written inside a request (not only access lines) carry its ids too.
    engine_lines = [line for line in lines if line.get("logger", "").startswith("qbwc_server.")]
    assert engine_lines and all("request_id" in line for line in engine_lines)
    request_ids = [line["request_id"] for line in lines if "request_id" in line]
    assert len(set(request_ids)) > 50  # one per request


def test_request_id_from_a_proxy_is_echoed_and_logged(served_run: Run) -> None:
    assert served_run.proxied_headers["X-Request-ID"] == PROXY_REQUEST_ID
    logged = [line for line in _lines(served_run) if line.get("request_id") == PROXY_REQUEST_ID]
    assert logged and logged[0]["path"] == "/api/companies"


def test_request_id_is_generated_when_missing_or_unsafe(db: Any, database_url: str) -> None:
    client = Client(create_app(make_settings(database_url, 80), db))
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32 and generated != client.get("/healthz").headers["X-Request-ID"]
    for bad in ("a b", "x" * 129, "evil\u00e9id", "-leading-dash", ""):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad and len(echoed) == 32
    assert context.accepted_request_id("Root=1-5759e988-bd862e3fe1be46a994272793") is not None


def secrets_of_run(run: Run) -> list[str]:
    key = run.connector_key
    return [
        key,
        key.replace("-", ""),
        key[5:],  # without the QBWC- prefix
        run.wrong_key,
        ADMIN_TOKEN,
        METRICS_TOKEN,
        TAX_ID,
        TAX_ID.replace("-", ""),
        *run.tickets,
    ]


def test_no_secret_in_any_line_of_a_full_run(served_run: Run) -> None:
    assert served_run.tickets and served_run.operation["state"] == "done"
    output = served_run.server_output
    for secret in secrets_of_run(served_run):
        assert secret not in output, f"a secret reached the log: {secret[:6]}..."


@pytest.fixture
def text_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_no_secret_in_text_format_either(db: Any, database_url: str, text_log: io.StringIO) -> None:
    """The same run in-process with QBWC_LOG_FORMAT=text at DEBUG: wrong key, write-back of a
    vendor with a tax id."""
    settings = make_settings(database_url, 80, QBWC_LOG_LEVEL="DEBUG", QBWC_LOG_FORMAT="text")
    configure_logging(settings, text_log)
    bench = make_bench(db, database_url, app=create_app(settings, db))
    intruder = WebConnector.from_qwc(
        bench.qwc,
        "QBWC-AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH",
        bench.qb,
        url="http://localhost/qbwc",
        transport=WsgiTransport(bench.switch),
    )
    assert intruder.run_session().outcome == Outcome.NVU
    op = bench.queue("vendor.create", {"name": "Text Log Vendor", "tax_id": "98-7654321"})
    bench.settle()
    assert bench.op(op["id"])["state"] == "done"
    output = text_log.getvalue()
    assert "POST /qbwc 200 sendRequestXML" in output and "session_id=" in output
    for secret in (bench.key, bench.key.replace("-", ""), ADMIN_TOKEN, "98-7654321", "987654321"):
        assert secret not in output


def test_redaction_net() -> None:
    redact = Redactor(["s3cret-database-password"])
    line = (
        "key QBWC-7KQ2-M4XA-ABCD-EFGH-JKLM-NPQR-STUV-WXYZ ticket "
        "abcdefghijABCDEFGHIJ0123456789_-abcdefghijk ssn 123-45-6789 ein 12-3456789 "
        "password s3cret-database-password <VendorTaxIdent>12-3456789</VendorTaxIdent>"
    )
    masked = redact(line)
    for secret in ("QBWC-7KQ2", "abcdefghijABCDEFGHIJ", "123-45-6789", "12-3456789", "s3cret"):
        assert secret not in masked
    qbxml = (
        "<VendorRet><Name>A</Name><AccountNumber>ACC-991</AccountNumber>"
        '<VendorTaxIdent attr="1">123456789</VendorTaxIdent><SSN/><RoutingNumber>021000021'
        "</RoutingNumber><CreditCardNumber>4111111111111111</CreditCardNumber></VendorRet>"
    )
    cleaned = redact_qbxml(qbxml)
    for secret in ("ACC-991", "123456789", "021000021", "4111111111111111"):
        assert secret not in cleaned
    assert "<Name>A</Name>" in cleaned and "<SSN/>" in cleaned
    assert cleaned.count("[redacted]") == 4


def test_generated_request_ids_are_unique_hex_and_each_worker_has_its_own() -> None:
    """Ids are this process's random half and a count: 32 hex digits, never repeated; a forked
    worker draws a new half, so two workers of one master never hand out the same id."""
    ids = [context.new_request_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and all(c in "0123456789abcdef" for c in i) for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its first id and leave without running anything else
        os.write(write, context.new_request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    parent = context.new_request_id()
    assert len(child) == 32 and child[:16] != parent[:16]
    assert child not in ids


def test_the_access_line_comes_when_the_server_closes_the_body_even_if_its_close_fails() -> None:
    from qbwc_server.observability.http_logging import AfterClose

    done: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield from (b"a", b"b")

        def close(self) -> None:
            done.append("body")
            raise RuntimeError("the body's close failed")

    wrapped = AfterClose(Body(), lambda: done.append("finished"))
    assert b"".join(wrapped) == b"ab" and done == []
    with pytest.raises(RuntimeError):
        wrapped.close()
    assert done == ["body", "finished"]
    plain = AfterClose([b"x"], lambda: done.append("plain"))  # a body without close()
    assert list(plain) == [b"x"]
    plain.close()
    assert done[-1] == "plain"


def _access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(raw) for raw in stream.getvalue().splitlines() if raw.strip()]
    return [line for line in lines if line.get("logger") == "qbwc.access"]


def _empty_session(server: Any, company: dict[str, Any], key: str | None = None) -> list[str]:
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.server_version()
    assert wc.client_version("2.3.0.215") == ""
    answer = wc.authenticate(company["username"], key or company["connector_key"])
    if answer[1] == "none":
        assert wc.close() == "Nothing to do right now."
    return list(answer)


def test_an_idle_poll_writes_its_access_lines_at_debug_only(
    server_factory: Any, database_url: str, text_log: io.StringIO
) -> None:
    """A Web Connector that finds nothing to do every few minutes, times thousands: at INFO its
    four calls write no line (the metrics count them; the status shows the contact); at DEBUG
    each has its line, marked ``idle_poll``. A refused key is worth its line at INFO."""
    server = server_factory(QBWC_AUDIT="off")
    configure_logging(make_settings(database_url, 80, QBWC_LOG_FORMAT="json"), text_log)
    company = synced_company(server)
    for _ in range(100):  # the first sync's last line, written after its response left
        if any(line.get("method") == "closeConnection" for line in _access_lines(text_log)):
            break
        time.sleep(0.02)
    text_log.seek(0)
    text_log.truncate()
    assert _empty_session(server, company)[1] == "none"
    wrong = "QBWC-AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"
    assert _empty_session(server, company, key=wrong)[1] == "nvu"
    for _ in range(100):  # the refused login's line, written after its response left
        if _access_lines(text_log):
            break
        time.sleep(0.02)
    time.sleep(0.1)  # and any late line of the idle poll before it
    refused = _access_lines(text_log)
    assert [(line["method"], line["level"]) for line in refused] == [("authenticate", "INFO")]
    assert "idle_poll" not in refused[0]

    text_log.seek(0)
    text_log.truncate()
    debug = make_settings(database_url, 80, QBWC_LOG_FORMAT="json", QBWC_LOG_LEVEL="DEBUG")
    configure_logging(debug, text_log)
    assert _empty_session(server, company)[1] == "none"
    lines: list[dict[str, Any]] = []
    for _ in range(100):  # a line is written once its response has left: after the client read it
        lines = [line for line in _access_lines(text_log) if line.get("path") == "/qbwc"]
        if len(lines) >= 4:
            break
        time.sleep(0.02)
    assert [line["method"] for line in lines] == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "closeConnection",
    ]
    assert all(line["level"] == "DEBUG" and line["idle_poll"] is True for line in lines)

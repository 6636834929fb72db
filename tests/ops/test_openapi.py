"""Issue 12 item 5: ``GET /api/openapi.json`` describes every /api route, and the live server
(the real WSGI app over HTTP, with seeded data) answers as it says: schemathesis sends generated
requests to every operation — no 5xx, every status, content type and body conforms."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from qbwc_server.api.openapi.document import document, undocumented_routes
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.foundation.helpers import api
from tests.writeback.support import active_vendor, make_bench


def test_every_api_route_is_documented(live_server: Any) -> None:
    missing, stale = undocumented_routes(live_server.app.url_map)
    assert not missing, (
        f"routes without an OpenAPI operation: {missing} — add them to the PATHS of "
        "qbwc_server/api/openapi/<module>.py"
    )
    assert not stale, f"documented operations without a route: {stale}"


def test_the_document_is_served_and_is_openapi_3_1(live_server: Any) -> None:
    status, body, headers = api(live_server.url, "GET", "/api/openapi.json", token=None)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body["openapi"] == "3.1.0" and body == json_roundtrip(document())
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            assert operation["operationId"] and operation["summary"], (method, path)
            assert operation["responses"], (method, path)
            if path != "/api/openapi.json":
                assert "401" in operation["responses"], (method, path)
    error = body["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["message", "status"]


def json_roundtrip(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value))


@pytest.fixture
def seeded_server(db: Any, database_url: str) -> Any:
    """A live server with a company holding synced records, an operation and a session."""
    server = LiveServer(db, database_url)
    bench = make_bench(db, database_url, app=server.app)
    vendor = active_vendor(bench)
    bench.queue(
        "vendor.update", {"vendor": {"list_id": vendor["ListID"]}, "email": "ap@example.com"}
    )
    bench.settle()  # a QBWC session, a done operation, a stored vendor
    queued = bench.queue("vendor.create", {"name": "Still Queued Vendor"})
    server.seeded = {"company_id": bench.company_id, "op_id": queued["id"]}  # type: ignore[attr-defined]
    yield server
    server.close()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_live_api_conforms_to_its_document(seeded_server: Any) -> None:
    """Every operation of the document, examples generated from its schemas (hypothesis),
    sent to the live server; each response checked against the document."""
    seeded = seeded_server.seeded
    schema = schemathesis.openapi.from_url(seeded_server.url + "/api/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document's every operation loads
        operations.append(result.ok())
    documented = {f"{m.upper()} {p}" for p, ms in document()["paths"].items() for m in ms}
    assert documented - {op.label for op in operations} <= {"GET /api/openapi.json"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            case.call_and_validate(headers=headers, checks=CHECKS)
            # Generated ids rarely name an existing company: the same request once more with
            # the seeded company (and operation), so the answers about real data are checked.
            params = case.path_parameters or {}
            if "company_id" in params:
                params.update({k: v for k, v in seeded.items() if k in params})
                case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()


def test_the_readme_client_example_runs(seeded_server: Any, tmp_path: Any) -> None:
    """The typed httpx call in the README, run as written against the live server."""
    import re
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("A typed client call with `httpx`", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    script = tmp_path / "client.py"
    script.write_text(code.group(1))
    done = subprocess.run(
        [sys.executable, str(script)],
        env={"QBWC_URL": seeded_server.url, "QBWC_ADMIN_TOKEN": ADMIN_TOKEN, "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    company_id = seeded_server.seeded["company_id"]
    line = next(x for x in done.stdout.splitlines() if x.startswith(f"{company_id} "))
    assert line.endswith(" vendors") and int(line.split()[-2]) > 10
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert mypy.returncode == 0, mypy.stdout  # "typed": it passes mypy --strict

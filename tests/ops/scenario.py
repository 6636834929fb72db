"""One full run against a real ``qbwc-server serve`` (gunicorn, two workers, JSON logs): a Web
Connector with a wrong Connector Key, a complete initial sync, and a write-back of a vendor
with a tax id — driven by the simulator's Web Connector and QuickBooks over HTTP. Several test
modules assert on what one run left behind: metrics, log lines, audit trail, absence of secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from models import Ticket
from qbwc_server.services.connector_keys import generate_key
from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.webconnector import WebConnector
from tests.conftest import ADMIN_TOKEN
from tests.ops.served import ServedProcess, http_get
from tests.sync.helpers import SMALL_PAGES, Api, generate_current, make_rig

METRICS_TOKEN = "metrics-token-0123456789abcdef"
TAX_ID = "12-3456789"
PROXY_REQUEST_ID = "edge-7f3a9c41-req"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, token: str = METRICS_TOKEN) -> Samples:
    status, body, _ = http_get(url + "/metrics", token)
    assert status == 200, body[:300]
    out: Samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


@dataclass
class Run:
    server_output: str
    before: Samples
    during: Samples
    after: Samples
    company_id: int
    connector_key: str
    wrong_key: str
    tickets: list[str]
    operation: dict[str, Any]
    soap_calls: int
    proxied_headers: Any
    secrets: list[str] = field(default_factory=list)


def run_scenario(db: Any, database_url: str, tmp: Path, env: dict[str, str], schema: Any) -> Run:
    server = ServedProcess(
        database_url,
        tmp / "server.log",
        workers=2,
        env={
            "QBWC_LOG_FORMAT": "json",
            "QBWC_METRICS_TOKEN": METRICS_TOKEN,
            # Small pages: the tiny company's first sync spans many calls (its streams'
            # opening looks share one message set).
            **{name: str(size) for name, size in SMALL_PAGES.items()},
            **env,
        },
    )
    try:
        before = scrape(server.url)
        api = Api(base_url=server.url)
        qb = FakeQuickBooks(generate_current("tiny", seed=3))
        rig = make_rig(app=None, api=api, qb=qb, schema=schema, qbwc_url=server.qbwc_url)  # type: ignore[arg-type]

        wrong_key = generate_key()
        intruder = WebConnector.from_qwc(rig.qwc, wrong_key, qb, url=server.qbwc_url)
        refused = intruder.run_session()
        assert refused.outcome == Outcome.NVU

        first = rig.run_session()
        during = scrape(server.url)
        status, op = api.request(
            "POST",
            f"/api/companies/{rig.company_id}/operations",
            {
                "type": "vendor.create",
                "idempotency_key": "ops-tax-id-vendor",
                "payload": {"name": "Ops Tax Vendor", "tax_id": TAX_ID, "is_1099": True},
            },
        )
        assert status == 201, op
        second = rig.run_session()
        status, done = api.request("GET", f"/api/companies/{rig.company_id}/operations/{op['id']}")
        assert status == 200 and done["state"] == "done", done
        after = scrape(server.url)

        # The request id a proxy sets comes back (and is what the access line carries).
        _, _, proxied_headers = http_get(
            server.url + "/api/companies", ADMIN_TOKEN, headers={"X-Request-ID": PROXY_REQUEST_ID}
        )
        with db.transaction() as s:
            tickets = list(s.scalars(select(Ticket.ticket)))
        calls = sum(len(r.calls) for r in (refused, first, second))
    finally:
        server.stop()
    return Run(
        server_output=server.output(),
        before=before,
        during=during,
        after=after,
        company_id=rig.company_id,
        connector_key=rig.connector_key,
        wrong_key=wrong_key,
        tickets=tickets,
        operation=done,
        soap_calls=calls,
        proxied_headers=proxied_headers,
    )

"""``GET /metrics``: the Prometheus text exposition, behind a bearer token.

``QBWC_METRICS_TOKEN`` lets a scraper in without the admin token; the admin token is always
accepted too. With neither configured the endpoint is off (401 saying how to turn it on): the
numbers say how many companies there are and how busy the server is.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from models import Operation
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.observability import multiproc
from qbwc_server.runtime import Runtime
from qbwc_server.services.company_states import COMPANY_STATES, count_by_state

log = logging.getLogger(__name__)

OPERATION_STATES = ("queued", "sent", "done", "failed", "needs_attention", "cancelled")


def _token_ok(request: Request, tokens: list[str]) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    presented = given.strip().encode()
    # Compare with every configured token (constant time each), so timing tells nothing.
    matches = [hmac.compare_digest(presented, token.encode()) for token in tokens]
    return any(matches)


def metrics_response(rt: Runtime, request: Request) -> Response:
    tokens = [t for t in (rt.settings.metrics_token, rt.settings.admin_token) if t]
    if not tokens:
        return Response(
            "metrics are disabled: set QBWC_METRICS_TOKEN (or QBWC_ADMIN_TOKEN)\n",
            status=401,
            mimetype="text/plain",
        )
    if not _token_ok(request, tokens):
        return Response(
            "missing or wrong token (Authorization: Bearer $QBWC_METRICS_TOKEN)\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = exposition(rt.db, rt.settings)
    return Response(body, status=200, headers={"Content-Type": content_type})


class DatabaseGauges(Collector):
    """Gauges read from the database when scraped: operations and companies by state."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "qbwc_database_up", "1 when the scrape could read the database, else 0"
        )
        started = time.monotonic()
        try:
            with self.db.transaction() as session:
                ops = dict(
                    session.execute(
                        select(Operation.state, func.count()).group_by(Operation.state)
                    ).all()
                )
                companies = count_by_state(session, self.settings)
        except Exception as exc:
            log.warning("metrics: database gauges unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _by_state("qbwc_operations", "Write-back operations by state", OPERATION_STATES, ops)
        yield _by_state(
            "qbwc_companies",
            "Companies by status state (the company profile)",
            COMPANY_STATES,
            companies,
        )
        scrape = GaugeMetricFamily(
            "qbwc_database_gauges_seconds", "Time the scrape spent reading the database gauges"
        )
        scrape.add_metric([], time.monotonic() - started)
        yield scrape


def _by_state(
    name: str, doc: str, states: Iterable[str], counts: dict[str, int]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["state"])
    known = list(states)
    for state in known + sorted(set(counts) - set(known)):
        family.add_metric([state], int(counts.get(state, 0)))
    return family


def exposition(db: Database, settings: Settings) -> tuple[bytes, str]:
    """The text exposition: every process's counters plus the database gauges."""
    if multiproc.enabled():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    gauges = CollectorRegistry()
    gauges.register(DatabaseGauges(db, settings))
    return body + generate_latest(gauges), CONTENT_TYPE_LATEST

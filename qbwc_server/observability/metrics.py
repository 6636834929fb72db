"""The Prometheus metrics of the server and their exposition at ``GET /metrics``.

Names are a contract (issue 12): ``qbwc_soap_requests_total{method,outcome}``,
``qbwc_soap_request_seconds{method}``, ``qbwc_sessions_total{outcome}``,
``qbwc_records_stored_total{type}``, ``qbwc_operations{state}``, ``qbwc_companies{state}``,
``qbwc_qbxml_errors_total{code}``, ``qbwc_db_pool_connections{state}``. Label values come from
small closed sets; a company id never becomes a label value (one series per company would not
scale to thousands of companies).

Counters and histograms are per process (files in ``PROMETHEUS_MULTIPROC_DIR`` under gunicorn,
added up at scrape time). The gauges of operations and companies are read from the database at
scrape time instead: the database is the one place that knows them for every replica.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func, select

from models import Operation
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.observability import multiproc
from qbwc_server.services.company_states import COMPANY_STATES, company_state_counts

log = logging.getLogger(__name__)

SOAP_METHODS = frozenset(
    {
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
        "getInteractiveURL",
        "interactiveDone",
        "interactiveRejected",
    }
)
UNKNOWN_METHOD = "unknown"  # a request refused before its method was read (size, DTD)
OPERATION_STATES = ("queued", "sent", "done", "failed", "needs_attention", "cancelled")

# A SOAP call takes milliseconds (getLastError) to minutes (ingesting a multi-MB page on a slow
# database); QBWC itself gives up after its own timeout, so the buckets reach 5 minutes.
SOAP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

SOAP_REQUESTS = Counter(
    "qbwc_soap_requests",
    "QBWC SOAP calls by method and outcome (ok; error: answered with the safe fallback after an "
    "internal error; rejected: refused before the method ran, e.g. body too large)",
    ["method", "outcome"],
)
SOAP_SECONDS = Histogram(
    "qbwc_soap_request_seconds",
    "Time to answer a QBWC SOAP call, by method",
    ["method"],
    buckets=SOAP_BUCKETS,
)
SESSIONS = Counter(
    "qbwc_sessions",
    "QBWC sessions ended, by outcome (completed, none, nvu, throttled, busy, wrong_file, "
    "connection_error, error, incomplete)",
    ["outcome"],
)
RECORDS_STORED = Counter(
    "qbwc_records_stored",
    "Synced QuickBooks records inserted or changed, by record type",
    ["type"],
)
QBXML_ERRORS = Counter(
    "qbwc_qbxml_errors",
    "Errors QuickBooks answered: qbXML status codes with severity Error, and HRESULTs "
    "(codes outside the known catalogs are counted as 'other')",
    ["code"],
)
DB_POOL = Gauge(
    "qbwc_db_pool_connections",
    "Database connections of the server processes' pools: in_use (checked out) and idle",
    ["state"],
    multiprocess_mode="livesum",
)


def soap_method_label(name: str | None) -> str:
    return name if name in SOAP_METHODS else UNKNOWN_METHOD


def observe_soap_call(method: str, outcome: str, seconds: float) -> None:
    label = soap_method_label(method)
    SOAP_REQUESTS.labels(method=label, outcome=outcome).inc()
    SOAP_SECONDS.labels(method=label).observe(seconds)


def instrument_pool(engine: Engine) -> None:
    """Keep ``qbwc_db_pool_connections`` current from the pool's own events."""
    pool = engine.pool
    if not hasattr(pool, "checkedout") or not hasattr(pool, "checkedin"):
        return  # NullPool/StaticPool: nothing pooled to report
    if getattr(pool, "_qbwc_instrumented", False):
        return  # another app on the same Database (tests): one set of listeners is enough
    pool._qbwc_instrumented = True  # type: ignore[attr-defined]

    def update(*_args: Any) -> None:
        DB_POOL.labels(state="in_use").set(pool.checkedout())  # type: ignore[attr-defined]
        DB_POOL.labels(state="idle").set(pool.checkedin())  # type: ignore[attr-defined]

    for name in ("connect", "checkout", "checkin", "close", "invalidate"):
        event.listen(pool, name, update)
    update()


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
                companies = company_state_counts(session, self.settings)
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

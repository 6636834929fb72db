"""The Prometheus metrics of the server and their exposition at ``GET /metrics``.

Names are a contract (issue 12): ``qbwc_soap_requests_total{method,outcome}``,
``qbwc_soap_request_seconds{method}``, ``qbwc_sessions_total{outcome}``,
``qbwc_records_stored_total{type}``, ``qbwc_operations{state}``, ``qbwc_companies{state}``,
``qbwc_qbxml_errors_total{code}``, ``qbwc_db_pool_connections{state}``. Label values come from
small closed sets; a company id never becomes a label value (one series per company would not
scale to thousands of companies).

Counters and histograms are per process (files in ``PROMETHEUS_MULTIPROC_DIR`` under gunicorn,
added up at scrape time). The gauges of operations and companies are read from the database at
scrape time instead (api/metrics_endpoint.py): the database is the one place that knows them for
every replica.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine, event

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
EVENT_LOOP_READS = Counter(
    "qbwc_event_loop_reads",
    "authenticate reads tried on a serving worker's event loop (loop_reads.py), by outcome: "
    "answered there; needs_thread (a write to make: sent to a request thread); failed (an "
    "error or the deadline: sent to a thread, the loop's reads paused); unavailable (no "
    "connection ready: sent to a thread)",
    ["outcome"],
)
DB_POOL = Gauge(
    "qbwc_db_pool_connections",
    "Database connections of the server processes' pools: in_use (checked out) and idle",
    ["state"],
    multiprocess_mode="livesum",
)


def soap_method_label(name: str | None) -> str:
    return name if name in SOAP_METHODS else UNKNOWN_METHOD


_SOAP_CHILDREN: dict[tuple[str, str], tuple[Any, Any]] = {}


def observe_soap_call(method: str, outcome: str, seconds: float) -> None:
    key = (soap_method_label(method), outcome)
    children = _SOAP_CHILDREN.get(key)
    if children is None:  # the labelled series once per (method, outcome): a few dozen
        children = (
            SOAP_REQUESTS.labels(method=key[0], outcome=outcome),
            SOAP_SECONDS.labels(method=key[0]),
        )
        _SOAP_CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


def count_loop_read(result: str) -> None:
    """``qbwc_event_loop_reads_total{outcome=result}``: what became of one authenticate tried
    on a worker's event loop (loop_reads.py)."""
    EVENT_LOOP_READS.labels(outcome=result).inc()


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

"""Shared machinery of the sync acceptance tests (issue 4, issue 3 "simulate against our server").

A :class:`Rig` is one company on the real server (created through the API, its .qwc downloaded
and read the way the Web Connector reads it), a fake QuickBooks company file and the fake Web
Connector that drives the server, either over real HTTP (a ``LiveServer``) or in-process
(``WsgiTransport``: same bytes, no socket). Every session a rig runs is checked for the
properties that must hold in *every* test: each request validates against the qbXML XSD of its
declared version, QuickBooks never answered 0x80040400, and the progress values are monotonic,
below 100 until the last one and exactly 100 at the end of a completed session.

``compare_all`` reads every record back through the read API and compares it with what
QuickBooks holds (``tests/sync/expected.py``); the rework helpers count what QuickBooks had to
return twice.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from lxml import etree
from sqlalchemy import DateTime, and_, select, update
from werkzeug.test import Client

from models import Base, Company
from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks, LocalZone
from qbwc_server.sim.qwc import QwcInfo, parse_qwc
from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.scheduler import BetweenSessions, Scheduler
from qbwc_server.sim.soap_client import Transport
from qbwc_server.sim.transport_faults import TransportFaults
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport
from tests.conftest import ADMIN_TOKEN
from tests.foundation.helpers import api as http_api
from tests.sync.expected import (
    ALL_STREAMS,
    TXN_STREAMS,
    expected_list_view,
    expected_qb,
    expected_txn_view,
    fake_records,
)

WsgiApp = Callable[..., Any]
SchemaGetter = Callable[[str], Any]  # tests.schema_check.SchemaCheck by version

# Small pages and windows so a tiny company spans many pages and windows (README "Sync tuning").
SMALL_PAGES: dict[str, int] = {
    "QBWC_LIST_PAGE_SIZE": 7,
    "QBWC_TXN_PAGE_SIZE": 5,
    "QBWC_WINDOW_TARGET": 20,
}
PROFILE_YEARS = {"tiny": 2, "small": 3, "large": 5}
INVALID_REQUEST = "0x80040400"  # §5: the request does not validate; QuickBooks says no more

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_QBXML_PI = re.compile(r"""<\?qbxml\s+version\s*=\s*["']([^"']+)["']\s*\?>""")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


# --- the read API ------------------------------------------------------------------------------


class Api:
    """The JSON API of one app: over HTTP (``base_url``) or in-process (werkzeug test client)."""

    def __init__(self, *, app: WsgiApp | None = None, base_url: str | None = None) -> None:
        assert (app is None) != (base_url is None)
        self.base_url = base_url
        self._client = Client(app) if app is not None else None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if self.base_url is not None:
            status, parsed, _ = http_api(self.base_url, method, path, body)
            return status, parsed
        assert self._client is not None
        response = self._client.open(
            path,
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        if "json" in (response.content_type or ""):
            return response.status_code, response.get_json()
        return response.status_code, response.get_data(as_text=True)

    def get(self, path: str, **params: Any) -> Any:
        if params:
            path += "?" + urllib.parse.urlencode(params)
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body


def read_records(
    api: Api, company_id: int, type_name: str, *, include_deleted: bool = False, limit: int = 37
) -> list[dict[str, Any]]:
    """Every record of one type through ``GET .../records/{type}``, following next_cursor.

    A limit that divides nothing evenly makes page boundaries fall everywhere; the walk must
    neither repeat nor skip a record.
    """
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    if include_deleted:
        params["include_deleted"] = "true"
    for _ in range(10_000):
        page = api.get(f"/api/companies/{company_id}/records/{type_name}", **params)
        out.extend(page["data"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    id_key = "txn_id" if type_name in TXN_STREAMS else "list_id"
    ids = [r[id_key] for r in out]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"{type_name}: the read API returned ids twice: {duplicates[:5]}"
    return out


def read_changes(api: Api, company_id: int, since: str = "") -> tuple[list[dict[str, Any]], str]:
    """The change feed from ``since`` to its current end; returns (changes, next cursor)."""
    out: list[dict[str, Any]] = []
    cursor = since
    for _ in range(10_000):
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["since"] = cursor
        page = api.get(f"/api/companies/{company_id}/changes", **params)
        out.extend(page["data"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    return out, cursor


def feed_position(api: Api, company_id: int) -> str:
    return str(api.get(f"/api/companies/{company_id}/changes", since="latest")["next_cursor"])


def streams_by_name(api: Api, company_id: int) -> dict[str, dict[str, Any]]:
    view = api.get(f"/api/companies/{company_id}")
    return {s["name"]: s for s in view["streams"]}


# --- fake QuickBooks companies in step with the server's clock --------------------------------


def qb_local_now(zone: LocalZone | None = None) -> datetime:
    """The wall-clock time of a QuickBooks machine in ``zone`` right now (whole seconds).

    The server may reason about "now" with its own clock (f3f98a9 started the first
    incremental pass at the earliest local time anywhere when the initial pass began), so a
    fake company file whose clock were years behind the real one would be a PC with a wrong
    date (test_changes.py covers that case on purpose).
    """
    zone = zone or LocalZone()
    utc = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    wall = utc + zone.standard_offset()
    return wall + timedelta(hours=1) if zone.is_dst(wall) else wall


def generate_current(
    profile: str = "tiny",
    *,
    seed: int = 1,
    quiet: timedelta = timedelta(days=1),
    now: datetime | None = None,
    **options: Any,
) -> CompanyFile:
    """A generated company whose history ends ``quiet`` before ``now`` (default: the real
    present) and whose clock stands at ``now``: nothing was modified in the last ``quiet``."""
    now = now or qb_local_now()
    end = now - quiet
    start = end - timedelta(days=365 * PROFILE_YEARS[profile])
    company = CompanyFile.generate(seed=seed, profile=profile, start=start, **options)
    company.clock.set(now)
    return company


def first_txn_date(company: CompanyFile) -> str:
    """The TxnDate of the company's oldest transaction: as a look-back date it keeps the whole
    history without the empty windows before it (cheaper than "all" in a test)."""
    return min(str(r["TxnDate"]) for s in TXN_STREAMS for _t, r in fake_records(company, s))


# --- one company, its fake QuickBooks and Web Connector ----------------------------------------


@dataclass
class Rig:
    api: Api
    company_id: int
    connector_key: str
    qwc: QwcInfo
    qb: FakeQuickBooks
    wc: WebConnector
    schema: SchemaGetter | None  # None: requests are not validated (bench and chaos rigs)
    reports: list[SessionReport] = field(default_factory=list)
    validated_requests: int = 0
    qbxml_major: int = 16  # of the last session that negotiated a version

    @property
    def company(self) -> CompanyFile:
        return self.qb.company

    # -- sessions --------------------------------------------------------------------------
    def run_session(self, *, expect: Outcome | None = Outcome.COMPLETED) -> SessionReport:
        report = self.wc.run_session()
        self.check(report)
        if expect is not None:
            assert report.outcome == expect, (report.outcome, report.errors[:3])
            if expect == Outcome.COMPLETED:
                assert report.ok, report.errors[:3]
        return report

    def run_scheduled(
        self, sessions: int, between: BetweenSessions, interval_seconds: float = 900
    ) -> list[SessionReport]:
        """Sessions on the QBWC schedule in simulated time; the scheduler advances the company
        clock between them, ``between`` runs after each (changes made in QuickBooks)."""
        scheduler = Scheduler(self.wc, interval_seconds, between_sessions=between)
        summary = scheduler.run(sessions=sessions)
        for report in summary.sessions:
            self.check(report)
        return summary.sessions

    def check(self, report: SessionReport) -> None:
        """What must hold for every session of every test (acceptance items 6 and 7)."""
        self.reports.append(report)
        if report.requests:  # the version the server chose, as declared in its requests
            self.qbxml_major = int(declared_version(report.requests[-1]).split(".")[0])
        self.validated_requests += check_requests(report, self.schema)
        check_progress(report)

    # -- data ------------------------------------------------------------------------------
    def records(self, type_name: str, **kwargs: Any) -> list[dict[str, Any]]:
        return read_records(self.api, self.company_id, type_name, **kwargs)

    def streams(self) -> dict[str, dict[str, Any]]:
        return streams_by_name(self.api, self.company_id)


def make_rig(
    *,
    app: WsgiApp,
    api: Api,
    qb: FakeQuickBooks,
    schema: SchemaGetter | None,
    history_start: str = "all",
    qbwc_url: str | None = None,
    name: str = "Acme Supplies",
    transport_faults: TransportFaults | None = None,
    transport: Transport | None = None,
    keep_responses: bool = False,
    confirm_binding: bool = False,
) -> Rig:
    """Create the company through the API, read its .qwc and point a Web Connector at the server
    (over HTTP at ``qbwc_url``, through ``transport`` when given, or in-process).
    ``confirm_binding``: the first contact waits for Begin Sync (the API's default); the sync
    tests bind at first contact, as integrations that want it do."""
    status, created = api.request(
        "POST",
        "/api/companies",
        {
            "name": name,
            "history_start": history_start,
            "sync_interval_minutes": 0,
            "confirm_binding": confirm_binding,
        },
    )
    assert status == 201, created
    company_id = int(created["id"])
    status, qwc_text = api.request("GET", f"/api/companies/{company_id}/qwc")
    assert status == 200, qwc_text
    qwc = parse_qwc(qwc_text.encode("utf-8"))
    wc = WebConnector.from_qwc(
        qwc,
        created["connector_key"],
        qb,
        url=qbwc_url or qwc.app_url,
        transport=transport or (None if qbwc_url else WsgiTransport(app)),
        keep_requests=True,
        keep_responses=keep_responses,
        transport_faults=transport_faults,
    )
    return Rig(api, company_id, created["connector_key"], qwc, qb, wc, schema)


class MovableHttp:
    """An HTTP transport whose target port can change between two SOAP calls: the Web
    Connector keeps its session while the server behind the address is replaced."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()


# --- per-session checks --------------------------------------------------------------------------


def declared_version(request_xml: str) -> str:
    match = _QBXML_PI.search(request_xml)
    assert match is not None, f"request without <?qbxml version?>: {request_xml[:200]}"
    return match.group(1)


def check_requests(report: SessionReport, schema: SchemaGetter | None) -> int:
    """Every request validates against the schema of its declared version (when a rig has
    one: the suite's always do); none was refused."""
    refused = [h for h in report.hresults if INVALID_REQUEST in h.lower()]
    assert not refused, f"session {report.index}: QuickBooks refused requests: {refused[:3]}"
    if schema is None:
        return 0
    for request in report.requests:
        version = declared_version(request)
        root = etree.fromstring(_XML_DECL.sub("", request, count=1).encode("utf-8"), _PARSER)
        xsd = schema(version)
        assert xsd.validate(root), (
            f"session {report.index}: request does not validate against qbXML {version}: "
            f"{xsd.error_log}\n{request[:600]}"
        )
    return len(report.requests)


def check_progress(report: SessionReport) -> None:
    """§3.5: monotonic within a session, below 100 until the last answer, exactly 100 at the
    end of a completed session (a dropped session may stop anywhere below 100)."""
    values = report.progress
    if values and values[-1] < 0:
        # A negative answer ends the session with a message a person must see (§3.5): only
        # last, only as the error the Web Connector then shows.
        assert report.outcome == Outcome.SERVER_ERROR and report.errors, report.outcome
        values = values[:-1]
    assert values == sorted(values), f"session {report.index}: progress went back: {values}"
    assert all(0 <= v <= 100 for v in values), f"session {report.index}: {values}"
    assert all(v < 100 for v in values[:-1]), f"session {report.index}: 100 too early: {values}"
    if report.outcome == Outcome.COMPLETED and report.requests_processed:
        assert values and values[-1] == 100, f"session {report.index}: ended at {values[-1:]}"
    elif values and report.outcome != Outcome.COMPLETED:
        assert values[-1] < 100 or report.transport_faults, (report.outcome, values)


# --- leases between dropped sessions -------------------------------------------------------------


def lapse_lease(db: Any, company_id: int) -> None:
    """Let the sync lease of a dropped session run out, as it does in reality long before the
    next scheduled run (QBWC_SYNC_LEASE_SECONDS is minutes; the schedule is 15 minutes)."""
    with db.engine.begin() as conn:
        conn.execute(
            update(Company)
            .where(Company.id == company_id)
            .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def age_server_state(db: Any, company_id: int, delta: timedelta) -> int:
    """Make ``delta`` pass on the server's clock for one company: every instant the server
    recorded about it (cursors, sessions, leases, sync times...) moves ``delta`` into the past.
    The server reads its own clock for "how long since", so this is how a test lets months go
    by. The synced data (``qb_*`` tables: QuickBooks' own timestamps and when rows were
    written) is left alone. Returns the number of values moved."""
    moved = 0
    with db.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            # Plain DateTime columns and type decorators over one (UTCDateTime).
            stamps = [
                c for c in table.columns if isinstance(getattr(c.type, "impl", c.type), DateTime)
            ]
            if not stamps or table.name.startswith("qb_"):
                continue
            if "company_id" in table.c:
                scope = table.c.company_id == company_id
            elif table.name == "companies":
                scope = table.c.id == company_id
            else:
                continue
            keys = list(table.primary_key.columns)
            for row in conn.execute(select(*keys, *stamps).where(scope)).mappings().all():
                values = {c.name: row[c.name] - delta for c in stamps if row[c.name] is not None}
                if values:
                    moved += len(values)
                    match = and_(*(k == row[k.name] for k in keys))
                    conn.execute(table.update().where(match).values(**values))
    return moved


_DECIMAL_FIELDS = frozenset(
    {"amount", "balance", "balance_remaining", "discount_amount", "exchange_rate"}
)


def _normalize_view(value: Any, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {k: _normalize_view(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_view(v, key) for v in value]
    if key in _DECIMAL_FIELDS and value is not None:
        return Decimal(str(value))
    return value


def _project(stored: Mapping[str, Any], expected: Mapping[str, Any]) -> dict[str, Any]:
    """The stored record restricted to the expected keys (nested for lines and links)."""
    out: dict[str, Any] = {}
    for key, want in expected.items():
        got = stored.get(key, "<missing>")
        if isinstance(want, list) and isinstance(got, list):
            out[key] = [
                _project(g, w) if isinstance(g, Mapping) and isinstance(w, Mapping) else g
                for g, w in zip(got, want, strict=False)
            ] + got[len(want) :]
        else:
            out[key] = got
    return _normalize_view(out)


@dataclass
class Comparison:
    """Differences between the server's records and QuickBooks' data, per stream."""

    problems: list[str] = field(default_factory=list)
    compared: dict[str, int] = field(default_factory=dict)

    def add(self, text: str) -> None:
        self.problems.append(text)

    def assert_equal(self) -> None:
        shown = "\n".join(self.problems[:25])
        more = f"\n... {len(self.problems) - 25} more" if len(self.problems) > 25 else ""
        assert not self.problems, f"{len(self.problems)} difference(s):\n{shown}{more}"


def compare_stream(
    rig: Rig,
    stream: str,
    *,
    txn_date_from: str | None = None,
    out: Comparison,
) -> None:
    company = rig.company
    multicurrency = company.preferences.multicurrency
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    for qb_type, record in fake_records(company, stream):
        if txn_date_from and stream in TXN_STREAMS and str(record["TxnDate"]) < txn_date_from:
            continue
        object_id = record.get("TxnID") or record["ListID"]
        wanted[str(object_id)] = (qb_type, record)
    stored = rig.records(stream)
    id_key = "txn_id" if stream in TXN_STREAMS else "list_id"
    have = {r[id_key]: r for r in stored}
    out.compared[stream] = len(wanted)
    for missing in sorted(set(wanted) - set(have))[:5]:
        out.add(f"{stream} {missing}: in QuickBooks, not on the server")
    for extra in sorted(set(have) - set(wanted))[:5]:
        scope = f" (look-back {txn_date_from})" if txn_date_from else ""
        out.add(f"{stream} {extra}: on the server, not in QuickBooks{scope}")
    for object_id in sorted(set(wanted) & set(have)):
        qb_type, record = wanted[object_id]
        got = have[object_id]
        spec = TXN_STREAMS.get(stream)
        view = (
            expected_txn_view(spec, record, multicurrency)
            if spec is not None
            else expected_list_view(stream, qb_type, record)
        )
        want_qb = expected_qb(company, stream, record, qb_type, rig.qbxml_major)
        got_qb = dict(got.get("qb") or {})
        want_view = _normalize_view(view)
        got_view = _project(got, want_view)
        if got_view != want_view:
            keys = [k for k in want_view if got_view.get(k) != want_view[k]]
            out.add(
                f"{stream} {object_id}: "
                + "; ".join(f"{k}: server {got_view.get(k)!r} != QB {want_view[k]!r}" for k in keys)
            )
        if got_qb != want_qb:
            keys = sorted(k for k in set(got_qb) | set(want_qb) if got_qb.get(k) != want_qb.get(k))
            out.add(f"{stream} {object_id}: qb dict differs in {keys}")
        if got.get("is_deleted"):
            out.add(f"{stream} {object_id}: marked deleted but present in QuickBooks")


def compare_all(
    rig: Rig,
    streams: Iterable[str] = ALL_STREAMS,
    *,
    txn_date_from: str | None = None,
) -> Comparison:
    """Server vs QuickBooks for every stream, vendors' Balance included (sync/balances.py)."""
    out = Comparison()
    for stream in streams:
        compare_stream(rig, stream, txn_date_from=txn_date_from, out=out)
    return out


# --- rework ---------------------------------------------------------------------------------------


def fetched_ids(report: SessionReport) -> list[str]:
    """ListID/TxnID of every data record QuickBooks returned in a session, in order (needs
    ``keep_responses``); deletion lists are not data records."""
    out: list[str] = []
    for response in report.responses:
        root = etree.fromstring(_XML_DECL.sub("", response, count=1).encode("utf-8"), _PARSER)
        for rs in root.iterfind("QBXMLMsgsRs/*"):
            for ret in rs:
                if not isinstance(ret.tag, str) or ret.tag in ("ListDeletedRet", "TxnDeletedRet"):
                    continue
                object_id = ret.findtext("TxnID") or ret.findtext("ListID")
                if object_id:
                    out.append(object_id)
    return out


def rework_per_session(reports: Iterable[SessionReport]) -> list[int]:
    """Per session, the records it fetched that had been fetched before (in an earlier session
    or earlier in the same one): the work a dropped session made QuickBooks do again."""
    seen: set[str] = set()
    out: list[int] = []
    for report in reports:
        again = 0
        for object_id in fetched_ids(report):
            if object_id in seen:
                again += 1
            seen.add(object_id)
        out.append(again)
    return out


def data_records_returned(qb: FakeQuickBooks) -> int:
    """Records of data types QuickBooks returned so far (deletion lists not counted)."""
    return sum(n for t, n in qb.records_returned.items() if t not in ("ListDeleted", "TxnDeleted"))


def data_records_held(company: CompanyFile, streams: Iterable[str] = ALL_STREAMS) -> int:
    return sum(len(fake_records(company, s)) for s in streams)

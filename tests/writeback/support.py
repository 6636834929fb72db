"""The write-back test bench: the real app (in-process WSGI or over HTTP), a fake QuickBooks
behind the simulated Web Connector, and helpers to queue operations and let time pass."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from lxml import etree
from sqlalchemy import update
from werkzeug.test import Client

from models import Company, Operation, StreamCursor, utcnow
from qbwc_server.app import QbwcApp, create_app
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.records import store
from qbwc_server.records.types import DECLARED
from qbwc_server.services import companies as company_svc
from qbwc_server.services.qwc import render_qwc
from qbwc_server.services.settings_store import owner_id
from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks, FaultPlan
from qbwc_server.sim.quickbooks.catalog import ITEM_TYPES
from qbwc_server.sim.qwc import QwcInfo, parse_qwc
from qbwc_server.sim.report import SessionReport
from qbwc_server.sim.transport_faults import TransportFaults
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport
from qbwc_server.sync.steps import DELETION_STREAMS
from tests.conftest import ADMIN_TOKEN, make_settings

FAR_FUTURE = timedelta(days=3650)

# Synced-table type -> fake QuickBooks object types (with the Ret tag they come back as).
SEED_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("accounts", ("Account",)),
    ("vendors", ("Vendor",)),
    ("classes", ("Class",)),
    ("customers", ("Customer",)),
    ("standard_terms", ("StandardTerms",)),
    ("date_driven_terms", ("DateDrivenTerms",)),
    ("items", ITEM_TYPES),
    ("bills", ("Bill",)),
)


class SwitchableApp:
    """A WSGI app that can be replaced between two calls: a server restart mid-session."""

    def __init__(self, app: QbwcApp) -> None:
        self.app = app
        self.calls = 0
        self.before_call: Callable[[int], None] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        if self.before_call is not None:
            self.before_call(self.calls)
        return self.app(environ, start_response)


@dataclass
class Bench:
    db: Database
    settings: Settings
    database_url: str
    app: QbwcApp
    company_id: int
    key: str
    qwc: QwcInfo
    book: CompanyFile
    qb: FakeQuickBooks
    switch: SwitchableApp
    reports: list[SessionReport] = field(default_factory=list)

    # --- API -----------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        client = Client(self.switch.app)
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        data = json.dumps(body) if body is not None else None
        response = client.open(
            path, method=method, data=data, headers=headers, content_type="application/json"
        )
        text = response.get_data(as_text=True)
        return response.status_code, (json.loads(text) if text else None)

    def queue(
        self, op_type: str, payload: dict[str, Any], key: str | None = None
    ) -> dict[str, Any]:
        key = key or f"{op_type}-{uuid.uuid4().hex}"
        status, body = self.api(
            "POST",
            f"/api/companies/{self.company_id}/operations",
            {"type": op_type, "idempotency_key": key, "payload": payload},
        )
        assert status == 201, body
        return dict(body)

    def op(self, op_id: int) -> dict[str, Any]:
        status, body = self.api("GET", f"/api/companies/{self.company_id}/operations/{op_id}")
        assert status == 200, body
        return dict(body)

    def operations(self) -> list[dict[str, Any]]:
        status, body = self.api("GET", f"/api/companies/{self.company_id}/operations?limit=500")
        assert status == 200, body
        return list(body["data"])

    # --- sessions --------------------------------------------------------------------------------
    def connector(self, faults: TransportFaults | None = None) -> WebConnector:
        return WebConnector.from_qwc(
            self.qwc,
            self.key,
            self.qb,
            url="http://localhost/qbwc",
            transport=WsgiTransport(self.switch),
            transport_faults=faults,
            keep_requests=True,
            timeout=30,
        )

    def session(self, faults: TransportFaults | None = None) -> SessionReport:
        report = self.connector(faults).run_session()
        self.reports.append(report)
        return report

    def settle(self, max_sessions: int = 6) -> list[SessionReport]:
        """Let time pass and run sessions until no operation is queued or sent."""
        out: list[SessionReport] = []
        for _ in range(max_sessions):
            self.pass_time()
            out.append(self.session())
            if not any(o["state"] in ("queued", "sent") for o in self.operations()):
                break
        return out

    def pass_time(self, minutes: int = 5) -> None:
        """Leases lapse and retry times come, as if ``minutes`` went by (a dropped Web
        Connector never calls closeConnection, so its lease would block the next session)."""
        past = utcnow() - timedelta(seconds=1)
        with self.db.transaction() as s:
            s.execute(
                update(Company)
                .where(Company.id == self.company_id, Company.lease_ticket.is_not(None))
                .values(lease_expires_at=past)
            )
            s.execute(
                update(Operation)
                .where(Operation.company_id == self.company_id)
                .where(Operation.leased_by.is_not(None))
                .values(lease_expires_at=past)
            )
            s.execute(
                update(Operation)
                .where(Operation.company_id == self.company_id)
                .where(Operation.not_before.is_not(None))
                .where(Operation.not_before <= utcnow() + timedelta(minutes=minutes))
                .values(not_before=past)
            )

    def restart_server(self) -> None:
        """A new process: new app, new engine and connection pool, nothing kept in memory."""
        fresh = create_app(self.settings, Database(self.database_url))
        self.switch.app = fresh

    # --- QuickBooks --------------------------------------------------------------------------
    def qb_records(self, object_type: str) -> list[dict[str, Any]]:
        return self.book.records(object_type)

    def qb_by_guid(self, object_type: str, guid: str) -> list[dict[str, Any]]:
        return [r for r in self.book.records(object_type) if r.get("ExternalGUID") == guid]

    def requests(self) -> list[str]:
        return [r for rep in self.reports for r in rep.requests]


def make_bench(
    db: Database,
    database_url: str,
    *,
    faults: FaultPlan | None = None,
    seed: int = 5,
    park_reads: bool = True,
    sync_interval_minutes: int = 0,
    keep_guids: bool = True,
    app: QbwcApp | None = None,
    seed_types: Iterable[str] | None = None,
    supported_versions: tuple[str, ...] | None = None,
) -> Bench:
    """A new company (with its own fake company file) on ``db``. Several benches can share one
    database and one app: each has its own company."""
    settings = app.rt.settings if app is not None else make_settings(database_url, 80)
    app = app or create_app(settings, db)
    oid = owner_id(db, settings)
    with db.transaction() as s:
        created = company_svc.create_company(
            s,
            "Write-back Co",
            sync_interval_minutes=sync_interval_minutes,
            history_start="all",
            confirm_binding=False,
        )
        company_id = created.company.id
        qwc = parse_qwc(render_qwc(created.company, settings, oid).encode())
    book = CompanyFile.generate(seed=seed, profile="tiny")
    if keep_guids:
        keep_external_guids(book)
    extra: dict[str, Any] = {}
    if supported_versions is not None:
        extra["supported_versions"] = supported_versions
    qb = FakeQuickBooks(book, faults=faults or FaultPlan(), **extra)
    bench = Bench(
        db=db,
        settings=settings,
        database_url=database_url,
        app=app,
        company_id=company_id,
        key=created.connector_key,
        qwc=qwc,
        book=book,
        qb=qb,
        switch=SwitchableApp(app),
    )
    if park_reads:
        seed_synced(bench, seed_types)
        park_read_sync(bench)
    return bench


def keep_external_guids(book: CompanyFile) -> None:
    """Real QuickBooks stores the ExternalGUID of BillAdd/BillPayment*Add and returns it in the
    Ret; the fake keeps it on vendors only. Wrap the fake company's adds to keep it too."""
    add_bill = book.add_bill
    add_payment = book.add_bill_payment

    def bill(fields: Any) -> dict[str, Any]:
        record = add_bill(fields)
        if fields.get("ExternalGUID"):
            record["ExternalGUID"] = fields["ExternalGUID"]
        return record

    def payment(object_type: str, fields: Any) -> dict[str, Any]:
        record = add_payment(object_type, fields)
        if fields.get("ExternalGUID"):
            record["ExternalGUID"] = fields["ExternalGUID"]
        return record

    book.add_bill = bill  # type: ignore[method-assign]
    book.add_bill_payment = payment  # type: ignore[method-assign]


def seed_synced(bench: Bench, only: Iterable[str] | None = None) -> None:
    """What a completed read sync would have stored, straight from the fake's data."""
    wanted = set(only) if only is not None else None
    with bench.db.transaction() as s:
        for type_name, qb_types in SEED_TYPES:
            if wanted is not None and type_name not in wanted:
                continue
            records: list[Any] = []
            for qb_type in qb_types:
                records.extend((f"{qb_type}Ret", r) for r in bench.book.records(qb_type))
            store.upsert_records(s, bench.company_id, type_name, records)


def park_read_sync(bench: Bench) -> None:
    """Every read stream waits (retry_after far ahead): sessions then carry only writes."""
    with bench.db.transaction() as s:
        later = utcnow() + FAR_FUTURE
        for name in [rt.name for rt in DECLARED] + list(DELETION_STREAMS):
            s.add(
                StreamCursor(
                    company_id=bench.company_id, stream=name, phase="incremental", retry_after=later
                )
            )


def active_vendor(bench: Bench, skip: Iterable[str] = ()) -> dict[str, Any]:
    return next(
        v for v in bench.book.records("Vendor") if v["IsActive"] and v["ListID"] not in skip
    )


def account(bench: Bench, account_type: str) -> dict[str, Any]:
    return next(
        a
        for a in bench.book.records("Account")
        if a["AccountType"] == account_type and a["IsActive"]
    )


def open_bill(bench: Bench, vendor_id: str | None = None) -> dict[str, Any]:
    """An unpaid bill (over 20.00 open) of an active vendor."""
    active = {v["ListID"] for v in bench.book.records("Vendor") if v["IsActive"]}
    return next(
        b
        for b in bench.book.records("Bill")
        if not b.get("IsPaid")
        and float(b.get("OpenAmount", "0")) > 20
        and b["VendorRef"]["ListID"] in active
        and (vendor_id is None or b["VendorRef"]["ListID"] == vendor_id)
    )


_QBXML_VERSION = re.compile(r'<\?qbxml version="([0-9.]+)"\?>')


def validate_requests(requests: list[str], schema: Callable[[str], etree.XMLSchema]) -> int:
    """Assert every request document is valid against the XSD of its declared version."""
    for request in requests:
        match = _QBXML_VERSION.search(request)
        assert match, request[:200]
        body = re.sub(r"^<\?xml[^>]*\?>", "", request.strip())
        root = etree.fromstring(body.encode("ascii"))
        xsd = schema(match.group(1))
        assert xsd.validate(root), f"{xsd.error_log}\n{request}"
    return len(requests)


def real_requests(report: SessionReport) -> int:
    """Requests QuickBooks processed, not counting the server's end-of-session ping (a
    CompanyQuery it sends when it has nothing to ask, so that the session ends cleanly)."""
    pings = sum(1 for r in report.requests if 'requestID="ping"' in r)
    return report.requests_processed - pings

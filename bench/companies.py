"""Companies on our server and simulated Web Connectors for them (bench_idle.py and its
profile): created as the API creates them, driven over one keep-alive connection or in-process."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from common import (
    ADMIN_TOKEN,
)
from wire import KeepAliveTransport, NewAddressEachSession

from qbwc_server.services.companies import create_company
from qbwc_server.services.qwc import render_qwc
from qbwc_server.services.settings_store import owner_id_in
from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks, Profile
from qbwc_server.sim.qwc import QwcInfo, parse_qwc
from qbwc_server.sim.soap_client import SoapClient, Transport
from qbwc_server.sim.webconnector import WebConnector

WARMUP_SESSIONS = 50
# The peer's task pages vendors like our list streams do (README "Sync tuning": 500).
PAGE_SIZE = 500
PEER_OWNER = "{6d1c7f43-0b6e-4c39-9a55-6a8f4c0e2b11}"
PEER_FILE = "{0f3c2d8e-7a41-4f0b-8e9c-3b2a1d5c6e77}"


# --- our server: companies ------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    """What a Web Connector needs to call a server for one application."""

    username: str
    password: str
    app_name: str
    owner_id: str
    file_id: str

    @classmethod
    def from_qwc(cls, qwc: QwcInfo, password: str) -> Login:
        return cls(qwc.username, password, qwc.app_name, qwc.owner_id, qwc.file_id)


def our_company(app: Any, name: str, *, interval: int, history_start: str) -> tuple[int, Login]:
    """A company created the way the API creates one; its .qwc read as QBWC reads it."""
    settings = app.rt.settings
    with app.rt.db.transaction() as session:
        created = create_company(
            session,
            name,
            sync_interval_minutes=interval,
            history_start=history_start,
            confirm_binding=False,
        )
        qwc_text = render_qwc(created.company, settings, owner_id_in(session, settings))
        company_id = created.company.id
    return company_id, Login.from_qwc(parse_qwc(qwc_text.encode()), created.connector_key)


def connector(
    login: Login, quickbooks: FakeQuickBooks, url: str, transport: Transport
) -> WebConnector:
    client = SoapClient(url, timeout=120, transport=transport)
    return WebConnector(
        url,
        login.username,
        login.password,
        quickbooks,
        app_name=login.app_name,
        owner_id=login.owner_id,
        file_id=login.file_id,
        analyze_responses=False,
        client=client,
    )


def keep_alive(url: str, one_address: bool = False) -> Transport:
    """One persistent connection; unless ``one_address``, every session from a new client
    address (X-Forwarded-For, as behind the reverse proxy the README asks for)."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    transport = KeepAliveTransport(parts.hostname, parts.port, timeout=120)
    return transport if one_address else NewAddressEachSession(transport)


def api_get(base: str, path: str) -> Any:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers)) as resp:
        return json.loads(resp.read())


def streams_done(view: dict[str, Any]) -> bool:
    """Every stream that is not skipped has completed its first pass (company view)."""
    return all(s["mode"] == "skipped" or s["passes_completed"] for s in view["streams"])


def first_sync_done(base: str, company_id: int) -> bool:
    return streams_done(api_get(base, f"/api/companies/{company_id}"))


def inproc_first_sync_done(app: Any, company_id: int) -> bool:
    from werkzeug.test import Client

    response = Client(app).get(
        f"/api/companies/{company_id}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    return streams_done(response.get_json())


def run_first_sync(wc: WebConnector, done: Callable[[], bool], max_sessions: int = 20) -> int:
    for number in range(1, max_sessions + 1):
        report = wc.run_session()
        if not report.ok:
            raise RuntimeError(f"first sync session {number}: {report.outcome} {report.errors[:3]}")
        if done():
            return number
    raise RuntimeError(f"the first sync did not finish in {max_sessions} sessions")


def vendor_file(vendors: int, seed: int) -> CompanyFile:
    profile = Profile(f"vendors{vendors}", 1, vendors, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return CompanyFile.generate(seed=seed, profile=profile)

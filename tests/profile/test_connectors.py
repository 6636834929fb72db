"""``status.connectors``: every Web Connector seen for the company in the last 30 days, which
one holds the sync now, and the machine name from QBWC's AppLock stamp (docs/protocol.md §4.3).

Two simulated PCs (two fake Web Connectors calling from two addresses, each with QuickBooks
open on the same multi-user company file) connect the same company, as the customer guide
recommends for redundancy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from qbwc_server.services.connectors import machine_from_app_lock
from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport
from tests.profile.helpers import status_of
from tests.sync.helpers import age_server_state, generate_current


def second_pc(rig: Any, app: Any, address: str, machine: str) -> WebConnector:
    qb = FakeQuickBooks(rig.company, machine_name=machine, file_mode="MultiUser")
    return WebConnector.from_qwc(
        rig.qwc,
        rig.connector_key,
        qb,
        url=rig.qwc.app_url,
        transport=WsgiTransport(app, remote_addr=address),
    )


def test_two_connectors_show_up_one_holding_the_sync(inproc_app: Any, request_schema: Any) -> None:
    from tests.sync.helpers import make_rig

    app, api = inproc_app()
    company = generate_current("tiny")
    rig = make_rig(
        app=app,
        api=api,
        qb=FakeQuickBooks(company, machine_name="FRONT-DESK", file_mode="MultiUser"),
        schema=request_schema,
        history_start="all",
        transport=WsgiTransport(app, remote_addr="203.0.113.10"),
    )
    backup = second_pc(rig, app, "198.51.100.7", "BACK-OFFICE")

    during: list[dict[str, Any]] = []
    told: list[Any] = []

    def meanwhile(report: Any, value: int) -> None:
        if not told:  # the second PC's scheduled run comes while the first one syncs
            told.append(backup.run_session())
            during.append(status_of(rig))

    rig.wc.on_progress = meanwhile
    rig.run_session()
    assert told[0].outcome == Outcome.NONE  # "another Web Connector is syncing": come back later
    connectors = {c["remote_addr"]: c for c in during[0]["connectors"]}
    assert set(connectors) == {"203.0.113.10", "198.51.100.7"}
    assert connectors["203.0.113.10"]["holds_sync"] is True
    assert connectors["203.0.113.10"]["machine_name"] == "FRONT-DESK"
    assert connectors["198.51.100.7"]["holds_sync"] is False
    assert connectors["198.51.100.7"]["machine_name"] is None  # it has not run a session yet

    # The first PC is switched off; the second one takes over at its next run.
    api.request("PATCH", f"/api/companies/{rig.company_id}", {"sync_interval_minutes": 0})
    assert backup.run_session().outcome == Outcome.COMPLETED
    after = {c["remote_addr"]: c for c in status_of(rig)["connectors"]}
    assert after["198.51.100.7"]["machine_name"] == "BACK-OFFICE"
    assert after["198.51.100.7"]["last_sync_at"] is not None
    assert not any(c["holds_sync"] for c in after.values())
    assert len(after) == 2


def test_connectors_older_than_30_days_are_not_listed(inproc_rig: Any, db: Any) -> None:
    rig = inproc_rig(generate_current("tiny"), history_start="all")
    rig.run_session()
    assert len(status_of(rig)["connectors"]) == 1
    age_server_state(db, rig.company_id, timedelta(days=31))
    assert status_of(rig)["connectors"] == []


def test_an_idle_poll_writes_a_connector_at_most_once_a_minute(inproc_rig: Any, db: Any) -> None:
    from sqlalchemy import select

    from models import Connector

    rig = inproc_rig(generate_current("tiny"), history_start="all")
    rig.run_session()
    rig.api.request("PATCH", f"/api/companies/{rig.company_id}", {"sync_interval_minutes": 60})
    with db.transaction() as s:
        first = s.scalars(select(Connector)).one().last_seen_at
    assert rig.wc.run_session().outcome == Outcome.NONE
    with db.transaction() as s:
        assert s.scalars(select(Connector)).one().last_seen_at == first  # within the minute


def test_the_machine_name_comes_from_the_applock_stamp() -> None:
    assert machine_from_app_lock("LOCKED:MOUMITA:636948155984807268") == "MOUMITA"
    assert machine_from_app_lock("LOCKED:MACBOOK-WINDOWS:633772023577302500") == "MACBOOK-WINDOWS"
    for value in (None, "", "UNLOCKED", "LOCKED::1", "LOCKED:A:B:1", "LOCKED:" + "x" * 65 + ":1"):
        assert machine_from_app_lock(value) is None, value

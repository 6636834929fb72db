"""``status.state``: exactly one of the seven states, when each holds, in which order
(services/company_states.py), checked on the rules directly and on real sessions driven by the
simulator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from qbwc_server.services import company_states as cs
from qbwc_server.services.problems import INFORMATIONAL, problem_entry
from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.transport_faults import TransportFault, TransportFaults
from tests.conftest import make_settings
from tests.profile.helpers import status_of
from tests.sync.helpers import SMALL_PAGES, age_server_state, generate_current, lapse_lease

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SETTINGS = make_settings("sqlite://", 80)  # QBWC_CONNECTED_WINDOW_SECONDS: 3600


@dataclass
class Facts:
    last_contact_at: datetime | None = None
    sync_interval_minutes: int = 15
    bound_at: datetime | None = None
    first_sync_completed_at: datetime | None = None
    problem_code: str | None = None
    lease_ticket: str | None = None
    lease_expires_at: datetime | None = None
    paused_until: datetime | None = None
    pending_binding: dict[str, Any] | None = None


def state(**facts: Any) -> str:
    return cs.company_state(Facts(**facts), SETTINGS, NOW)


BOUND = {"bound_at": NOW - timedelta(days=3), "first_sync_completed_at": NOW - timedelta(days=2)}
LEASE = {"lease_ticket": "t", "lease_expires_at": NOW + timedelta(seconds=30)}


def test_each_state_holds_where_the_rules_say() -> None:
    assert state() == cs.NEVER_CONNECTED
    assert state(last_contact_at=NOW - timedelta(minutes=5), **BOUND) == cs.CONNECTED
    assert state(last_contact_at=NOW - timedelta(hours=2), **BOUND) == cs.NOT_CONNECTED
    # The first sync started (bound) but is not finished; the connector calls: Syncing.
    first = {"bound_at": NOW - timedelta(hours=1)}
    assert state(last_contact_at=NOW - timedelta(minutes=5), **first) == cs.SYNCING
    assert state(last_contact_at=NOW - timedelta(hours=2), **first) == cs.NOT_CONNECTED
    assert state(last_contact_at=NOW, **LEASE) == cs.SYNCING
    assert state(last_contact_at=NOW, problem_code="wrong_company_file") == cs.NEEDS_ATTENTION
    assert state(problem_code="0x80040408", **BOUND) == cs.NEEDS_ATTENTION
    # Contacted but no company file bound (a refused first file): not connected to anything.
    assert state(last_contact_at=NOW - timedelta(minutes=1)) == cs.NOT_CONNECTED


def test_the_order_decides_when_several_hold() -> None:
    # A session exchanging data right now outranks an old problem.
    assert state(last_contact_at=NOW, problem_code="0x80040408", **LEASE, **BOUND) == cs.SYNCING
    # A problem outranks "never connected" (the file was refused at the first contact).
    assert state(problem_code="wrong_company_file") == cs.NEEDS_ATTENTION
    # A lapsed lease is no session.
    lapsed = {"lease_ticket": "t", "lease_expires_at": NOW - timedelta(seconds=1)}
    assert state(last_contact_at=NOW, **lapsed, **BOUND) == cs.CONNECTED


@pytest.mark.parametrize("code", sorted(INFORMATIONAL))
def test_problems_the_next_run_resolves_do_not_need_attention(code: str) -> None:
    assert problem_entry(code) is not None, code
    assert state(last_contact_at=NOW, problem_code=code, **BOUND) == cs.CONNECTED


def test_the_connected_window_grows_with_a_long_sync_interval() -> None:
    two_hourly = {"sync_interval_minutes": 120, **BOUND}
    assert state(last_contact_at=NOW - timedelta(minutes=150), **two_hourly) == cs.CONNECTED
    assert state(last_contact_at=NOW - timedelta(minutes=250), **two_hourly) == cs.NOT_CONNECTED


def test_every_state_is_one_of_the_seven_named_by_the_issue() -> None:
    assert set(cs.COMPANY_STATES) == {
        "Never connected",
        "Waiting for confirmation",
        "Syncing",
        "Connected to Server",
        "Not connected",
        "Needs attention",
        "Paused",
    }


# --- on real sessions ----------------------------------------------------------------------


def test_a_company_goes_from_never_connected_through_syncing_to_connected(
    inproc_rig: Any, db: Any
) -> None:
    rig = inproc_rig(generate_current("tiny"), history_start="all")
    before = status_of(rig)
    assert before["state"] == "Never connected"
    assert before["problem"] is None and before["progress"] is None
    assert before["connectors"] == [] and before["last_sync"] is None

    seen: list[dict[str, Any]] = []
    rig.wc.on_progress = lambda report, value: seen.append(status_of(rig))
    rig.run_session()
    assert seen, "no progress reported"
    for during in seen:
        assert during["state"] == "Syncing"
        progress = during["progress"]
        assert 0 <= progress["percent"] <= 99 and progress["first_sync"] is True
        assert progress["stage"]
        assert [c["holds_sync"] for c in during["connectors"]] == [True]
    assert seen[-1]["progress"]["percent"] > seen[0]["progress"]["percent"]
    assert any(s["progress"]["eta_seconds"] is not None for s in seen)

    after = status_of(rig)
    assert after["state"] == "Connected to Server"
    assert after["progress"] is None and after["problem"] is None
    assert after["first_sync_completed_at"] is not None and after["last_sync"] is not None
    (connector,) = after["connectors"]
    assert connector["machine_name"] == "QBHOST" and connector["remote_addr"] == "127.0.0.1"
    assert connector["client_version"] == "2.3.0.215"
    assert connector["last_sync_at"] is not None and connector["holds_sync"] is False

    age_server_state(db, rig.company_id, timedelta(hours=3))
    assert status_of(rig)["state"] == "Not connected"


def test_a_dropped_first_sync_is_still_syncing_while_the_connector_calls(
    inproc_rig: Any, db: Any
) -> None:
    rig = inproc_rig(generate_current("tiny"), history_start="all", **SMALL_PAGES)
    drop = TransportFault.parse("drop-after:receiveResponseXML:4")
    rig.wc.transport_faults = TransportFaults([drop])
    rig.run_session(expect=Outcome.TRANSPORT_ERROR)
    lapse_lease(db, rig.company_id)
    shown = status_of(rig)
    assert shown["state"] == "Syncing"
    assert shown["progress"]["first_sync"] is True and shown["progress"]["stage"]
    assert 0 < shown["progress"]["percent"] < 100
    age_server_state(db, rig.company_id, timedelta(hours=3))
    assert status_of(rig)["state"] == "Not connected"


def test_quickbooks_not_running_needs_attention_until_it_runs(inproc_rig: Any) -> None:
    rig = inproc_rig(generate_current("tiny"), history_start="all")
    rig.run_session()
    rig.api.request("PATCH", f"/api/companies/{rig.company_id}", {"sync_interval_minutes": 0})
    rig.qb.faults.qb_not_running = True
    rig.run_session(expect=Outcome.CONNECTION_FAILED)
    shown = status_of(rig)
    assert shown["state"] == "Needs attention"
    problem = shown["problem"]
    assert problem["code"] == "0x80040408" and problem["needs_attention"] is True
    assert problem["since"] and problem["steps"] and problem["who"] == "QuickBooks admin"
    rig.qb.faults.qb_not_running = False
    rig.run_session()
    shown = status_of(rig)
    assert shown["state"] == "Connected to Server" and shown["problem"] is None


def test_a_wrong_company_file_needs_attention_and_says_which_entry(
    inproc_app: Any, request_schema: Any
) -> None:
    from tests.sync.helpers import make_rig

    app, api = inproc_app()
    other = make_rig(
        app=app, api=api, qb=FakeQuickBooks(generate_current("tiny", seed=2)),
        schema=request_schema, name="Globex",
    )  # fmt: skip
    other.run_session()  # stamps Globex's file with Globex's FileID
    acme = make_rig(
        app=app, api=api, qb=FakeQuickBooks(generate_current("tiny")), schema=request_schema
    )
    acme.run_session()
    own_file = acme.wc.quickbooks
    acme.wc.quickbooks = FakeQuickBooks(other.company)
    report = acme.run_session(expect=Outcome.SERVER_ERROR)
    shown = status_of(acme)
    assert shown["state"] == "Needs attention"
    assert shown["problem"]["code"] == "wrong_company_file"
    assert "Wrong company file open" in shown["problem"]["detail"]
    assert "Globex" not in str(shown) and "Globex" not in " ".join(report.errors)
    acme.wc.quickbooks = own_file
    acme.api.request("PATCH", f"/api/companies/{acme.company_id}", {"sync_interval_minutes": 0})
    acme.run_session()
    assert status_of(acme)["state"] == "Connected to Server"
    assert status_of(acme)["problem"] is None


def test_count_by_state_counts_every_company_once(inproc_rig: Any, db: Any) -> None:
    synced = inproc_rig(generate_current("tiny"), history_start="all")
    synced.run_session()
    synced.api.request("POST", "/api/companies", {"name": "Never Seen"})
    with db.transaction() as s:
        counts = cs.count_by_state(s, SETTINGS)
    assert set(counts) == set(cs.COMPANY_STATES)
    assert counts["Connected to Server"] == 1 and counts["Never connected"] == 1
    assert sum(counts.values()) == 2

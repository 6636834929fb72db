""" "QuickBooks file restored from a backup?" (issue 11): ``POST /api/companies/{id}/restore``
keeps the restore date and the next run reconciles every stream — also for the restore the
server cannot see by itself: a record deleted after the backup comes back with its old
TimeModified, no newer change, no deletion event."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.sync.helpers import (
    Comparison,
    Rig,
    compare_all,
    compare_stream,
    first_txn_date,
    generate_current,
)


def _oldest(company: Any, qb_type: str) -> str:
    records = sorted(company.records(qb_type), key=lambda r: str(r["TimeModified"]))
    return str(records[0]["TxnID"])


def test_a_restore_date_reconciles_what_the_server_cannot_see(inproc_rig: Any) -> None:
    company = generate_current("tiny", seed=31)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()
    backup = company.snapshot()

    company.clock.advance(timedelta(hours=2))
    check = _oldest(company, "Check")
    company.delete("Check", check)
    rig.run_session()
    assert check not in {c["txn_id"] for c in rig.records("checks")}

    # The backup is restored: the check is back, with its old TimeModified.
    company.clock.advance(timedelta(hours=20))
    company.restore_from(backup)
    rig.run_session()
    unseen = Comparison()
    compare_stream(rig, "checks", out=unseen)
    assert unseen.problems, "the restored check is invisible without a reconciliation"

    restored_on = (date.today() - timedelta(days=1)).isoformat()
    status, view = rig.api.request(
        "POST", f"/api/companies/{rig.company_id}/restore", {"restored_on": restored_on}
    )
    assert status == 202, view
    assert view["restore"] == {
        "restored_on": restored_on,
        "recorded_at": view["restore"]["recorded_at"],
        "reconcile_started_at": None,
        "reconcile_pending": True,
    }
    report = rig.run_session()
    assert any("IncludeRetElement" in r and "CheckQueryRq" in r for r in report.requests)
    compare_all(rig).assert_equal()
    assert check in {c["txn_id"] for c in rig.records("checks")}
    after = rig.api.get(f"/api/companies/{rig.company_id}")["restore"]
    assert after["restored_on"] == restored_on and after["reconcile_pending"] is False
    assert after["reconcile_started_at"] >= after["recorded_at"]

    # Once only: the next run does not reconcile again.
    rig.api.request("PATCH", f"/api/companies/{rig.company_id}", {"sync_interval_minutes": 0})
    again = rig.run_session()
    assert not any("IncludeRetElement" in r and "CheckQueryRq" in r for r in again.requests)


@pytest.mark.parametrize(
    "body",
    [{}, {"restored_on": "yesterday"}, {"restored_on": "2999-01-01"}, {"restored_on": 20240101},
     {"restored_on": "1900-01-01"}, {"restored_on": "2024-1-5"}],
)  # fmt: skip
def test_a_bad_restore_date_is_a_clear_422(inproc_app: Any, body: dict[str, Any]) -> None:
    _, api = inproc_app()
    _, created = api.request("POST", "/api/companies", {"name": "Restore Co"})
    status, answer = api.request("POST", f"/api/companies/{created['id']}/restore", body)
    assert status == 422 and answer["error"]["field"] == "restored_on", answer
    assert api.get(f"/api/companies/{created['id']}")["restore"] is None


def test_restore_on_an_unknown_company_is_404_and_unknown_fields_are_named(
    inproc_app: Any,
) -> None:
    _, api = inproc_app()
    status, answer = api.request(
        "POST", "/api/companies/424242/restore", {"restored_on": "2024-01-05"}
    )
    assert status == 404 and answer["error"]["field"] == "company_id"
    _, created = api.request("POST", "/api/companies", {"name": "Restore Co"})
    status, answer = api.request(
        "POST", f"/api/companies/{created['id']}/restore", {"restored_on": "2024-01-05", "x": 1}
    )
    assert status == 422 and answer["error"]["field"] == "x"

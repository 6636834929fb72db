"""Deletions made while the Web Connector did not run for longer than QuickBooks keeps its
deletion log (about 90 days, protocol doc §6.5) still reach the server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.sync.helpers import (
    Rig,
    age_server_state,
    compare_all,
    first_txn_date,
    generate_current,
)

GAP = timedelta(days=100)


def test_deletions_older_than_the_quickbooks_deletion_log_are_not_missed(
    inproc_rig: Any, db: Any
) -> None:
    company = generate_current("tiny", seed=37)
    rig: Rig = inproc_rig(company, first_txn_date(company))
    rig.run_session()

    # The PC is switched off for 100 days right after these deletions.
    company.clock.advance(timedelta(hours=1))
    bill = next(b for b in company.records("Bill") if not b.get("LinkedTxn"))
    check = company.records("Check")[0]
    company.delete("Bill", bill["TxnID"])
    company.delete("Check", check["TxnID"])
    company.clock.advance(GAP)
    assert age_server_state(db, rig.company_id, GAP) > 0
    deleted_log = [d for d in company.deleted if d.deleted_at >= company.clock.now - GAP]
    assert len(deleted_log) == 2  # QuickBooks no longer reports them (90-day horizon)

    rig.run_session()
    company.clock.advance(timedelta(minutes=15))
    rig.run_session()
    compare_all(rig).assert_equal()
    held = {r["txn_id"] for name in ("bills", "checks") for r in rig.records(name)}
    assert not held & {bill["TxnID"], check["TxnID"]}

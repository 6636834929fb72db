"""The company's sync lease (engine/lease.py): renewed when due, never left with less than a
full lease after a call of its holder, never taken from a live holder."""

from __future__ import annotations

from datetime import timedelta

from models import Company, utcnow
from qbwc_server.engine import lease

LEASE = 120
SLACK = lease.renewal_slack(LEASE)


def company(ticket: str | None = None, left: float | None = None) -> Company:
    now = utcnow()
    return Company(
        lease_ticket=ticket,
        lease_expires_at=None if left is None else now + timedelta(seconds=left),
    )


def test_a_free_or_lapsed_lease_is_taken_with_the_slack() -> None:
    for row in (company(), company("other", left=-1)):
        now = utcnow()
        assert lease.renew_locked(row, "ours", LEASE, now)
        assert row.lease_ticket == "ours"
        assert row.lease_expires_at == now + timedelta(seconds=LEASE + SLACK)


def test_our_lease_with_a_full_lease_left_is_not_written() -> None:
    row = company("ours", left=LEASE + SLACK - 5)
    before = row.lease_expires_at
    assert lease.renew_locked(row, "ours", LEASE)
    assert row.lease_expires_at == before


def test_every_call_leaves_at_least_a_full_lease() -> None:
    now = utcnow()
    row = company("ours", left=0)
    # A busy session: a call every 2 seconds for five minutes.
    writes = 0
    for step in range(150):
        at = now + timedelta(seconds=2 * step)
        before = row.lease_expires_at
        assert lease.renew_locked(row, "ours", LEASE, at)
        writes += row.lease_expires_at != before
        assert row.lease_expires_at is not None
        assert row.lease_expires_at - at >= timedelta(seconds=LEASE)
        assert row.lease_expires_at - at <= timedelta(seconds=LEASE + SLACK)
    assert writes <= 300 // SLACK + 1, writes  # once per slack, not once per call


def test_a_live_lease_of_another_connector_is_not_taken() -> None:
    row = company("other", left=1)
    assert not lease.renew_locked(row, "ours", LEASE)
    assert row.lease_ticket == "other"


def test_the_slack_is_a_quarter_of_the_lease_at_most_30_seconds() -> None:
    assert lease.renewal_slack(120) == 30
    assert lease.renewal_slack(10) == 2
    assert lease.renewal_slack(3600) == lease.MAX_SLACK_SECONDS

"""Issue 9 (last finding): a page that cannot be taken makes the next request smaller, never
the same request again, and the sync still completes with every record (sync/sizing.py).

The server's body limit is set to its minimum (64 KiB) with the default page sizes, so the
first pages of the bigger streams (500 vendors, 100 bills with their lines) are refused by the
SOAP layer before the sync sees them: the Web Connector gets a fault and the session ends.
"""

from __future__ import annotations

import re
from typing import Any

from qbwc_server.sim.report import Outcome, SessionReport
from tests.sync.helpers import (
    Rig,
    compare_all,
    first_txn_date,
    generate_current,
    lapse_lease,
)

BODY_LIMIT = 64 * 1024  # the smallest QBWC_MAX_BODY_BYTES the server accepts
MAX_SESSIONS = 60


def _initial_sync_done(rig: Rig) -> bool:
    return all(s["mode"] in ("incremental", "skipped") for s in rig.streams().values())


def test_pages_past_the_body_limit_get_smaller_until_everything_is_synced(
    inproc_rig: Any, db: Any
) -> None:
    company = generate_current("small", seed=29)
    rig: Rig = inproc_rig(
        company,
        first_txn_date(company),
        QBWC_MAX_BODY_BYTES=BODY_LIMIT,
        QBWC_LIST_PAGE_SIZE=500,
        QBWC_TXN_PAGE_SIZE=100,
    )
    refused: list[SessionReport] = []
    for _ in range(MAX_SESSIONS):
        report = rig.run_session(expect=None)
        if report.outcome == Outcome.COMPLETED and _initial_sync_done(rig):
            break
        assert report.outcome == Outcome.CALL_FAILED, (report.outcome, report.errors[:3])
        assert any("exceeds the server limit" in e for e in report.errors), report.errors
        refused.append(report)
        lapse_lease(db, rig.company_id)  # the Web Connector did not close the session
    else:
        raise AssertionError(f"the sync did not complete in {MAX_SESSIONS} sessions")
    assert report.ok, report.errors[:3]
    # Pages were refused, and each refusal made the next request smaller: no request that
    # was refused went out again unchanged.
    assert refused, "no page was past the limit: the test does not test anything"
    sent_before_refusal = [r.requests[-1] for r in refused]
    later = [q for r in rig.reports for q in r.requests]
    for request in sent_before_refusal:
        assert later.count(request) == 1, "a refused request was sent again unchanged"
    compare_all(rig).assert_equal()
    kinds = sorted({_query_of(r.requests[-1]) for r in refused})
    print(f"\n{len(refused)} sessions ended on a page past {BODY_LIMIT} bytes ({kinds}); then")
    print(f"the sync completed in session {len(rig.reports)}")


def _query_of(request: str) -> str:
    found = re.search(r"<(\w+QueryRq)", request)
    return found.group(1) if found else "?"

"""The session's progress keeps its estimate of the steps queued after the first between calls
(sync/planner.py ``Planner._later_remaining``, issue 13): the kept estimate must always equal a
fresh count, and a page's call must not read every cursor of the company to make it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from qbwc_server.config import DEFAULT_TUNING
from qbwc_server.services.companies import create_company
from qbwc_server.sim.quickbooks import CompanyFile, FaultPlan
from qbwc_server.sync import run as sync_run
from qbwc_server.sync.planner import Planner
from qbwc_server.sync.run import SyncRun
from qbwc_server.sync.state import SessionState
from tests.sync.helpers import age_server_state, compare_all

SMALL_PAGES = {"QBWC_LIST_PAGE_SIZE": 5, "QBWC_TXN_PAGE_SIZE": 5}


@dataclass
class ProgressLog:
    """Every progress the planner gave, beside a fresh count of the same moment."""

    calls: int = 0
    reused: int = 0  # calls that took the kept estimate instead of counting
    stale: list[str] = field(default_factory=list)


@pytest.fixture
def progress_log(monkeypatch: pytest.MonkeyPatch) -> ProgressLog:
    log = ProgressLog()
    inner: Callable[[Planner], int] = Planner.progress

    def checked(self: Planner) -> int:
        queue = self.state.queue or []
        kept = self.state.later_estimate
        if kept is not None and kept[0] == queue[1:]:
            log.reused += 1
        value = inner(self)
        used = self.state.later_estimate
        self.state.later_estimate = None  # forget it: the next line counts afresh
        fresh = inner(self)
        counted = self.state.later_estimate
        log.calls += 1
        if used != counted and (
            used is None
            or counted is None
            or used[0] != counted[0]
            or not math.isclose(used[1], counted[1], rel_tol=1e-9, abs_tol=1e-9)
        ):
            log.stale.append(f"queue {queue}: kept {used}, counted {counted}")
        if value != fresh:
            log.stale.append(f"queue {queue}: progress {value}, counted afresh {fresh}")
        return value

    monkeypatch.setattr(Planner, "progress", checked)
    return log


def test_the_kept_estimate_always_equals_a_fresh_count(
    inproc_rig: Any, db: Any, progress_log: ProgressLog
) -> None:
    """A first sync of every stream in small pages, with locks and a request processor that
    throws now and then, then incremental sessions (their streams asked together in batches,
    which move several cursors in one answer) after edits in QuickBooks."""
    company = CompanyFile.generate(seed=21, profile="tiny")
    faults = FaultPlan(lock_errors={7: 3170, 30: 3175}, processor_errors={12: "0x80040416"})
    rig = inproc_rig(company, quickbooks={"faults": faults}, **SMALL_PAGES)
    rig.run_session(expect=None)
    for _ in range(2):  # the streams a fault stopped go on once their pause is over
        age_server_state(db, rig.company_id, timedelta(minutes=15))
        rig.run_session(expect=None)
    vendors = [v for v in company.records("Vendor") if v.get("IsActive", True)]
    bills = list(company.records("Bill"))
    for hours in (3, 30):
        company.clock.advance(timedelta(hours=hours))
        for n, vendor in enumerate(vendors[hours % 5 :: 4]):
            company.edit("Vendor", vendor["ListID"], {"Phone": f"(555) 010-{hours:02d}{n:02d}"})
        for bill in bills[hours % 7 :: 6]:
            company.edit("Bill", bill["TxnID"], {"Memo": f"edited after {hours} hours"})
        company.delete("Bill", bills[hours]["TxnID"])
        rig.run_session()
    assert progress_log.calls > 40, "the sessions should have paged through many streams"
    assert progress_log.reused > 20, "consecutive pages of a stream should reuse the estimate"
    assert progress_log.stale == []
    compare_all(rig).assert_equal()


def test_a_page_of_the_same_stream_does_not_read_every_cursor(
    inproc_rig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paging one stream, a receiveResponseXML reads its own cursor; every cursor of the company
    (twenty-odd rows) is read once when the steps after it change, not on every page."""
    company = CompanyFile.generate(seed=22, profile="tiny")
    answered: list[str] = []  # the stream each answer went to, in order
    read_all: list[int] = []  # len(answered) at each read of every cursor
    load_all = sync_run.load_cursors
    handle = Planner.handle_response

    def counted_load(*args: Any, **kwargs: Any) -> Any:
        read_all.append(len(answered))
        return load_all(*args, **kwargs)

    def noted(self: Planner, meta: dict[str, Any], response: str) -> None:
        answered.append(str(meta.get("stream")))
        handle(self, meta, response)

    monkeypatch.setattr(sync_run, "load_cursors", counted_load)
    monkeypatch.setattr(Planner, "handle_response", noted)
    rig = inproc_rig(company, **SMALL_PAGES)
    rig.run_session()
    # A read made after k answers were noted: in the call of answer k (or the request after
    # it). When answer k+1 is for the same stream, the stream went on: nothing changed in the
    # queue, so nothing had to be counted again.
    again = [k for k in read_all if 1 <= k < len(answered) and answered[k] == answered[k - 1]]
    went_on = sum(1 for k in range(1, len(answered)) if answered[k] == answered[k - 1])
    assert went_on > 15, answered
    assert again == [], f"every cursor read while paging one stream, after answers {again}"
    compare_all(rig).assert_equal()


def test_the_estimate_is_forgotten_when_one_of_its_cursors_is_looked_at(db: Any) -> None:
    """Whatever reads one of the counted streams' cursors (to ask for its page in a batch, to
    sweep deletions, to request a reconciliation) may change it: the kept estimate goes, and
    the next progress counts afresh. The first step's own cursor does not count."""
    with db.transaction() as s:
        company = create_company(s, "Estimate Co", history_start="all").company
        kept = (["bills", "checks", "list_deletions"], 42.0)
        state = SessionState(queue=["vendors", *kept[0]], later_estimate=kept)
        run = SyncRun(s, company, state, "16.0", DEFAULT_TUNING)
        run.existing("vendors")
        run.cursor("vendors")
        assert state.later_estimate == kept
        run.existing("checks")
        assert state.later_estimate is None
        state.later_estimate = kept
        run.cursors()
        assert state.later_estimate is None
        state.later_estimate = kept
        run.read_ahead(["bills", "checks"])  # progress's own read changes nothing
        assert state.later_estimate == kept
    # Kept in the session's state between calls, and read back as it was written.
    assert SessionState.from_json(state.to_json()).later_estimate == kept
    assert SessionState.from_json({"later": ["bills", 3]}).later_estimate is None

"""PENDING: the overload behaviour issue 13 item 4 requires; it FAILS today, so it is kept out
of the suite (``tests/``) on purpose. The optimizing phase makes it pass and moves it there.

    .venv/bin/python -m pytest bench/test_overload_pending.py -q

Each test runs ``bench/overload.py``'s scenarios on a private PostgreSQL cluster and a small
server (1 worker, 2 threads). Today (measured): the ``down`` scenario answers cleanly at once
(``none`` + postpone 300) but the company status does not show the outage; under a flood of
empty sessions, and while the companies table is locked, authenticate queues for seconds
instead of answering at once.
"""

from __future__ import annotations

import pytest
from overload import AT_ONCE_SECONDS, ProbeResult, down, flood, locked, rig

SECONDS = 6.0


@pytest.fixture(scope="module")
def results() -> dict[str, ProbeResult]:
    with rig() as r:
        return {
            "flood": flood(r, 64, SECONDS),
            "lock": locked(r, SECONDS),
            "down": down(r, SECONDS),
        }


@pytest.mark.parametrize("scenario", ["flood", "lock", "down"])
def test_authenticate_answers_at_once_with_a_postpone_when_saturated(
    results: dict[str, ProbeResult], scenario: str
) -> None:
    """Saturated workers, a saturated (locked) or stopped database: authenticate does not
    queue until the Web Connector gives up; when it cannot take the session it says so now."""
    res = results[scenario]
    assert res.latencies, "no probe finished"
    assert res.slow == 0, res.summary()
    assert res.missing_postpone == 0, res.summary()
    assert not [k for k in res.answers if k.startswith("error")], res.summary()
    assert max(res.latencies) <= AT_ONCE_SECONDS


def test_database_outage_is_a_clean_answer_and_shows_in_the_company_status(
    results: dict[str, ProbeResult],
) -> None:
    res = results["down"]
    assert set(res.answers) <= {"none", "busy"}, res.summary()
    assert "status shows the outage" in res.notes, res.notes

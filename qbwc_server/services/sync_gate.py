"""Why a Web Connector that logged in with the right key gets nothing to do now.

authenticate (``engine/authenticate.py``) asks :func:`closed` right after the key check: a
paused company, or one whose company file waits for a person to confirm it (Begin Sync), answers
``none`` with a postpone (§3.3) like any poll with nothing to do (no session row). Why is on the
profile: the state (``Paused``, ``Waiting for confirmation``) and ``status.problem`` (the
catalog entry ``code`` names); the waiting file's own session told the Web Connector already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import Company
from qbwc_server.services import binding, sync_schedule

# How long a Web Connector waits before asking again while a person has to confirm the file.
WAITING_POSTPONE_SECONDS = 300
MAX_PAUSE_POSTPONE_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Gate:
    code: str  # the help catalog entry that explains it (status.problem)
    postpone_seconds: int


def closed(company: Company, at: datetime | None = None) -> Gate | None:
    """The reason nothing may sync for this company now, or None."""
    at = at or sync_schedule.now()
    if sync_schedule.is_paused(company, at):
        assert company.paused_until is not None
        left = int((company.paused_until - at).total_seconds()) + 1
        return Gate("paused", min(MAX_PAUSE_POSTPONE_SECONDS, left))
    if binding.is_waiting(company):
        return Gate(binding.WAITING, WAITING_POSTPONE_SECONDS)
    return None

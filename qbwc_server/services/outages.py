"""Database outages seen by the Web Connectors, kept until the database can be written again.

While the database cannot be reached, authenticate answers ``none`` with a postpone
(``soap/service.py``) and notes the user name here, in the worker's memory. The first request
the worker serves once the database is back (``app.py``) writes the outage onto those companies
as their current problem (``database_unavailable``: since when, until when, how many polls were
turned away), so the company status shows it. The next completed sync clears it, like any
problem a run resolves by itself.

Per worker process: each worker writes what it saw itself. The notes are bounded
(``MAX_NOTED`` user names); the names are the ones the Web Connectors sent, not checked
against a key (the database was not there to check them), so the words only state the outage.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from models import utcnow
from qbwc_server.db import Database
from qbwc_server.services import problems
from qbwc_server.services.companies import find_by_username

log = logging.getLogger(__name__)

PROBLEM = "database_unavailable"
MAX_NOTED = 10_000


@dataclass
class Outage:
    first: datetime
    last: datetime
    polls: int = 1


RETRY_SECONDS = 1.0  # while the database is still away, try writing at most this often

_lock = threading.Lock()
_noted: dict[str, Outage] = {}
_next_try = [0.0]


def note_unavailable(username: str | None, now: datetime | None = None) -> None:
    """A poll by ``username`` could not reach the database."""
    name = (username or "").strip()[:200]
    if not name:
        return
    now = now or utcnow()
    with _lock:
        seen = _noted.get(name)
        if seen is not None:
            seen.last, seen.polls = now, seen.polls + 1
        elif len(_noted) < MAX_NOTED:
            _noted[name] = Outage(now, now)


def pending() -> bool:
    return bool(_noted)


def take() -> dict[str, Outage]:
    with _lock:
        taken = dict(_noted)
        _noted.clear()
        return taken


def put_back(taken: dict[str, Outage]) -> None:
    """The write failed (the database is still away): keep the notes for the next try."""
    with _lock:
        for name, outage in taken.items():
            seen = _noted.get(name)
            if seen is None:
                _noted[name] = outage
            else:
                seen.first = min(seen.first, outage.first)
                seen.polls += outage.polls


def detail(outage: Outage) -> str:
    polls = "poll was" if outage.polls == 1 else "polls were"
    return (
        f"The server's database could not be reached from {outage.first:%Y-%m-%d %H:%M:%S} to "
        f"at least {outage.last:%H:%M:%S} UTC; {outage.polls} Web Connector {polls} told to come "
        "back later. Nothing was lost."
    )


def record(session: Session, taken: dict[str, Outage]) -> int:
    """Write the noted outages onto their companies; how many companies were found."""
    found = 0
    for name, outage in taken.items():
        company = find_by_username(session, name)
        if company is None:
            continue
        found += 1
        problems.set_problem(company, PROBLEM, detail(outage), outage.first)
    return found


def flush(db: Database, *, now: bool = False) -> None:
    """Write the noted outages, if any, in their own transaction (called before a request is
    served; a no-op unless an outage was noted). While the database is still away this is
    tried at most every ``RETRY_SECONDS``, unless ``now`` (it was just seen reachable).
    Never raises."""
    if not _noted or (not now and time.monotonic() < _next_try[0]):
        return
    _next_try[0] = time.monotonic() + RETRY_SECONDS
    taken = take()
    try:
        with db.transaction() as session:
            found = record(session, taken)
    except Exception as exc:
        put_back(taken)
        log.warning("database outage not recorded yet (%s)", type(exc).__name__)
        return
    log.warning("database outage recorded on %d companies' status", found)

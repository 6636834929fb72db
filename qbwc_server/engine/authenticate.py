"""authenticate (protocol doc §3.3), and the idle poll's cost.

Most authenticates at scale are a Web Connector polling a company with nothing due. That answer
is decided from one indexed statement (:func:`_read_login`: the company by user name, with the
throttle's count for this address, this address's Web Connector row, whether any write-back is
open and the ticket-signing key) and writes nothing: no session row (the ``none`` ticket is a
signed value, engine/tickets.py), and the last-contact bookkeeping is coalesced — the company's
``last_contact_at`` and its connector's ``last_seen_at`` move at most once a minute
(``CONTACT_RESOLUTION``), which keeps "Connected to Server" and "last seen" true to the minute.

Two ways in, one set of rules: :func:`answer_without_writes` answers such a poll from that one
read on an autocommit connection (``Database.quick_read``: one round trip, no BEGIN, COMMIT or
pool ping) and gives up (None) whenever a write is needed; :func:`authenticate` then answers in
a transaction, reading again. Both decide with :func:`_refusal`, :func:`_contact_to_note` and
:func:`_wait_without_work`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, bindparam, exists, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from models import AppSetting, Company, Connector, Operation, QbwcSession, utcnow
from models.base import UTCDateTime
from qbwc_server.config import Settings
from qbwc_server.engine import client_versions, lease
from qbwc_server.engine.prepared_read import PreparedReads, driver_runs
from qbwc_server.engine.tickets import issue_ticket, new_ticket_value, no_work_ticket
from qbwc_server.observability import context as log_context
from qbwc_server.observability.counting import count_session_ended, session_ended
from qbwc_server.services import connector_keys, connectors, login_throttle, sync_gate
from qbwc_server.services.settings_store import (
    TICKET_SECRET_KEY,
    remember_ticket_secret,
    ticket_secret,
)
from qbwc_server.writeback import queue as write_queue
from qbwc_server.writeback.catalog import QUEUED, SENT

log = logging.getLogger(__name__)

# authenticate answers (§3.3): index 0 ticket, 1 status, 2 postpone seconds.
NVU = "nvu"  # bad credentials: "Invalid password for username"
NONE = "none"  # valid user, nothing to do now
USE_OPEN_FILE = ""  # use the company file open in QuickBooks; verified on the first call

MIN_POSTPONE_SECONDS = 60
CONTACT_RESOLUTION = connectors.CONTACT_RESOLUTION


@dataclass(frozen=True)
class Login:
    """What authenticate needs to know, read in one statement."""

    company_id: int
    key_hash: str
    sync_interval_minutes: int
    bound_at: datetime | None
    paused_until: datetime | None  # with pending_binding: what services/sync_gate.py reads
    pending_binding: dict[str, Any] | None
    last_complete_sync_at: datetime | None
    last_contact_at: datetime | None
    lease_ticket: str | None
    lease_expires_at: datetime | None
    failures: int  # wrong keys of this (user name, address) in the throttle window
    connector_id: int | None  # this address's Web Connector row, if it has been seen
    connector_seen_at: datetime | None
    connector_version: str | None
    open_operations: bool  # a write-back queued or sent: the exact check decides
    ticket_secret: str | None


def _connector(column: Any) -> Any:
    """This address's Web Connector row of the company (the latest seen), one column of it."""
    return (
        select(column)
        .where(Connector.company_id == Company.id, Connector.remote_addr == bindparam("addr"))
        .order_by(Connector.last_seen_at.desc(), Connector.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# Built once, with bound parameters: constructing it costs more than running it.
_LOGIN = select(
    Company.id,
    Company.key_hash,
    Company.sync_interval_minutes,
    Company.bound_at,
    Company.paused_until,
    Company.pending_binding,
    Company.last_complete_sync_at,
    Company.last_contact_at,
    Company.lease_ticket,
    Company.lease_expires_at,
    login_throttle.failure_count(
        bindparam("username"),
        bindparam("addr"),
        bindparam("cutoff", type_=UTCDateTime()),
        bindparam("failure_limit", type_=Integer()),
    ),
    _connector(Connector.id),
    _connector(Connector.last_seen_at),
    _connector(Connector.client_version),
    # Two equalities, not IN (…): an IN list is expanded into the SQL text at every execution.
    exists().where(
        Operation.company_id == Company.id, or_(Operation.state == QUEUED, Operation.state == SENT)
    ),
    select(AppSetting.value).where(AppSetting.key == TICKET_SECRET_KEY).scalar_subquery(),
).where(Company.username == bindparam("username"))


_LOGIN_QUICK = PreparedReads(_LOGIN)  # the poll's read on an autocommit connection


def _read_login(
    conn: Connection,
    settings: Settings,
    username: str,
    remote_addr: str,
    now: datetime,
    *,
    quick: bool = False,
) -> Login | None:
    """``quick``: ``conn`` is an autocommit connection (``Database.quick_read``)."""
    params = {
        "username": username,
        "addr": remote_addr[:64],
        "cutoff": login_throttle.window_start(settings, now),
        "failure_limit": settings.login_failure_limit,
    }
    if quick and driver_runs(conn):
        row = _LOGIN_QUICK.first(conn, params)  # straight on the driver (prepared_read.py)
    else:
        row = conn.execute(_LOGIN, params).first()
    return None if row is None else Login(*row)


def _sync_due_in_seconds(login: Login, now: datetime) -> int:
    """0 when a sync is due now; otherwise seconds until the interval has passed."""
    if login.bound_at is None or login.last_complete_sync_at is None:
        return 0  # never verified or never completed: always work
    due = login.last_complete_sync_at + timedelta(minutes=login.sync_interval_minutes)
    return max(0, int((due - now).total_seconds()))


def _lease_held(login: Login, now: datetime) -> bool:
    return (
        login.lease_ticket is not None
        and login.lease_expires_at is not None
        and login.lease_expires_at > now
    )


def _stale(seen: datetime | None, now: datetime) -> bool:
    return seen is None or now - seen >= CONTACT_RESOLUTION


def _contact_to_note(
    login: Login, remote_addr: str, version: str | None, now: datetime
) -> tuple[bool, bool]:
    """The coalesced bookkeeping, at most once a minute per company and per Web Connector —
    (the company's ``last_contact_at``, this address's connector row) to write now:

    - the company's ``last_contact_at`` when it is a minute old ("Connected to Server");
    - this address's connector when it was last seen a minute ago or reports another version;
    - an address not seen before (a new PC) together with the company's minute, or at once
      while another PC holds the sync (whose calls keep the company's contact fresh), so a
      flood of polls from ever new addresses costs one write a minute, not one each.
    """
    company_stale = _stale(login.last_contact_at, now)
    if login.connector_id is None:
        noted = company_stale or _lease_held(login, now)
    else:
        noted = _stale(login.connector_seen_at, now) or (
            version is not None and version != login.connector_version
        )
    return company_stale, noted


def _note_contact(
    session: Session, login: Login, remote_addr: str, version: str | None, now: datetime
) -> None:
    company_stale, noted = _contact_to_note(login, remote_addr, version, now)
    if company_stale:
        session.execute(
            update(Company).where(Company.id == login.company_id).values(last_contact_at=now)
        )
    if noted:
        connectors.note_contact(session, login.company_id, remote_addr, version, now)


def _wait_without_work(login: Login, now: datetime) -> int | None:
    """Seconds to postpone when nothing may or need run now, decided from the login row alone;
    None when a sync is due or a write-back may be (the exact queue check decides)."""
    # Paused, or the company file waits for a person to confirm it (services/sync_gate.py).
    gate = sync_gate.closed(cast(Company, login), now)  # Login carries the columns it reads
    if gate is not None:
        return gate.postpone_seconds
    # Another Web Connector (a second PC) is syncing this company right now.
    if _lease_held(login, now):
        return _seconds_left(login.lease_expires_at, now)
    due_in = _sync_due_in_seconds(login, now)
    if due_in > 0 and not login.open_operations:
        return due_in
    return None


@dataclass(frozen=True)
class Refusal:
    outcome: str  # the sessions metric's outcome: "nvu" or "throttled"
    counted: bool = False  # a wrong key the throttle counts (a write: the transaction does it)


def _refusal(
    login: Login | None, settings: Settings, username: str, password: str | None, remote_addr: str
) -> Refusal | None:
    """Why this login is refused, or None for the right key of a known user name."""
    if login is None:
        # Not the name as sent: people paste the Connector Key into the user-name box too.
        log.debug(
            "authenticate: nvu for unknown user (%d characters) from %s", len(username), remote_addr
        )
        return Refusal(outcome="nvu")
    # The throttle counts wrong keys per (user name, address): a throttled pair is answered
    # "nvu" without looking at the key, unless this company's Web Connector has authenticated
    # from that address before (services/login_throttle.py). The right key from any other
    # address always gets in.
    throttled = login_throttle.is_throttled(login.failures, settings)
    if throttled and login.connector_id is None:
        log.debug("authenticate throttled for user %r from %s", username, remote_addr)
        return Refusal(outcome="throttled")
    if not connector_keys.key_matches(password or "", login.key_hash):
        # Neither the company row nor its session history: a stranger's wrong tries must not
        # overwrite what the customer sees. Throttled pairs are not counted any further.
        return Refusal(outcome="nvu", counted=not throttled)
    return None


def authenticate(
    session: Session,
    settings: Settings,
    username: str | None,
    password: str | None,
    remote_addr: str,
) -> list[str]:
    """The answer, in the caller's transaction: the writes it needs are made in it."""
    username = (username or "").strip()[:200]
    now = utcnow()
    conn = session.connection()
    login = _read_login(conn, settings, username, remote_addr, now) if username else None
    refusal = _refusal(login, settings, username, password, remote_addr)
    if refusal is not None or login is None:
        refusal = refusal or Refusal(outcome="nvu")
        if refusal.counted:
            login_throttle.record_failure(session, settings, username, remote_addr)
            log.info("authenticate: nvu for user %r from %s", username, remote_addr)
        return _refused(session, refusal.outcome)

    log_context.bind(company_id=login.company_id)  # for the log lines
    version = client_versions.recent(remote_addr)
    _note_contact(session, login, remote_addr, version, now)

    wait = _wait_without_work(login, now)
    if wait is None:
        due_in = _sync_due_in_seconds(login, now)
        if due_in > 0 and not write_queue.has_pending_work(session, login.company_id):
            wait = due_in  # the open write-backs are not deliverable yet
    if wait is not None:
        return _no_work(session, settings, login, wait)
    return _start(session, settings, login, username, remote_addr, version, now)


def answer_without_writes(
    conn: Connection,
    secret_bind: Any,
    settings: Settings,
    username: str | None,
    password: str | None,
    remote_addr: str,
) -> list[str] | None:
    """The answer of a poll that needs no write, from the one read on an autocommit connection
    (``Database.quick_read``: no transaction, no pool ping) — most polls at scale: nothing due,
    contact noted less than a minute ago. None when a write is needed (a wrong key to count,
    the minute's contact to note, a sync or write-back to start, no ticket key yet): the caller
    then runs :func:`authenticate` in a transaction, which reads again and decides there.
    Decided by the same functions as :func:`authenticate`, so both answer alike.
    ``secret_bind``: the engine the ticket key is remembered for (closeConnection's check)."""
    username = (username or "").strip()[:200]
    now = utcnow()
    login = (
        _read_login(conn, settings, username, remote_addr, now, quick=True) if username else None
    )
    refusal = _refusal(login, settings, username, password, remote_addr)
    if refusal is not None or login is None:
        refusal = refusal or Refusal(outcome="nvu")
        if refusal.counted:
            return None
        count_session_ended(refusal.outcome)
        return ["", NVU]
    version = client_versions.recent(remote_addr)
    if any(_contact_to_note(login, remote_addr, version, now)) or not login.ticket_secret:
        return None
    wait = _wait_without_work(login, now)
    if wait is None:
        return None
    log_context.bind(company_id=login.company_id)  # for the log lines
    count_session_ended(NONE)
    secret = remember_ticket_secret(secret_bind, login.ticket_secret)
    ticket = no_work_ticket(secret, login.company_id, settings.ticket_ttl_seconds)
    return [ticket, NONE, str(max(MIN_POSTPONE_SECONDS, wait))]


def _start(
    session: Session,
    settings: Settings,
    login: Login,
    username: str,
    remote_addr: str,
    version: str | None,
    now: datetime,
) -> list[str]:
    """Work to do: take the company's sync lease and open a session with a ticket row."""
    company = session.get(Company, login.company_id, populate_existing=True)
    assert company is not None
    company.last_contact_at = now
    value = new_ticket_value()
    if not lease.try_acquire(session, company, value, settings.sync_lease_seconds):
        # Lost a race with another connector between the read above and now.
        return _no_work(session, settings, login, lease.seconds_left(company, now))
    record = QbwcSession(
        company_id=company.id,
        username=username,
        remote_addr=remote_addr,
        client_version=version,
        connector_id=connectors.note_contact(session, company.id, remote_addr, version, now),
        started_at=now,
        state={"phase": "authenticated"},
        hresults=[],
    )
    session.add(record)
    session.flush()
    log_context.bind(session_id=record.id)
    ticket = issue_ticket(session, company, record, settings, value)
    return [ticket.ticket, USE_OPEN_FILE]


def _seconds_left(until: datetime | None, now: datetime) -> int:
    return 0 if until is None else max(0, int((until - now).total_seconds()))


def _refused(session: Session, outcome: str) -> list[str]:
    """``nvu`` for a wrong user name or key: no ticket, no row (QBWC still calls closeConnection
    with the empty ticket, §3.3); only the sessions metric counts it."""
    session_ended(session, outcome)
    return ["", NVU]


def _no_work(session: Session, settings: Settings, login: Login, wait: int) -> list[str]:
    """``none`` + postpone: no session follows, so no row either. The ticket is a signed value
    (engine/tickets.py) that can only end the session: its closeConnection reads and writes
    nothing, and it can never run a sync, even if work comes due before it expires."""
    session_ended(session, "none")
    # Signed with the key in the database now (read with the company; made on first use).
    secret = ticket_secret(session, login.ticket_secret, fresh=True)
    ticket = no_work_ticket(secret, login.company_id, settings.ticket_ttl_seconds)
    return [ticket, NONE, str(max(MIN_POSTPONE_SECONDS, wait))]

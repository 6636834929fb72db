"""clientVersion and authenticate (protocol doc §3.2, §3.3)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import ClientHello, Company, QbwcSession, utcnow
from qbwc_server.config import Settings
from qbwc_server.engine import lease
from qbwc_server.engine.tickets import issue_ticket, new_ticket_value, no_work_ticket
from qbwc_server.observability import context as log_context
from qbwc_server.observability.counting import session_ended
from qbwc_server.services import connector_keys, connectors, login_throttle, sync_gate
from qbwc_server.services.companies import find_by_username
from qbwc_server.services.settings_store import ticket_secret
from qbwc_server.writeback import queue as write_queue

log = logging.getLogger(__name__)

# authenticate answers (§3.3): index 0 ticket, 1 status, 2 postpone seconds.
NVU = "nvu"  # bad credentials: "Invalid password for username"
NONE = "none"  # valid user, nothing to do now
USE_OPEN_FILE = ""  # use the company file open in QuickBooks; verified on the first call

HELLO_TTL = timedelta(minutes=5)
MIN_POSTPONE_SECONDS = 60


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def client_version(
    session: Session, settings: Settings, version: str | None, remote_addr: str
) -> str:
    """ "" continues; "W:" warns (needs a human, so only when configured); "E:" stops (§3.2)."""
    version = (version or "").strip()[:40]
    now = utcnow()
    session.execute(delete(ClientHello).where(ClientHello.seen_at < now - HELLO_TTL))
    if version:
        session.add(ClientHello(remote_addr=remote_addr, client_version=version, seen_at=now))
    if (
        version
        and settings.min_client_version
        and _version_tuple(version) < _version_tuple(settings.min_client_version)
    ):
        return (
            f"E:This server needs QuickBooks Web Connector {settings.min_client_version} or newer "
            f"(you have {version}). Download the latest Web Connector from Intuit."
        )
    if (
        version
        and settings.warn_client_version
        and _version_tuple(version) < _version_tuple(settings.warn_client_version)
    ):
        return (
            f"W:QuickBooks Web Connector {version} is old; please update to "
            f"{settings.warn_client_version} or newer."
        )
    return ""


def _recent_client_version(session: Session, remote_addr: str) -> str | None:
    row = session.scalars(
        select(ClientHello)
        .where(ClientHello.remote_addr == remote_addr)
        .where(ClientHello.seen_at >= utcnow() - HELLO_TTL)
        .order_by(ClientHello.id.desc())
    ).first()
    return row.client_version if row else None


def _sync_due_in_seconds(company: Company) -> int:
    """0 when a sync is due now; otherwise seconds until the interval has passed."""
    if company.bound_at is None or company.last_complete_sync_at is None:
        return 0  # never verified or never completed: always work
    due = company.last_complete_sync_at + timedelta(minutes=company.sync_interval_minutes)
    return max(0, int((due - utcnow()).total_seconds()))


def authenticate(
    session: Session,
    settings: Settings,
    username: str | None,
    password: str | None,
    remote_addr: str,
) -> list[str]:
    username = (username or "").strip()[:200]
    now = utcnow()
    company = find_by_username(session, username) if username else None
    if company is None:
        log.debug("authenticate: nvu for unknown user %r from %s", username, remote_addr)
        return _refused(session, "nvu")

    # The throttle counts wrong keys per (user name, address): a throttled pair is answered
    # "nvu" without looking at the key, unless this company's Web Connector has authenticated
    # from that address before (services/login_throttle.py). The right key from any other
    # address always gets in.
    failures = int(
        session.scalar(select(login_throttle.failure_count(username, remote_addr, settings, now)))
        or 0
    )
    throttled = login_throttle.is_throttled(failures, settings)
    if throttled and not connectors.seen_from(session, company.id, remote_addr):
        log.debug("authenticate throttled for user %r from %s", username, remote_addr)
        return _refused(session, "throttled")
    if not connector_keys.key_matches(password or "", company.key_hash):
        # Neither the company row nor its session history: a stranger's wrong tries must not
        # overwrite what the customer sees. Throttled pairs are not counted any further.
        if not throttled:
            login_throttle.record_failure(session, settings, username, remote_addr)
            log.info("authenticate: nvu for user %r from %s", username, remote_addr)
        return _refused(session, "nvu")

    log_context.bind(company_id=company.id)  # for the log lines
    version = _recent_client_version(session, remote_addr)
    company.last_contact_at = now
    connector_id = connectors.note_contact(session, company.id, remote_addr, version, now)

    # Paused, or the company file waits for a person to confirm it (services/sync_gate.py).
    gate = sync_gate.closed(company, now)
    if gate is not None:
        return _no_work(session, settings, company, gate.postpone_seconds)

    # Another Web Connector (a second PC) is syncing this company right now.
    if lease.held_by_other(company, None, now):
        return _no_work(session, settings, company, lease.seconds_left(company))

    due_in = _sync_due_in_seconds(company)
    if due_in > 0 and not write_queue.has_pending_work(session, company.id):
        return _no_work(session, settings, company, due_in)

    value = new_ticket_value()
    if not lease.try_acquire(session, company, value, settings.sync_lease_seconds):
        # Lost a race with another connector between the check above and now.
        return _no_work(session, settings, company, lease.seconds_left(company))

    record = QbwcSession(
        company_id=company.id,
        username=username,
        remote_addr=remote_addr,
        client_version=version,
        connector_id=connector_id,
        started_at=now,
        state={"phase": "authenticated"},
        hresults=[],
    )
    session.add(record)
    session.flush()
    log_context.bind(session_id=record.id)
    ticket = issue_ticket(session, company, record, settings, value)
    return [ticket.ticket, USE_OPEN_FILE]


def _refused(session: Session, outcome: str) -> list[str]:
    """``nvu`` for a wrong user name or key: no ticket, no row (QBWC still calls closeConnection
    with the empty ticket, §3.3); only the sessions metric counts it."""
    session_ended(session, outcome)
    return ["", NVU]


def _no_work(session: Session, settings: Settings, company: Company, wait: int) -> list[str]:
    """``none`` + postpone: no session follows, so no row either. The ticket is a signed value
    (engine/tickets.py) that can only end the session: its closeConnection reads and writes
    nothing, and it can never run a sync, even if work comes due before it expires."""
    session_ended(session, "none")
    secret = ticket_secret(session, fresh=True)  # signed with the key in the database now
    ticket = no_work_ticket(secret, company.id, settings.ticket_ttl_seconds)
    return [ticket, NONE, str(max(MIN_POSTPONE_SECONDS, wait))]

"""Session tickets: issued by authenticate, re-checked on every later call (user-pains #1)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, QbwcSession, Ticket, utcnow
from qbwc_server.config import Settings
from qbwc_server.observability import context as log_context


@dataclass
class TicketContext:
    ticket: Ticket
    company: Company
    qbwc_session: QbwcSession


class TicketRejected(Exception):
    """The ticket cannot be used; the message is safe to show the Web Connector user."""


def issue_ticket(
    session: Session, company: Company, qbwc_session: QbwcSession, settings: Settings
) -> Ticket:
    now = utcnow()
    ticket = Ticket(
        ticket=secrets.token_urlsafe(32),  # 256 bits from the CSPRNG; primary key => unique
        session_id=qbwc_session.id,
        company_id=company.id,
        key_version=company.key_version,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.ticket_ttl_seconds),
    )
    session.add(ticket)
    session.flush()
    return ticket


def resolve_ticket(session: Session, value: str | None) -> TicketContext:
    """Load and check a ticket. Raises TicketRejected with a plain-words reason."""
    if not value:
        raise TicketRejected("No session ticket was sent.")
    # One statement for the ticket, its company (row-locked until commit: the lease and the
    # sync state of a company change under this lock only) and its QBWC session.
    found = session.execute(
        select(Ticket, Company, QbwcSession)
        .join(Company, Company.id == Ticket.company_id)
        .join(QbwcSession, QbwcSession.id == Ticket.session_id)
        .where(Ticket.ticket == value[:64])
        .with_for_update(of=Company)
    ).first()
    if found is None:
        if session.get(Ticket, value[:64]) is not None:
            raise TicketRejected("The company of this session no longer exists.")
        raise TicketRejected(
            "This Web Connector session is unknown to the server (it may have expired). "
            "The next scheduled run starts a new one."
        )
    row, company, qbwc_session = found
    log_context.bind(company_id=company.id, session_id=qbwc_session.id)  # for the log lines
    if row.key_version != company.key_version:
        raise TicketRejected(
            "The Connector Key of this company was changed. Enter the new key in the Web "
            "Connector (Password column) to continue."
        )
    if row.closed_at is not None:
        raise TicketRejected("This Web Connector session was already closed.")
    if row.expires_at <= utcnow():
        raise TicketRejected(
            "This Web Connector session expired. The next scheduled run starts a new one."
        )
    return TicketContext(ticket=row, company=company, qbwc_session=qbwc_session)


def is_live(session: Session, value: str) -> bool:
    """Whether ``value`` is an open, unexpired ticket of a session (no row lock, no writes).

    Used before reading a large request body (soap/envelope.py): only a live session may make
    the server read and parse up to QBWC_MAX_BODY_BYTES.
    """
    if not value or len(value) > 64:
        return False
    row = session.get(Ticket, value)
    return row is not None and row.closed_at is None and row.expires_at > utcnow()

"""Which Web Connectors (PCs) reach the server for a company, and which one syncs now.

A connector is told apart by the address it calls from and, once a session of it has run, by
the machine name QBWC writes into the company file while it updates (the AppLock stamp
``LOCKED:<MACHINE>:<ticks>``, docs/protocol.md §4.3). authenticate carries no machine name, so
a poll is counted for the connector last seen at that address: two PCs behind one public
address are told apart once each has run a session (it is the session's company data that names
the machine).

Writes are coalesced: a connector's ``last_seen_at`` moves at most once per
``CONTACT_RESOLUTION`` (a Web Connector polling every minute writes once a minute, not once a
poll); "last seen" is therefore exact to that resolution.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Company, Connector, QbwcSession, Ticket

CONTACT_RESOLUTION = timedelta(seconds=60)
SHOWN_FOR = timedelta(days=30)  # connectors seen in the last 30 days are listed
_MACHINE = re.compile(r"^LOCKED:(?P<machine>[^:]{1,64}):\d*$")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def machine_from_app_lock(value: str | None) -> str | None:
    """``LOCKED:MOUMITA:636948155984807268`` -> ``MOUMITA``; None when absent or not that
    shape (§4.3)."""
    match = _MACHINE.match((value or "").strip())
    if match is None:
        return None
    machine = _UNPRINTABLE.sub("", match.group("machine")).strip()
    return machine or None


def note_contact(
    session: Session,
    company_id: int,
    remote_addr: str,
    client_version: str | None,
    now: datetime,
) -> int:
    """A Web Connector of this company authenticated from ``remote_addr``: the id of its
    connector row (created on first sight; ``last_seen_at`` moved at most once a minute)."""
    addr = (remote_addr or "?")[:64]
    row = session.scalars(
        select(Connector)
        .where(Connector.company_id == company_id, Connector.remote_addr == addr)
        .order_by(Connector.last_seen_at.desc(), Connector.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return _insert(session, company_id, addr, "", client_version, now).id
    _seen(row, client_version, now)
    return row.id


def seen_from(session: Session, company_id: int, remote_addr: str) -> bool:
    """Whether a Web Connector of this company has authenticated from ``remote_addr``."""
    found = session.scalar(
        select(Connector.id)
        .where(Connector.company_id == company_id, Connector.remote_addr == remote_addr[:64])
        .limit(1)
    )
    return found is not None


def note_machine(
    session: Session,
    company_id: int,
    connector_id: int | None,
    remote_addr: str | None,
    machine: str | None,
    now: datetime,
) -> int | None:
    """A session's company data named its machine: the connector row of that machine at that
    address (the session's row when it had no name yet). Returns the connector id."""
    if not machine:
        return connector_id
    addr = (remote_addr or "?")[:64]
    row = session.get(Connector, connector_id) if connector_id is not None else None
    if row is not None and row.machine_name == machine:
        return row.id
    named = session.scalars(
        select(Connector).where(
            Connector.company_id == company_id,
            Connector.remote_addr == addr,
            Connector.machine_name == machine,
        )
    ).first()
    version = row.client_version if row is not None else None
    if named is not None:
        _seen(named, version, now)
        if row is not None and row.machine_name == "" and row.first_seen_at >= named.first_seen_at:
            session.delete(row)  # the same PC, seen before its name was known: one row
        return named.id
    if row is not None and row.machine_name == "":
        row.machine_name = machine
        return row.id
    return _insert(session, company_id, addr, machine, version, now).id


def note_sync(session: Session, connector_id: int | None, now: datetime) -> None:
    """The connector's session finished its work."""
    row = session.get(Connector, connector_id) if connector_id is not None else None
    if row is not None:
        row.last_sync_at = now


def _seen(row: Connector, client_version: str | None, now: datetime) -> None:
    version = (client_version or "")[:40] or None
    if version and version != row.client_version:
        row.client_version = version
        row.last_seen_at = now
    elif now - row.last_seen_at >= CONTACT_RESOLUTION:
        row.last_seen_at = now


def _insert(
    session: Session,
    company_id: int,
    addr: str,
    machine: str,
    client_version: str | None,
    now: datetime,
) -> Connector:
    row = Connector(
        company_id=company_id,
        remote_addr=addr,
        machine_name=machine,
        client_version=(client_version or "")[:40] or None,
        first_seen_at=now,
        last_seen_at=now,
    )
    try:
        with session.begin_nested():  # two first contacts at once: one row wins
            session.add(row)
    except IntegrityError:
        found = session.scalars(
            select(Connector).where(
                Connector.company_id == company_id,
                Connector.remote_addr == addr,
                Connector.machine_name == machine,
            )
        ).first()
        assert found is not None
        return found
    return row


def holder_connector_id(session: Session, company: Company, now: datetime) -> int | None:
    """The connector whose session holds the company's sync lease right now, if any."""
    if (
        company.lease_ticket is None
        or company.lease_expires_at is None
        or company.lease_expires_at <= now
    ):
        return None
    return session.scalar(
        select(QbwcSession.connector_id)
        .join(Ticket, Ticket.session_id == QbwcSession.id)
        .where(Ticket.ticket == company.lease_ticket)
    )


def list_connectors(session: Session, company: Company, now: datetime) -> list[dict[str, Any]]:
    """Every Web Connector seen for the company in the last 30 days, latest first; the one
    holding the sync now has ``holds_sync`` true."""
    holder = holder_connector_id(session, company, now)
    rows = session.scalars(
        select(Connector)
        .where(Connector.company_id == company.id, Connector.last_seen_at >= now - SHOWN_FOR)
        .order_by(Connector.last_seen_at.desc(), Connector.id.desc())
    )
    return [
        {
            "id": row.id,
            "remote_addr": row.remote_addr,
            "machine_name": row.machine_name or None,
            "client_version": row.client_version,
            "first_seen_at": row.first_seen_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
            "last_sync_at": row.last_sync_at.isoformat() if row.last_sync_at else None,
            "holds_sync": row.id == holder,
        }
        for row in rows
    ]

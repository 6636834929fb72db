"""Session tickets: issued by authenticate, re-checked on every later call (user-pains #1)."""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import secrets
import struct
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, literal_column, select
from sqlalchemy.orm import Session

from models import Company, Operation, QbwcSession, Ticket, utcnow
from qbwc_server.config import Settings
from qbwc_server.help import catalog
from qbwc_server.observability import context as log_context
from qbwc_server.services.settings_store import known_ticket_secret, ticket_secret
from qbwc_server.writeback.catalog import OPEN_STATES

EXPIRED = "It expired."  # the detail of session_unknown for an expired ticket


@dataclass
class TicketContext:
    ticket: Ticket
    company: Company
    qbwc_session: QbwcSession
    # Whether the company had a write-back queued or sent when the call began: when not, the
    # call need not look at the queue (writeback/delivery.py).
    open_operations: bool = True


def _open_state() -> ColumnElement[bool]:
    """``state IN ('queued', 'sent')`` with the states in the SQL text: ``in_()`` of a list
    makes an expanding parameter, whose IN list SQLAlchemy renders anew on every execution."""
    return Operation.state.in_([literal_column(f"'{state}'") for state in OPEN_STATES])


# One statement for the ticket, its company (row-locked until commit: the lease and the sync
# state of a company change under this lock only), its QBWC session and whether its write-back
# queue has anything open. Built once, with a bound parameter: constructing it cost about as
# much as running it.
_RESOLVE = (
    select(
        Ticket,
        Company,
        QbwcSession,
        exists().where(Operation.company_id == Company.id, _open_state()).label("open_operations"),
    )
    .join(Company, Company.id == Ticket.company_id)
    .join(QbwcSession, QbwcSession.id == Ticket.session_id)
    .where(Ticket.ticket == bindparam("ticket"))
    .with_for_update(of=Company)
)


class TicketRejected(Exception):
    """The ticket cannot be used. ``code`` names the help catalog entry that explains it; the
    message is that entry's words with ``detail`` (which of the entry's causes it was), safe to
    show the Web Connector user."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(catalog.web_connector_text(code, detail))
        self.code = code


def new_ticket_value() -> str:
    return secrets.token_urlsafe(32)  # 256 bits from the CSPRNG; 43 characters


def issue_ticket(
    session: Session, company: Company, qbwc_session: QbwcSession, settings: Settings, value: str
) -> Ticket:
    now = utcnow()
    ticket = Ticket(
        ticket=value,  # new_ticket_value(); primary key => unique
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
    """Load and check a ticket. Raises :class:`TicketRejected` naming the catalog entry."""
    if not value:
        raise TicketRejected("session_unknown", "No ticket sent.")
    _refuse_no_work_ticket(session, value)  # "none": ends the session, runs nothing
    found = session.execute(_RESOLVE, {"ticket": value[:64]}).first()
    if found is None:
        if session.get(Ticket, value[:64]) is not None:
            raise TicketRejected("company_deleted")
        raise TicketRejected("session_unknown", "Perhaps it expired.")
    row, company, qbwc_session, open_operations = found
    log_context.bind(company_id=company.id, session_id=qbwc_session.id)  # for the log lines
    if row.key_version != company.key_version:
        raise TicketRejected("connector_key_rotated")
    if row.closed_at is not None:
        raise TicketRejected("session_unknown", "Already closed.")
    now = utcnow()
    if row.expires_at <= now:
        raise TicketRejected("session_unknown", EXPIRED)
    _recently_live.note(row.ticket, (row.expires_at - now).total_seconds())
    return TicketContext(row, company, qbwc_session, bool(open_operations))


class RecentlyLive:
    """Tickets this process found live in the last ``LIVE_FOR`` seconds (bounded, LRU).

    Only for admitting a large request body (:func:`seen_live`): the page a live session sends
    after its sendRequestXML is let in without a transaction of its own to look the ticket up.
    Its call still resolves the ticket (closed, expired, rotated key: refused there), so at
    worst a ticket closed by another worker in those seconds gets one body read before that
    refusal. A ticket this process closes is forgotten at once.
    """

    LIVE_FOR = 30.0
    MAX_TICKETS = 4096

    def __init__(self) -> None:
        self._until: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, value: str, seconds_left: float) -> None:
        until = time.monotonic() + min(self.LIVE_FOR, seconds_left)
        with self._lock:
            self._until[value] = until
            self._until.move_to_end(value)
            while len(self._until) > self.MAX_TICKETS:
                self._until.popitem(last=False)

    def forget(self, value: str) -> None:
        with self._lock:
            self._until.pop(value, None)

    def __contains__(self, value: str) -> bool:
        with self._lock:
            until = self._until.get(value)
        return until is not None and until > time.monotonic()


_recently_live = RecentlyLive()


def seen_live(value: str) -> bool:
    """Whether this process resolved ``value`` as a live ticket moments ago (no statement)."""
    return bool(value) and value in _recently_live


def forget_live(value: str) -> None:
    """The ticket was closed: it is no longer admitted from memory."""
    _recently_live.forget(value)


def is_live(session: Session, value: str) -> bool:
    """Whether ``value`` is an open, unexpired ticket of a session (no row lock, no writes).

    Used before reading a large request body (soap/envelope.py): only a live session may make
    the server read and parse up to QBWC_MAX_BODY_BYTES.
    """
    if not value or len(value) > 64:
        return False
    row = session.get(Ticket, value)
    return row is not None and row.closed_at is None and row.expires_at > utcnow()


# -- tickets of sessions without work ---------------------------------------------------------
# authenticate's "none" needs a ticket (QBWC calls closeConnection with it, §3.3), but no session
# follows: the ticket is a signed value instead of a row, so answering "none" writes nothing and
# its closeConnection reads nothing. 16 random bytes, the company id and expiry masked with a
# keystream of the random bytes, 16 bytes of HMAC-SHA256 over both: 54 characters of base64url,
# which no row ticket (43 characters) has. A forged or altered one is simply unknown; a valid
# one can never run a sync (resolve_ticket refuses it before any row is read).
_NONCE = 16
_TAG = 16
_FACTS = struct.Struct(">II")  # company id, expiry (Unix seconds)
NO_WORK_TICKET_LENGTH = 54  # base64url of 16 + 8 + 16 bytes
NOTHING_TO_DO = "Nothing to do right now."


class NoWorkTicket(TicketRejected):
    """The ticket of an authenticate that answered "none": it ends the session, nothing else.
    Not a problem: closeConnection says so in a few words."""

    def __init__(self) -> None:
        Exception.__init__(self, NOTHING_TO_DO)
        self.code = "no_sync_due"


# hmac.digest: the one-shot form (C, no HMAC object), a fraction of hmac.new(...).digest().
def _mask(secret: bytes, nonce: bytes) -> bytes:
    return hmac.digest(secret, b"mask" + nonce, "sha256")[: _FACTS.size]


def _tag(secret: bytes, nonce: bytes, sealed: bytes) -> bytes:
    return hmac.digest(secret, b"tag" + nonce + sealed, "sha256")[:_TAG]


def no_work_ticket(secret: bytes, company_id: int, ttl_seconds: int) -> str:
    nonce = secrets.token_bytes(_NONCE)
    facts = _FACTS.pack(company_id, int(time.time()) + ttl_seconds)
    sealed = bytes(a ^ b for a, b in zip(facts, _mask(secret, nonce), strict=True))
    raw = nonce + sealed + _tag(secret, nonce, sealed)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@functools.lru_cache(maxsize=256)
def read_no_work_ticket(secret: bytes, value: str) -> tuple[int, int] | None:
    """(company id, expiry) of a ticket this server signed, or None. Remembered for the last
    few: a closeConnection's ticket is checked by the serving worker, then by the endpoint,
    then by the call itself (a pure function of its arguments)."""
    if len(value) != NO_WORK_TICKET_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "==")
    except (ValueError, binascii.Error):
        return None
    nonce, sealed, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    if len(sealed) != _FACTS.size or not hmac.compare_digest(tag, _tag(secret, nonce, sealed)):
        return None
    facts = bytes(a ^ b for a, b in zip(sealed, _mask(secret, nonce), strict=True))
    company_id, expires = _FACTS.unpack(facts)
    return company_id, expires


def _no_work_verdict(secret: bytes, value: str) -> TicketRejected | None:
    """Why a valid signed ticket ends its session (NoWorkTicket, or expired); None when
    ``value`` is no ticket signed with ``secret``."""
    found = read_no_work_ticket(secret, value)
    if found is None:
        return None
    company_id, expires = found
    log_context.bind(company_id=company_id)
    if expires <= time.time():
        return TicketRejected("session_unknown", EXPIRED)
    return NoWorkTicket()


def _refuse_no_work_ticket(session: Session, value: str) -> None:
    """Raise NoWorkTicket (or TicketRejected when expired) for a valid signed ticket."""
    if len(value) != NO_WORK_TICKET_LENGTH:
        return
    verdict = _no_work_verdict(ticket_secret(session), value)
    if verdict is None:
        verdict = _no_work_verdict(ticket_secret(session, fresh=True), value)
    if verdict is not None:
        raise verdict


def close_without_database(bind: Any, value: str | None) -> str | None:
    """closeConnection's answer for a signed "none" ticket, from the key this process already
    knows — no session, no statement; None when that cannot be told so (then the normal path
    answers)."""
    secret = known_ticket_secret(bind)
    if secret is None or not value or len(value) != NO_WORK_TICKET_LENGTH:
        return None
    verdict = _no_work_verdict(secret, value)
    return None if verdict is None else str(verdict)

"""Server-wide values that are generated once and then kept in the database."""

from __future__ import annotations

import secrets
import weakref
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import AppSetting
from qbwc_server.config import Settings, new_guid
from qbwc_server.db import Database

OWNER_ID_KEY = "owner_id"


def owner_id(db: Database, settings: Settings) -> str:
    """The product's OwnerID GUID (§4.1: one per application, never per .qwc).

    QBWC_OWNER_ID wins; otherwise a GUID is generated on first use and persisted, so every
    process and every restart hands out the same one (it namespaces our FileID stamp in every
    customer's company file: changing it would orphan those stamps).
    """
    if settings.owner_id:
        return settings.owner_id
    with db.transaction() as s:
        row = s.get(AppSetting, OWNER_ID_KEY)
        if row is not None:
            return row.value
    try:
        with db.transaction() as s:
            s.add(AppSetting(key=OWNER_ID_KEY, value=new_guid()))
    except IntegrityError:
        pass  # another process won the race: use its value
    with db.transaction() as s:
        row = s.get(AppSetting, OWNER_ID_KEY)
        assert row is not None
        return row.value


def owner_id_in(session: Session, settings: Settings) -> str:
    if settings.owner_id:
        return settings.owner_id
    row = session.get(AppSetting, OWNER_ID_KEY)
    if row is None:
        raise RuntimeError("OwnerID not initialised; call services.settings_store.owner_id first")
    return row.value


TICKET_SECRET_KEY = "ticket_secret"
_ticket_secrets: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()


def ticket_secret(session: Session, stored: str | None = None, *, fresh: bool = False) -> bytes:
    """The key that signs tickets of sessions without work (``engine/tickets.py``): 256 random
    bits made once, kept in ``app_settings``, so every worker and replica signs and verifies
    with the same one. Remembered per engine after the first read; ``stored`` is the value a
    caller already read (authenticate reads it with the company), ``fresh`` re-reads it."""
    bind = session.get_bind()
    if stored:
        return remember_ticket_secret(bind, stored)
    if not fresh and bind in _ticket_secrets:
        return _ticket_secrets[bind]
    row = session.get(AppSetting, TICKET_SECRET_KEY)
    if row is None:
        try:
            with session.begin_nested():  # two first sessions at once: one value wins
                session.add(AppSetting(key=TICKET_SECRET_KEY, value=secrets.token_hex(32)))
        except IntegrityError:
            pass
        row = session.get(AppSetting, TICKET_SECRET_KEY, populate_existing=True)
        assert row is not None
    secret = bytes.fromhex(row.value)
    _ticket_secrets[bind] = secret
    return secret


def known_ticket_secret(bind: Any) -> bytes | None:
    """The ticket-signing key this process already read for ``bind`` (an engine), if any."""
    return _ticket_secrets.get(bind)


def remember_ticket_secret(bind: Any, stored: str) -> bytes:
    """The ticket-signing key as stored (hex), remembered for ``bind`` (an engine)."""
    secret = bytes.fromhex(stored)
    _ticket_secrets[bind] = secret
    return secret

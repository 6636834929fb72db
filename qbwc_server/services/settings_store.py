"""Server-wide values that are generated once and then kept in the database."""

from __future__ import annotations

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

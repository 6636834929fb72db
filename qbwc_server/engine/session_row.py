"""Writing a SOAP call's changes to its ``qbwc_sessions`` row: one Core UPDATE.

The call works on a copy of the row's ``state`` and counts its requests and progress
(engine/conversation.py ``Call``); when it is done they go to the row in one statement, with
whatever else of the row the call changed through the ORM (an HRESULT, the outcome, ...). The
ORM's unit of work did the same at commit at about twice the CPU (it finds the changed
attributes, orders the objects, builds the parameters), on every sync call. The values are then
marked as the row's committed ones, so the commit's flush finds nothing left to write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models import QbwcSession

_TABLE = QbwcSession.__table__
# The SET clause comes from the parameters' keys (column names); one compiled form per set of
# keys, cached by SQLAlchemy.
_UPDATE = update(_TABLE).where(_TABLE.c.id == bindparam("row_id"))  # type: ignore[arg-type]


def write_row(
    session: Session,
    row: QbwcSession,
    state: dict[str, Any],
    requests_sent: int,
    progress: int | None,
) -> None:
    values: dict[str, Any] = {"calls": (row.calls or 0) + 1}
    if requests_sent:
        values["requests_sent"] = (row.requests_sent or 0) + requests_sent
    if progress is not None and progress != row.progress:
        values["progress"] = progress
    if state != row.state:  # the loaded document: the call changed a copy
        values["state"] = state
    instance = inspect(row)
    if instance.modified:  # changed through the ORM in this call: the same statement
        for attr in instance.attrs:
            if attr.key not in values and attr.history.has_changes():
                values[attr.key] = attr.value
    session.connection().execute(_UPDATE, {"row_id": row.id, **values})
    for key, value in values.items():
        set_committed_value(row, key, value)

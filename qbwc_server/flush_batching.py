"""Rows of one table changed in one flush go to the database as one UPDATE statement.

SQLAlchemy sends the UPDATEs of a flush grouped by the set of columns each row changed:
consecutive rows with the same set share one ``executemany``, any other row is a statement
of its own. A sync call moves many stream cursors at once (an incremental session's one
exchange answers about twenty streams), each in a slightly different way (one gets a new
watermark, another its page counts, a third a new window), so each was its own statement:
about a third of an incremental session's SQL, each paying SQLAlchemy's and the driver's
per-statement cost.

Before each flush, :func:`align_updates` gives the changed rows of each class of
:data:`ALIGNED` the same set of changed columns: every column some of them changed, flagged on
the others with their current value (the database stores the same row; PostgreSQL writes a
whole new row version for any UPDATE anyway). The rows then go as one ``executemany`` per
table, which psycopg sends in one pipeline. Nothing else changes: the same rows end up with the
same values, in the same transaction, checked by the same row counts.

Writing a column back with the value this transaction read is only safe for rows no other
transaction changes meanwhile, hence the list: every write of a company's stream cursors (a
sync call, the reconcile request of the API and the CLI) holds that company's row lock
(``engine/tickets.py``, ``services/companies.get_company(for_update=True)``).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import ColumnProperty, Mapper, Session
from sqlalchemy.orm.attributes import flag_modified

from models import StreamCursor

# The classes whose changed rows are aligned (see above: their writers are serialized).
ALIGNED: frozenset[type] = frozenset({StreamCursor})


def align_updates(session: Session, _flush_context: Any, _instances: Any) -> None:
    """``before_flush``: the changed rows of each class of :data:`ALIGNED` share one set of
    changed columns."""
    by_class: dict[type, list[Any]] = {}
    for obj in session.dirty:
        if type(obj) in ALIGNED:
            by_class.setdefault(type(obj), []).append(obj)
    for cls, objects in by_class.items():
        if len(objects) > 1:
            _align(_columns(cls), objects)


@functools.cache
def _columns(cls: type) -> frozenset[str]:
    """The attributes of ``cls`` that are columns, but for its primary key."""
    mapper: Mapper[Any] = inspect(cls)
    keys = {key for key, prop in mapper.attrs.items() if isinstance(prop, ColumnProperty)}
    return frozenset(keys - {mapper.get_property_by_column(c).key for c in mapper.primary_key})


def _align(keys: frozenset[str], objects: list[Any]) -> None:
    # Only rows SQLAlchemy writes anyway: a value set back to what was loaded writes nothing.
    rows = [(state, own) for obj in objects if (own := _changed(state := inspect(obj), keys))]
    if len(rows) < 2:
        return
    columns = set().union(*(own for _state, own in rows))
    for state, own in rows:
        loaded, committed = state.dict, state.committed_state
        for key in columns.difference(own):
            # Only a loaded value can be written back as it is; an unloaded one keeps the
            # row in a statement of its own, as before.
            if key in loaded:
                # A value set back to the one loaded is left out by SQLAlchemy unless flagged
                # afresh (flag_modified does nothing to an attribute already marked).
                committed.pop(key, None)
                flag_modified(state.obj(), key)


def _changed(state: Any, keys: frozenset[str]) -> set[str]:
    """The columns of ``keys`` whose value differs from the one loaded (those SQLAlchemy
    writes)."""
    values = state.dict
    return {
        key
        for key, before in state.committed_state.items()
        if key in keys and (key not in values or values[key] != before)
    }

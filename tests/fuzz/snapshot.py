"""What a request could have written, as one hash: the row count of every table (one query) and
the rows of the tables requests write to directly. A refused request must leave it unchanged.

Shared by the fuzz suites (tests/fuzz): the JSON API's and the SOAP endpoint's.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from sqlalchemy import func, select

from models import AdminSession, Base, Company, Operation


@functools.cache
def _digest_queries() -> tuple[Any, ...]:
    tables = [t for t in Base.metadata.sorted_tables if t.name != AdminSession.__tablename__]
    counts = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    rows = tuple(select(m.__table__).order_by(m.__table__.c.id) for m in (Company, Operation))
    return (counts, *rows)


def digest(db: Any) -> str:
    """Row counts of every table (sign-in sessions aside), and the rows of companies and
    operations."""
    h = hashlib.sha256()
    with db.engine.connect() as conn:
        for query in _digest_queries():
            for row in conn.execute(query):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


__all__ = ["digest"]

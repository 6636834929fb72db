"""A SOAP call's changes to its qbwc_sessions row go out as one UPDATE (engine/session_row.py):
the counters, the state when it changed, and whatever the call changed through the ORM; the
commit's flush then writes nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from models import QbwcSession
from qbwc_server.engine.session_row import write_row


@pytest.fixture
def updates(db: Any) -> Iterator[list[str]]:
    """The UPDATEs of qbwc_sessions the test runs."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE QBWC_SESSIONS"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def new_row(db: Any) -> int:
    with db.transaction() as session:
        row = QbwcSession(username="u", state={"a": {"b": 1}}, hresults=[])
        session.add(row)
        session.flush()
        return int(row.id)


def test_one_update_with_the_orm_changes_and_nothing_at_commit(db: Any, updates: list[str]) -> None:
    row_id = new_row(db)
    updates.clear()
    with db.transaction() as session:
        row = session.get(QbwcSession, row_id)
        assert row is not None
        row.outcome = "error"
        row.hresults = [{"hresult": "0x1", "message": "m"}]
        write_row(session, row, {"a": {"b": 2}}, requests_sent=1, progress=40)
    assert len(updates) == 1
    with db.transaction() as session:
        row = session.get(QbwcSession, row_id)
        assert row is not None
        assert (row.calls, row.requests_sent, row.progress, row.outcome) == (1, 1, 40, "error")
        assert row.state == {"a": {"b": 2}}
        assert row.hresults == [{"hresult": "0x1", "message": "m"}]


def test_an_unchanged_state_is_not_written(db: Any, updates: list[str]) -> None:
    row_id = new_row(db)
    updates.clear()
    with db.transaction() as session:
        row = session.get(QbwcSession, row_id)
        assert row is not None
        write_row(session, row, {"a": {"b": 1}}, requests_sent=0, progress=None)
    assert len(updates) == 1 and "state" not in updates[0].split("WHERE")[0]
    with db.transaction() as session:
        row = session.get(QbwcSession, row_id)
        assert row is not None and row.calls == 1 and row.state == {"a": {"b": 1}}

"""psycopg cursors of the main engine build their description on first read (qbwc_server/db.py
LazyDescriptionCursor): what it reads is what psycopg's own description says."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from qbwc_server.db import Database, LazyDescriptionCursor


@pytest.fixture
def pg(database_url: str) -> Any:
    if not database_url.startswith("postgres"):
        pytest.skip("the cursor is psycopg's")
    database = Database(database_url)
    yield database
    database.dispose()


QUERY = "SELECT 1 AS a, 'x'::text AS b, now() AS c"


def plain_description(pg: Database, query: str) -> list[tuple[Any, ...]]:
    with pg.engine.raw_connection() as raw:
        cursor = psycopg.Cursor(raw.driver_connection)  # type: ignore[arg-type]
        cursor.execute(query)
        assert cursor.description is not None
        return [tuple(column) for column in cursor.description]


def test_the_description_reads_as_psycopgs(pg: Database) -> None:
    with pg.engine.raw_connection() as raw:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        assert isinstance(cursor, LazyDescriptionCursor)
        cursor.execute(QUERY)
        described = cursor.description
        assert described is not None and len(described) == 3
        cursor.execute("SELECT 2 AS other")  # the earlier description keeps its own result
        assert [tuple(column) for column in described] == plain_description(pg, QUERY)
        assert described[-1].name == "c" and [c.name for c in described[:2]] == ["a", "b"]
        assert cursor.description is not None and cursor.description[0].name == "other"
        cursor.execute("CREATE TEMPORARY TABLE lazy_t (x int)")
        assert cursor.description is None
        cursor.execute("SELECT")  # tuples without columns: an empty description, not None
        assert cursor.description is not None and len(cursor.description) == 0


def test_sqlalchemy_reads_names_and_rows(pg: Database) -> None:
    with pg.transaction() as session:
        result = session.execute(text(QUERY + " UNION ALL " + QUERY))
        assert list(result.keys()) == ["a", "b", "c"]
        rows = result.all()
    assert [(r.a, r.b) for r in rows] == [(1, "x"), (1, "x")]

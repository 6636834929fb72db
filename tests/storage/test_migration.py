"""Migrations 0003 (tables) and 0006 (``qb`` as JSON text) create exactly what models/records.py
declares, and downgrade cleanly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models import Base
from qbwc_server.db import Database, downgrade, upgrade
from tests.conftest import _fresh_postgres
from tests.migration_rows import insert_company


@pytest.fixture
def scratch_db(tmp_path: Path) -> Iterator[Database]:
    """An empty database on the configured backend, separate from the shared test one."""
    configured = os.environ.get("QBWC_TEST_DATABASE_URL", "")
    if configured.startswith("postgres"):
        url, drop = _fresh_postgres(configured)
    else:
        url, drop = f"sqlite:///{tmp_path / 'scratch.db'}", None
    db = Database(url)
    yield db
    db.dispose()
    if drop:
        drop()


def _ours(diff: Any) -> bool:
    """Does an autogenerate difference concern one of this migration's tables?"""
    text = repr(diff)
    return "qb_" in text


def test_upgrade_matches_models_and_downgrade_removes_everything(scratch_db: Database) -> None:
    upgrade(scratch_db)
    with scratch_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _ours(d)]
    assert diffs == []

    ours = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("qb_")}
    assert len(ours) == 24  # 20 record types, lines, links, change log and its heads
    assert ours <= set(inspect(scratch_db.engine).get_table_names())

    downgrade(scratch_db, "0002")
    scratch_db.engine.dispose()
    assert not ours & set(inspect(scratch_db.engine).get_table_names())
    upgrade(scratch_db)  # and back up again (fresh Column objects every time)
    scratch_db.engine.dispose()
    assert ours <= set(inspect(scratch_db.engine).get_table_names())


def test_0006_keeps_every_stored_document(scratch_db: Database) -> None:
    """``qb`` JSONB -> JSON (PostgreSQL; nothing to do on SQLite) and back keeps each record."""
    from qbwc_server.records.read import list_records
    from qbwc_server.records.store import upsert_records
    from tests.storage.helpers import bill, vendor

    upgrade(scratch_db, "0005")
    records = [vendor(n) for n in range(3)]
    bills = [bill(1, vendor_n=0)]
    with scratch_db.transaction() as s:
        # The companies row as schema 0005 has it (the model describes the newest schema).
        company_id = insert_company(s.connection(), "Before 0006")
        upsert_records(s, company_id, "vendors", records)
        upsert_records(s, company_id, "bills", bills)

    def stored(type_name: str) -> list[dict[str, Any]]:
        with scratch_db.transaction() as s:
            return [r["qb"] for r in list_records(s, company_id, type_name).data]

    upgrade(scratch_db)
    assert stored("vendors") == records and stored("bills") == bills
    downgrade(scratch_db, "0005")
    scratch_db.engine.dispose()
    assert stored("vendors") == records and stored("bills") == bills

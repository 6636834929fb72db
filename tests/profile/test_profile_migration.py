"""Migration 0013 (confirmed binding, sync window, pause, restore date) up and down, on the
suite's backend: companies that exist when it runs keep automatic binding, new ones confirm."""

from __future__ import annotations

from sqlalchemy import inspect, text

from qbwc_server.db import Database, downgrade, upgrade
from qbwc_server.services import companies as svc
from tests.foundation.test_migrations import fresh_database_url, fresh_db  # noqa: F401
from tests.migration_rows import company_names, insert_company

NEW_COLUMNS = {
    "confirm_binding",
    "pending_binding",
    "sync_window",
    "paused_until",
    "paused_at",
    "restored_on",
    "restore_recorded_at",
    "restore_reconcile_started_at",
}


def _columns(db: Database) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("companies")}


def test_existing_companies_keep_automatic_binding_and_new_ones_confirm(
    fresh_db: Database,  # noqa: F811
) -> None:
    upgrade(fresh_db, "0012")
    assert not NEW_COLUMNS & _columns(fresh_db)
    with fresh_db.engine.begin() as conn:
        old_id = insert_company(conn, "Old Co")

    upgrade(fresh_db, "0013")
    assert _columns(fresh_db) >= NEW_COLUMNS
    with fresh_db.engine.begin() as conn:
        row = conn.execute(
            text(
                "SELECT confirm_binding, pending_binding, sync_window, paused_until, restored_on "
                "FROM companies WHERE id = :id"
            ),
            {"id": old_id},
        ).one()
    assert tuple(row) == (False, None, None, None, None)
    with fresh_db.transaction() as s:
        created = svc.create_company(s, "New Co")
        assert created.company.confirm_binding is True
        old = svc.get_company(s, old_id)
        assert old.confirm_binding is False

    downgrade(fresh_db, "0012")
    assert not NEW_COLUMNS & _columns(fresh_db)
    with fresh_db.engine.begin() as conn:
        assert company_names(conn) == ["Old Co", "New Co"]
    upgrade(fresh_db)
    assert _columns(fresh_db) >= NEW_COLUMNS

"""Migration 0007 (admin_sessions) up and down, on the suite's backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from models import utcnow
from qbwc_server.db import Database, downgrade, upgrade
from tests.foundation.test_migrations import fresh_database_url, fresh_db  # noqa: F401
from tests.migration_rows import company_names, insert_company

INSERT = text(
    "INSERT INTO admin_sessions (token_hash, admin_token_tag, created_at, last_seen_at, "
    "expires_at) VALUES (:h, 't', :now, :now, :later)"
)


def test_admin_sessions_table_up_and_down(fresh_db: Database) -> None:  # noqa: F811
    upgrade(fresh_db, "0007")
    assert "admin_sessions" not in inspect(fresh_db.engine).get_table_names()
    with fresh_db.engine.begin() as conn:
        insert_company(conn, "Kept Co")

    upgrade(fresh_db, "0008")
    inspector = inspect(fresh_db.engine)
    columns = {c["name"]: c for c in inspector.get_columns("admin_sessions")}
    assert set(columns) == {
        "id",
        "token_hash",
        "admin_token_tag",
        "client_addr",
        "user_agent",
        "created_at",
        "last_seen_at",
        "expires_at",
        "revoked_at",
    }
    assert not columns["token_hash"].get("nullable", True)
    now = utcnow()
    params = {"h": "a" * 64, "now": now, "later": now + timedelta(hours=1)}
    with fresh_db.engine.begin() as conn:
        conn.execute(INSERT, params)
    with pytest.raises(IntegrityError), fresh_db.engine.begin() as conn:
        conn.execute(INSERT, params)  # one row per token hash

    downgrade(fresh_db, "0007")
    assert "admin_sessions" not in inspect(fresh_db.engine).get_table_names()
    with fresh_db.engine.begin() as conn:
        assert company_names(conn) == ["Kept Co"]
    upgrade(fresh_db)
    assert "admin_sessions" in inspect(fresh_db.engine).get_table_names()


def test_signin_failures_table_up_and_down(fresh_db: Database) -> None:  # noqa: F811
    upgrade(fresh_db, "0008")
    assert "signin_failures" not in inspect(fresh_db.engine).get_table_names()
    upgrade(fresh_db, "0009")
    fresh_db.engine.dispose()  # SQLite: a pooled connection keeps PRAGMA answers of the old schema
    indexes = {i["name"] for i in inspect(fresh_db.engine).get_indexes("signin_failures")}
    assert indexes == {"ix_signin_failures_client_addr", "ix_signin_failures_at"}
    downgrade(fresh_db, "0008")
    assert "signin_failures" not in inspect(fresh_db.engine).get_table_names()
    assert "admin_sessions" in inspect(fresh_db.engine).get_table_names()

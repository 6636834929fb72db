"""Rows written and read with plain SQL, for tests that stop migrations at an old revision: the
models describe the newest schema, so the ORM cannot write a company into an older one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

# The companies columns every revision since 0001 has.
_INSERT_COMPANY = text(
    "INSERT INTO companies (name, username, file_id, app_name, key_hash, key_version, "
    "key_rotated_at, sync_interval_minutes, history_start, created_at, updated_at) "
    "VALUES (:name, :username, :file_id, :app_name, 'x', 1, :now, 15, 'all', :now, :now)"
)


def insert_company(conn: Any, name: str, n: int = 1) -> int:
    """A company row as any schema revision has it; returns its id."""
    conn.execute(
        _INSERT_COMPANY,
        {
            "name": name,
            "username": f"qbwc-old-{n}",
            "file_id": f"{{OLD-{n}}}",
            "app_name": f"AP Sync - {name} (old {n})",
            "now": datetime.now(UTC),
        },
    )
    return int(conn.execute(text("SELECT max(id) FROM companies")).scalar_one())


def company_names(conn: Any) -> list[str]:
    return [str(r[0]) for r in conn.execute(text("SELECT name FROM companies ORDER BY id"))]

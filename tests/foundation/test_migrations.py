"""Migrations on a fresh database: up, down, up again; schema equals the models; concurrent runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from models import AppSetting, Base, Company
from qbwc_server.db import (
    Database,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    migrations_current,
    upgrade,
)
from qbwc_server.services import companies as svc
from tests.conftest import _fresh_postgres


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database (PostgreSQL when QBWC_TEST_DATABASE_URL says so)."""
    configured = os.environ.get("QBWC_TEST_DATABASE_URL", "")
    if configured.startswith("postgres"):
        url, drop = _fresh_postgres(configured)
        yield url
        drop()
        return
    yield f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def fresh_db(fresh_database_url: str) -> Iterator[Database]:
    db = Database(fresh_database_url)
    yield db
    db.dispose()


def schema_differences(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(ctx, Base.metadata))


def app_tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_there_is_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert head_revision() == script.get_current_head()


def test_upgrade_downgrade_upgrade_leaves_the_schema_of_the_models(fresh_db: Database) -> None:
    db = fresh_db
    assert current_revision(db) is None
    assert not migrations_current(db)
    assert app_tables(db) == set()

    upgrade(db)
    assert current_revision(db) == head_revision()
    assert migrations_current(db)
    assert app_tables(db) == set(Base.metadata.tables)
    assert schema_differences(db) == []
    with db.transaction() as s:
        svc.create_company(s, "Before Downgrade")

    downgrade(db, "base")
    assert current_revision(db) is None
    assert app_tables(db) == set()

    upgrade(db)
    assert current_revision(db) == head_revision()
    assert app_tables(db) == set(Base.metadata.tables)
    assert schema_differences(db) == []
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 0
        created = svc.create_company(s, "After Upgrade")
        assert created.company.id >= 1


def test_every_revision_steps_up_down_and_up_again(fresh_db: Database) -> None:
    """The "stairway": each migration's downgrade undoes exactly its upgrade."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(reversed(list(script.walk_revisions())))  # base first
    assert revisions
    for rev in revisions:
        upgrade(fresh_db, rev.revision)
        after_up = app_tables(fresh_db)
        below = rev.down_revision
        assert below is None or isinstance(below, str), "merge revisions need their own test"
        downgrade(fresh_db, below or "base")
        upgrade(fresh_db, rev.revision)
        assert app_tables(fresh_db) == after_up, rev.revision
        assert current_revision(fresh_db) == rev.revision
    assert schema_differences(fresh_db) == []


def test_three_processes_migrating_a_fresh_database_at_once_all_succeed(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBWC_")}
    env["DATABASE_URL"] = fresh_database_url
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "qbwc_server.cli", "migrate"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.communicate(timeout=60), p.returncode) for p in procs]
    for (out, err), rc in results:
        assert rc == 0, err[-2000:]
        assert "latest schema" in out
    db = Database(fresh_database_url)
    try:
        assert current_revision(db) == head_revision()
        assert schema_differences(db) == []
        with db.transaction() as s:
            # The OwnerID was generated once, not once per process.
            owner_rows = s.scalars(select(AppSetting).where(AppSetting.key == "owner_id")).all()
            assert len(owner_rows) == 1
    finally:
        db.dispose()

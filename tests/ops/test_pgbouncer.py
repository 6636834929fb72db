"""PgBouncer in transaction mode in front of PostgreSQL (README "PostgreSQL settings"): with
``?pgbouncer=true`` in DATABASE_URL the server keeps no prepared statements on a connection and
full sessions run through the pooler; migrations refuse to run through it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from qbwc_server.app import create_app
from qbwc_server.db import Database, MigrationsNeedDirectConnection, upgrade
from qbwc_server.sim.quickbooks import FakeQuickBooks
from tests.conftest import make_settings
from tests.ops.served import free_port
from tests.sync.helpers import Api, generate_current, make_rig


@pytest.fixture
def bouncer_url(db: Any, database_url: str) -> Iterator[str]:
    if not database_url.startswith("postgresql"):
        pytest.skip("PgBouncer fronts PostgreSQL: this test runs in the PostgreSQL pass")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.skip("pgbouncer is not installed (.ci/run installs it)")
    url = make_url(database_url)
    port = free_port()
    # PgBouncer refuses to run as root: as root it runs as the postgres user (-u), which must
    # read its files and write its log, so they live in a directory of their own.
    tmp_path = Path(tempfile.mkdtemp(prefix="qbwc-pgbouncer-"))
    tmp_path.chmod(0o777)
    (tmp_path / "users.txt").write_text(f'"{url.username}" ""\n')
    (tmp_path / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={url.host or '127.0.0.1'} port={url.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {tmp_path / 'users.txt'}\n"
        # Round robin over two warm server connections: consecutive transactions of one client
        # land on different server connections, as they do under load.
        "pool_mode = transaction\ndefault_pool_size = 4\n"
        "min_pool_size = 2\nserver_round_robin = 1\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {tmp_path / 'pgbouncer.log'}\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (tmp_path / name).chmod(0o644)
    user = ["-u", "postgres"] if os.geteuid() == 0 else []
    process = subprocess.Popen([binary, *user, str(tmp_path / "pgbouncer.ini")])
    try:
        bounced = url.set(port=port).render_as_string(hide_password=False) + "?pgbouncer=true"
        deadline = time.monotonic() + 20
        while True:
            try:
                probe = Database(bounced)
                with probe.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                probe.dispose()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield bounced
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(tmp_path, ignore_errors=True)


def _repeat_one_statement(database: Database, times: int = 12) -> set[int]:
    """One pooled connection, the same statement in consecutive transactions. Without the flag
    psycopg prepares it at the 6th run on whichever server connection PgBouncer lent that
    transaction, and a later transaction on another one fails ("prepared statement "_pg3_0"
    does not exist" / "already exists", seen here with PgBouncer 1.18)."""
    backends = set()
    with database.engine.connect() as conn:
        for i in range(times):
            backends.add(conn.execute(text("SELECT pg_backend_pid(), :i"), {"i": i}).one()[0])
            conn.commit()
    return backends


def test_sessions_run_through_pgbouncer_in_transaction_mode(
    db: Any, bouncer_url: str, qbxml_schema: Any
) -> None:
    bounced = Database(bouncer_url)
    with bounced.engine.connect() as conn:
        assert conn.connection.dbapi_connection.prepare_threshold is None  # type: ignore[union-attr]
    assert _repeat_one_statement(bounced)  # no error, whichever server connections served it
    app = create_app(make_settings(bouncer_url, 80), bounced)
    api = Api(app=app)
    rig = make_rig(
        app=app, api=api, qb=FakeQuickBooks(generate_current("tiny", seed=2)), schema=qbxml_schema
    )
    rig.run_session()  # hundreds of statements, most repeated: psycopg would prepare them
    rig.run_session()
    assert sum(api.get(f"/api/companies/{rig.company_id}")["record_counts"].values()) > 300
    bounced.dispose()


def test_migrations_refuse_to_run_through_pgbouncer(db: Any, bouncer_url: str) -> None:
    bounced = Database(bouncer_url)
    with bounced.engine.begin() as conn:  # pretend a migration is pending
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        with pytest.raises(MigrationsNeedDirectConnection, match="direct"):
            upgrade(bounced)
    finally:
        with bounced.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
        bounced.dispose()

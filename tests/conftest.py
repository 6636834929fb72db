"""Shared pytest fixtures.

Reference data (Intuit XSDs, real QBWC captures) lives outside the project in
``../shared/reference`` (override with ``QBWC_REFERENCE_DIR``). It is never copied into the
repository; tests that need it skip cleanly when it is absent.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from lxml import etree

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def reference_root() -> Path:
    override = os.environ.get("QBWC_REFERENCE_DIR")
    if override:
        return Path(override)
    return PROJECT_ROOT.parent / "shared" / "reference"


@functools.cache
def _load_schema(version: str) -> etree.XMLSchema:
    major = version.split(".")[0]
    path = reference_root() / "xsd" / f"qbxml-{major}.0" / f"qbxmlops{major}0.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    root = reference_root()
    if not root.is_dir():
        pytest.skip(f"reference data not present at {root}")
    return root


@pytest.fixture(scope="session")
def qbxml_schema(reference_dir: Path):  # type: ignore[no-untyped-def]
    """Return a function ``schema(version) -> lxml.etree.XMLSchema`` for "13.0" or "16.0"."""

    def get(version: str = "13.0") -> etree.XMLSchema:
        return _load_schema(version)

    return get


# ---------------------------------------------------------------------------------------------
# Database and live server fixtures. QBWC_TEST_DATABASE_URL selects the backend
# (postgresql://... or sqlite:///...); the default is a temporary SQLite file. On PostgreSQL a
# fresh database is created for the test run and dropped afterwards.
# ---------------------------------------------------------------------------------------------

import threading  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

ADMIN_TOKEN = "test-admin-token-0123456789"


def _fresh_postgres(url: str) -> tuple[str, Any]:
    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"qbwc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("QBWC_TEST_DATABASE_URL", "")
    if configured.startswith("postgres"):
        url, drop = _fresh_postgres(configured)
        yield url
        drop()
        return
    path = tmp_path_factory.mktemp("db") / "qbwc-test.db"
    yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_db(database_url: str) -> Iterator[Any]:
    from qbwc_server.db import Database, upgrade

    db = Database(database_url)
    upgrade(db)
    yield db
    db.dispose()


def _clean(db: Any) -> None:
    from models import Base

    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_postgres:
            # DELETE + sequence restart is ~50x faster than TRUNCATE of 30+ small tables.
            for t in tables:
                conn.execute(t.delete())
            sequences = (
                conn.execute(
                    text(
                        "SELECT sequence_name FROM information_schema.sequences "
                        "WHERE sequence_schema = 'public'"
                    )
                )
                .scalars()
                .all()
            )
            for name in sequences:
                conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART WITH 1'))
        else:
            for t in tables:
                conn.execute(t.delete())
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first() else None


@pytest.fixture
def db(migrated_db: Any) -> Any:
    """The migrated test database, emptied before each test."""
    _clean(migrated_db)
    return migrated_db


def make_settings(database_url: str, port: int, **overrides: Any) -> Any:
    from qbwc_server.config import load_settings

    env = {
        "DATABASE_URL": database_url,
        "QBWC_PUBLIC_URL": f"http://localhost:{port}",
        "QBWC_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return load_settings(env)


class LiveServer:
    """The real WSGI app served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, db: Any, database_url: str, **overrides: Any) -> None:
        from qbwc_server.app import create_app

        self._server = make_server("127.0.0.1", 0, lambda e, s: self.app(e, s), threaded=True)
        self.port = self._server.server_port
        self.settings = make_settings(database_url, self.port, **overrides)
        self.app = create_app(self.settings, db)
        self.url = f"http://localhost:{self.port}"
        self.qbwc_url = self.url + "/qbwc"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def live_server(db: Any, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(db, database_url)
    yield server
    server.close()


@pytest.fixture
def server_factory(db: Any, database_url: str) -> Iterator[Any]:
    """Start servers with custom settings: ``server_factory(QBWC_SYNC_LEASE_SECONDS=10)``."""
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> LiveServer:
        server = LiveServer(db, database_url, **overrides)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.close()

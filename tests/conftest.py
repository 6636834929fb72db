"""Shared pytest fixtures.

Reference data (Intuit XSDs, real QBWC captures) lives outside the project in
``../shared/reference`` (override with ``QBWC_REFERENCE_DIR``) and is never copied into the
repository. Only the tests that compare with Intuit's own files byte for byte need it (they take
the ``reference_dir`` fixture and are marked ``reference``); without it they skip, saying what
they need, and the end of the run says how many needed it. With ``QBWC_REQUIRE_REFERENCE=1``
(CI) such a test fails instead of skipping. Everything else — including validating every qbXML
document against the schema — runs on the facts generated into the project from the XSDs
(``qbwc_server/sim/quickbooks/xsd_facts``); where the XSDs exist, each validation is also
checked against them (``tests/schema_check.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.schema_check import SchemaCheck, load_xsd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_FIXTURE = "reference_dir"


def reference_root() -> Path:
    override = os.environ.get("QBWC_REFERENCE_DIR")
    if override:
        return Path(override)
    return PROJECT_ROOT.parent / "shared" / "reference"


def reference_required() -> bool:
    """CI sets QBWC_REQUIRE_REFERENCE=1: a test that cannot find the files fails there."""
    return os.environ.get("QBWC_REQUIRE_REFERENCE", "") not in ("", "0")


def missing_reference(root: Path) -> None:
    """Skip (or, where the files are required, fail) a test that needs the reference files."""
    message = (
        f"needs Intuit's reference files at {root} (../shared/reference beside the project, "
        "or QBWC_REFERENCE_DIR)"
    )
    if reference_required():
        pytest.fail(f"{message}; QBWC_REQUIRE_REFERENCE is set, so this is a failure")
    pytest.skip(message)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    root = reference_root()
    if not (root / "xsd").is_dir():
        missing_reference(root)
    return root


@pytest.fixture(scope="session")
def qbxml_schema() -> Callable[[str], SchemaCheck]:
    """``schema(version)`` for "13.0" or "16.0": validates on the generated facts, and on
    Intuit's XSD too when the reference files are present (the two must agree)."""
    root = reference_root()
    have_xsd = (root / "xsd").is_dir()
    if not have_xsd and reference_required():
        missing_reference(root)
    cache: dict[str, SchemaCheck] = {}

    def get(version: str = "13.0") -> SchemaCheck:
        if version not in cache:
            cache[version] = SchemaCheck(version, load_xsd(root, version) if have_xsd else None)
        return cache[version]

    return get


# --- how many tests needed the reference files (printed at the end of every run) ------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite the SOAP wire golden files (tests/golden/) from what the server answers "
        "now, instead of comparing; review with git diff tests/golden",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reference: needs Intuit's files in ../shared/reference (set automatically)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needing = 0
    for item in items:
        if REFERENCE_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.reference)
            needing += 1
    config.stash[_REFERENCE_COUNT] = (needing, len(items))


_REFERENCE_COUNT = pytest.StashKey[tuple[int, int]]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if _REFERENCE_COUNT not in config.stash:
        return
    needing, collected = config.stash[_REFERENCE_COUNT]
    root = reference_root()
    skipped = sum(
        1
        for report in terminalreporter.stats.get("skipped", [])
        if "needs Intuit's reference files" in str(report.longrepr)
    )
    where = "present" if (root / "xsd").is_dir() else "absent"
    terminalreporter.write_line(
        f"reference files ({root}, {where}): {needing} of {collected} collected tests need "
        f"them; {skipped} skipped for want of them"
    )


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
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

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


class _RequestLines(WSGIRequestHandler):
    """werkzeug's request line, with a setup link's token masked as the server's own access
    line masks it (production serves with gunicorn, whose access log is off)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        from qbwc_server.observability.http_logging import loggable_path

        original = self.path
        path, mark, query = original.partition("?")
        self.path = loggable_path(path) + mark + query
        try:
            super().log_request(code, size)
        finally:
            self.path = original


class LiveServer:
    """The real WSGI app served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, db: Any, database_url: str, **overrides: Any) -> None:
        from qbwc_server.app import create_app

        self._server = make_server(
            "127.0.0.1",
            0,
            lambda e, s: self.app(e, s),
            threaded=True,
            request_handler=_RequestLines,
        )
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

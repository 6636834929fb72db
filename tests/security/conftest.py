"""One live server per module (starting and stopping one costs about half a second)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def shared_server(migrated_db: Any, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(migrated_db, database_url)
    yield server
    server.close()


@pytest.fixture
def server(shared_server: LiveServer, db: Any) -> Iterator[LiveServer]:
    """The module's live server over an emptied database; its app is restored afterwards."""
    app, settings = shared_server.app, shared_server.settings
    yield shared_server
    shared_server.app, shared_server.settings = app, settings


@pytest.fixture
def reconfigure(server: LiveServer, migrated_db: Any, database_url: str) -> Any:
    """``reconfigure(QBWC_X=...)``: the same server, restarted with other settings (the
    ``server`` fixture puts the original back afterwards)."""
    from qbwc_server.app import create_app
    from tests.conftest import make_settings

    def apply(**overrides: Any) -> LiveServer:
        server.settings = make_settings(database_url, server.port, **overrides)
        server.app = create_app(server.settings, migrated_db)
        return server

    return apply

"""Fixtures of the sync acceptance tests: the server in-process or over HTTP, and rigs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from tests.conftest import LiveServer, make_settings
from tests.sync.helpers import Api, Rig, SchemaGetter, WsgiApp, make_rig


@pytest.fixture(scope="session")
def request_schema(qbxml_schema: SchemaGetter) -> SchemaGetter:
    """``schema(version)``: the generated schema facts, plus Intuit's XSD where present."""
    return qbxml_schema


AppFactory = Callable[..., tuple[WsgiApp, Api]]


@pytest.fixture
def inproc_app(db: Any, database_url: str) -> AppFactory:
    """``inproc_app(**QBWC_overrides) -> (app, api)``: the real app, called without a socket."""
    from qbwc_server.app import create_app

    def start(**overrides: Any) -> tuple[WsgiApp, Api]:
        app = create_app(make_settings(database_url, 80, **overrides), db)
        return app, Api(app=app)

    return start


RigFactory = Callable[..., Rig]


@pytest.fixture
def inproc_rig(inproc_app: AppFactory, request_schema: SchemaGetter) -> RigFactory:
    """``inproc_rig(company, history_start=..., quickbooks={FakeQuickBooks options},
    **QBWC_overrides)`` over WsgiTransport."""

    def start(
        company: CompanyFile,
        history_start: str = "all",
        *,
        keep_responses: bool = False,
        quickbooks: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Rig:
        app, api = inproc_app(**overrides)
        return make_rig(
            app=app,
            api=api,
            qb=FakeQuickBooks(company, **(quickbooks or {})),
            schema=request_schema,
            history_start=history_start,
            keep_responses=keep_responses,
        )

    return start


@pytest.fixture
def http_rig(
    db: Any, database_url: str, request_schema: SchemaGetter
) -> Iterator[Callable[..., tuple[Rig, LiveServer]]]:
    """``http_rig(company, history_start=..., **QBWC_overrides) -> (rig, server)`` over HTTP."""
    servers: list[LiveServer] = []

    def start(
        company: CompanyFile, history_start: str = "all", **overrides: Any
    ) -> tuple[Rig, LiveServer]:
        server = LiveServer(db, database_url, **overrides)
        servers.append(server)
        rig = make_rig(
            app=server.app,
            api=Api(base_url=server.url),
            qb=FakeQuickBooks(company),
            schema=request_schema,
            history_start=history_start,
            qbwc_url=server.qbwc_url,
        )
        return rig, server

    yield start
    for server in servers:
        server.close()

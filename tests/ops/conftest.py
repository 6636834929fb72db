"""Fixtures of the operations tests (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import _clean
from tests.ops.scenario import Run, run_scenario


@pytest.fixture(scope="package")
def served_run(
    migrated_db: Any,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    qbxml_schema: Any,
) -> Iterator[Run]:
    """One full simulated run against ``qbwc-server serve`` with two workers and JSON logs."""
    _clean(migrated_db)
    yield run_scenario(
        migrated_db,
        database_url,
        tmp_path_factory.mktemp("served"),
        {"QBWC_AUDIT": "all"},
        qbxml_schema,
    )
    _clean(migrated_db)

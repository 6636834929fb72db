"""Fixtures of the write-back tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from spyne import const as spyne_const

from tests.writeback.support import Bench, make_bench


@pytest.fixture(autouse=True)
def _no_spyne_gc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """spyne runs a full gc.collect() after a SOAP call at most once a second; in a test process
    full of parsed XSDs that is a large share of the run time and tells us nothing (spyne's own
    tests switch it off the same way)."""
    monkeypatch.setattr(spyne_const, "MIN_GC_INTERVAL", float("inf"))
    yield


@pytest.fixture
def bench(db: Any, database_url: str) -> Bench:
    """A company with the read sync done and parked, and a fake QuickBooks behind a simulated
    Web Connector; sessions then carry only the write-back."""
    return make_bench(db, database_url)

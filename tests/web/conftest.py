"""Fixtures of the browser tests: a page with the clipboard allowed and downloads kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sync.conftest import request_schema
from tests.web.browser import browser_page

__all__ = ["request_schema"]  # the sync tests' fixture, for the rigs of the profile tests


@pytest.fixture
def page() -> Iterator[Any]:
    with browser_page(
        permissions=["clipboard-read", "clipboard-write"],
        accept_downloads=True,
        viewport={"width": 1200, "height": 900},
    ) as pg:
        yield pg

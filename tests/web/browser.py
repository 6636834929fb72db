"""Headless Chromium from Debian driven by Playwright (never ``playwright install``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT

CHROMIUM = os.environ.get("QBWC_CHROMIUM", "/usr/bin/chromium")
# Screenshots for people to look at (git-ignored).
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"

# Flags the machine needs: no sandbox as root, and no background traffic to Google hosts.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api")
if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)


@contextmanager
def browser_page(**context_options: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and one page in it; ``context_options`` go to
    ``new_context`` (permissions, accept_downloads, viewport...)."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(**context_options)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

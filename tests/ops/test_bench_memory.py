"""bench/bench_ingest.py's "memory flat in the number of pages": what the process retains is
the growth of the traced total across pages, not a sum of what each call allocated and left
alive. A cache of one entry that each call replaces (observability/qbxml_errors.py keeps the
last long answer) is flat; memory kept by every call is not."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_ingest import Page, memory_figures
from common import MeasuredTransport, Transport

RECEIVE = {"SOAPAction": '"http://developer.intuit.com/receiveResponseXML"'}
PAGE_MIB = 2  # a page of 500 bills is about 1 MiB of text; the "flat" margin is at least 8 MiB
PAGE_CHARS = PAGE_MIB * 1024 * 1024
PAGES = 8


class OneSlot:
    """Each call keeps its page and lets the previous call's go."""

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        self.last = "x" * PAGE_CHARS
        return 200, "text/xml", b"<ok/>"


class Leak:
    """Each call keeps its page for good."""

    def __init__(self) -> None:
        self.kept: list[str] = []

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        self.kept.append("x" * PAGE_CHARS)
        return 200, "text/xml", b"<ok/>"


def _growth(inner: Transport) -> dict[str, object]:
    """memory_figures over PAGES measured calls, from page 2 to the last."""
    measured = MeasuredTransport(
        inner, memory_methods=frozenset({"receiveResponseXML"}), trace=True
    )
    try:
        for _ in range(PAGES):
            measured("/qbwc", b"<page/>", RECEIVE)
    finally:
        measured.gc_timer.remove()
        tracemalloc.stop()
    pages = [Page("bills", 500, 0, sample) for sample in measured.samples]
    return memory_figures(pages, pages, [2, PAGES])


@pytest.fixture(autouse=True)
def _not_traced_already() -> None:
    if tracemalloc.is_tracing():
        pytest.skip("tracemalloc already runs: the benchmark's measure would stop it")


def test_a_cache_that_each_call_replaces_is_flat() -> None:
    figures = _growth(OneSlot())
    growth = figures["growth_between"]
    assert isinstance(growth, dict)
    assert abs(growth["retained_mib"]) < 0.5, growth  # one page is kept, whatever the count
    assert figures["flat"] is True


def test_memory_kept_by_every_call_grows_with_the_pages() -> None:
    figures = _growth(Leak())
    growth = figures["growth_between"]
    assert isinstance(growth, dict)
    assert growth["retained_mib"] >= (PAGES - 2) * PAGE_MIB - 0.5, growth  # each page after 2
    assert figures["flat"] is False

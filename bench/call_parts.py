"""Where a page's receiveResponseXML spends its CPU, part by part, without a profiler's distortion.

    python bench/call_parts.py [--page-size 100] [--vendors 2000] [--bills 6000] [--pg URL]
                               [--part module:Qualified.name ...] [--json]

cProfile (``sync_profile.py``) charges every Python call a fixed overhead, so the ORM's and the
parser's many small calls look several times their size and a part's share is hard to trust.
Here bench_ingest.py's in-process ingest (the real WSGI app on a fresh PostgreSQL database,
vendors then bills at ``--page-size``) runs with a handful of functions wrapped: each wrapper
adds this thread's CPU (``time.thread_time``) and the wall clock spent inside the function to
its part, and counts its calls. Printed per part: calls, CPU and wall milliseconds per call;
and the bills pages' CPU and wall per page for scale. Parts nest (the SOAP call holds the
page's storing), so they do not add up. A part names a module attribute or a class attribute
(``qbwc_server.engine.conversation:Conversation._open``); a function imported by name into
another module is wrapped where it is called from (``qbwc_server.soap.wsgi:read_envelope``).
"""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from common import DEFAULT_PG, bench_main

DEFAULT_PARTS = (
    "qbwc_server.engine.conversation:Conversation.receive_response_xml",
    "qbwc_server.soap.wsgi:read_envelope",
    "qbwc_server.engine.conversation:Conversation._open",
    "qbwc_server.sync.steps.base:CursorStep.on_response",
    "qbwc_server.records.store:upsert_records",
    "qbwc_server.sync.planner:Planner.progress",
    "qbwc_server.engine.conversation:Conversation._write_row",
    "qbwc_server.audit.recorder:AuditRecorder._write",
)


@dataclass
class Part:
    name: str
    calls: int = 0
    cpu: float = 0.0
    wall: float = 0.0

    def figures(self) -> dict[str, Any]:
        per = max(self.calls, 1)
        return {
            "part": self.name,
            "calls": self.calls,
            "cpu_ms_per_call": round(1000 * self.cpu / per, 3),
            "wall_ms_per_call": round(1000 * self.wall / per, 3),
        }


def _owner(spec: str) -> tuple[Any, str]:
    """(the object that holds the attribute, the attribute's name) for ``module:a.b``."""
    module, _, path = spec.partition(":")
    if not module or not path:
        raise ValueError(f"{spec!r}: expected module:attribute (e.g. pkg.mod:Class.method)")
    owner: Any = importlib.import_module(module)
    *holders, attribute = path.split(".")
    for holder in holders:
        owner = getattr(owner, holder)
    if not callable(getattr(owner, attribute, None)):
        raise ValueError(f"{spec!r}: {attribute} is not a function there")
    return owner, attribute


def _timed(function: Callable[..., Any], part: Part) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            part.cpu += time.thread_time() - cpu
            part.wall += time.perf_counter() - wall
            part.calls += 1

    return timed


_INHERITED = object()  # the attribute came from a base class: removed again afterwards


def _wrap(spec: str) -> tuple[Part, tuple[Any, str, Any]]:
    """Time the function ``spec`` names from now on: its part, and how to put it back."""
    owner, attribute = _owner(spec)
    if isinstance(owner, type):
        raw = owner.__dict__.get(attribute, _INHERITED)
    else:
        raw = getattr(owner, attribute)
    part = Part(spec)
    timed = _timed(getattr(owner, attribute), part)
    # A static or class method is fetched already bound (or plain): it stays static.
    static = isinstance(raw, staticmethod | classmethod)
    setattr(owner, attribute, staticmethod(timed) if static else timed)
    return part, (owner, attribute, raw)


@contextmanager
def wrapped(specs: list[str]) -> Iterator[list[Part]]:
    """The functions ``specs`` name, timed while the block runs (put back after it)."""
    parts: list[Part] = []
    undo: list[tuple[Any, str, Any]] = []
    try:
        for spec in specs:
            part, original = _wrap(spec)
            undo.append(original)
            parts.append(part)
        yield parts
    finally:
        for owner, attribute, raw in reversed(undo):
            if raw is _INHERITED:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, raw)


def wrap_for_good(specs: list[str]) -> list[Part]:
    """The functions ``specs`` name, timed from now on (a served worker's, idle_parts.py)."""
    return [_wrap(spec)[0] for spec in specs]


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    import bench_ingest  # the ingest and its company file (imports the app: after the parse)

    company = bench_ingest.company_file(args.vendors, args.bills, args.seed)
    with wrapped(args.part or list(DEFAULT_PARTS)) as parts:
        pages = bench_ingest.ingest(company, args.pg, args.page_size, max_bills=args.bills)
    bills = [p for p in pages if p.stream == "bills"]
    per_page = {
        "pages": len(bills),
        "cpu_ms": round(1000 * sum(p.sample.cpu for p in bills) / max(len(bills), 1), 2),
        "wall_ms": round(1000 * sum(p.sample.seconds for p in bills) / max(len(bills), 1), 2),
    }
    results = {
        "benchmark": "call_parts",
        "page_size": args.page_size,
        "bills_pages": per_page,
        "parts": [part.figures() for part in parts],
    }
    lines = [
        f"receiveResponseXML of {args.page_size}-bill pages: {per_page['pages']} pages, "
        f"{per_page['cpu_ms']} ms CPU and {per_page['wall_ms']} ms wall a page (this thread); "
        "parts nest, over every call of the run (vendors and bills, sendRequestXML too):"
    ]
    for figures in results["parts"]:
        lines.append(
            f"  {figures['calls']:6d} calls  {figures['cpu_ms_per_call']:8.3f} ms CPU  "
            f"{figures['wall_ms_per_call']:8.3f} ms wall a call   {figures['part']}"
        )
    return results, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--vendors", type=int, default=2_000)
    parser.add_argument("--bills", type=int, default=6_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--part", action="append", help="module:Qualified.name (repeatable)")
    return bench_main(parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())

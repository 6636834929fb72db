"""Two checkouts' ingest side by side: bench_ingest.py run in each, alternating.

    python bench/bench_ingest_ab.py --b PATH [--a PATH] [--pairs N] [--page-sizes 500 100]
                                    [--vendors N] [--bills N] [--pg URL] [--json]

One bench_ingest.py run moves by up to a fifth from the next on this machine (its wall clock
and the server's CPU both), so two versions measured one after the other cannot be told apart
by a change of a few percent. Here each pair runs ``bench_ingest.py --skip-memory`` of one
checkout, then the other's (the side that goes first alternating), each in its own process
with its own fresh PostgreSQL database and importing its own code; printed per page size and
record kind: each side's median records/s (wall clock, the benchmark's figure), every run,
how many runs met the target, and the median of the pair-by-pair ratios B/A. ``--a``
defaults to this checkout; ``--b`` is the other (``git worktree add <dir> <commit>``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import DEFAULT_PG, ROOT, bench_main

KINDS = ("vendors", "bills")


def one_run(checkout: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """bench_ingest.py's throughput figures from ``checkout``, run there."""
    command = [
        sys.executable,
        str(checkout / "bench" / "bench_ingest.py"),
        "--skip-memory",
        "--json",
        "--pg",
        args.pg,
        "--vendors",
        str(args.vendors),
        "--bills",
        str(args.bills),
        "--page-sizes",
        *(str(size) for size in args.page_sizes),
    ]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench_ingest.py failed in {checkout}:\n{done.stderr[-2000:]}")
    throughput: list[dict[str, Any]] = json.loads(done.stdout)["throughput"]
    return throughput


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    checkouts = {"A": Path(args.a).resolve(), "B": Path(args.b).resolve()}
    # (page size, kind) -> side -> one figure per run
    rates: dict[tuple[int, str], dict[str, list[float]]] = {}
    met: dict[tuple[int, str], dict[str, int]] = {}
    for pair in range(args.pairs):
        for side in ("A", "B") if pair % 2 == 0 else ("B", "A"):
            for figures in one_run(checkouts[side], args):
                for kind in KINDS:
                    key = (figures["page_size"], kind)
                    fig = figures[kind]
                    rates.setdefault(key, {"A": [], "B": []})[side].append(
                        fig["records_per_second"]
                    )
                    counts = met.setdefault(key, {"A": 0, "B": 0})
                    counts[side] += bool(fig["meets_target"])
    lines = [
        f"bench_ingest.py --skip-memory, {args.pairs} alternating pairs; "
        f"A {checkouts['A']}, B {checkouts['B']}; records/s (wall clock), medians:"
    ]
    results: dict[str, Any] = {
        "checkouts": {side: str(path) for side, path in checkouts.items()},
        "pairs": args.pairs,
        "figures": [],
    }
    for (size, kind), sides in sorted(rates.items()):
        a, b = sides["A"], sides["B"]
        ratios = [y / x for x, y in zip(a, b, strict=True) if x > 0]
        figure = {
            "page_size": size,
            "kind": kind,
            "a": a,
            "b": b,
            "median_a": statistics.median(a),
            "median_b": statistics.median(b),
            "met_a": met[size, kind]["A"],
            "met_b": met[size, kind]["B"],
            "median_ratio_b_over_a": statistics.median(ratios),
        }
        results["figures"].append(figure)
        lines.append(
            f"  {size:5d} {kind:7s}  A {figure['median_a']:8,.0f}  B {figure['median_b']:8,.0f}"
            f"  B/A {figure['median_ratio_b_over_a']:.3f}  target met A {figure['met_a']}/"
            f"{len(a)}, B {figure['met_b']}/{len(b)}"
        )
        lines.append(f"        A: {' '.join(f'{v:,.0f}' for v in a)}")
        lines.append(f"        B: {' '.join(f'{v:,.0f}' for v in b)}")
    return results, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default=str(ROOT), help="a checkout (default: this one)")
    parser.add_argument("--b", required=True, help="another checkout")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--page-sizes", type=int, nargs="+", default=[500, 100])
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--bills", type=int, default=20_000)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    return bench_main(parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())

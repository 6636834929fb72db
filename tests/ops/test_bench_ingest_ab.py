"""bench/bench_ingest_ab.py: the runs alternate which checkout goes first, and each page size
and record kind is summed up from its own runs (medians, targets met, pair-by-pair ratios)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_ingest_ab


def _figures(vendors: float, bills: float) -> list[dict[str, Any]]:
    def kind(rate: float, target: float) -> dict[str, Any]:
        return {"records_per_second": rate, "meets_target": rate >= target}

    return [{"page_size": 500, "vendors": kind(vendors, 10_000), "bills": kind(bills, 3_000)}]


def test_pairs_alternate_and_each_figure_is_its_own_median(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    runs: list[str] = []
    canned = {
        "a": iter([_figures(9_000, 2_900), _figures(9_500, 3_100), _figures(9_200, 2_800)]),
        "b": iter([_figures(10_100, 3_000), _figures(10_400, 2_950), _figures(11_000, 3_300)]),
    }

    def fake_run(checkout: Path, _args: argparse.Namespace) -> list[dict[str, Any]]:
        runs.append(checkout.name)
        return next(canned[checkout.name])

    monkeypatch.setattr(bench_ingest_ab, "one_run", fake_run)
    args = argparse.Namespace(a=str(a), b=str(b), pairs=3)
    results, lines = bench_ingest_ab.run(args)
    assert runs == ["a", "b", "b", "a", "a", "b"]  # who goes first alternates
    by_kind = {f["kind"]: f for f in results["figures"]}
    vendors, bills = by_kind["vendors"], by_kind["bills"]
    assert vendors["a"] == [9_000, 9_500, 9_200] and vendors["b"] == [10_100, 10_400, 11_000]
    assert (vendors["median_a"], vendors["median_b"]) == (9_200, 10_400)
    assert (vendors["met_a"], vendors["met_b"]) == (0, 3)
    assert vendors["median_ratio_b_over_a"] == pytest.approx(
        10_100 / 9_000
    )  # pairs: 1.122, 1.095, 1.196
    assert (bills["median_a"], bills["median_b"]) == (2_900, 3_000)
    assert (bills["met_a"], bills["met_b"]) == (1, 2)
    assert any("500 vendors" in line and "B/A" in line for line in lines)


def test_a_failed_run_says_which_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "bench_ingest.py").write_text("raise SystemExit('no database')\n")
    args = argparse.Namespace(pg="postgresql://x", vendors=1, bills=1, page_sizes=[100])
    with pytest.raises(RuntimeError, match=str(tmp_path)):
        bench_ingest_ab.one_run(tmp_path, args)

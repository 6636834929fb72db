"""bench/call_parts.py: the parts it times count their calls and this thread's CPU inside them,
whatever kind of function they are, and everything is put back afterwards."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import call_parts


class Base:
    def inherited(self) -> str:
        return "base"


class Worker(Base):
    def method(self, n: int) -> int:
        end = time.thread_time() + 0.002 * n
        while time.thread_time() < end:  # CPU, not sleep: thread_time must see it
            pass
        return n

    @staticmethod
    def static(x: int) -> int:
        return x + 1

    @classmethod
    def klass(cls, x: int) -> str:
        return f"{cls.__name__}{x}"


def spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    fake = types.ModuleType("call_parts_fake")
    fake.Worker = Worker  # type: ignore[attr-defined]
    fake.spin = spin  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "call_parts_fake", fake)
    return fake


def test_each_part_counts_its_calls_and_its_cpu(module: types.ModuleType) -> None:
    specs = [
        "call_parts_fake:Worker.method",
        "call_parts_fake:Worker.static",
        "call_parts_fake:Worker.klass",
        "call_parts_fake:Worker.inherited",
        "call_parts_fake:spin",
    ]
    originals = [Worker.__dict__["method"], Worker.__dict__["static"], Worker.__dict__["klass"]]
    with call_parts.wrapped(specs) as parts:
        worker = module.Worker()
        assert [worker.method(n) for n in (1, 2, 3)] == [1, 2, 3]
        assert module.Worker.static(1) == 2 and worker.static(2) == 3
        assert module.Worker.klass(4) == "Worker4"
        assert worker.inherited() == "base"
        module.spin(0.01)
    figures = {part.name.split(":")[1]: part.figures() for part in parts}
    assert figures["Worker.method"]["calls"] == 3
    # 2 + 4 + 6 ms of CPU over three calls: 4 ms a call, give or take the clock's grain.
    assert 3.5 <= figures["Worker.method"]["cpu_ms_per_call"] <= 8
    assert figures["Worker.static"]["calls"] == 2
    assert figures["Worker.klass"]["calls"] == 1
    assert figures["Worker.inherited"]["calls"] == 1
    assert figures["spin"]["calls"] == 1 and figures["spin"]["cpu_ms_per_call"] >= 9.5
    # Put back as they were: the same objects, and nothing left on the subclass.
    assert [Worker.__dict__["method"], Worker.__dict__["static"], Worker.__dict__["klass"]] == (
        originals
    )
    assert "inherited" not in Worker.__dict__
    assert module.spin is spin


def test_a_part_that_names_nothing_callable_is_refused(module: types.ModuleType) -> None:
    for spec in ("call_parts_fake", "call_parts_fake:Worker.missing", "nowhere:thing"):
        with pytest.raises((ValueError, ImportError, AttributeError)), call_parts.wrapped([spec]):
            pass
    assert "method" in Worker.__dict__

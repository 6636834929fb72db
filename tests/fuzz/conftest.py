"""Prints how many fuzz cases ran, per suite, at the end of the run."""

from __future__ import annotations

from typing import Any

from tests.fuzz.budget import CASES, executed


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ran = executed()
    if not ran:
        return
    parts = ", ".join(f"{suite} {n}" for suite, n in sorted(ran.items()))
    terminalreporter.write_line(
        f"fuzz cases executed: {sum(ran.values())} ({parts}; QBWC_FUZZ_CASES={CASES} per test)"
    )

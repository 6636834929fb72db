"""How many cases each fuzz test runs, and how many ran (printed at the end of the run).

Shared by every fuzz suite under tests/fuzz (JSON API, SOAP, qbXML). The short form in CI uses the
default; the long form is ``QBWC_FUZZ_CASES=10000 ./scripts/test tests/fuzz -p no:cacheprovider``.
Each test passes :func:`fuzz_settings` to ``@settings`` and calls :func:`count` once per case.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

CASES = int(os.environ.get("QBWC_FUZZ_CASES", "1000"))

_executed: Counter[str] = Counter()


def count(suite: str) -> None:
    """One case of ``suite`` ran (call it inside the test body)."""
    _executed[suite] += 1


def executed() -> dict[str, int]:
    return dict(_executed)


def fuzz_settings(**overrides: Any) -> settings:
    """``max_examples=CASES``; no deadline (a shared 2-core machine has slow moments; hangs are
    caught by each request's own timeout); no example database (runs are reproducible from the
    seed hypothesis prints, and found cases are kept in the tests as ``@example``)."""
    options: dict[str, Any] = {
        "max_examples": CASES,
        "deadline": None,
        "database": None,
        "suppress_health_check": [
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    }
    options.update(overrides)
    return settings(**options)

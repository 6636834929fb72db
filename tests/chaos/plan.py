"""What a chaos run does (``ChaosConfig``) and what it found (``ChaosResult``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tests.chaos.bookkeeper import EDIT_ACTIONS


@dataclass(frozen=True)
class ChaosConfig:
    seed: int = 1
    companies: int = 4
    rounds: int = 6  # chaotic sessions per company
    profile: str = "tiny"
    workers: int = 2
    threads: int = 4
    kill_every: tuple[float, float] = (3.0, 9.0)  # seconds between worker kills (uniform)
    restart_every: tuple[float, float] = (12.0, 25.0)  # seconds between database restarts
    down_seconds: tuple[float, float] = (0.2, 1.5)  # the database stays down this long
    drop_probability: float = 0.3  # sessions that lose their connection at a random call
    edit_probability: float = 0.7
    writeback_probability: float = 0.6
    # What the bookkeeper may do between two sessions (see ``edit_quickbooks``).
    edit_actions: tuple[str, ...] = EDIT_ACTIONS
    quiet_sessions: int = 12  # at most, per company, in the quiet phase
    time_limit: float = 900.0  # seconds for the whole run (a safety bound)
    # Small pages: a tiny company spans many calls, so faults land inside pages and windows.
    server_env: dict[str, str] = field(
        default_factory=lambda: {
            "QBWC_LIST_PAGE_SIZE": "10",
            "QBWC_TXN_PAGE_SIZE": "8",
            "QBWC_WINDOW_TARGET": "40",
            "QBWC_LOG_LEVEL": "WARNING",
        }
    )


@dataclass
class ChaosResult:
    config: ChaosConfig
    faults: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)  # lease lapses, API retries, ...
    discrepancies: list[str] = field(default_factory=list)
    samples: dict[str, list[str]] = field(default_factory=dict)  # first errors of each kind
    compared_records: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        c = self.config
        out = [
            f"chaos run: seed {c.seed}, {c.companies} companies x {c.rounds} sessions, "
            f"profile {c.profile}, {c.workers} workers x {c.threads} threads "
            f"(replay: --seed {c.seed} --companies {c.companies} --rounds {c.rounds})",
            "faults injected: " + _counts(self.faults),
            "sessions by outcome: " + _counts(self.outcomes),
            "operations by final state: " + _counts(self.operations),
            "also: " + _counts(self.events),
            f"records compared with QuickBooks: {self.compared_records}",
        ]
        for kind, texts in sorted(self.samples.items()):
            out.append(f"first {kind}: " + " | ".join(texts))
        out.append(f"discrepancies: {len(self.discrepancies)}")
        out += [f"  - {d}" for d in self.discrepancies[:40]]
        out.append(f"elapsed: {self.seconds:.1f} s")
        return out


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"

"""Simulated time for the fake Web Connector: NoOp pauses and schedules cost no real seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class SimClock:
    """A clock that only moves when told to.

    ``real_sleep_factor`` > 0 makes :meth:`sleep` also sleep for real (scaled), e.g. 1.0 when
    pointing the simulator at a server whose NoOp is waiting for a real backend job.
    """

    now: float = 0.0
    real_sleep_factor: float = 0.0

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.now += seconds
        if self.real_sleep_factor > 0:
            time.sleep(seconds * self.real_sleep_factor)

    def advance(self, seconds: float) -> None:
        """Move time forward without any real sleeping (cost-model time, schedule gaps)."""
        if seconds > 0:
            self.now += seconds

    def advance_to(self, when: float) -> None:
        if when > self.now:
            self.now = when

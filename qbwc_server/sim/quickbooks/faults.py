"""Fault injection and the cost model of the fake QuickBooks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class FaultPlan:
    """What goes wrong, and when.

    Connection faults (raised by :meth:`FakeQuickBooks.open_session` as ``QBConnectionError``,
    which a Web Connector reports through ``connectionError``; HRESULTs per protocol doc §5):

    * ``qb_not_running`` → 0x80040408 "Could not start QuickBooks" (persistent until cleared);
    * ``different_file_open`` → 0x8004040A (persistent);
    * ``access``: ``"granted"`` (default), ``"first_time"`` → 0x80040418 (only the admin can grant
      first access), ``"not_permitted"`` → 0x8004041A, ``"denied"`` → 0x80040420;
    * ``open_errors``: HRESULTs raised by the next ``open_session`` calls, one per call (FIFO).

    Request faults (counted over the fake's lifetime, 1-based):

    * ``lock_errors``: ``{n: 3170|3175|3176}`` — the n-th *request* (one ``…Rq`` element) is
      answered with that lock status instead of being processed (§6.3, transient);
    * ``processor_errors``: ``{n: hresult}`` — the n-th ``process()`` call raises
      ``QBRequestError(hresult)`` without processing anything;
    * ``lost_responses``: ``{n, …}`` — the n-th ``process()`` call *is processed* (writes are
      committed, the message set is remembered for error recovery) but then raises
      ``QBRequestError("0x80040402")``, as when the response is lost on the way back.
    """

    qb_not_running: bool = False
    different_file_open: bool = False
    access: str = "granted"
    open_errors: list[str] = field(default_factory=list)
    lock_errors: dict[int, int] = field(default_factory=dict)
    processor_errors: dict[int, str] = field(default_factory=dict)
    lost_responses: set[int] = field(default_factory=set)

    def connection_hresult(self) -> str | None:
        if self.open_errors:
            return self.open_errors.pop(0)
        if self.qb_not_running:
            return "0x80040408"
        if self.different_file_open:
            return "0x8004040A"
        return {
            "first_time": "0x80040418",
            "not_permitted": "0x8004041A",
            "denied": "0x80040420",
        }.get(self.access)


@dataclass
class CostModel:
    """Simulated QuickBooks time: per request, per record returned, per line item returned.

    Defaults are rough guesses at a desktop QuickBooks answering over QBXMLRP2 (a page of 100
    bills with lines costs about 1.5 simulated seconds). ``real_sleep`` makes ``process()``
    also sleep for ``seconds * real_sleep_factor`` (off by default).
    """

    per_request: float = 0.05
    per_record: float = 0.01
    per_line: float = 0.002
    per_write: float = 0.2
    real_sleep: bool = False
    real_sleep_factor: float = 1.0

    def charge(self, *, requests: int, records: int, lines: int, writes: int) -> float:
        seconds = (
            requests * self.per_request
            + records * self.per_record
            + lines * self.per_line
            + writes * self.per_write
        )
        if self.real_sleep and seconds > 0:
            time.sleep(seconds * self.real_sleep_factor)
        return seconds

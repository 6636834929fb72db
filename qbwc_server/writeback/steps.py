"""What a step of an operation's delivery is: it builds a request for the operation and takes
QuickBooks' answer to it (the same shape as the read sync's steps, ``sync/steps/base.py``).

The steps: ``send`` (writeback/sending.py); ``recover`` and ``lookup``, settling an outcome
that is not known (writeback/settling.py); ``reread`` and ``match``, the vendor conflicts
(writeback/conflicts.py). Reading records back (writeback/read_back.py) has no operation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from models import Operation
from qbwc_server.qbxml.parse import ParsedResponse
from qbwc_server.writeback.context import WriteContext

# A request for the Web Connector: the qbXML and its meta, which comes back with the answer.
Outbound = tuple[str, dict[str, Any]]


class WriteStep(ABC):
    name: str  # meta["step"] and, for the settling steps, Operation.step

    @abstractmethod
    def request(self, ctx: WriteContext, op: Operation, meta: dict[str, Any]) -> Outbound | None:
        """The request (``meta`` already names the step and the operation), or None when the
        step moved the operation on without asking QuickBooks anything."""

    @abstractmethod
    def on_answer(
        self, ctx: WriteContext, op: Operation, meta: dict[str, Any], parsed: ParsedResponse
    ) -> None:
        """QuickBooks answered (the operation is still ours: leased to this session)."""

"""The steps of the read sync, registered in the order a session runs them (the work order).

1. ``restore_probe`` — is any stream's newest record gone or older? (restored backups)
2. one :class:`~qbwc_server.sync.steps.stream.StreamStep` per declared record type, in the
   declarations' order (lists first): its reconciliation when due, then its pass;
3. the deletion sweeps, lists then transactions;
4. ``vendor_balances`` — re-read the vendors whose Balance the session's transactions moved.

Write-backs are not a read-sync step: the engine's driver (``engine/driver.py``) puts them
between these steps.
"""

from __future__ import annotations

from qbwc_server.records.types import DECLARED
from qbwc_server.sync.steps.base import Step
from qbwc_server.sync.steps.deletions import DELETION_STREAMS, LIST_DELETIONS, DeletionSweep
from qbwc_server.sync.steps.restore_probe import RestoreProbe
from qbwc_server.sync.steps.stream import StreamStep
from qbwc_server.sync.steps.vendor_balances import VendorBalances

WORK_ORDER: tuple[Step, ...] = (
    RestoreProbe(),
    *(StreamStep(rt) for rt in DECLARED),
    *(DeletionSweep(name) for name in DELETION_STREAMS),
    VendorBalances(),
)
STEPS: dict[str, Step] = {step.name: step for step in WORK_ORDER}
STREAM_STEPS: tuple[str, ...] = tuple(rt.name for rt in DECLARED)

__all__ = ["DELETION_STREAMS", "LIST_DELETIONS", "STEPS", "STREAM_STEPS", "WORK_ORDER", "Step"]

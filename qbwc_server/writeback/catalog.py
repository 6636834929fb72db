"""The write-back's operation states, steps and limits (issue 5). The operation types are the
kinds registered in ``writeback/kinds/``."""

from __future__ import annotations

from datetime import timedelta

QUEUED = "queued"
SENT = "sent"
DONE = "done"
FAILED = "failed"
NEEDS_ATTENTION = "needs_attention"
CANCELLED = "cancelled"
STATES = (QUEUED, SENT, DONE, FAILED, NEEDS_ATTENTION, CANCELLED)
OPEN_STATES = (QUEUED, SENT)  # still moving through the queue

# Steps inside a state (``Operation.step``).
STEP_RECOVER = "recover"  # sent: ask QuickBooks what became of the message set (§6.2)
STEP_LOOKUP = "lookup"  # sent: look for our ExternalGUID marker on candidate records
STEP_REREAD = "reread"  # queued: 3200 stale EditSequence, re-read the vendor then re-apply
STEP_MATCH = "match"  # queued: 3100 name in use, read the existing vendor and compare

# Nothing is retried forever (user-pains #3): past these the operation needs a person.
MAX_SEND_ATTEMPTS = 6
MAX_RECOVERY_ATTEMPTS = 4
MAX_CONFLICT_RETRIES = 1  # 3200: re-read and re-apply once
RETRY_BASE = timedelta(minutes=1)  # lock errors: 1, 2, 4, 8, 16 minutes (and a later session)
RETRY_CAP = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Back-off before the next try after a transient error (the ``attempts``-th one)."""
    delay = RETRY_BASE * (2 ** max(0, attempts - 1))
    return min(delay, RETRY_CAP)

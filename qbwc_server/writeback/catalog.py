"""The operation types the write-back understands, their states and limits (issue 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

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

IdKey = Literal["ListID", "TxnID"]


@dataclass(frozen=True)
class OperationKind:
    name: str  # the API's "type"
    qb_object: str  # QuickBooks object type: Vendor, Bill, BillPaymentCheck, ...
    request: str  # the qbXML request: VendorAdd, VendorMod, BillAdd, ...
    record_type: str  # synced-table type name (storage.upsert_records)
    is_add: bool

    @property
    def id_key(self) -> IdKey:
        return "ListID" if self.qb_object == "Vendor" else "TxnID"

    @property
    def result_key(self) -> str:
        return "list_id" if self.qb_object == "Vendor" else "txn_id"


KINDS: dict[str, OperationKind] = {
    k.name: k
    for k in (
        OperationKind("vendor.create", "Vendor", "VendorAdd", "vendors", True),
        OperationKind("vendor.update", "Vendor", "VendorMod", "vendors", False),
        OperationKind("bill.create", "Bill", "BillAdd", "bills", True),
        OperationKind(
            "bill_payment.check.create",
            "BillPaymentCheck",
            "BillPaymentCheckAdd",
            "bill_payment_checks",
            True,
        ),
        OperationKind(
            "bill_payment.credit_card.create",
            "BillPaymentCreditCard",
            "BillPaymentCreditCardAdd",
            "bill_payment_credit_cards",
            True,
        ),
    )
}
OPERATION_TYPES: tuple[str, ...] = tuple(KINDS)


def retry_delay(attempts: int) -> timedelta:
    """Back-off before the next try after a transient error (the ``attempts``-th one)."""
    delay = RETRY_BASE * (2 ** max(0, attempts - 1))
    return min(delay, RETRY_CAP)

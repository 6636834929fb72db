"""The operation kinds the write-back understands, registered by their API ``type``.

Adding a kind: write its class (``kinds/base.py`` says what a kind provides) in a module of
this package and register it here (docs/architecture.md, "Adding an operation kind").
"""

from __future__ import annotations

from qbwc_server.writeback.kinds.base import OperationKind
from qbwc_server.writeback.kinds.bill import BillCreate
from qbwc_server.writeback.kinds.bill_payment import (
    BillPaymentCheckCreate,
    BillPaymentCreditCardCreate,
)
from qbwc_server.writeback.kinds.vendor import VendorCreate, VendorUpdate

KINDS: dict[str, OperationKind] = {
    kind.name: kind
    for kind in (
        VendorCreate(),
        VendorUpdate(),
        BillCreate(),
        BillPaymentCheckCreate(),
        BillPaymentCreditCardCreate(),
    )
}
OPERATION_TYPES: tuple[str, ...] = tuple(KINDS)

__all__ = ["KINDS", "OPERATION_TYPES", "OperationKind"]

"""One QuickBooks company file: its data plus the bookkeeping rules a user's changes follow.

:class:`CompanyFile` is the simulator's public face of a company: the data store of
:mod:`.company_data` with the write rules of :mod:`.record_writes` (lists, edits, deletions) and
:mod:`.txn_writes` (bills, payments, other transactions) as methods, and :meth:`generate` for a
deterministic company (:mod:`.generator`). It knows nothing about qbXML documents; :mod:`.writes`
and :mod:`.queries` translate requests into calls here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import record_writes, txn_writes
from .catalog import TXN_TYPES
from .company_data import (
    CompanyData,
    CompanyError,
    Counters,
    DeletedEntry,
    Preferences,
    StoredResponse,
    dec,
    money,
    qb_text,
)
from .generator import Profile, history_start, populate, profile_named
from .qbclock import QBClock
from .store import Record

__all__ = [
    "CompanyError",
    "CompanyFile",
    "Counters",
    "DeletedEntry",
    "Preferences",
    "StoredResponse",
    "dec",
    "money",
    "qb_text",
]


class CompanyFile(CompanyData):
    """The data of one company file; deterministic from ``(seed, profile)`` when generated."""

    @classmethod
    def generate(
        cls,
        *,
        seed: int = 1,
        profile: str | Profile = "tiny",
        company_name: str = "Acme Supplies & Co.",
        start: datetime | None = None,
        inventory: bool = True,
        class_tracking: bool = True,
        multicurrency: bool = False,
        dst_offset_quirk: bool = True,
    ) -> CompanyFile:
        """A deterministic company (see :mod:`.generator` for the profiles).

        ``start`` is the first day of the company's history; the clock ends some years later
        (2 for tiny, 3 for small, 5 for large).
        """
        chosen = profile_named(profile)
        company = cls(
            company_name=company_name,
            preferences=Preferences(
                inventory=inventory, class_tracking=class_tracking, multicurrency=multicurrency
            ),
            clock=QBClock(history_start(start), dst_offset_quirk=dst_offset_quirk),
            seed=seed,
            profile=chosen.name,
        )
        populate(company, chosen)
        return company

    # --- the mutation API (between sessions; the qbXML writes use it too) ---------------------
    def add(self, object_type: str, fields: Mapping[str, Any]) -> str:
        """Add a record as a QuickBooks user would; returns its ListID/TxnID."""
        if object_type == "Bill":
            return str(self.add_bill(fields)["TxnID"])
        if object_type in ("BillPaymentCheck", "BillPaymentCreditCard"):
            return str(self.add_bill_payment(object_type, fields)["TxnID"])
        if object_type in TXN_TYPES:
            return str(txn_writes.add_txn(self, object_type, fields)["TxnID"])
        return str(self.add_list_record(object_type, fields)["ListID"])

    def add_list_record(self, object_type: str, fields: Mapping[str, Any]) -> Record:
        return record_writes.add_list_record(self, object_type, fields)

    def mod_list_record(
        self, object_type: str, list_id: str, edit_sequence: str, changes: Mapping[str, Any]
    ) -> Record:
        return record_writes.mod_list_record(self, object_type, list_id, edit_sequence, changes)

    def add_bill(self, fields: Mapping[str, Any]) -> Record:
        return txn_writes.add_bill(self, fields)

    def add_bill_payment(self, object_type: str, fields: Mapping[str, Any]) -> Record:
        return txn_writes.add_bill_payment(self, object_type, fields)

    def edit(self, object_type: str, object_id: str, changes: Mapping[str, Any]) -> None:
        """Change top-level fields of a record (new TimeModified and EditSequence)."""
        record_writes.edit(self, object_type, object_id, changes)

    def make_inactive(self, object_type: str, list_id: str) -> None:
        record_writes.make_inactive(self, object_type, list_id)

    def delete(self, object_type: str, object_id: str) -> None:
        """Delete a record; it shows up in ListDeletedQuery/TxnDeletedQuery (90 days)."""
        record_writes.delete(self, object_type, object_id)

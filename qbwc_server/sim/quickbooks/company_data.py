"""The data store of one QuickBooks company file: its tables, counters and lookups.

:class:`CompanyData` holds the records (one :class:`~.store.Table` per object type), hands out
IDs, EditSequences and time stamps, resolves references and reads records back. The write rules
live in :mod:`.record_writes` and :mod:`.txn_writes`; :class:`~.company.CompanyFile` puts the
two together. Nothing here knows qbXML documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from . import status as st
from .catalog import (
    ALL_TYPES,
    ITEM_TYPES,
    LIST_TYPES,
    TXN_TYPES,
    name_namespace,
)
from .qbclock import QBClock, wall_key
from .status import Status
from .store import Record, RowMeta, Table, copy_record

_Company = TypeVar("_Company", bound="CompanyData")

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def dec(text: Any) -> Decimal:
    return Decimal(str(text)) if text not in (None, "") else ZERO


def qb_text(text: str) -> str:
    """What QuickBooks stores for a text value: it is Windows-1252 based, so characters outside
    that code page do not survive a round trip and come back as "?" (§6.1; our model of it)."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


class CompanyError(Exception):
    """A business-rule failure carrying the qbXML status QuickBooks would answer with."""

    def __init__(self, status: Status) -> None:
        self.status = status
        super().__init__(f"{status.code}: {status.message}")


@dataclass
class Preferences:
    inventory: bool = True  # IsUsingInventory: purchase orders, item receipts, inventory items
    class_tracking: bool = True
    multicurrency: bool = False
    account_numbers: bool = False
    days_bills_are_due: int = 10


@dataclass
class DeletedEntry:
    is_txn: bool
    del_type: str
    object_id: str
    time_created: str
    deleted_at: datetime  # wall clock
    name: str  # FullName (lists) or RefNumber (transactions)


@dataclass
class Counters:
    list_n: int = 0
    txn_n: int = 0  # TxnIDs and TxnLineIDs share this counter
    txn_number: int = 0
    seq: int = 0


@dataclass
class StoredResponse:
    """What QuickBooks remembers of one request of a message set sent with newMessageSetID."""

    rs_name: str
    request_id: str | None
    status: Status
    recovery: dict[str, str] | None  # ErrorRecovery children (ListID/TxnID, EditSequence)


@dataclass
class CompanyData:
    """The data of one company file; deterministic from ``(seed, profile)`` when generated."""

    company_name: str = "Acme Supplies & Co."
    preferences: Preferences = field(default_factory=Preferences)
    clock: QBClock = field(default_factory=QBClock)
    seed: int = 0
    profile: str = "empty"
    tables: dict[str, Table] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    data_ext: list[dict[str, str]] = field(default_factory=list)
    deleted: list[DeletedEntry] = field(default_factory=list)
    owner_of: dict[str, str] = field(default_factory=dict)  # ListID/TxnID -> object type
    counters: Counters = field(default_factory=Counters)
    message_sets: dict[str, list[StoredResponse]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for object_type in ALL_TYPES:
            self.tables.setdefault(object_type, Table(object_type, object_type in TXN_TYPES))
        if not self.info:
            self.info = {"IsSampleCompany": False, "CompanyName": self.company_name}

    @property
    def path(self) -> str:
        safe = "".join(c for c in self.company_name if c.isalnum() or c in " -_").strip()
        return (
            "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\"
            f"{safe or 'Company'}.QBW"
        )

    # --- ids and stamps ----------------------------------------------------------------------
    def next_seq(self) -> int:
        self.counters.seq += 1
        return self.counters.seq

    def new_list_id(self, wall: datetime) -> str:
        self.counters.list_n += 1
        return f"{0x80000000 + self.counters.list_n:08X}-{self.clock.epoch_seconds(wall)}"

    def new_txn_id(self, wall: datetime) -> str:
        self.counters.txn_n += 1
        return f"{self.counters.txn_n:X}-{self.clock.epoch_seconds(wall)}"

    def new_line_id(self, wall: datetime) -> str:
        # One counter for TxnIDs and TxnLineIDs, so no line ID equals a transaction ID.
        self.counters.txn_n += 1
        return f"{self.counters.txn_n:X}-{self.clock.epoch_seconds(wall)}"

    def next_txn_number(self) -> int:
        self.counters.txn_number += 1
        return self.counters.txn_number

    def new_edit_sequence(self, wall: datetime, previous: str | None = None) -> str:
        """EditSequence looks like a Unix timestamp (§6.7) but must change on every edit."""
        value = self.clock.epoch_seconds(wall)
        if previous is not None and previous.isdigit() and value <= int(previous):
            value = int(previous) + 1
        return str(value)

    # --- lookups -----------------------------------------------------------------------------
    def table(self, object_type: str) -> Table:
        try:
            return self.tables[object_type]
        except KeyError:
            raise KeyError(f"unknown object type {object_type!r}") from None

    def find(self, object_id: str) -> tuple[str, Record] | None:
        object_type = self.owner_of.get(object_id)
        if object_type is None:
            return None
        record = self.tables[object_type].get(object_id)
        return None if record is None else (object_type, record)

    def get(self, object_type: str, object_id: str) -> Record | None:
        return self.table(object_type).get(object_id)

    def display_name(self, list_id: str) -> str | None:
        """Current FullName (or Name) of a list record: refs are resolved when read, so a
        renamed vendor shows its new name in old bills."""
        found = self.find(list_id)
        if found is None:
            return None
        record = found[1]
        name = record.get("FullName", record.get("Name"))
        return None if name is None else str(name)

    def ref(self, list_id: str) -> dict[str, str]:
        return {"ListID": list_id, "FullName": self.display_name(list_id) or ""}

    def lookup_ref(self, ref: Mapping[str, Any], types: Iterable[str]) -> tuple[str, str] | None:
        """``(object_type, ListID)`` for a ``{ListID|FullName}`` reference, or None."""
        list_id = ref.get("ListID")
        type_list = tuple(types)
        if list_id:
            object_type = self.owner_of.get(str(list_id))
            if object_type in type_list:
                return object_type, str(list_id)
            return None
        full_name = ref.get("FullName")
        if full_name:
            for object_type in type_list:
                found = self.tables[object_type].find_by_name(qb_text(str(full_name)))
                if found is not None:
                    return object_type, found
        return None

    def require_ref(
        self, ref: Mapping[str, Any], types: Iterable[str], kind: str, in_object: str
    ) -> tuple[str, str]:
        found = self.lookup_ref(ref, types)
        if found is None:
            shown = str(ref.get("FullName") or ref.get("ListID") or "")
            raise CompanyError(st.invalid_reference(kind, shown, in_object))
        return found

    def name_taken(self, object_type: str, full_name: str, except_id: str | None = None) -> bool:
        key = full_name.lower()
        namespace = name_namespace(object_type)
        for other in LIST_TYPES:
            if name_namespace(other) != namespace:
                continue
            found = self.tables[other].by_name.get(key)
            if found is not None and found != except_id:
                return True
        return False

    def default_account(self, account_type: str) -> str:
        table = self.tables["Account"]
        for list_id in table.ids():
            record = table.get(list_id)
            if record and record.get("AccountType") == account_type and record.get("IsActive"):
                return list_id
        raise CompanyError(st.invalid_reference("Account", account_type, "request"))

    def today(self) -> date:
        return self.clock.now.date()

    # --- reading for tests and reports -------------------------------------------------------
    def resolved(self, record: Mapping[str, Any]) -> Record:
        """A copy of ``record`` with every ``…Ref`` FullName resolved to the current name."""
        out: Record = {}
        for key, value in record.items():
            if isinstance(value, dict):
                value = self.resolved(value)
                if key.endswith("Ref") and "ListID" in value:
                    name = self.display_name(value["ListID"])
                    if name is not None:
                        value["FullName"] = name
            elif isinstance(value, list):
                value = [self.resolved(v) if isinstance(v, dict) else v for v in value]
            out[key] = value
        return out

    def records(self, object_type: str) -> list[Record]:
        """Current data of one type as JSON-able dicts mirroring the Ret ("Item" = all items)."""
        types = ITEM_TYPES if object_type == "Item" else (object_type,)
        out: list[Record] = []
        for one_type in types:
            table = self.table(one_type)
            for object_id in list(table.ids()):
                record = table.get(object_id)
                if record is not None:
                    out.append(self.resolved(record))
        return out

    # --- backup ------------------------------------------------------------------------------
    def snapshot(self: _Company) -> _Company:
        """A backup: an independent deep copy of the whole file (clock included)."""
        return type(self)(
            company_name=self.company_name,
            preferences=Preferences(**vars(self.preferences)),
            clock=QBClock(self.clock.now, self.clock.zone, self.clock.dst_offset_quirk),
            seed=self.seed,
            profile=self.profile,
            tables={k: t.clone() for k, t in self.tables.items()},
            info=copy_record(self.info),
            data_ext=copy_record(self.data_ext),
            deleted=[DeletedEntry(**vars(d)) for d in self.deleted],
            owner_of=dict(self.owner_of),
            counters=Counters(**vars(self.counters)),
            message_sets={k: list(v) for k, v in self.message_sets.items()},
        )

    def restore_from(self, backup: CompanyData) -> None:
        """Restore the whole file from an earlier backup. The machine's clock does not go back:
        records changed later simply vanish (no deletion entries), old EditSequences return."""
        copy = backup.snapshot()
        now = self.clock.now
        for name in (
            "company_name",
            "preferences",
            "tables",
            "info",
            "data_ext",
            "deleted",
            "owner_of",
            "counters",
            "message_sets",
        ):
            setattr(self, name, getattr(copy, name))
        self.clock.now = now

    # --- bookkeeping helpers -----------------------------------------------------------------
    def touch(self, object_type: str, object_id: str, record: Record) -> None:
        """Record a modification now: new TimeModified and EditSequence."""
        now = self.clock.now
        record["TimeModified"] = self.clock.stamp(now)
        record["EditSequence"] = self.new_edit_sequence(now, record.get("EditSequence"))
        self.tables[object_type].reindex(object_id, modified=wall_key(now))

    def register(self, object_type: str, object_id: str, record: Record, meta: RowMeta) -> None:
        self.tables[object_type].insert(object_id, record, meta)
        self.owner_of[object_id] = object_type

    def adjust_vendor_balance(self, vendor_id: str, delta: Decimal) -> None:
        # Guess: a balance change does not touch the vendor's TimeModified (the record itself
        # was not edited), so a modified-date sync of vendors does not see new balances.
        vendor = self.tables["Vendor"].get(vendor_id)
        if vendor is not None and delta:
            vendor["Balance"] = money(dec(vendor.get("Balance")) + delta)

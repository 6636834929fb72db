"""One QuickBooks company file: its lists, transactions, preferences and bookkeeping rules.

This module holds the data and the rules that keep it consistent (IDs, EditSequence, time
stamps, balances, links between bills and payments). It knows nothing about qbXML documents;
:mod:`.requests` and :mod:`.queries` translate requests into calls here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import status as st
from .catalog import (
    ALL_TYPES,
    ENTITY_TYPES,
    HIERARCHICAL,
    ITEM_TYPES,
    LIST_TYPES,
    TXN_TYPES,
    name_namespace,
)
from .qbclock import QBClock, wall_key
from .status import Status
from .store import Record, RowMeta, Table, copy_record

if TYPE_CHECKING:
    from .generator import Profile

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


_REF_TYPES: dict[str, tuple[str, ...]] = {
    "AccountRef": ("Account",),
    "APAccountRef": ("Account",),
    "BankAccountRef": ("Account",),
    "CreditCardAccountRef": ("Account",),
    "ClassRef": ("Class",),
    "CustomerRef": ("Customer",),
    "VendorRef": ("Vendor",),
    "ItemRef": ITEM_TYPES,
    "TermsRef": ("StandardTerms", "DateDrivenTerms"),
    "VendorTypeRef": ("VendorType",),
    "CurrencyRef": ("Currency",),
    "SalesTaxCodeRef": ("SalesTaxCode",),
    "PayeeEntityRef": ENTITY_TYPES,
    "PrefVendorRef": ("Vendor",),
}


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
class CompanyFile:
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

    # --- construction ------------------------------------------------------------------------
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
        from .generator import generate_company

        return generate_company(
            seed=seed,
            profile=profile,
            company_name=company_name,
            start=start,
            preferences=Preferences(
                inventory=inventory, class_tracking=class_tracking, multicurrency=multicurrency
            ),
            dst_offset_quirk=dst_offset_quirk,
        )

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

    # --- generic mutation API (between sessions) ---------------------------------------------
    def add(self, object_type: str, fields: Mapping[str, Any]) -> str:
        """Add a record as a QuickBooks user would; returns its ListID/TxnID."""
        if object_type == "Bill":
            return str(self.add_bill(fields)["TxnID"])
        if object_type in ("BillPaymentCheck", "BillPaymentCreditCard"):
            return str(self.add_bill_payment(object_type, fields)["TxnID"])
        if object_type in TXN_TYPES:
            return str(self.add_txn(object_type, fields)["TxnID"])
        return str(self.add_list_record(object_type, fields)["ListID"])

    def edit(self, object_type: str, object_id: str, changes: Mapping[str, Any]) -> None:
        """Change top-level fields of a record (new TimeModified and EditSequence)."""
        table = self.table(object_type)
        record = table.get(object_id)
        if record is None:
            raise CompanyError(st.object_not_found(object_id))
        changes = dict(changes)
        if object_type in LIST_TYPES and ("Name" in changes or "ParentRef" in changes):
            self._rename(object_type, object_id, record, changes)
        for key, value in changes.items():
            if value is None:
                record.pop(key, None)
            else:
                record[key] = copy_record(value)
        if "IsActive" in changes:
            table.reindex(object_id, is_active=bool(changes["IsActive"]))
        if "TxnDate" in changes:
            table.reindex(
                object_id, txn_date=date.fromisoformat(str(changes["TxnDate"])).toordinal()
            )
        if "RefNumber" in changes:
            table.reindex(object_id, ref_number=str(changes.get("RefNumber") or ""))
        self.touch(object_type, object_id, record)

    def make_inactive(self, object_type: str, list_id: str) -> None:
        self.edit(object_type, list_id, {"IsActive": False})

    def delete(self, object_type: str, object_id: str) -> None:
        """Delete a record; it shows up in ListDeletedQuery/TxnDeletedQuery (90 days)."""
        table = self.table(object_type)
        record = table.get(object_id)
        if record is None:
            raise CompanyError(st.object_not_found(object_id))
        if object_type in ("Bill", "VendorCredit"):
            sign = -1 if object_type == "Bill" else 1
            self._adjust_vendor_balance(
                record["VendorRef"]["ListID"], sign * dec(record.get("OpenAmount"))
            )
        table.remove(object_id)
        self.owner_of.pop(object_id, None)
        name = record.get("RefNumber", "") if table.is_txn else record.get("FullName", "")
        self.deleted.append(
            DeletedEntry(
                is_txn=table.is_txn,
                del_type=object_type,
                object_id=object_id,
                time_created=str(record.get("TimeCreated", "")),
                deleted_at=self.clock.now,
                name=str(name or record.get("Name", "")),
            )
        )

    def snapshot(self) -> CompanyFile:
        """A backup: an independent deep copy of the whole file (clock included)."""
        return CompanyFile(
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

    def restore_from(self, backup: CompanyFile) -> None:
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

    def _register(self, object_type: str, object_id: str, record: Record, meta: RowMeta) -> None:
        self.tables[object_type].insert(object_id, record, meta)
        self.owner_of[object_id] = object_type

    def _adjust_vendor_balance(self, vendor_id: str, delta: Decimal) -> None:
        # Guess: a balance change does not touch the vendor's TimeModified (the record itself
        # was not edited), so a modified-date sync of vendors does not see new balances.
        vendor = self.tables["Vendor"].get(vendor_id)
        if vendor is not None and delta:
            vendor["Balance"] = money(dec(vendor.get("Balance")) + delta)

    def _rename(
        self, object_type: str, list_id: str, record: Record, changes: dict[str, Any]
    ) -> None:
        name = qb_text(str(changes.get("Name", record.get("Name", ""))))
        changes["Name"] = name
        parent_id = ""
        if object_type in HIERARCHICAL:
            parent_ref = changes.get("ParentRef", record.get("ParentRef"))
            if parent_ref:
                parent_id = self.require_ref(parent_ref, (object_type,), object_type, object_type)[
                    1
                ]
        full_name = self._full_name(object_type, name, parent_id)
        if self.name_taken(object_type, full_name, except_id=list_id):
            raise CompanyError(st.name_in_use(full_name))
        table = self.tables[object_type]
        if object_type in HIERARCHICAL:
            changes["FullName"] = full_name
            table.reindex(list_id, name_key=full_name.lower(), parent=parent_id)
            self._refresh_children(object_type, list_id, full_name)
        else:
            table.reindex(list_id, name_key=full_name.lower())

    def _refresh_children(self, object_type: str, parent_id: str, parent_name: str) -> None:
        table = self.tables[object_type]
        for child_id, meta in list(table.meta.items()):
            if meta.parent != parent_id:
                continue
            child = table.get(child_id)
            if child is None:
                continue
            child["FullName"] = f"{parent_name}:{child['Name']}"
            table.reindex(child_id, name_key=child["FullName"].lower())
            self._refresh_children(object_type, child_id, child["FullName"])

    def _full_name(self, object_type: str, name: str, parent_id: str) -> str:
        if not parent_id:
            return name
        parent = self.tables[object_type].get(parent_id)
        assert parent is not None
        return f"{parent['FullName']}:{name}"

    # --- list records ------------------------------------------------------------------------
    def add_list_record(self, object_type: str, given: Mapping[str, Any]) -> Record:
        if object_type not in LIST_TYPES:
            raise KeyError(f"{object_type} is not a list type")
        fields: dict[str, Any] = copy_record(dict(given))
        name = qb_text(str(fields.get("Name", "")))
        if not name:
            raise CompanyError(st.Status(3150, "There is a missing element: Name."))
        parent_id = ""
        if object_type in HIERARCHICAL and fields.get("ParentRef"):
            parent_id = self.require_ref(
                fields["ParentRef"], (object_type,), object_type, object_type
            )[1]
        full_name = self._full_name(object_type, name, parent_id)
        if self.name_taken(object_type, full_name):
            raise CompanyError(st.name_in_use(full_name))
        for key in [k for k in fields if k.endswith("Ref") and isinstance(fields[k], dict)]:
            if key == "ParentRef":
                continue
            fields[key] = self._normalize_ref(fields[key], key, object_type)
        now = self.clock.now
        list_id = self.new_list_id(now)
        stamp = self.clock.stamp(now)
        record: Record = {
            "ListID": list_id,
            "TimeCreated": stamp,
            "TimeModified": stamp,
            "EditSequence": self.new_edit_sequence(now),
            "Name": name,
        }
        if object_type in HIERARCHICAL:
            record["FullName"] = full_name
        record["IsActive"] = bool(fields.pop("IsActive", True))
        if object_type in HIERARCHICAL:
            if parent_id:
                record["ParentRef"] = self.ref(parent_id)
            record["Sublevel"] = full_name.count(":")
        fields.pop("Name", None)
        fields.pop("ParentRef", None)
        for key, value in fields.items():
            record[key] = qb_text(value) if isinstance(value, str) else value
        if object_type == "Vendor":
            record.setdefault("Balance", money(ZERO))
        meta = RowMeta(
            seq=self.next_seq(),
            modified=wall_key(now),
            is_active=record["IsActive"],
            name_key=full_name.lower(),
            parent=parent_id,
        )
        self._register(object_type, list_id, record, meta)
        return record

    def _normalize_ref(self, ref: Mapping[str, Any], key: str, in_object: str) -> dict[str, str]:
        types = _REF_TYPES.get(key)
        if types is None:
            return dict(ref)
        kind = types[0] if len(types) == 1 else key.removesuffix("Ref")
        if key in ("AccountRef", "APAccountRef", "BankAccountRef", "CreditCardAccountRef"):
            kind = "Account"
        object_id = self.require_ref(ref, types, kind, in_object)[1]
        return self.ref(object_id)

    def mod_list_record(
        self, object_type: str, list_id: str, edit_sequence: str, changes: Mapping[str, Any]
    ) -> Record:
        record = self.tables[object_type].get(list_id)
        if record is None:
            raise CompanyError(st.object_not_found(list_id))
        if str(record.get("EditSequence")) != edit_sequence:
            raise CompanyError(st.stale_edit_sequence(edit_sequence))
        normalized: dict[str, Any] = {}
        for key, value in changes.items():
            if key.endswith("Ref") and isinstance(value, dict) and key != "ParentRef":
                normalized[key] = self._normalize_ref(value, key, object_type)
            elif isinstance(value, str):
                normalized[key] = qb_text(value)
            else:
                normalized[key] = value
        self.edit(object_type, list_id, normalized)
        return record

    # --- transactions ------------------------------------------------------------------------
    def _new_txn_record(self, object_type: str, txn_date: date) -> tuple[str, Record, datetime]:
        now = self.clock.now
        txn_id = self.new_txn_id(now)
        stamp = self.clock.stamp(now)
        record: Record = {
            "TxnID": txn_id,
            "TimeCreated": stamp,
            "TimeModified": stamp,
            "EditSequence": self.new_edit_sequence(now),
            "TxnNumber": self.next_txn_number(),
        }
        return txn_id, record, now

    def _lines(
        self, fields: Mapping[str, Any], in_object: str, now: datetime
    ) -> tuple[list[Record], list[Record], Decimal, tuple[str, ...]]:
        expense: list[Record] = []
        items: list[Record] = []
        total = ZERO
        accounts: list[str] = []
        for line in fields.get("ExpenseLineRet", []) or []:
            out: Record = {"TxnLineID": self.new_line_id(now)}
            account = self.require_ref(
                line.get("AccountRef", {}), ("Account",), "Account", in_object
            )
            out["AccountRef"] = self.ref(account[1])
            accounts.append(account[1])
            amount = dec(line.get("Amount"))
            out["Amount"] = money(amount)
            total += amount
            for key in ("Memo", "BillableStatus"):
                if key in line:
                    out[key] = qb_text(str(line[key]))
            for key in ("CustomerRef", "ClassRef", "SalesTaxCodeRef"):
                if key in line:
                    out[key] = self._normalize_ref(line[key], key, in_object)
            expense.append(out)
        for line in fields.get("ItemLineRet", []) or []:
            out = {"TxnLineID": self.new_line_id(now)}
            item = self.require_ref(line.get("ItemRef", {}), ITEM_TYPES, "Item", in_object)
            out["ItemRef"] = self.ref(item[1])
            if "Desc" in line:
                out["Desc"] = qb_text(str(line["Desc"]))
            quantity = dec(line.get("Quantity")) if line.get("Quantity") is not None else None
            cost = dec(line.get("Cost")) if line.get("Cost") is not None else None
            if quantity is not None:
                out["Quantity"] = str(quantity.normalize())
            if cost is not None:
                out["Cost"] = money(cost)
            if line.get("Amount") is not None:
                amount = dec(line["Amount"])
            elif quantity is not None and cost is not None:
                amount = quantity * cost
            else:
                amount = ZERO
            out["Amount"] = money(amount)
            total += amount
            for key in ("CustomerRef", "ClassRef", "SalesTaxCodeRef"):
                if key in line:
                    out[key] = self._normalize_ref(line[key], key, in_object)
            if "BillableStatus" in line:
                out["BillableStatus"] = line["BillableStatus"]
            items.append(out)
        return expense, items, total, tuple(accounts)

    def _due_date(self, txn_date: date, terms_id: str | None) -> date:
        if terms_id:
            terms = self.find(terms_id)
            if terms and terms[0] == "StandardTerms":
                return txn_date + timedelta(days=int(terms[1].get("StdDueDays", 0)))
            if terms and terms[0] == "DateDrivenTerms":
                day = int(terms[1].get("DayOfMonthDue", 1))
                year, month = (txn_date.year, txn_date.month + 1)
                if month == 13:
                    year, month = year + 1, 1
                return date(year, month, min(day, 28))
        return txn_date + timedelta(days=self.preferences.days_bills_are_due)

    def add_bill(self, fields: Mapping[str, Any]) -> Record:
        """BillAdd: validates every reference first (nothing changes on error)."""
        vendor_id = self.require_ref(fields.get("VendorRef", {}), ("Vendor",), "Vendor", "Bill")[1]
        vendor = self.tables["Vendor"].get(vendor_id)
        assert vendor is not None
        if fields.get("APAccountRef"):
            ap_id = self.require_ref(fields["APAccountRef"], ("Account",), "Account", "Bill")[1]
        else:
            ap_id = self.default_account("AccountsPayable")
        txn_date = _as_date(fields.get("TxnDate")) or self.today()
        terms_id = None
        if fields.get("TermsRef"):
            terms_id = self.require_ref(
                fields["TermsRef"], ("StandardTerms", "DateDrivenTerms"), "Terms", "Bill"
            )[1]
        elif vendor.get("TermsRef"):
            terms_id = vendor["TermsRef"]["ListID"]
        class_ref = None
        if fields.get("ClassRef"):
            class_ref = self._normalize_ref(fields["ClassRef"], "ClassRef", "Bill")
        links = [self._linkable_po(str(t)) for t in fields.get("LinkToTxnID", []) or []]
        txn_id, record, now = self._new_txn_record("Bill", txn_date)
        expense, items, total, accounts = self._lines(fields, "Bill", now)
        due = _as_date(fields.get("DueDate")) or self._due_date(txn_date, terms_id)
        record["VendorRef"] = self.ref(vendor_id)
        if vendor.get("VendorAddress"):
            record["VendorAddress"] = copy_record(vendor["VendorAddress"])
        record["APAccountRef"] = self.ref(ap_id)
        record["TxnDate"] = txn_date.isoformat()
        record["DueDate"] = due.isoformat()
        record["AmountDue"] = money(total)
        self._currency_fields(record, vendor, total, "AmountDueInHomeCurrency")
        if fields.get("RefNumber"):
            record["RefNumber"] = qb_text(str(fields["RefNumber"]))
        if terms_id:
            record["TermsRef"] = self.ref(terms_id)
        if class_ref:
            record["ClassRef"] = class_ref
        if fields.get("Memo"):
            record["Memo"] = qb_text(str(fields["Memo"]))
        if fields.get("ExternalGUID"):
            # QuickBooks stores ExternalGUID and returns it in the Ret (13.0 and 16.0).
            record["ExternalGUID"] = str(fields["ExternalGUID"])
        record["IsPaid"] = total == ZERO
        if expense:
            record["ExpenseLineRet"] = expense
        if items:
            record["ItemLineRet"] = items
        record["OpenAmount"] = money(total)
        meta = RowMeta(
            seq=self.next_seq(),
            modified=wall_key(now),
            txn_date=txn_date.toordinal(),
            entity=vendor_id,
            ref_number=str(record.get("RefNumber", "")),
            accounts=(ap_id, *accounts),
            is_paid=record["IsPaid"],
        )
        self._register("Bill", txn_id, record, meta)
        for po_id, po in links:
            self._link(record, "Bill", po, "PurchaseOrder", "QUANTYPE", dec(po.get("TotalAmount")))
            po["IsFullyReceived"] = True
            po["IsManuallyClosed"] = False
            self.touch("PurchaseOrder", po_id, po)
        self._adjust_vendor_balance(vendor_id, total)
        return record

    def _linkable_po(self, txn_id: str) -> tuple[str, Record]:
        po = self.tables["PurchaseOrder"].get(txn_id)
        if po is None:
            raise CompanyError(st.object_not_found(txn_id))
        return txn_id, po

    def _currency_fields(
        self, record: Record, vendor: Mapping[str, Any], amount: Decimal, home_field: str
    ) -> None:
        if not self.preferences.multicurrency or not vendor.get("CurrencyRef"):
            return
        currency = self.tables["Currency"].get(vendor["CurrencyRef"]["ListID"])
        rate = dec(currency.get("ExchangeRate", "1")) if currency else Decimal(1)
        record["CurrencyRef"] = self.ref(vendor["CurrencyRef"]["ListID"])
        record["ExchangeRate"] = str(rate)
        record[home_field] = money(amount * rate)

    @staticmethod
    def _link(
        a: Record, a_type: str, b: Record, b_type: str, link_type: str, amount: Decimal
    ) -> None:
        """Record a LinkedTxn on both transactions (Amount negative on the paid side)."""
        for this, other, other_type, sign in ((a, b, b_type, -1), (b, a, a_type, -1)):
            entry: Record = {
                "TxnID": other["TxnID"],
                "TxnType": other_type,
                "TxnDate": other["TxnDate"],
            }
            if other.get("RefNumber"):
                entry["RefNumber"] = other["RefNumber"]
            entry["LinkType"] = link_type
            entry["Amount"] = money(sign * amount)
            this.setdefault("LinkedTxn", []).append(entry)

    def add_bill_payment(self, object_type: str, fields: Mapping[str, Any]) -> Record:
        """BillPaymentCheckAdd / BillPaymentCreditCardAdd: pays bills, marks them paid."""
        in_object = object_type
        payee_id = self.require_ref(
            fields.get("PayeeEntityRef", {}), ("Vendor",), "Vendor", in_object
        )[1]
        if fields.get("APAccountRef"):
            ap_id = self.require_ref(fields["APAccountRef"], ("Account",), "Account", in_object)[1]
        else:
            ap_id = self.default_account("AccountsPayable")
        account_key = (
            "BankAccountRef" if object_type == "BillPaymentCheck" else "CreditCardAccountRef"
        )
        account_id = self.require_ref(
            fields.get(account_key, {}), ("Account",), "Account", in_object
        )[1]
        txn_date = _as_date(fields.get("TxnDate")) or self.today()
        plans: list[tuple[str, Record, Decimal, Decimal, list[tuple[str, Record, Decimal]]]] = []
        for applied in fields.get("AppliedToTxnAdd", []) or []:
            bill_id = str(applied.get("TxnID", ""))
            bill = self.tables["Bill"].get(bill_id)
            if bill is None:
                raise CompanyError(st.object_not_found(bill_id))
            if bill["VendorRef"]["ListID"] != payee_id:
                raise CompanyError(
                    st.invalid_value(
                        f'The transaction "{bill_id}" does not belong to the payee of this payment.'
                    )
                )
            amount = dec(applied.get("PaymentAmount"))
            discount = dec(applied.get("DiscountAmount"))
            credits: list[tuple[str, Record, Decimal]] = []
            for credit in applied.get("SetCredit", []) or []:
                credit_id = str(credit.get("CreditTxnID", ""))
                credit_rec = self.tables["VendorCredit"].get(credit_id)
                if credit_rec is None:
                    raise CompanyError(st.object_not_found(credit_id))
                applied_amount = dec(credit.get("AppliedAmount"))
                if applied_amount > dec(credit_rec.get("OpenAmount")):
                    raise CompanyError(
                        st.invalid_value("You cannot apply more than the available credit.")
                    )
                credits.append((credit_id, credit_rec, applied_amount))
            open_amount = dec(bill.get("OpenAmount"))
            if amount + discount + sum((c[2] for c in credits), ZERO) > open_amount:
                raise CompanyError(st.invalid_value("You cannot pay more than the amount due."))
            plans.append((bill_id, bill, amount, discount, credits))
        if not plans:
            raise CompanyError(st.Status(3150, "There is a missing element: AppliedToTxnAdd."))
        txn_id, record, now = self._new_txn_record(object_type, txn_date)
        total = sum((p[2] for p in plans), ZERO)
        record["PayeeEntityRef"] = self.ref(payee_id)
        record["APAccountRef"] = self.ref(ap_id)
        record["TxnDate"] = txn_date.isoformat()
        record[account_key] = self.ref(account_id)
        record["Amount"] = money(total)
        vendor = self.tables["Vendor"].get(payee_id) or {}
        self._currency_fields(record, vendor, total, "AmountInHomeCurrency")
        if fields.get("RefNumber"):
            record["RefNumber"] = qb_text(str(fields["RefNumber"]))
        if fields.get("Memo"):
            record["Memo"] = qb_text(str(fields["Memo"]))
        if fields.get("ExternalGUID"):
            record["ExternalGUID"] = str(fields["ExternalGUID"])
        if object_type == "BillPaymentCheck":
            record["IsToBePrinted"] = bool(fields.get("IsToBePrinted", False))
        applied_rets: list[Record] = []
        for bill_id, bill, amount, discount, credits in plans:
            reduction = amount + discount + sum((c[2] for c in credits), ZERO)
            open_after = dec(bill["OpenAmount"]) - reduction
            applied_ret: Record = {
                "TxnID": bill_id,
                "TxnType": "Bill",
                "TxnDate": bill["TxnDate"],
            }
            if bill.get("RefNumber"):
                applied_ret["RefNumber"] = bill["RefNumber"]
            applied_ret["BalanceRemaining"] = money(open_after)
            applied_ret["Amount"] = money(amount)
            if discount:
                applied_ret["DiscountAmount"] = money(discount)
            for credit_id, credit_rec, applied_amount in credits:
                self._link(bill, "Bill", credit_rec, "VendorCredit", "AMTTYPE", applied_amount)
                credit_rec["OpenAmount"] = money(dec(credit_rec["OpenAmount"]) - applied_amount)
                self.touch("VendorCredit", credit_id, credit_rec)
                applied_ret.setdefault("LinkedTxn", []).append(
                    {
                        "TxnID": credit_id,
                        "TxnType": "VendorCredit",
                        "TxnDate": credit_rec["TxnDate"],
                        "LinkType": "AMTTYPE",
                        "Amount": money(-applied_amount),
                    }
                )
            applied_rets.append(applied_ret)
            self._apply_to_bill(bill_id, bill, record, object_type, amount, reduction)
        record["AppliedToTxnRet"] = applied_rets
        meta = RowMeta(
            seq=self.next_seq(),
            modified=wall_key(now),
            txn_date=txn_date.toordinal(),
            entity=payee_id,
            ref_number=str(record.get("RefNumber", "")),
            accounts=(ap_id, account_id),
        )
        self._register(object_type, txn_id, record, meta)
        # Balance = open bills - open credits: a credit applied to a bill lowers both sides, so
        # only the money paid (and discounts taken) changes the vendor's balance.
        self._adjust_vendor_balance(payee_id, -sum((p[2] + p[3] for p in plans), ZERO))
        return record

    def _apply_to_bill(
        self,
        bill_id: str,
        bill: Record,
        payment: Record,
        payment_type: str,
        amount: Decimal,
        reduction: Decimal,
    ) -> None:
        open_after = dec(bill["OpenAmount"]) - reduction
        bill["OpenAmount"] = money(open_after)
        bill["IsPaid"] = open_after == ZERO
        entry: Record = {
            "TxnID": payment["TxnID"],
            "TxnType": payment_type,
            "TxnDate": payment["TxnDate"],
        }
        if payment.get("RefNumber"):
            entry["RefNumber"] = payment["RefNumber"]
        entry["LinkType"] = "AMTTYPE"
        entry["Amount"] = money(-amount)
        bill.setdefault("LinkedTxn", []).append(entry)
        # Guess (unverified): QuickBooks re-saves the bill when a payment is applied, so its
        # TimeModified/EditSequence change and a modified-date sync sees IsPaid flip.
        self.touch("Bill", bill_id, bill)
        self.tables["Bill"].reindex(bill_id, is_paid=bill["IsPaid"])

    def add_txn(self, object_type: str, fields: Mapping[str, Any]) -> Record:
        """Generic transaction add for the Python API (checks, card charges, POs …)."""
        txn_date = _as_date(fields.get("TxnDate")) or self.today()
        txn_id, record, now = self._new_txn_record(object_type, txn_date)
        expense, items, total, accounts = self._lines(fields, object_type, now)
        entity = ""
        for key in ("VendorRef", "PayeeEntityRef"):
            if fields.get(key):
                types = ("Vendor",) if key == "VendorRef" else ENTITY_TYPES
                entity = self.require_ref(fields[key], types, "Vendor", object_type)[1]
                record[key] = self.ref(entity)
        for key, value in fields.items():
            if key in ("ExpenseLineRet", "ItemLineRet", "VendorRef", "PayeeEntityRef"):
                continue
            if key.endswith("Ref") and isinstance(value, dict):
                record[key] = self._normalize_ref(value, key, object_type)
            else:
                record[key] = qb_text(value) if isinstance(value, str) else copy_record(value)
        record["TxnDate"] = txn_date.isoformat()
        amount_field = {
            "VendorCredit": "CreditAmount",
            "PurchaseOrder": "TotalAmount",
            "ItemReceipt": "TotalAmount",
        }.get(object_type, "Amount")
        record.setdefault(amount_field, money(total))
        if object_type == "VendorCredit":
            record.setdefault("OpenAmount", money(total))
        if expense and object_type != "PurchaseOrder":
            record["ExpenseLineRet"] = expense
        if items and object_type == "PurchaseOrder":
            # Purchase orders have only item lines, with Rate instead of Cost.
            record["PurchaseOrderLineRet"] = [
                {("Rate" if k == "Cost" else k): v for k, v in line.items()} for line in items
            ]
        elif items:
            record["ItemLineRet"] = items
        meta = RowMeta(
            seq=self.next_seq(),
            modified=wall_key(now),
            txn_date=txn_date.toordinal(),
            entity=entity,
            ref_number=str(record.get("RefNumber", "")),
            accounts=accounts,
        )
        self._register(object_type, txn_id, record, meta)
        if object_type == "VendorCredit" and entity:
            self._adjust_vendor_balance(entity, -total)
        return record


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])

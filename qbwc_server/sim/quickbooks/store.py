"""Per-object-type tables with the indexes the fake's queries need.

A query must cost O(log n + page), not O(n) (the server's benchmark measures server time against
simulated QuickBooks time, so the fake must never be the bottleneck). Every table therefore keeps:

* ``meta``: per record the few facts filters look at (creation sequence, TimeModified, TxnDate,
  entity, RefNumber, paid/active flags, accounts), in creation order (dict order);
* ``by_modified`` / ``by_txn_date``: lists of ``(key, seq, id)`` kept sorted, so a date-range
  filter is two bisections and a slice;
* ``by_entity`` / ``by_ref_number`` / ``by_name``: hash indexes.

Generated transactions can be stored *lazily*: an immutable spec plus a builder that turns it
into the full record dict on first access. The ``large`` profile builds fast that way and only
pays for the records a client actually reads.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]


@dataclass(slots=True)
class RowMeta:
    seq: int
    modified: int  # wall_key of TimeModified
    txn_date: int = 0  # date ordinal (transactions)
    entity: str = ""  # ListID of the vendor/payee (transactions)
    ref_number: str = ""
    accounts: tuple[str, ...] = ()
    is_paid: bool | None = None
    is_active: bool = True
    name_key: str = ""  # lower-cased FullName (lists)
    parent: str = ""  # ListID of the parent (hierarchical lists)

    def copy(self) -> RowMeta:
        return RowMeta(
            self.seq,
            self.modified,
            self.txn_date,
            self.entity,
            self.ref_number,
            self.accounts,
            self.is_paid,
            self.is_active,
            self.name_key,
            self.parent,
        )


def copy_record(value: Any) -> Any:
    """Deep copy of a JSON-like value (much faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: copy_record(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_record(v) for v in value]
    return value


def _remove_sorted(index: list[tuple[int, int, str]], entry: tuple[int, int, str]) -> None:
    pos = bisect.bisect_left(index, entry)
    if pos < len(index) and index[pos] == entry:
        del index[pos]


@dataclass
class Table:
    object_type: str
    is_txn: bool
    builder: Callable[[Any], Record] | None = None
    rows: dict[str, Record] = field(default_factory=dict)
    lazy: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, RowMeta] = field(default_factory=dict)
    by_modified: list[tuple[int, int, str]] = field(default_factory=list)
    by_txn_date: list[tuple[int, int, str]] = field(default_factory=list)
    by_entity: dict[str, dict[str, None]] = field(default_factory=dict)
    by_ref_number: dict[str, dict[str, None]] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)

    @property
    def id_field(self) -> str:
        return "TxnID" if self.is_txn else "ListID"

    def __len__(self) -> int:
        return len(self.meta)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self.meta

    def ids(self) -> Iterator[str]:
        """IDs in creation order."""
        return iter(self.meta)

    # --- insertion ---------------------------------------------------------------------------
    def _index(self, object_id: str, meta: RowMeta, *, sorted_insert: bool) -> None:
        self.meta[object_id] = meta
        add: Callable[[list[tuple[int, int, str]], tuple[int, int, str]], None] = (
            bisect.insort if sorted_insert else list.append
        )
        add(self.by_modified, (meta.modified, meta.seq, object_id))
        if self.is_txn:
            add(self.by_txn_date, (meta.txn_date, meta.seq, object_id))
        if meta.entity:
            self.by_entity.setdefault(meta.entity, {})[object_id] = None
        if meta.ref_number:
            self.by_ref_number.setdefault(meta.ref_number, {})[object_id] = None
        if meta.name_key:
            self.by_name[meta.name_key] = object_id

    def insert(self, object_id: str, record: Record, meta: RowMeta) -> None:
        self.rows[object_id] = record
        self._index(object_id, meta, sorted_insert=True)

    def insert_lazy(self, object_id: str, spec: Any, meta: RowMeta) -> None:
        """Bulk load: indexes are appended unsorted; call :meth:`finish_bulk_load` after."""
        self.lazy[object_id] = spec
        self._index(object_id, meta, sorted_insert=False)

    def insert_bulk(self, object_id: str, record: Record, meta: RowMeta) -> None:
        self.rows[object_id] = record
        self._index(object_id, meta, sorted_insert=False)

    def finish_bulk_load(self) -> None:
        self.by_modified.sort()
        self.by_txn_date.sort()

    # --- access ------------------------------------------------------------------------------
    def get(self, object_id: str) -> Record | None:
        record = self.rows.get(object_id)
        if record is not None:
            return record
        spec = self.lazy.pop(object_id, None)
        if spec is None:
            return None
        assert self.builder is not None, f"lazy rows in {self.object_type} need a builder"
        record = self.builder(spec)
        self.rows[object_id] = record
        return record

    def find_by_name(self, full_name: str) -> str | None:
        return self.by_name.get(full_name.lower())

    # --- changes -----------------------------------------------------------------------------
    def reindex(self, object_id: str, **changes: Any) -> None:
        """Update index facts of a record (``modified=``, ``txn_date=``, ``name_key=`` …)."""
        meta = self.meta[object_id]
        if "modified" in changes and changes["modified"] != meta.modified:
            _remove_sorted(self.by_modified, (meta.modified, meta.seq, object_id))
            meta.modified = changes["modified"]
            bisect.insort(self.by_modified, (meta.modified, meta.seq, object_id))
        if self.is_txn and "txn_date" in changes and changes["txn_date"] != meta.txn_date:
            _remove_sorted(self.by_txn_date, (meta.txn_date, meta.seq, object_id))
            meta.txn_date = changes["txn_date"]
            bisect.insort(self.by_txn_date, (meta.txn_date, meta.seq, object_id))
        if "entity" in changes and changes["entity"] != meta.entity:
            if meta.entity:
                self.by_entity.get(meta.entity, {}).pop(object_id, None)
            meta.entity = changes["entity"]
            if meta.entity:
                self.by_entity.setdefault(meta.entity, {})[object_id] = None
        if "ref_number" in changes and changes["ref_number"] != meta.ref_number:
            if meta.ref_number:
                self.by_ref_number.get(meta.ref_number, {}).pop(object_id, None)
            meta.ref_number = changes["ref_number"]
            if meta.ref_number:
                self.by_ref_number.setdefault(meta.ref_number, {})[object_id] = None
        if "name_key" in changes and changes["name_key"] != meta.name_key:
            if meta.name_key and self.by_name.get(meta.name_key) == object_id:
                del self.by_name[meta.name_key]
            meta.name_key = changes["name_key"]
            if meta.name_key:
                self.by_name[meta.name_key] = object_id
        for simple in ("accounts", "is_paid", "is_active", "parent"):
            if simple in changes:
                setattr(meta, simple, changes[simple])

    def remove(self, object_id: str) -> Record | None:
        record = self.get(object_id)
        meta = self.meta.pop(object_id, None)
        self.rows.pop(object_id, None)
        if meta is None:
            return record
        _remove_sorted(self.by_modified, (meta.modified, meta.seq, object_id))
        if self.is_txn:
            _remove_sorted(self.by_txn_date, (meta.txn_date, meta.seq, object_id))
        if meta.entity:
            self.by_entity.get(meta.entity, {}).pop(object_id, None)
        if meta.ref_number:
            self.by_ref_number.get(meta.ref_number, {}).pop(object_id, None)
        if meta.name_key and self.by_name.get(meta.name_key) == object_id:
            del self.by_name[meta.name_key]
        return record

    # --- backup ------------------------------------------------------------------------------
    def clone(self) -> Table:
        """Independent copy (lazy specs are immutable and shared)."""
        return Table(
            object_type=self.object_type,
            is_txn=self.is_txn,
            builder=self.builder,
            rows={k: copy_record(v) for k, v in self.rows.items()},
            lazy=dict(self.lazy),
            meta={k: m.copy() for k, m in self.meta.items()},
            by_modified=list(self.by_modified),
            by_txn_date=list(self.by_txn_date),
            by_entity={k: dict(v) for k, v in self.by_entity.items()},
            by_ref_number={k: dict(v) for k, v in self.by_ref_number.items()},
            by_name=dict(self.by_name),
        )

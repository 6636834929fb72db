"""Answering ``…QueryRq`` requests: filters, paging, iterators, response shaping.

Behaviour and the choices where we had to guess (marked "guess"):

* ``ActiveStatus`` defaults to ActiveOnly on list queries (§6.5).
* ``FromModifiedDate``/``ToModifiedDate`` (lists) and ``ModifiedDateRangeFilter``/
  ``TxnDateRangeFilter`` (transactions) are inclusive; a ``ToModifiedDate`` given as a bare date
  covers that whole day (guess). Datetimes are read as QuickBooks local time (§6.5).
* Results come in the order of the index used: TimeModified for modified-date filters, TxnDate
  for txn-date filters, otherwise creation order (guess: the order real QuickBooks uses is not
  documented; clients must not rely on it). ID lists come back in the order asked.
* ID lists: all found → 0; some missing → 500 (Warn) with the others returned; none found →
  3120 for ListID/TxnID lists, 500 for FullName/RefNumber lists (guess).
* Iterators (§6.4): ``Start`` snapshots the matching IDs; ``Continue`` pages through them with
  the ``MaxReturned`` of that request; an unknown iterator (or one from an ended QuickBooks
  session) gets 3391; an exhausted iterator stays valid and answers status 1 (guess).
* ``IncludeLineItems``/``IncludeLinkedTxns`` default false (§6.6); bill payments always carry
  their AppliedToTxnRet (guess: they are the payment itself, not "line items").
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from lxml import etree

from . import status as st
from .catalog import HIERARCHICAL, LINE_ELEMENTS, LINKED_ELEMENT, QuerySpec
from .company_data import CompanyData
from .qbclock import wall_key
from .status import Status
from .store import Record, RowMeta, Table


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return (el.text or "").strip()


def _texts(parent: etree._Element, name: str) -> list[str]:
    return [(e.text or "").strip() for e in parent.iterchildren(name)]


@dataclass
class RefFilter:
    list_ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # lower-cased FullNames
    with_children: bool = False


@dataclass
class QueryArgs:
    list_ids: list[str] | None = None
    full_names: list[str] | None = None
    txn_ids: list[str] | None = None
    ref_numbers: list[str] | None = None
    ref_numbers_case_sensitive: bool = False
    max_returned: int | None = None
    active_status: str = "ActiveOnly"
    from_modified: int | None = None
    to_modified: int | None = None
    from_txn_date: int | None = None
    to_txn_date: int | None = None
    entity: RefFilter | None = None
    account: RefFilter | None = None
    name_match: tuple[str, str] | None = None
    name_range: tuple[str | None, str | None] | None = None
    ref_match: tuple[str, str] | None = None
    ref_range: tuple[str | None, str | None] | None = None
    paid_status: str = "All"
    account_types: set[str] | None = None
    include_lines: bool = False
    include_linked: bool = False
    include_ret: list[str] | None = None
    owner_ids: list[str] = field(default_factory=list)
    meta_data: str = "NoMetaData"
    iterator: str | None = None
    iterator_id: str | None = None

    @property
    def has_id_list(self) -> bool:
        return any(
            v is not None for v in (self.list_ids, self.full_names, self.txn_ids, self.ref_numbers)
        )


def _ref_filter(el: etree._Element | None) -> RefFilter | None:
    if el is None:
        return None
    out = RefFilter()
    out.list_ids.update(_texts(el, "ListID"))
    out.names.update(n.lower() for n in _texts(el, "FullName"))
    for name in ("ListIDWithChildren", "FullNameWithChildren"):
        value = _text(el.find(name))
        if value is not None:
            out.with_children = True
            (out.list_ids if name.startswith("ListID") else out.names).add(
                value if name.startswith("ListID") else value.lower()
            )
    return out


def _date_macro(macro: str, today: date) -> tuple[date | None, date | None]:
    """The DateMacro values an AP sync is likely to use; others mean "all dates" (guess)."""
    if macro == "Today":
        return today, today
    if macro == "Yesterday":
        day = today - timedelta(days=1)
        return day, day
    if macro in ("ThisWeek", "ThisWeekToDate"):
        start = today - timedelta(days=today.weekday())
        return start, (today if macro.endswith("ToDate") else start + timedelta(days=6))
    if macro == "LastWeek":
        start = today - timedelta(days=today.weekday() + 7)
        return start, start + timedelta(days=6)
    if macro in ("ThisMonth", "ThisMonthToDate"):
        start = today.replace(day=1)
        last = calendar.monthrange(today.year, today.month)[1]
        return start, (today if macro.endswith("ToDate") else today.replace(day=last))
    if macro == "LastMonth":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if macro in ("ThisYear", "ThisYearToDate"):
        start = date(today.year, 1, 1)
        return start, (today if macro.endswith("ToDate") else date(today.year, 12, 31))
    if macro == "LastYear":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return None, None


def parse_query(rq: etree._Element, company: CompanyData) -> QueryArgs:
    args = QueryArgs()
    clock = company.clock

    def to_key(text: str, end_of_day: bool) -> int:
        wall = clock.to_wall(text)
        if end_of_day and len(text.strip()) == 10:
            wall = wall + timedelta(days=1, seconds=-1)
        return wall_key(wall)

    for name, attr in (
        ("ListID", "list_ids"),
        ("FullName", "full_names"),
        ("TxnID", "txn_ids"),
        ("RefNumber", "ref_numbers"),
    ):
        values = _texts(rq, name)
        if values:
            setattr(args, attr, values)
    case_sensitive = _texts(rq, "RefNumberCaseSensitive")
    if case_sensitive:
        args.ref_numbers = case_sensitive
        args.ref_numbers_case_sensitive = True
    max_returned = _text(rq.find("MaxReturned"))
    if max_returned:
        args.max_returned = max(1, int(max_returned))
    active = _text(rq.find("ActiveStatus"))
    if active:
        args.active_status = active
    modified = rq.find("ModifiedDateRangeFilter")
    scope = modified if modified is not None else rq
    from_modified = _text(scope.find("FromModifiedDate"))
    to_modified = _text(scope.find("ToModifiedDate"))
    if from_modified:
        args.from_modified = to_key(from_modified, end_of_day=False)
    if to_modified:
        args.to_modified = to_key(to_modified, end_of_day=True)
    txn_dates = rq.find("TxnDateRangeFilter")
    if txn_dates is not None:
        macro = _text(txn_dates.find("DateMacro"))
        if macro:
            lo, hi = _date_macro(macro, company.today())
        else:
            from_txn = _text(txn_dates.find("FromTxnDate"))
            to_txn = _text(txn_dates.find("ToTxnDate"))
            lo = date.fromisoformat(from_txn[:10]) if from_txn else None
            hi = date.fromisoformat(to_txn[:10]) if to_txn else None
        args.from_txn_date = lo.toordinal() if lo else None
        args.to_txn_date = hi.toordinal() if hi else None
    args.entity = _ref_filter(rq.find("EntityFilter"))
    args.account = _ref_filter(rq.find("AccountFilter"))
    name_filter = rq.find("NameFilter")
    if name_filter is not None:
        args.name_match = (
            _text(name_filter.find("MatchCriterion")) or "StartsWith",
            (_text(name_filter.find("Name")) or "").lower(),
        )
    name_range = rq.find("NameRangeFilter")
    if name_range is not None:
        lo_name = _text(name_range.find("FromName"))
        hi_name = _text(name_range.find("ToName"))
        args.name_range = (
            lo_name.lower() if lo_name else None,
            hi_name.lower() if hi_name else None,
        )
    ref_filter = rq.find("RefNumberFilter")
    if ref_filter is not None:
        args.ref_match = (
            _text(ref_filter.find("MatchCriterion")) or "StartsWith",
            (_text(ref_filter.find("RefNumber")) or "").lower(),
        )
    ref_range = rq.find("RefNumberRangeFilter")
    if ref_range is not None:
        args.ref_range = (
            _text(ref_range.find("FromRefNumber")),
            _text(ref_range.find("ToRefNumber")),
        )
    paid = _text(rq.find("PaidStatus"))
    if paid:
        args.paid_status = paid
    account_types = _texts(rq, "AccountType")
    if account_types:
        args.account_types = set(account_types)
    args.include_lines = (_text(rq.find("IncludeLineItems")) or "").lower() in ("true", "1")
    args.include_linked = (_text(rq.find("IncludeLinkedTxns")) or "").lower() in ("true", "1")
    include = _texts(rq, "IncludeRetElement")
    if include:
        args.include_ret = include
    args.owner_ids = _texts(rq, "OwnerID")
    args.meta_data = rq.get("metaData", "NoMetaData")
    args.iterator = rq.get("iterator")
    args.iterator_id = rq.get("iteratorID")
    return args


def _matches_text(criterion: str, value: str, wanted: str) -> bool:
    if criterion == "Contains":
        return wanted in value
    if criterion == "EndsWith":
        return value.endswith(wanted)
    return value.startswith(wanted)


@dataclass
class Iterator:
    object_types: tuple[str, ...]
    ids: list[str]  # snapshot of the matching ListIDs/TxnIDs
    position: int = 0
    args: QueryArgs | None = None


@dataclass
class QueryResult:
    status: Status
    rets: list[tuple[str, Record]] = field(default_factory=list)  # (object_type, record)
    ret_count: int | None = None
    iterator_id: str | None = None
    remaining: int | None = None


class QueryEngine:
    """Stateless filtering over a company; iterator state lives in the caller's session."""

    def __init__(self, company: CompanyData) -> None:
        self.company = company

    # --- candidate selection -----------------------------------------------------------------
    def _ref_ids(self, flt: RefFilter, types: Iterable[str]) -> set[str]:
        ids = set(flt.list_ids)
        for name in flt.names:
            for object_type in types:
                found = self.company.tables[object_type].find_by_name(name)
                if found:
                    ids.add(found)
        if flt.with_children:
            for object_type in types:
                if object_type not in HIERARCHICAL:
                    continue
                table = self.company.tables[object_type]
                prefixes = [meta.name_key + ":" for key, meta in table.meta.items() if key in ids]
                for key, meta in table.meta.items():
                    if any(meta.name_key.startswith(p) for p in prefixes):
                        ids.add(key)
        return ids

    def _meta_predicate(
        self, table: Table, args: QueryArgs, used_index: str
    ) -> Callable[[str, RowMeta], bool] | None:
        checks: list[Callable[[str, RowMeta], bool]] = []
        if not table.is_txn and args.active_status != "All":
            want = args.active_status == "ActiveOnly"
            checks.append(lambda _i, m: m.is_active == want)
        if used_index != "modified" and (
            args.from_modified is not None or args.to_modified is not None
        ):
            lo = args.from_modified if args.from_modified is not None else -(10**12)
            hi = args.to_modified if args.to_modified is not None else 10**12
            checks.append(lambda _i, m: lo <= m.modified <= hi)
        if used_index != "txn_date" and (
            args.from_txn_date is not None or args.to_txn_date is not None
        ):
            dlo = args.from_txn_date if args.from_txn_date is not None else 0
            dhi = args.to_txn_date if args.to_txn_date is not None else 10**9
            checks.append(lambda _i, m: dlo <= m.txn_date <= dhi)
        if args.entity is not None and used_index != "entity":
            entities = self._ref_ids(args.entity, ("Vendor", "Customer", "OtherName"))
            checks.append(lambda _i, m: m.entity in entities)
        if args.account is not None:
            accounts = self._ref_ids(args.account, ("Account",))
            checks.append(lambda _i, m: any(a in accounts for a in m.accounts))
        if args.paid_status != "All" and table.object_type == "Bill":
            want_paid = args.paid_status == "PaidOnly"
            checks.append(lambda _i, m: bool(m.is_paid) == want_paid)
        if args.name_match is not None:
            criterion, wanted = args.name_match
            checks.append(lambda _i, m: _matches_text(criterion, m.name_key, wanted))
        if args.name_range is not None:
            lo_name, hi_name = args.name_range
            checks.append(
                lambda _i, m: (
                    (lo_name is None or m.name_key >= lo_name)
                    and (hi_name is None or m.name_key <= hi_name)
                )
            )
        if args.ref_match is not None:
            criterion, wanted_ref = args.ref_match
            checks.append(lambda _i, m: _matches_text(criterion, m.ref_number.lower(), wanted_ref))
        if args.ref_range is not None:
            lo_ref, hi_ref = args.ref_range
            checks.append(
                lambda _i, m: (
                    (lo_ref is None or m.ref_number >= lo_ref)
                    and (hi_ref is None or m.ref_number <= hi_ref)
                )
            )
        if args.account_types is not None and table.object_type == "Account":
            types = args.account_types

            def account_type_ok(object_id: str, _m: RowMeta) -> bool:
                record = table.get(object_id)
                return record is not None and record.get("AccountType") in types

            checks.append(account_type_ok)
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda object_id, meta: all(check(object_id, meta) for check in checks)

    def _table_matches(self, table: Table, args: QueryArgs) -> list[str]:
        """IDs of one table matching the filters, in index order."""
        used_index = "creation"
        candidates: Iterable[str]
        if args.from_modified is not None or args.to_modified is not None:
            lo = args.from_modified if args.from_modified is not None else -(10**12)
            hi = args.to_modified if args.to_modified is not None else 10**12
            index = table.by_modified
            start = bisect.bisect_left(index, (lo, -1, ""))
            stop = bisect.bisect_right(index, (hi, 10**18, "\uffff"))
            candidates = [entry[2] for entry in index[start:stop]]
            used_index = "modified"
        elif table.is_txn and (args.from_txn_date is not None or args.to_txn_date is not None):
            dlo = args.from_txn_date if args.from_txn_date is not None else 0
            dhi = args.to_txn_date if args.to_txn_date is not None else 10**9
            index = table.by_txn_date
            start = bisect.bisect_left(index, (dlo, -1, ""))
            stop = bisect.bisect_right(index, (dhi, 10**18, "\uffff"))
            candidates = [entry[2] for entry in index[start:stop]]
            used_index = "txn_date"
        elif table.is_txn and args.entity is not None:
            entities = self._ref_ids(args.entity, ("Vendor", "Customer", "OtherName"))
            found: list[str] = []
            for entity in entities:
                found.extend(table.by_entity.get(entity, {}))
            found.sort(key=lambda i: table.meta[i].seq)
            candidates = found
            used_index = "entity"
        else:
            candidates = list(table.meta)
        predicate = self._meta_predicate(table, args, used_index)
        if predicate is None:
            return candidates if isinstance(candidates, list) else list(candidates)
        meta = table.meta
        return [i for i in candidates if predicate(i, meta[i])]

    def _by_ids(self, spec: QuerySpec, args: QueryArgs) -> tuple[list[str], list[str], bool]:
        """(found, missing, by_id_field) for an ID/name/RefNumber list."""
        found: list[str] = []
        missing: list[str] = []
        company = self.company
        if args.list_ids is not None or args.txn_ids is not None:
            for object_id in args.list_ids or args.txn_ids or []:
                if company.owner_of.get(object_id) in spec.object_types:
                    found.append(object_id)
                else:
                    missing.append(object_id)
            return found, missing, True
        if args.full_names is not None:
            for name in args.full_names:
                hit = None
                for object_type in spec.object_types:
                    hit = company.tables[object_type].find_by_name(name)
                    if hit:
                        break
                if hit:
                    found.append(hit)
                else:
                    missing.append(name)
            return found, missing, False
        for ref in args.ref_numbers or []:
            hits: list[str] = []
            for object_type in spec.object_types:
                table = company.tables[object_type]
                if args.ref_numbers_case_sensitive:
                    hits.extend(table.by_ref_number.get(ref, {}))
                else:
                    for key, matching in table.by_ref_number.items():
                        if key.lower() == ref.lower():
                            hits.extend(matching)
            if hits:
                found.extend(hits)
            else:
                missing.append(ref)
        return found, missing, False

    def matches(self, spec: QuerySpec, args: QueryArgs) -> tuple[list[str], Status]:
        """IDs matching the request (their types: ``company.owner_of``), in answer order."""
        if args.has_id_list:
            found, missing, by_id = self._by_ids(spec, args)
            if missing and not found and by_id:
                return [], st.object_not_found(missing[0])
            if missing:
                return found, st.some_not_found(missing[0])
            return found, st.ok()
        if len(spec.object_types) == 1:
            return self._table_matches(self.company.tables[spec.object_types[0]], args), st.ok()
        out: list[str] = []
        for object_type in spec.object_types:
            out.extend(self._table_matches(self.company.tables[object_type], args))
        tables = self.company.tables
        owner = self.company.owner_of
        out.sort(key=lambda object_id: tables[owner[object_id]].meta[object_id].seq)
        return out, st.ok()

    # --- shaping -----------------------------------------------------------------------------
    def shape(self, record: Record, args: QueryArgs) -> Record:
        """Drop what the request did not ask for; add DataExtRet for the asked OwnerIDs."""
        out = {
            k: v
            for k, v in record.items()
            if (args.include_lines or k not in LINE_ELEMENTS)
            and (args.include_linked or k != LINKED_ELEMENT)
            and k != "DataExtRet"
        }
        if args.owner_ids and record.get("DataExtRet"):
            wanted = set(args.owner_ids)
            ext = [d for d in record["DataExtRet"] if d.get("OwnerID") in wanted]
            if ext:
                out["DataExtRet"] = ext
        return out


def next_page(iterator: Iterator, max_returned: int | None) -> tuple[list[str], int]:
    """Advance ``iterator`` by one page; returns (page ids, remaining after the page)."""
    size = max_returned if max_returned is not None else len(iterator.ids)
    page = iterator.ids[iterator.position : iterator.position + size]
    iterator.position += len(page)
    return page, len(iterator.ids) - iterator.position

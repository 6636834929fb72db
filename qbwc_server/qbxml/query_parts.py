"""The parts query requests are made of: filter values and the helpers that write them in schema
order, shared by the list, transaction, deleted-object and company queries. Asking for
something a query does not accept raises ``ValueError`` before anything reaches QuickBooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from qbwc_server.qbxml import values
from qbwc_server.qbxml.query_specs import ITERATORS, META_DATA, Iterator, MatchCriterion, MetaData
from qbwc_server.qbxml.schema_order import text_child

# --- filter values --------------------------------------------------------------------------


@dataclass(frozen=True)
class NameFilter:
    match_criterion: MatchCriterion
    name: str


@dataclass(frozen=True)
class NameRangeFilter:
    from_name: str | None = None
    to_name: str | None = None


@dataclass(frozen=True)
class TotalBalanceFilter:
    operator: Literal["LessThan", "LessThanEqual", "Equal", "GreaterThan", "GreaterThanEqual"]
    amount: values.DecimalLike


@dataclass(frozen=True)
class ListSelector:
    """EntityFilter / AccountFilter / ClassFilter: one of the four forms."""

    list_ids: Sequence[str] = ()
    full_names: Sequence[str] = ()
    list_id_with_children: str | None = None
    full_name_with_children: str | None = None

    def __post_init__(self) -> None:
        given = [
            bool(self.list_ids),
            bool(self.full_names),
            self.list_id_with_children is not None,
            self.full_name_with_children is not None,
        ]
        if sum(given) != 1:
            raise ValueError(
                "a list filter needs exactly one of list_ids, full_names, "
                "list_id_with_children, full_name_with_children"
            )


@dataclass(frozen=True)
class CurrencyFilter:
    list_ids: Sequence[str] = ()
    full_names: Sequence[str] = ()

    def __post_init__(self) -> None:
        if bool(self.list_ids) == bool(self.full_names):
            raise ValueError("CurrencyFilter needs exactly one of list_ids or full_names")


@dataclass(frozen=True)
class RefNumberFilter:
    match_criterion: MatchCriterion
    ref_number: str


@dataclass(frozen=True)
class RefNumberRangeFilter:
    from_ref_number: str | None = None
    to_ref_number: str | None = None


# --- helpers --------------------------------------------------------------------------------


def check_choice(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def as_list(value: Sequence[str], what: str) -> list[str]:
    if isinstance(value, str):
        raise TypeError(f"{what} must be a sequence of strings, not a single string")
    return list(value)


def set_query_attrs(
    rq: etree._Element,
    *,
    name: str,
    supports_iterator: bool,
    supports_meta_data: bool,
    iterator: Iterator | None,
    iterator_id: str | None,
    meta_data: MetaData | None,
) -> None:
    if meta_data is not None:
        if not supports_meta_data:
            raise ValueError(f"{name}Query does not accept the metaData attribute")
        rq.set("metaData", check_choice(meta_data, META_DATA, "metaData"))
    if iterator is not None or iterator_id is not None:
        if not supports_iterator:
            # §6.4: e.g. AccountQuery/ClassQuery/terms: the schema has no iterator attribute.
            raise ValueError(f"{name}Query does not support iterators; fetch it whole")
        if iterator is None:
            raise ValueError("iterator_id given without iterator")
        rq.set("iterator", check_choice(iterator, ITERATORS, "iterator"))
        if iterator in ("Continue", "Stop"):
            if not iterator_id:
                raise ValueError(f'iterator="{iterator}" needs the iteratorID of the Start')
            rq.set("iteratorID", iterator_id)
        elif iterator_id is not None:
            raise ValueError('iterator="Start" must not carry an iteratorID')


def add_ids(rq: etree._Element, tag: str, ids: Sequence[str]) -> None:
    for value in ids:
        text_child(rq, tag, values.fmt_id(value))


def add_names(rq: etree._Element, tag: str, names: Sequence[str]) -> None:
    for value in names:
        if not value:
            raise ValueError(f"empty {tag}")
        text_child(rq, tag, value)


def add_max_returned(rq: etree._Element, max_returned: int | None) -> None:
    if max_returned is not None:
        if isinstance(max_returned, bool) or not isinstance(max_returned, int):
            raise TypeError("max_returned must be an int")
        if max_returned < 1:
            raise ValueError("MaxReturned must be at least 1")  # OPS70: min value 1
        text_child(rq, "MaxReturned", str(max_returned))


def add_list_selector(rq: etree._Element, tag: str, sel: ListSelector) -> None:
    el = etree.SubElement(rq, tag)
    if sel.list_ids:
        add_ids(el, "ListID", as_list(sel.list_ids, f"{tag}.list_ids"))
    elif sel.full_names:
        add_names(el, "FullName", as_list(sel.full_names, f"{tag}.full_names"))
    elif sel.list_id_with_children is not None:
        text_child(el, "ListIDWithChildren", values.fmt_id(sel.list_id_with_children))
    elif sel.full_name_with_children is not None:
        text_child(el, "FullNameWithChildren", sel.full_name_with_children)


def add_currency_filter(rq: etree._Element, cf: CurrencyFilter) -> None:
    el = etree.SubElement(rq, "CurrencyFilter")
    if cf.list_ids:
        add_ids(el, "ListID", as_list(cf.list_ids, "CurrencyFilter.list_ids"))
    else:
        for name in as_list(cf.full_names, "CurrencyFilter.full_names"):
            text_child(el, "FullName", values.check_length("FullName", name, 64))


def add_owner_ids(rq: etree._Element, name: str, supported: bool, owner_ids: Sequence[str]) -> None:
    owner_ids = as_list(owner_ids, "owner_ids")
    if owner_ids and not supported:
        # §6.6: OwnerID on ClassQuery etc. is a parse error (0x80040400) in QuickBooks.
        raise ValueError(f"{name}Query does not accept OwnerID")
    for owner in owner_ids:
        text_child(rq, "OwnerID", values.fmt_guid(owner))

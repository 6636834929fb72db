"""The deleted-object queries (§6.5: deletions of the last ~90 days only; no iterator) and the
company, host and preferences queries (§4.3, §6.9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from qbwc_server.qbxml import values
from qbwc_server.qbxml.query_parts import add_owner_ids, as_list, check_choice, set_query_attrs
from qbwc_server.qbxml.query_specs import (
    LIST_DEL_TYPES,
    TXN_DEL_TYPES_16_ONLY,
    DateTimeLike,
    MetaData,
    txn_del_types,
)
from qbwc_server.qbxml.schema_order import add_include_ret_elements, start_request, text_child


@dataclass(frozen=True, kw_only=True)
class ListDeletedQuery:
    """§6.5: deletions of the last ~90 days only; no iterator."""

    list_del_types: Sequence[str]
    deleted_from: DateTimeLike | None = None
    deleted_to: DateTimeLike | None = None
    request_id: str | None = None
    meta_data: MetaData | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        return _deleted_query(self, "List", self.list_del_types, LIST_DEL_TYPES, version)


@dataclass(frozen=True, kw_only=True)
class TxnDeletedQuery:
    """§6.5: deletions of the last ~90 days only; no iterator."""

    txn_del_types: Sequence[str]
    deleted_from: DateTimeLike | None = None
    deleted_to: DateTimeLike | None = None
    request_id: str | None = None
    meta_data: MetaData | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        return _deleted_query(self, "Txn", self.txn_del_types, txn_del_types(version), version)


def _deleted_query(
    query: ListDeletedQuery | TxnDeletedQuery,
    kind: str,
    del_types: Sequence[str],
    allowed: Sequence[str],
    version: str,
) -> etree._Element:
    """ListDeletedQueryRq / TxnDeletedQueryRq: the same shape, ``kind`` List or Txn (§6.5)."""
    name, del_tag = f"{kind}Deleted", f"{kind}DelType"
    rq = start_request(f"{name}QueryRq", query.request_id, version)
    set_query_attrs(
        rq,
        name=name,
        supports_iterator=False,
        supports_meta_data=True,
        iterator=None,
        iterator_id=None,
        meta_data=query.meta_data,
    )
    types = as_list(del_types, f"{kind.lower()}_del_types")
    if not types:
        raise ValueError(f"{name}Query needs at least one {del_tag}")
    for t in types:
        if t not in allowed and t in TXN_DEL_TYPES_16_ONLY:
            raise ValueError(f"{del_tag} {t} needs qbXML 16.0 (building {version})")
        text_child(rq, del_tag, check_choice(t, allowed, del_tag))
    _add_deleted_range(rq, query.deleted_from, query.deleted_to)
    add_include_ret_elements(rq, query.include_ret_elements)
    return rq


def _add_deleted_range(
    rq: etree._Element, deleted_from: DateTimeLike | None, deleted_to: DateTimeLike | None
) -> None:
    if deleted_from is None and deleted_to is None:
        return
    el = etree.SubElement(rq, "DeletedDateRangeFilter")
    if deleted_from is not None:
        text_child(el, "FromDeletedDate", values.fmt_datetime(deleted_from))
    if deleted_to is not None:
        text_child(el, "ToDeletedDate", values.fmt_datetime(deleted_to))


@dataclass(frozen=True, kw_only=True)
class CompanyQuery:
    """§4.3: with our OwnerID the CompanyRet carries our FileID data extension."""

    owner_ids: Sequence[str] = ()
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("CompanyQueryRq", self.request_id, version)
        add_include_ret_elements(rq, self.include_ret_elements)
        add_owner_ids(rq, "Company", True, self.owner_ids)
        return rq


@dataclass(frozen=True, kw_only=True)
class HostQuery:
    include_max_capacity: bool | None = None
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("HostQueryRq", self.request_id, version)
        if self.include_max_capacity is not None:
            meta = etree.SubElement(rq, "IncludeListMetaData")
            text_child(meta, "IncludeMaxCapacity", values.fmt_bool(self.include_max_capacity))
        add_include_ret_elements(rq, self.include_ret_elements)
        return rq


@dataclass(frozen=True, kw_only=True)
class PreferencesQuery:
    request_id: str | None = None
    include_ret_elements: Sequence[str] = ()

    def to_element(self, version: str) -> etree._Element:
        rq = start_request("PreferencesQueryRq", self.request_id, version)
        add_include_ret_elements(rq, self.include_ret_elements)
        return rq

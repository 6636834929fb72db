"""Schema-ordered builders for the query requests the sync engine sends (§6.4 to §6.6, §6.10).

Which query accepts what is a table (:data:`LIST_QUERIES`, :data:`TXN_QUERIES`) read off the
XSDs (qbxmlops130.xsd / qbxmlops160.xsd — identical for every query here); the tests check
the table against the schemas. Asking for something a query does not accept (an iterator on
AccountQuery, OwnerID on ClassQuery, PaidStatus outside BillQuery, an ID list together with
filters, both date filters) raises ``ValueError`` before anything reaches QuickBooks.

Element order inside the filter block (XSD groups ListFilter / TxnFilter):

* list: ListID* | FullName* | (MaxReturned, ActiveStatus, FromModifiedDate, ToModifiedDate,
  NameFilter | NameRangeFilter, <query-specific extras>), IncludeRetElement*, OwnerID*
* txn: TxnID* | RefNumber* | RefNumberCaseSensitive* | (MaxReturned,
  ModifiedDateRangeFilter | TxnDateRangeFilter, EntityFilter, AccountFilter,
  RefNumberFilter | RefNumberRangeFilter, CurrencyFilter, [PaidStatus]), IncludeLineItems,
  [IncludeLinkedTxns], IncludeRetElement*, OwnerID*
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from lxml import etree

from qbwc_server.qbxml import values
from qbwc_server.qbxml.query_parts import (
    CurrencyFilter,
    ListSelector,
    NameFilter,
    NameRangeFilter,
    RefNumberFilter,
    RefNumberRangeFilter,
    TotalBalanceFilter,
    add_currency_filter,
    add_ids,
    add_list_selector,
    add_max_returned,
    add_names,
    add_owner_ids,
    as_list,
    check_choice,
    set_query_attrs,
)
from qbwc_server.qbxml.query_specs import (
    ACCOUNT_TYPES,
    ACTIVE_STATUS,
    DATE_MACROS,
    LIST_QUERIES,
    MATCH_CRITERIA,
    OPERATORS,
    PAID_STATUS,
    TXN_QUERIES,
    ActiveStatus,
    DateTimeLike,
    Iterator,
    ListExtra,
    ListQuerySpec,
    MetaData,
    PaidStatus,
    TxnQuerySpec,
)
from qbwc_server.qbxml.schema_order import add_include_ret_elements, start_request, text_child

# --- list queries ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """A list query (``<kind>QueryRq``), e.g. ``ListQuery(kind="Vendor", ...)``.

    Select by ``list_ids`` or ``full_names`` *or* by the filter fields — never both.
    §6.5: list queries default to ActiveOnly; pass ``active_status="All"`` when syncing.
    ``from_modified_date``/``to_modified_date`` are sent without offset (QuickBooks local time).
    """

    kind: str
    request_id: str | None = None
    iterator: Iterator | None = None
    iterator_id: str | None = None
    meta_data: MetaData | None = None
    list_ids: Sequence[str] = ()
    full_names: Sequence[str] = ()
    max_returned: int | None = None
    active_status: ActiveStatus | None = None
    from_modified_date: DateTimeLike | None = None
    to_modified_date: DateTimeLike | None = None
    name_filter: NameFilter | None = None
    name_range_filter: NameRangeFilter | None = None
    account_types: Sequence[str] = ()
    total_balance_filter: TotalBalanceFilter | None = None
    currency_filter: CurrencyFilter | None = None
    class_filter: ListSelector | None = None
    include_ret_elements: Sequence[str] = ()
    owner_ids: Sequence[str] = ()

    @property
    def spec(self) -> ListQuerySpec:
        try:
            return LIST_QUERIES[self.kind]
        except KeyError:
            raise ValueError(f"unknown list query {self.kind!r}") from None

    def _has_filters(self) -> bool:
        return any(
            (
                self.max_returned is not None,
                self.active_status is not None,
                self.from_modified_date is not None,
                self.to_modified_date is not None,
                self.name_filter is not None,
                self.name_range_filter is not None,
                bool(self.account_types),
                self.total_balance_filter is not None,
                self.currency_filter is not None,
                self.class_filter is not None,
            )
        )

    def to_element(self, version: str) -> etree._Element:
        spec = self.spec
        rq = start_request(f"{spec.name}QueryRq", self.request_id, version)
        set_query_attrs(
            rq,
            name=spec.name,
            supports_iterator=spec.iterator,
            supports_meta_data=True,
            iterator=self.iterator,
            iterator_id=self.iterator_id,
            meta_data=self.meta_data,
        )
        list_ids = as_list(self.list_ids, "list_ids")
        full_names = as_list(self.full_names, "full_names")
        if sum((bool(list_ids), bool(full_names), self._has_filters())) > 1:
            # §6.5: the ID/name lists are a schema alternative to the whole filter block.
            raise ValueError("ListID, FullName and the filters are mutually exclusive")
        if list_ids:
            add_ids(rq, "ListID", list_ids)
        elif full_names:
            add_names(rq, "FullName", full_names)
        else:
            self._add_filters(rq, spec)
        add_include_ret_elements(rq, self.include_ret_elements)
        add_owner_ids(rq, spec.name, spec.owner_id, self.owner_ids)
        return rq

    def _add_filters(self, rq: etree._Element, spec: ListQuerySpec) -> None:
        add_max_returned(rq, self.max_returned)
        if self.active_status is not None:
            text_child(
                rq, "ActiveStatus", check_choice(self.active_status, ACTIVE_STATUS, "status")
            )
        if self.from_modified_date is not None:
            text_child(rq, "FromModifiedDate", values.fmt_datetime(self.from_modified_date))
        if self.to_modified_date is not None:
            text_child(rq, "ToModifiedDate", values.fmt_datetime(self.to_modified_date))
        if self.name_filter is not None and self.name_range_filter is not None:
            raise ValueError("NameFilter and NameRangeFilter are mutually exclusive")
        if self.name_filter is not None:
            el = etree.SubElement(rq, "NameFilter")
            text_child(
                el,
                "MatchCriterion",
                check_choice(self.name_filter.match_criterion, MATCH_CRITERIA, "criterion"),
            )
            text_child(el, "Name", self.name_filter.name)
        if self.name_range_filter is not None:
            el = etree.SubElement(rq, "NameRangeFilter")
            if self.name_range_filter.from_name is not None:
                text_child(el, "FromName", self.name_range_filter.from_name)
            if self.name_range_filter.to_name is not None:
                text_child(el, "ToName", self.name_range_filter.to_name)
        given: dict[ListExtra, bool] = {
            "AccountType": bool(self.account_types),
            "TotalBalanceFilter": self.total_balance_filter is not None,
            "CurrencyFilter": self.currency_filter is not None,
            "ClassFilter": self.class_filter is not None,
        }
        for extra, present in given.items():
            if present and extra not in spec.extras:
                raise ValueError(f"{spec.name}Query does not accept {extra}")
        for extra in spec.extras:  # schema order of the query-specific filters
            if extra == "AccountType":
                for account_type in as_list(self.account_types, "account_types"):
                    text_child(rq, "AccountType", check_choice(account_type, ACCOUNT_TYPES, "type"))
            elif extra == "TotalBalanceFilter" and self.total_balance_filter is not None:
                el = etree.SubElement(rq, "TotalBalanceFilter")
                op = check_choice(self.total_balance_filter.operator, OPERATORS, "operator")
                text_child(el, "Operator", op)
                text_child(el, "Amount", values.fmt_amount(self.total_balance_filter.amount))
            elif extra == "CurrencyFilter" and self.currency_filter is not None:
                add_currency_filter(rq, self.currency_filter)
            elif extra == "ClassFilter" and self.class_filter is not None:
                add_list_selector(rq, "ClassFilter", self.class_filter)


# --- transaction queries --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TxnQuery:
    """A transaction query (``<kind>QueryRq``), e.g. ``TxnQuery(kind="Bill", ...)``.

    §6.5: ``modified_from``/``modified_to`` (ModifiedDateRangeFilter) and
    ``txn_date_from``/``txn_date_to``/``date_macro`` (TxnDateRangeFilter) are mutually
    exclusive; §6.6: lines only come back with ``include_line_items=True``.
    """

    kind: str
    request_id: str | None = None
    iterator: Iterator | None = None
    iterator_id: str | None = None
    meta_data: MetaData | None = None
    txn_ids: Sequence[str] = ()
    ref_numbers: Sequence[str] = ()
    ref_numbers_case_sensitive: Sequence[str] = ()
    max_returned: int | None = None
    modified_from: DateTimeLike | None = None
    modified_to: DateTimeLike | None = None
    txn_date_from: date | str | None = None
    txn_date_to: date | str | None = None
    date_macro: str | None = None
    entity_filter: ListSelector | None = None
    account_filter: ListSelector | None = None
    ref_number_filter: RefNumberFilter | None = None
    ref_number_range_filter: RefNumberRangeFilter | None = None
    currency_filter: CurrencyFilter | None = None
    paid_status: PaidStatus | None = None
    include_line_items: bool | None = None
    include_linked_txns: bool | None = None
    include_ret_elements: Sequence[str] = ()
    owner_ids: Sequence[str] = ()

    @property
    def spec(self) -> TxnQuerySpec:
        try:
            return TXN_QUERIES[self.kind]
        except KeyError:
            raise ValueError(f"unknown transaction query {self.kind!r}") from None

    def _has_filters(self) -> bool:
        return any(
            (
                self.max_returned is not None,
                self.modified_from is not None,
                self.modified_to is not None,
                self.txn_date_from is not None,
                self.txn_date_to is not None,
                self.date_macro is not None,
                self.entity_filter is not None,
                self.account_filter is not None,
                self.ref_number_filter is not None,
                self.ref_number_range_filter is not None,
                self.currency_filter is not None,
                self.paid_status is not None,
            )
        )

    def to_element(self, version: str) -> etree._Element:
        spec = self.spec
        rq = start_request(f"{spec.name}QueryRq", self.request_id, version)
        set_query_attrs(
            rq,
            name=spec.name,
            supports_iterator=spec.iterator,
            supports_meta_data=True,
            iterator=self.iterator,
            iterator_id=self.iterator_id,
            meta_data=self.meta_data,
        )
        txn_ids = as_list(self.txn_ids, "txn_ids")
        ref_numbers = as_list(self.ref_numbers, "ref_numbers")
        ref_cs = as_list(self.ref_numbers_case_sensitive, "ref_numbers_case_sensitive")
        selectors = (bool(txn_ids), bool(ref_numbers), bool(ref_cs), self._has_filters())
        if sum(selectors) > 1:
            raise ValueError(
                "TxnID, RefNumber, RefNumberCaseSensitive and the filters are mutually exclusive"
            )
        if txn_ids:
            add_ids(rq, "TxnID", txn_ids)
        elif ref_numbers:
            add_names(rq, "RefNumber", ref_numbers)
        elif ref_cs:
            add_names(rq, "RefNumberCaseSensitive", ref_cs)
        else:
            self._add_filters(rq, spec)
        if self.include_line_items is not None:
            text_child(rq, "IncludeLineItems", values.fmt_bool(self.include_line_items))
        if self.include_linked_txns is not None:
            if not spec.include_linked_txns:
                raise ValueError(f"{spec.name}Query does not accept IncludeLinkedTxns")
            text_child(rq, "IncludeLinkedTxns", values.fmt_bool(self.include_linked_txns))
        add_include_ret_elements(rq, self.include_ret_elements)
        add_owner_ids(rq, spec.name, spec.owner_id, self.owner_ids)
        return rq

    def _add_filters(self, rq: etree._Element, spec: TxnQuerySpec) -> None:
        add_max_returned(rq, self.max_returned)
        modified = self.modified_from is not None or self.modified_to is not None
        by_txn_date = self.txn_date_from is not None or self.txn_date_to is not None
        if modified and (by_txn_date or self.date_macro is not None):
            raise ValueError(
                "ModifiedDateRangeFilter and TxnDateRangeFilter are mutually exclusive"
            )
        if by_txn_date and self.date_macro is not None:
            raise ValueError("FromTxnDate/ToTxnDate and DateMacro are mutually exclusive")
        if modified:
            el = etree.SubElement(rq, "ModifiedDateRangeFilter")
            if self.modified_from is not None:
                text_child(el, "FromModifiedDate", values.fmt_datetime(self.modified_from))
            if self.modified_to is not None:
                text_child(el, "ToModifiedDate", values.fmt_datetime(self.modified_to))
        elif by_txn_date or self.date_macro is not None:
            el = etree.SubElement(rq, "TxnDateRangeFilter")
            if self.date_macro is not None:
                text_child(el, "DateMacro", check_choice(self.date_macro, DATE_MACROS, "macro"))
            if self.txn_date_from is not None:
                text_child(el, "FromTxnDate", values.fmt_date(self.txn_date_from))
            if self.txn_date_to is not None:
                text_child(el, "ToTxnDate", values.fmt_date(self.txn_date_to))
        if self.entity_filter is not None:
            add_list_selector(rq, "EntityFilter", self.entity_filter)
        if self.account_filter is not None:
            add_list_selector(rq, "AccountFilter", self.account_filter)
        if self.ref_number_filter is not None and self.ref_number_range_filter is not None:
            raise ValueError("RefNumberFilter and RefNumberRangeFilter are mutually exclusive")
        if self.ref_number_filter is not None:
            el = etree.SubElement(rq, "RefNumberFilter")
            text_child(
                el,
                "MatchCriterion",
                check_choice(self.ref_number_filter.match_criterion, MATCH_CRITERIA, "match"),
            )
            text_child(el, "RefNumber", self.ref_number_filter.ref_number)
        if self.ref_number_range_filter is not None:
            el = etree.SubElement(rq, "RefNumberRangeFilter")
            if self.ref_number_range_filter.from_ref_number is not None:
                text_child(el, "FromRefNumber", self.ref_number_range_filter.from_ref_number)
            if self.ref_number_range_filter.to_ref_number is not None:
                text_child(el, "ToRefNumber", self.ref_number_range_filter.to_ref_number)
        if self.currency_filter is not None:
            add_currency_filter(rq, self.currency_filter)
        if self.paid_status is not None:
            if not spec.paid_status:
                raise ValueError(f"{spec.name}Query does not accept PaidStatus")
            text_child(rq, "PaidStatus", check_choice(self.paid_status, PAID_STATUS, "paid"))

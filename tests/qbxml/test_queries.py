"""Query builders: every supported query and filter combination validates against the 13.0 and
16.0 XSDs; the capability table agrees with the XSDs; invalid combinations raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from qbwc_server.qbxml.document import RequestLike, build_document
from qbwc_server.qbxml.other_queries import (
    CompanyQuery,
    HostQuery,
    ListDeletedQuery,
    PreferencesQuery,
    TxnDeletedQuery,
)
from qbwc_server.qbxml.queries import ListQuery, TxnQuery
from qbwc_server.qbxml.query_parts import (
    CurrencyFilter,
    ListSelector,
    NameFilter,
    NameRangeFilter,
    RefNumberFilter,
    RefNumberRangeFilter,
    TotalBalanceFilter,
)
from qbwc_server.qbxml.query_specs import (
    ACCOUNT_TYPES,
    DATE_MACROS,
    LIST_DEL_TYPES,
    LIST_QUERIES,
    TXN_DEL_TYPES_13,
    TXN_DEL_TYPES_16_ONLY,
    TXN_QUERIES,
)
from tests.qbxml.conftest import VERSIONS, Validator
from tests.qbxml.xsd_tools import XsdModel

OWNER = "{512349B1-1111-2222-3333-000DE1813D20}"
ITERATOR_ID = "{8ce98e42-b5f3-4523-b5b4-7d0ce06d0db6}"


def _list_variants(kind: str) -> list[dict[str, Any]]:
    spec = LIST_QUERIES[kind]
    variants: list[dict[str, Any]] = [
        {},
        {"list_ids": ["80000001-1646382185", "80000002-1646382185"]},
        {"full_names": ["Parent:Child", "Other"]},
        {
            "max_returned": 100,
            "active_status": "All",
            "from_modified_date": "2019-05-30T08:00:59-07:00",
            "to_modified_date": datetime(2024, 3, 10, 2, 30),
            "name_filter": NameFilter("StartsWith", "A"),
        },
        {"active_status": "InactiveOnly", "name_range_filter": NameRangeFilter("A", "M")},
        {"meta_data": "MetaDataOnly", "active_status": "All"},
        {"include_ret_elements": ["ListID", "EditSequence", "TimeModified"]},
    ]
    if spec.owner_id:
        variants.append({"owner_ids": ["0", OWNER], "include_ret_elements": ["ListID"]})
    if spec.iterator:
        variants.append({"iterator": "Start", "max_returned": 100, "active_status": "All"})
        variants.append({"iterator": "Continue", "iterator_id": ITERATOR_ID, "max_returned": 100})
        variants.append({"iterator": "Stop", "iterator_id": ITERATOR_ID})
    extras = set(spec.extras)
    if "AccountType" in extras:
        variants.append({"account_types": ["AccountsPayable", "Bank", "CreditCard"]})
    if "TotalBalanceFilter" in extras:
        variants.append({"total_balance_filter": TotalBalanceFilter("GreaterThan", "0")})
    if "CurrencyFilter" in extras:
        variants.append({"currency_filter": CurrencyFilter(full_names=["US Dollar"])})
    if "ClassFilter" in extras:
        variants.append({"class_filter": ListSelector(full_name_with_children="East")})
        variants.append({"class_filter": ListSelector(list_ids=["80000005-1646382185"])})
    if extras:
        everything: dict[str, Any] = {"max_returned": 5, "active_status": "All"}
        if "AccountType" in extras:
            everything["account_types"] = ["Expense"]
        if "TotalBalanceFilter" in extras:
            everything["total_balance_filter"] = TotalBalanceFilter("LessThan", "1000.5")
        if "CurrencyFilter" in extras:
            everything["currency_filter"] = CurrencyFilter(list_ids=["80000009-1"])
        if "ClassFilter" in extras:
            everything["class_filter"] = ListSelector(full_names=["East", "West"])
        variants.append(everything)
    return variants


LIST_CASES = [
    pytest.param(kind, variant, id=f"{kind}-{i}")
    for kind in LIST_QUERIES
    for i, variant in enumerate(_list_variants(kind))
]


def _txn_variants(kind: str) -> list[dict[str, Any]]:
    spec = TXN_QUERIES[kind]
    variants: list[dict[str, Any]] = [
        {},
        {"txn_ids": ["7-1646382259", "8-1646382259"], "include_line_items": True},
        {"ref_numbers": ["INV-1", "INV-2"]},
        {"ref_numbers_case_sensitive": ["inv-1"]},
        {
            "max_returned": 50,
            "modified_from": "2022-03-04T00:24:19-08:00",
            "modified_to": "2024-03-10T02:30:00",
            "entity_filter": ListSelector(list_ids=["80000001-1646382185"]),
            "account_filter": ListSelector(full_names=["Accounts Payable"]),
            "ref_number_filter": RefNumberFilter("Contains", "INV"),
            "currency_filter": CurrencyFilter(full_names=["US Dollar"]),
        },
        {
            "txn_date_from": date(2020, 1, 1),
            "txn_date_to": "2020-12-31",
            "ref_number_range_filter": RefNumberRangeFilter("1", "9"),
            "entity_filter": ListSelector(full_name_with_children="Vendors"),
        },
        {"date_macro": "LastFiscalYear", "account_filter": ListSelector(list_id_with_children="1")},
        {"modified_from": "2024-01-01T00:00:00"},
        {"meta_data": "MetaDataOnly", "modified_from": "2024-01-01"},
        {
            "iterator": "Start",
            "max_returned": 25,
            "modified_from": "2024-01-01T00:00:00",
            "include_line_items": True,
            "include_ret_elements": ["TxnID", "EditSequence"],
            "owner_ids": ["0"],
        },
        {"iterator": "Continue", "iterator_id": ITERATOR_ID, "max_returned": 25},
    ]
    if spec.include_linked_txns:
        variants.append({"include_line_items": True, "include_linked_txns": True})
    if spec.paid_status:
        variants.append({"paid_status": "NotPaidOnly", "max_returned": 10})
        variants.append({"paid_status": "All", "txn_date_from": "2021-01-01"})
    return variants


TXN_CASES = [
    pytest.param(kind, variant, id=f"{kind}-{i}")
    for kind in TXN_QUERIES
    for i, variant in enumerate(_txn_variants(kind))
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("kind", "variant"), LIST_CASES)
def test_list_query_valid(
    kind: str, variant: dict[str, Any], version: str, validate_doc: Validator
) -> None:
    query = ListQuery(kind=kind, request_id="42", **variant)
    root = validate_doc(build_document([query], version=version), version)
    rq = root[0][0]
    assert rq.tag == f"{kind}QueryRq"
    assert rq.get("requestID") == "42"
    if "iterator" in variant:
        assert rq.get("iterator") == variant["iterator"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("kind", "variant"), TXN_CASES)
def test_txn_query_valid(
    kind: str, variant: dict[str, Any], version: str, validate_doc: Validator
) -> None:
    query = TxnQuery(kind=kind, request_id="7", **variant)
    root = validate_doc(build_document([query], version=version), version)
    assert root[0][0].tag == f"{kind}QueryRq"


def test_modified_dates_are_sent_without_offset() -> None:
    rq = ListQuery(
        kind="Vendor", from_modified_date="2021-12-15T04:59:45-08:00", active_status="All"
    ).to_element("13.0")
    assert rq.findtext("FromModifiedDate") == "2021-12-15T04:59:45"
    rq = TxnQuery(kind="Bill", modified_from=datetime(2024, 3, 10, 2, 30)).to_element("16.0")
    assert rq.findtext("ModifiedDateRangeFilter/FromModifiedDate") == "2024-03-10T02:30:00"


def test_aware_datetime_refused() -> None:
    aware = datetime(2024, 3, 10, 2, 30, tzinfo=timezone(timedelta(hours=-8)))
    with pytest.raises(ValueError, match="aware datetime"):
        TxnQuery(kind="Bill", modified_from=aware).to_element("13.0")


@pytest.mark.parametrize("version", VERSIONS)
def test_deleted_company_host_preferences_valid(version: str, validate_doc: Validator) -> None:
    requests: list[RequestLike] = [
        ListDeletedQuery(list_del_types=["Vendor", "Account", "Class", "StandardTerms"]),
        ListDeletedQuery(
            list_del_types=["ItemService"],
            deleted_from="2024-01-01T00:00:00",
            deleted_to=date(2024, 3, 1),
            meta_data="MetaDataAndResponseData",
            request_id="d1",
        ),
        TxnDeletedQuery(txn_del_types=["Bill", "BillPaymentCheck", "VendorCredit"]),
        TxnDeletedQuery(txn_del_types=["Check"], deleted_from="2024-02-01T10:00:00-05:00"),
        CompanyQuery(owner_ids=[OWNER], request_id="c"),
        CompanyQuery(include_ret_elements=["CompanyName"]),
        HostQuery(),
        HostQuery(include_max_capacity=True, request_id="h"),
        PreferencesQuery(include_ret_elements=["AccountingPreferences"]),
    ]
    root = validate_doc(
        build_document(requests, version=version, on_error="continueOnError"), version
    )
    assert len(root[0]) == len(requests)


def test_txn_del_type_version_gate(validate_doc: Validator) -> None:
    query = TxnDeletedQuery(txn_del_types=["PayrollPriorPayment"])
    validate_doc(build_document([query], version="16.0"), "16.0")
    with pytest.raises(ValueError, match=r"16\.0"):
        query.to_element("13.0")


# --- the capability table against the schema ------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", sorted(LIST_QUERIES))
def test_list_spec_matches_xsd(kind: str, version: str, xsd: Callable[[str], XsdModel]) -> None:
    model = xsd(version)
    spec = LIST_QUERIES[kind]
    type_name = f"{kind}QueryRqType"
    attrs = model.attributes_of_type(type_name)
    names = [c.name for c in model.children_of_type(type_name)]
    assert ("iterator" in attrs) == spec.iterator
    assert "metaData" in attrs
    assert ("OwnerID" in names) == spec.owner_id
    optional_extras = ("AccountType", "TotalBalanceFilter", "CurrencyFilter", "ClassFilter")
    in_schema = [n for n in names if n in optional_extras]
    assert tuple(in_schema) == spec.extras  # same filters, same order


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", sorted(TXN_QUERIES))
def test_txn_spec_matches_xsd(kind: str, version: str, xsd: Callable[[str], XsdModel]) -> None:
    model = xsd(version)
    spec = TXN_QUERIES[kind]
    type_name = f"{kind}QueryRqType"
    attrs = model.attributes_of_type(type_name)
    names = [c.name for c in model.children_of_type(type_name)]
    assert ("iterator" in attrs) == spec.iterator
    assert ("OwnerID" in names) == spec.owner_id
    assert ("IncludeLineItems" in names) == spec.include_line_items
    assert ("IncludeLinkedTxns" in names) == spec.include_linked_txns
    assert ("PaidStatus" in names) == spec.paid_status


@pytest.mark.parametrize("version", VERSIONS)
def test_enumerations_match_xsd(version: str, xsd: Callable[[str], XsdModel]) -> None:
    model = xsd(version)
    assert tuple(model.enumeration("ListDelType")) == LIST_DEL_TYPES
    expected_txn = set(TXN_DEL_TYPES_13) | (
        set(TXN_DEL_TYPES_16_ONLY) if version == "16.0" else set()
    )
    assert set(model.enumeration("TxnDelType")) == expected_txn
    assert tuple(model.enumeration("DateMacro")) == DATE_MACROS
    assert tuple(model.enumeration("AccountType")) == ACCOUNT_TYPES


# --- refused combinations -------------------------------------------------------------------

NO_ITERATOR = sorted(k for k, s in LIST_QUERIES.items() if not s.iterator)
NO_OWNER = sorted(k for k, s in LIST_QUERIES.items() if not s.owner_id)


@pytest.mark.parametrize("kind", NO_ITERATOR)
def test_iterator_refused_where_schema_has_none(kind: str) -> None:
    with pytest.raises(ValueError, match="iterator"):
        ListQuery(kind=kind, iterator="Start", max_returned=10).to_element("13.0")


def test_account_query_has_no_iterator() -> None:
    assert "Account" in NO_ITERATOR and "Class" in NO_ITERATOR
    with pytest.raises(ValueError, match="AccountQuery does not support iterators"):
        ListQuery(kind="Account", iterator="Start").to_element("16.0")


@pytest.mark.parametrize("kind", NO_OWNER)
def test_owner_id_refused_where_schema_has_none(kind: str) -> None:
    with pytest.raises(ValueError, match="OwnerID"):
        ListQuery(kind=kind, owner_ids=["0"]).to_element("13.0")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (TxnQuery(kind="Bill", modified_from="2024-01-01", txn_date_from="2024-01-01"),
         "mutually exclusive"),
        (TxnQuery(kind="Bill", modified_to="2024-01-01", date_macro="Today"),
         "mutually exclusive"),
        (TxnQuery(kind="Bill", txn_date_from="2024-01-01", date_macro="Today"),
         "mutually exclusive"),
        (TxnQuery(kind="Bill", txn_ids=["1-1"], max_returned=5), "mutually exclusive"),
        (TxnQuery(kind="Check", ref_numbers=["1"], txn_ids=["1-1"]), "mutually exclusive"),
        (TxnQuery(kind="Check", paid_status="PaidOnly"), "PaidStatus"),
        (TxnQuery(kind="BillPaymentCheck", include_linked_txns=True), "IncludeLinkedTxns"),
        (TxnQuery(kind="Bill", ref_number_filter=RefNumberFilter("Contains", "1"),
                  ref_number_range_filter=RefNumberRangeFilter("1", "2")),
         "mutually exclusive"),
        (TxnQuery(kind="Bill", iterator="Continue"), "iteratorID"),
        (TxnQuery(kind="Bill", iterator="Start", iterator_id=ITERATOR_ID), "Start"),
        (TxnQuery(kind="Bill", iterator_id=ITERATOR_ID), "without iterator"),
        (TxnQuery(kind="Bill", date_macro="Someday"), "must be one of"),
        (TxnQuery(kind="Bill", max_returned=0), "at least 1"),
        (TxnQuery(kind="Invoice"), "unknown transaction query"),
        (ListQuery(kind="Vendor", list_ids=["1-1"], max_returned=5), "mutually exclusive"),
        (ListQuery(kind="Vendor", list_ids=["1-1"], full_names=["x"]), "mutually exclusive"),
        (ListQuery(kind="Vendor", account_types=["Bank"]), "AccountType"),
        (ListQuery(kind="Class", class_filter=ListSelector(full_names=["x"])), "ClassFilter"),
        (ListQuery(kind="Vendor", name_filter=NameFilter("StartsWith", "a"),
                   name_range_filter=NameRangeFilter("a", "b")), "mutually exclusive"),
        (ListQuery(kind="Vendor", active_status="Some"), "must be one of"),  # type: ignore[arg-type]
        (ListQuery(kind="Account", account_types=["Cash"]), "must be one of"),
        (ListQuery(kind="Vendor", list_ids=["x" * 37]), "36"),
        (ListQuery(kind="Vendor", request_id="r" * 51), "requestID"),
        (ListQuery(kind="Vendor", include_ret_elements=["x" * 51]), "IncludeRetElement"),
        (ListQuery(kind="Vendor", owner_ids=["not-a-guid"]), "GUID"),
        (ListDeletedQuery(list_del_types=[]), "at least one"),
        (ListDeletedQuery(list_del_types=["Bill"]), "must be one of"),
        (TxnDeletedQuery(txn_del_types=["Vendor"]), "must be one of"),
    ],
)  # fmt: skip
def test_refused_combinations(query: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        query.to_element("13.0")


def test_list_selector_needs_exactly_one_form() -> None:
    with pytest.raises(ValueError):
        ListSelector()
    with pytest.raises(ValueError):
        ListSelector(list_ids=["1"], full_names=["a"])
    with pytest.raises(ValueError):
        CurrencyFilter()


def test_unsupported_version_refused() -> None:
    with pytest.raises(ValueError, match="not supported"):
        ListQuery(kind="Vendor").to_element("14.0")


def test_single_string_instead_of_list_refused() -> None:
    with pytest.raises(TypeError):
        ListQuery(kind="Vendor", list_ids="80000001-1").to_element("13.0")  # type: ignore[arg-type]


def test_same_query_continue_keeps_filters() -> None:
    """§6.4: the Continue request repeats the Start request's filters with the iteratorID."""
    start = ListQuery(kind="Vendor", iterator="Start", max_returned=10, active_status="All")
    cont = replace(start, iterator="Continue", iterator_id=ITERATOR_ID)
    a, b = start.to_element("13.0"), cont.to_element("13.0")
    assert [c.tag for c in a] == [c.tag for c in b]
    assert b.get("iteratorID") == ITERATOR_ID and a.get("iteratorID") is None

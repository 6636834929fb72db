"""The qbXML queries that read a record type, shaped by its declaration (``records/types.py``).

Every read of records — a sync page, a reconciliation scan, the restore probe, a re-fetch by
id, the vendor balance re-read, a write-back's read-back — is :func:`records_query` with
different selectors, so a record read one way compares equal to the same record read another
way (storage skips an unchanged EditSequence, and compares documents where asked).

Whole records ask for everything the query accepts (§6.6): OwnerID 0 for the public custom
fields, line items and linked transactions. ``only`` asks for just the named elements
(IncludeRetElement), for the id scans and probes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.queries import ListQuery, TxnQuery
from qbwc_server.qbxml.query_specs import Iterator
from qbwc_server.records.record_type import RecordType

CUSTOM_FIELDS_OWNER = "0"  # §6.6: OwnerID 0 returns the public custom fields


def records_query(
    rt: RecordType,
    request_id: str,
    *,
    ids: Sequence[str] = (),
    iterator: Iterator | None = None,
    iterator_id: str | None = None,
    page_size: int | None = None,
    modified_from: str | None = None,
    modified_to: str | None = None,
    txn_date_from: date | str | None = None,
    txn_date_to: date | str | None = None,
    only: Sequence[str] = (),
) -> ListQuery | TxnQuery:
    """One query of ``rt``: by ``ids`` (ListID/TxnID), or by filters — a modified-date range,
    a TxnDate range (transactions), an iterator page of ``page_size`` (MaxReturned, only where
    the query takes iterators, §6.4)."""
    whole = not only
    owner_ids = [CUSTOM_FIELDS_OWNER] if whole and rt.owner_id else []
    max_returned = page_size if rt.iterator else None
    if rt.is_list:
        return ListQuery(
            kind=rt.query,
            request_id=request_id,
            iterator=iterator,
            iterator_id=iterator_id,
            list_ids=list(ids),
            max_returned=max_returned,
            # §6.5: list queries default to ActiveOnly, which hides inactive records.
            active_status=None if ids else "All",
            from_modified_date=modified_from,
            to_modified_date=modified_to,
            include_ret_elements=list(only),
            owner_ids=owner_ids,
        )
    return TxnQuery(
        kind=rt.query,
        request_id=request_id,
        iterator=iterator,
        iterator_id=iterator_id,
        txn_ids=list(ids),
        max_returned=max_returned,
        modified_from=modified_from,
        modified_to=modified_to,
        txn_date_from=txn_date_from,
        txn_date_to=txn_date_to,
        include_line_items=True if whole and rt.include_line_items else None,
        include_linked_txns=True if whole and rt.include_linked_txns else None,
        include_ret_elements=list(only),
        owner_ids=owner_ids,
    )


def by_ids_query(rt: RecordType, request_id: str, ids: Sequence[str]) -> ListQuery | TxnQuery:
    """Whole records by ListID/TxnID, shaped like the sync's pages (same OwnerID, lines and
    links), so that a record read back compares equal to a paged one."""
    return records_query(rt, request_id, ids=ids)


def read_document(queries: Sequence[ListQuery | TxnQuery], version: str) -> str:
    """Read requests in one message set; one failing does not stop the others (§6.2)."""
    return build_document(list(queries), version=version, on_error="continueOnError")

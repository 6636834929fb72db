"""The open company file's identity, for a person to confirm (Begin Sync, services/binding.py).

The Web Connector's company data (the first strHCPResponse, §3.4) already names the company,
the file path, the product and version; one more message set counts the vendors and bills with
``metaData="MetaDataOnly"`` (§6.10: QuickBooks answers only ``retCount``, no records), so the
person can tell "our books" from a sample or an old copy. Nothing else is read or stored before
the file is confirmed.
"""

from __future__ import annotations

from typing import Any

from qbwc_server.engine.verification import CompanyFileFacts
from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.parse import QbxmlParseError, parse_response
from qbwc_server.qbxml.queries import ListQuery, TxnQuery
from qbwc_server.qbxml.status import StatusPolicy, classify

VENDORS = "identity:vendors"
BILLS = "identity:bills"
NO_MATCH = 1  # §6.3: nothing matched — a count of 0


def identity_of(facts: CompanyFileFacts) -> dict[str, Any]:
    """What the company data says about the file (the counts come later)."""
    return {
        "company_name": facts.company_name,
        "file_path": facts.file_path,
        "file_stamp": facts.file_stamp,
        "product": facts.product,
        "version": facts.version,
        "machine_name": facts.machine_name,
        "vendor_count": None,
        "bill_count": None,
    }


def counts_request(version: str) -> str:
    """One message set: how many vendors (active or not) and bills the file holds."""
    return build_document(
        [
            ListQuery(
                kind="Vendor", request_id=VENDORS, meta_data="MetaDataOnly", active_status="All"
            ),
            TxnQuery(kind="Bill", request_id=BILLS, meta_data="MetaDataOnly"),
        ],
        version=version,
        on_error="continueOnError",
    )


def read_counts(response: str) -> dict[str, int | None]:
    """``{"vendor_count", "bill_count"}`` from the answer; None for a count QuickBooks did not
    give (an error status, an unreadable answer)."""
    counts: dict[str, int | None] = {"vendor_count": None, "bill_count": None}
    try:
        parsed = parse_response(response)
    except QbxmlParseError:
        return counts
    for request_id, key in ((VENDORS, "vendor_count"), (BILLS, "bill_count")):
        rs = parsed.by_request_id(request_id)
        if rs is None:
            continue
        status = rs.status
        if status.status_code == NO_MATCH:
            counts[key] = 0
        elif status.ret_count is not None and classify(
            status.status_code, status.status_severity, status.status_message
        ) in (StatusPolicy.SUCCESS, StatusPolicy.WARNING):
            counts[key] = status.ret_count
    return counts

"""The per-session checks every sync test relies on can fail (acceptance 6 and 7)."""

from __future__ import annotations

from typing import Any

import pytest

from qbwc_server.sim.report import Outcome, SessionReport
from tests.sync.helpers import check_progress, check_requests

VALID = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="continueOnError"><VendorQueryRq requestID="v:1" iterator="Start">'
    "<MaxReturned>7</MaxReturned><ActiveStatus>All</ActiveStatus></VendorQueryRq>"
    "</QBXMLMsgsRq></QBXML>"
)
# ActiveStatus before MaxReturned: the schema's order is violated (QuickBooks: 0x80040400).
OUT_OF_ORDER = VALID.replace(
    "<MaxReturned>7</MaxReturned><ActiveStatus>All</ActiveStatus>",
    "<ActiveStatus>All</ActiveStatus><MaxReturned>7</MaxReturned>",
)


def _report(**fields: Any) -> SessionReport:
    report = SessionReport(index=1)
    for name, value in fields.items():
        setattr(report, name, value)
    return report


def test_request_check_refuses_what_quickbooks_refuses(request_schema: Any) -> None:
    assert check_requests(_report(requests=[VALID, VALID.replace("13.0", "16.0")]), request_schema)
    with pytest.raises(AssertionError, match="does not validate"):
        check_requests(_report(requests=[OUT_OF_ORDER]), request_schema)
    with pytest.raises(AssertionError, match="refused"):
        check_requests(_report(hresults=["0x80040400: QuickBooks found an error"]), request_schema)


@pytest.mark.parametrize(
    ("progress", "outcome"),
    [
        ([10, 5, 100], Outcome.COMPLETED),  # went back
        ([10, 100, 100], Outcome.COMPLETED),  # 100 before the end
        ([10, 40, 99], Outcome.COMPLETED),  # completed without 100
        ([10, 120], Outcome.COMPLETED),  # over 100
    ],
)
def test_progress_check_catches_broken_progress(progress: list[int], outcome: Outcome) -> None:
    with pytest.raises(AssertionError):
        check_progress(_report(progress=progress, outcome=outcome, requests_processed=3))


def test_progress_check_accepts_good_and_cut_sessions() -> None:
    check_progress(_report(progress=[0, 0, 12, 50, 99, 100], requests_processed=6))
    check_progress(_report(progress=[3, 40], outcome=Outcome.TRANSPORT_ERROR, requests_processed=2))

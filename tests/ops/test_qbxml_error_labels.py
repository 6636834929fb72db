"""The qbXML error labels of an answer (observability/qbxml_errors.py): read by the metrics and
the audit trail from the same answer; the second read of a long answer is remembered, never
another answer's, and only while its call runs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from qbwc_server.observability import qbxml_errors
from qbwc_server.observability.qbxml_errors import OTHER, status_error_labels
from qbwc_server.observability.soap_metering import SoapMetering

FILLER = "<VendorRet><Name>x</Name></VendorRet>" * 200  # a long page: remembered


def _answer(status: str, filler: str = FILLER) -> str:
    return (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        '<VendorQueryRs requestID="1" statusCode="0" statusSeverity="Info">'
        f"{filler}</VendorQueryRs>"
        f'<BillQueryRs requestID="2" {status}/></QBXMLMsgsRs></QBXML>'
    )


def test_error_statuses_are_labelled_by_code_and_others_are_not_counted() -> None:
    page = _answer('statusCode="3200" statusSeverity="Error" statusMessage="x"')
    assert status_error_labels(page) == ["3200"]
    assert status_error_labels(_answer("statusCode='98765' statusSeverity='Error'")) == [OTHER]
    assert status_error_labels(_answer('statusCode="0" statusSeverity="Info"')) == []
    assert status_error_labels("") == [] and status_error_labels(None) == []


def test_a_second_read_of_the_same_answer_is_the_first_and_another_answer_is_read_anew() -> None:
    failing = _answer('statusCode="3200" statusSeverity="Error"')
    first = status_error_labels(failing)
    first.append("changed by its caller")  # each caller gets its own list
    assert status_error_labels(failing) == ["3200"]
    # Another answer of the same length and text but for its status: its own labels.
    clean = _answer('statusCode="0000" statusSeverity="Infos"')
    assert len(clean) == len(failing)
    assert status_error_labels(clean) == []
    assert status_error_labels(failing) == ["3200"]


def test_the_remembered_answer_is_dropped_when_its_call_is_over() -> None:
    """An idle process keeps no page alive: the answer is remembered for its call only (the
    SOAP metering forgets it when the endpoint is done), however large it was."""
    page = _answer('statusCode="3200" statusSeverity="Error"')
    during: list[object] = []

    def endpoint(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        during.append(status_error_labels(page))  # the metrics' read
        during.append(qbxml_errors._last[0] is page)  # kept for the audit entry's read
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [b""]

    spyne_app = SimpleNamespace(event_manager=SimpleNamespace(add_listener=lambda *a: None))
    metering = SoapMetering(endpoint, spyne_app)
    metering({"REQUEST_METHOD": "POST"}, lambda *a: None)
    assert during == [["3200"], True]
    assert qbxml_errors._last[0] == ""  # nothing of the page outlives the call

    def failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        status_error_labels(page)
        raise RuntimeError("the endpoint failed")

    with pytest.raises(RuntimeError):
        SoapMetering(failing, spyne_app)({"REQUEST_METHOD": "POST"}, lambda *a: None)
    assert qbxml_errors._last[0] == ""

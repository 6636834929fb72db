"""The qbXML error labels of an answer (observability/qbxml_errors.py): read by the metrics and
the audit trail from the same answer; the second read of a long answer is remembered, never
another answer's."""

from __future__ import annotations

from qbwc_server.observability.qbxml_errors import OTHER, status_error_labels

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

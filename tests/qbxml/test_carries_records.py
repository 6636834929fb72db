"""``carries_records``: which answers the sync may take without a savepoint (issue 13).

Only a small answer that parses and whose ``…Rs`` elements hold nothing is record-less; every
doubt (a record, an ErrorRecovery, a comment, stray text, a large, unreadable or unsafe text)
counts as holding records, so the answer is taken the careful way.
"""

from __future__ import annotations

import pytest

from qbwc_server.qbxml.parse import RECORDLESS_MAX_CHARS, carries_records

HEAD = '<?xml version="1.0" ?><?qbxml version="16.0"?><QBXML><QBXMLMsgsRs onError="stopOnError">'
TAIL = "</QBXMLMsgsRs></QBXML>"
NO_MATCH = (
    '<VendorQueryRs requestID="vendors:1" statusCode="1" statusSeverity="Info" '
    'statusMessage="A query request did not find a matching object in QuickBooks" />'
)


def doc(*parts: str) -> str:
    return HEAD + "".join(parts) + TAIL


def test_no_match_answers_hold_no_records() -> None:
    assert carries_records(doc(NO_MATCH)) is False
    # A batch of empty answers, with the whitespace QuickBooks writes between elements.
    spaced = NO_MATCH.replace(" />", ">\n  </VendorQueryRs>")
    assert carries_records(doc("\n", NO_MATCH, "\n", spaced, "\n")) is False
    ok_empty = '<BillQueryRs requestID="b" statusCode="0" statusSeverity="Info" retCount="0"/>'
    assert carries_records(doc(ok_empty)) is False


@pytest.mark.parametrize(
    "inside",
    [
        "<VendorRet><ListID>80000001-1</ListID></VendorRet>",
        "<TxnDeletedRet><TxnID>1-1</TxnID></TxnDeletedRet>",
        "<ErrorRecovery><ListID>1</ListID></ErrorRecovery>",
        "<!-- a comment -->",
        "stray text",
    ],
)
def test_anything_inside_a_response_counts_as_records(inside: str) -> None:
    rs = '<VendorQueryRs requestID="v" statusCode="0" statusSeverity="Info">'
    assert carries_records(doc(rs, inside, "</VendorQueryRs>")) is True


def test_large_unreadable_and_unsafe_texts_count_as_records() -> None:
    padding = " " * (RECORDLESS_MAX_CHARS + 1)
    assert carries_records(doc(NO_MATCH, padding)) is True  # not even looked at
    assert carries_records(doc(NO_MATCH)[:-10]) is True  # cut short: the reader will say so
    dtd = '<!DOCTYPE QBXML [<!ENTITY x "y">]>' + doc(NO_MATCH)
    assert carries_records(dtd) is True  # refused by the reader, in its savepoint

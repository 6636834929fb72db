"""Fuzzing the qbXML response parser and the HCP parser (qbxml/parse.py, qbxml/hcp.py): real
pages from the fake QuickBooks, mutated (truncated, spliced with DTDs, entities, huge
attributes, deep nesting, control characters, lone surrogates, stray markup).

The parsers may only answer with events or :class:`QbxmlParseError` (never another exception, a
hang or an expanded entity); a page parsed whole and the same page streamed agree (both fail, or
both give the same events); a DOCTYPE hidden by characters the cleaning removes is refused.
Cases found by fuzzing stay here as ``@example``s (the corpus).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qbwc_server.qbxml.hcp import parse_hcp
from qbwc_server.qbxml.parse import QbxmlParseError, UnsafeXmlError, iter_response
from qbwc_server.sim.quickbooks import FakeQuickBooks
from tests.fuzz.budget import count, fuzz_settings
from tests.fuzz.hostile_xml import Edit, edited, hidden_doctype
from tests.sync.helpers import generate_current

SECONDS = 5.0  # one parse taking longer is a hang
DECL = '<?xml version="1.0" ?>'
EMPTY_PAGE = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><VendorQueryRs requestID="vendors:1" '
    'statusCode="1" statusSeverity="Info" statusMessage="A query request did not find a '
    'matching object in QuickBooks" iteratorRemainingCount="0" iteratorID="{x}"></VendorQueryRs>'
    "</QBXMLMsgsRs></QBXML>"
)
ERROR_PAGE = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs onError="stopOnError"><BillAddRs requestID="7" '
    'statusCode="3100" statusSeverity="Error" statusMessage="The name &quot;A&quot; is in use">'
    "</BillAddRs></QBXMLMsgsRs></QBXML>"
)


@functools.cache
def pages() -> tuple[str, ...]:
    """Real answers of the fake QuickBooks: a page of accounts, one of vendors (a small company,
    so they stay small), and its HCP."""
    company = generate_current("tiny", seed=11)
    qb = FakeQuickBooks(company)
    qb.open_session(app_name="fuzz", owner_id="{00000000-0000-0000-0000-00000000000A}", file_id="f")
    request = (
        '<?xml version="1.0" ?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        '<{0}QueryRq requestID="{1}"><MaxReturned>6</MaxReturned></{0}QueryRq>'
        "</QBXMLMsgsRq></QBXML>"
    )
    accounts = qb.process(request.format("Account", "accounts:1"))
    vendors = qb.process(request.format("Vendor", "vendors:1"))
    return (accounts, vendors, EMPTY_PAGE, ERROR_PAGE, qb.hcp_response())


def outcome(text: str, whole: int | None) -> tuple[str, Any]:
    started = time.monotonic()
    try:
        events = list(iter_response(text, whole_document_max_chars=whole, chunk_size=512))
        result: tuple[str, Any] = ("events", events)
    except UnsafeXmlError:
        result = ("unsafe", None)
    except QbxmlParseError:
        result = ("error", None)
    assert time.monotonic() - started < SECONDS
    return result


def check_page(text: str) -> tuple[str, Any]:
    whole = outcome(text, None)
    streamed = outcome(text, 0)
    # Both read it, with the same events, or both refuse it (the stream may have yielded events
    # before failing; which refusal may differ: a DOCTYPE before a misplaced declaration is
    # "unsafe" to one and a syntax error to the other).
    assert (whole[0] == "events") == (streamed[0] == "events"), (whole[0], streamed[0])
    if whole[0] == "events":
        assert whole[1] == streamed[1]
    for _, events in (whole, streamed):
        for event in events or ():
            assert "boom" not in repr(event) and "root:" not in repr(event)  # nothing expanded
    return whole


@fuzz_settings()
@given(base=st.integers(0, 3), data=st.data())
@example(base=0, data=None)  # the page as QuickBooks sent it
@example(base=0, data=Edit.prefix('<!&#1;DOCTYPE x [<!&#1;ENTITY a "b">]>'))  # before the decl.
@example(base=0, data=Edit.prefix('<?xml version="1.0" ?>\n'))  # two: whole and streamed agree
@example(base=0, data=Edit.prefix("\x00<?xml "))  # a broken declaration uncovered by cleaning
def test_fuzz_response_parser(base: int, data: Any) -> None:
    page = pages()[base]
    text = edited(page, data)
    count("qbxml")
    result = check_page(text)
    if data is None:
        assert result[0] == "events"


@fuzz_settings()
@given(base=st.integers(0, 3), prolog=hidden_doctype(), declared=st.booleans())
@example(base=0, prolog='<!&#1;DOCTYPE QBXML [<!&#1;ENTITY x "boom">]>', declared=True)
@example(
    base=2,
    prolog='&#1;<!\x01DOCTYPE QBXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    declared=False,
)
def test_fuzz_hidden_doctype_is_refused(base: int, prolog: str, declared: bool) -> None:
    body = pages()[base].split("?>", 1)[1]
    text = (DECL if declared else "") + prolog + body.replace("<QBXMLMsgsRs>", "<QBXMLMsgsRs>&x;")
    count("qbxml")
    assert outcome(text, None)[0] == "unsafe"
    assert outcome(text, 0)[0] == "unsafe"
    hcp_body = pages()[4].split("?>", 1)[1]
    with pytest.raises(UnsafeXmlError):
        parse_hcp((DECL if declared else "") + prolog + hcp_body)


@fuzz_settings()
@given(data=st.data())
@example(data=None)
@example(data=Edit("?>", '?><?xml version="1.0" encoding="utf-16"?>'))  # was a ValueError
def test_fuzz_hcp_parser(data: Any) -> None:
    hcp = pages()[4]
    text = edited(hcp, data)
    count("qbxml")
    started = time.monotonic()
    try:
        parsed = parse_hcp(text)
    except QbxmlParseError:
        return
    finally:
        assert time.monotonic() - started < SECONDS
    assert "boom" not in repr(parsed) and "root:" not in repr(parsed)
    if data is None:
        assert parsed.company_name and parsed.supported_qbxml_versions

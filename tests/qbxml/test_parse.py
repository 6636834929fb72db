"""Response parsing: real captures, status/iterator attributes, repeatable elements, hostile
input, streaming with flat memory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from qbwc_server.qbxml import parse as parse_module
from qbwc_server.qbxml import ret_dicts
from qbwc_server.qbxml.parse import (
    MessageSet,
    QbxmlParseError,
    Record,
    ResponseEnd,
    ResponseStart,
    UnsafeXmlError,
    body_offset,
    iter_response,
    parse_response,
    parse_whole,
)
from qbwc_server.qbxml.repeatable import (
    REPEATABLE_ELEMENTS,
    REPEATABLE_IN_PARENT,
    is_repeatable,
)
from qbwc_server.qbxml.ret_dicts import ret_to_dict
from qbwc_server.qbxml.status import StatusPolicy, classify
from tests.qbxml.conftest import VERSIONS
from tests.qbxml.xsd_tools import XsdModel

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, params=["whole", "streamed"])
def parse_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs against both paths of iter_response: a document parsed whole (pages up
    to WHOLE_DOCUMENT_MAX_CHARS) and the streaming parser (larger pages)."""
    if request.param == "streamed":
        monkeypatch.setattr(parse_module, "WHOLE_DOCUMENT_MAX_CHARS", 0)
    return str(request.param)


# The Ret types the sync engine stores (architecture: AP master data and transactions).
SYNCED_RETS = [
    "AccountRet", "VendorRet", "VendorTypeRet", "StandardTermsRet", "DateDrivenTermsRet",
    "ClassRet", "CustomerRet", "OtherNameRet", "CurrencyRet", "SalesTaxCodeRet",
    "ItemServiceRet", "ItemNonInventoryRet", "ItemOtherChargeRet", "ItemInventoryRet",
    "ItemInventoryAssemblyRet", "ItemFixedAssetRet", "ItemSubtotalRet", "ItemDiscountRet",
    "ItemPaymentRet", "ItemSalesTaxRet", "ItemSalesTaxGroupRet", "ItemGroupRet", "BillRet",
    "BillPaymentCheckRet", "BillPaymentCreditCardRet", "VendorCreditRet", "CheckRet",
    "CreditCardChargeRet", "CreditCardCreditRet", "PurchaseOrderRet", "ItemReceiptRet",
    "ListDeletedRet", "TxnDeletedRet", "CompanyRet", "HostRet", "PreferencesRet",
]  # fmt: skip


def soap_response_text(envelope_path: Path) -> str:
    """The qbXML string QBWC put (escaped) into receiveResponseXML/response."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(envelope_path), parser).getroot()
    text = root.findtext(".//{http://developer.intuit.com/}response")
    assert text
    return text


def log_responses(log_path: Path) -> list[str]:
    """The qbXML responses dumped in a VERBOSE QWCLog.txt."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    out = []
    for part in text.split("XML dump follows: -")[1:]:
        body = re.split(r"\n\d{8}\.\d\d:\d\d:\d\d UTC", part, maxsplit=1)[0].strip()
        if "<QBXMLMsgsRs>" in body:
            out.append(body)
    return out


# --- real captures --------------------------------------------------------------------------


def test_flowlink_sales_order_capture(reference_dir: Path) -> None:
    text = soap_response_text(
        reference_dir / "soap-captures" / "flowlink-receiveResponseXML-sales_order_add_rs_raw.xml"
    )
    parsed = parse_response(text)
    names = [(rs.status.name, rs.status.status_code) for rs in parsed.responses]
    assert names == [
        ("ItemInventoryQueryRs", 1),
        ("ItemInventoryQueryRs", 1),
        ("SalesOrderAddRs", 0),
        ("SalesOrderAddRs", 3140),
    ]
    empty, _, ok, failed = parsed.responses
    assert empty.records == [] and empty.status.request_id is None
    assert classify(empty.status.status_code, empty.status.status_severity) is (
        StatusPolicy.EMPTY_SUCCESS
    )
    order = ok.data[0]
    assert ok.records[0].tag == "SalesOrderRet"
    assert order["TxnID"] == "4C-1415942229"
    assert order["CustomerRef"] == {"ListID": "80000009-1415929219", "FullName": "a123191"}
    assert isinstance(order["SalesOrderLineRet"], list) and order["SalesOrderLineRet"]
    assert failed.status.is_error and "invalid reference" in failed.status.status_message
    assert classify(3140, "Error", failed.status.status_message) is StatusPolicy.BAD_REFERENCE


def test_flowlink_item_inventory_capture(reference_dir: Path) -> None:
    text = soap_response_text(
        reference_dir
        / "soap-captures"
        / "flowlink-receiveResponseXML-item_inventory_query_rs_raw.xml"
    )
    parsed = parse_response(text)
    rs = parsed.responses[0]
    assert rs.status.name == "ItemInventoryQueryRs" and rs.status.status_code == 0
    assert len(rs.records) == text.count("<ItemInventoryRet>") > 1
    assert {r.tag for r in rs.records} == {"ItemInventoryRet"}
    assert rs.data[1]["Name"] == "Haskell T-Shirt"
    assert rs.data[1]["QuantityOnHand"] == "300"


def test_intuit_bill_query_sample(reference_dir: Path) -> None:
    text = (reference_dir / "qbxml-samples" / "intuit-BillQueryRs-LastResponse.xml").read_text()
    parsed = parse_response(text)
    (rs,) = parsed.responses
    assert rs.status.request_id == "1" and rs.status.status_code == 0
    assert len(rs.records) == 3
    first = rs.data[0]
    assert first["TxnID"] == "7-1646382259"
    assert first["TimeModified"] == "2022-03-04T00:24:19-08:00"  # kept exactly as written
    assert first["VendorRef"]["FullName"] == "v1"
    assert first["AmountDue"] == "2000.00" and first["IsPaid"] == "false"
    json.dumps(parsed.responses[0].data)  # JSON-able


def test_qbwc_log_customer_iterator_pages(reference_dir: Path) -> None:
    pages = [
        t
        for t in log_responses(reference_dir / "logs" / "QWCLog-QBWC2.2-verbose-moumita-ray.txt")
        if "CustomerQueryRs" in t
    ]
    assert len(pages) == 2
    first, second = (parse_response(p).responses[0] for p in pages)
    assert first.status.request_id == "167"
    assert first.status.iterator_remaining_count == 5
    assert first.status.iterator_id == "{8ce98e42-b5f3-4523-b5b4-7d0ce06d0db6}"
    assert second.status.iterator_remaining_count == 0
    assert len(first.records) == 10 and len(second.records) == 5
    sean = first.data[0]
    assert sean["FullName"] == "Miscellaneous - Retail:Sean Martin"
    assert isinstance(sean["ShipToAddress"], list) and len(sean["ShipToAddress"]) >= 4
    assert all(isinstance(c.get("ShipToAddress", []), list) for c in first.data + second.data)
    assert all(isinstance(c["JobTypeRef"], dict) for c in second.data if "JobTypeRef" in c)


def test_qbwc_log_company_query_data_ext(reference_dir: Path) -> None:
    pages = log_responses(reference_dir / "logs" / "QWCLog-QBWC2.2-verbose-moumita-ray.txt")
    company = next(p for p in pages if "CompanyQueryRs" in p)
    rs = parse_response(company).responses[0]
    data = rs.data[0]
    assert data["CompanyName"] == "Wholesale/Distributor Sample File"
    assert isinstance(data["DataExtRet"], list)


# --- statuses, message sets, shapes ---------------------------------------------------------

SYNTHETIC = """<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs newMessageSetID="ms-1" messageSetStatusCode="0">
<BillQueryRs requestID="b1" statusCode="0" statusSeverity="Info" statusMessage="Status OK"
 retCount="2" iteratorRemainingCount="120" iteratorID="{11111111-2222-3333-4444-555555555555}">
<BillRet>
<TxnID>7-1646382259</TxnID><TimeCreated>2022-03-04T00:24:19-08:00</TimeCreated>
<TimeModified>2022-03-04T00:24:19-08:00</TimeModified><EditSequence>1646382259</EditSequence>
<VendorRef><ListID>80000001-1646382185</ListID>
<FullName>D&#233;cor &amp; Sons</FullName></VendorRef>
<TxnDate>2022-03-04</TxnDate><AmountDue>12.50</AmountDue><Memo></Memo>
<LinkedTxn><TxnID>9-1</TxnID><TxnType>BillPaymentCheck</TxnType><TxnDate>2022-03-05</TxnDate>
<LinkType>AMTTYPE</LinkType><Amount>-12.50</Amount></LinkedTxn>
<ExpenseLineRet><TxnLineID>8-1</TxnLineID><AccountRef><FullName>Utilities</FullName></AccountRef>
<Amount>12.50</Amount>
<DataExtRet><OwnerID>0</OwnerID><DataExtName>Job</DataExtName><DataExtType>STR255TYPE</DataExtType>
<DataExtValue>A</DataExtValue></DataExtRet></ExpenseLineRet>
</BillRet>
<BillRet><TxnID>8-1646382259</TxnID><TimeCreated>2022-03-04T00:24:19-08:00</TimeCreated>
<TimeModified>2022-03-04T00:24:19-08:00</TimeModified><EditSequence>1</EditSequence>
<VendorRef><FullName>v1</FullName></VendorRef><TxnDate>2022-03-04</TxnDate>
<AmountDue>1.00</AmountDue></BillRet>
</BillQueryRs>
<VendorAddRs requestID="v1" statusCode="3100" statusSeverity="Error"
 statusMessage="The name &quot;Acme&quot; of the list element is already in use.">
<ErrorRecovery><ListID>80000001-1646382185</ListID><EditSequence>1646382259</EditSequence>
</ErrorRecovery>
</VendorAddRs>
<TxnDeletedQueryRs requestID="d" statusCode="1" statusSeverity="Info"
 statusMessage="A query request did not find a matching object in QuickBooks"/>
</QBXMLMsgsRs>
</QBXML>
"""


def test_synthetic_response_is_schema_valid(qbxml_schema) -> None:  # type: ignore[no-untyped-def]
    """Keep the synthetic document honest: it must be a response QuickBooks could send."""
    root = etree.fromstring(SYNTHETIC.split("\n", 1)[1].encode())
    for version in VERSIONS:
        schema = qbxml_schema(version)
        assert schema.validate(root), schema.error_log


def test_status_iterator_and_message_set_attributes() -> None:
    parsed = parse_response(SYNTHETIC)
    assert parsed.message_set_status_code == 0 and parsed.new_message_set_id == "ms-1"
    bills, vendor, deleted = parsed.responses
    st = bills.status
    assert (st.request_name, st.request_id, st.status_code, st.status_severity) == (
        "BillQuery", "b1", 0, "Info",
    )  # fmt: skip
    assert (st.ret_count, st.iterator_remaining_count) == (2, 120)
    assert st.iterator_id == "{11111111-2222-3333-4444-555555555555}"
    assert st.message_set_status_code == 0
    assert vendor.status.status_code == 3100 and vendor.status.is_error
    assert vendor.status.status_message == 'The name "Acme" of the list element is already in use.'
    assert vendor.records == []
    assert vendor.error_recovery == {"ListID": "80000001-1646382185", "EditSequence": "1646382259"}
    assert deleted.status.status_code == 1 and deleted.records == []
    assert parsed.by_request_id("v1") is vendor and parsed.by_request_id("zz") is None


def test_repeatable_elements_are_lists_even_when_single() -> None:
    bill = parse_response(SYNTHETIC).responses[0].data[0]
    assert bill["VendorRef"]["FullName"] == "D\u00e9cor & Sons"
    assert bill["Memo"] == ""
    assert isinstance(bill["LinkedTxn"], list) and len(bill["LinkedTxn"]) == 1
    (line,) = bill["ExpenseLineRet"]
    assert line["AccountRef"] == {"FullName": "Utilities"}
    assert line["DataExtRet"] == [
        {"OwnerID": "0", "DataExtName": "Job", "DataExtType": "STR255TYPE", "DataExtValue": "A"}
    ]
    second = parse_response(SYNTHETIC).responses[0].data[1]
    assert "ExpenseLineRet" not in second


def test_ret_to_dict_context_and_surprises() -> None:
    group = etree.fromstring(
        "<ItemSalesTaxGroupRet><ItemSalesTaxRef><FullName>A</FullName></ItemSalesTaxRef>"
        "</ItemSalesTaxGroupRet>"
    )
    assert ret_to_dict(group) == {"ItemSalesTaxRef": [{"FullName": "A"}]}
    customer = etree.fromstring(
        "<CustomerRet><ItemSalesTaxRef><FullName>A</FullName></ItemSalesTaxRef></CustomerRet>"
    )
    assert ret_to_dict(customer) == {"ItemSalesTaxRef": {"FullName": "A"}}
    odd = etree.fromstring('<X a="1"><Name>a</Name><Name>b</Name><Amt cur="USD">5</Amt></X>')
    assert ret_to_dict(odd) == {"@a": "1", "Name": ["a", "b"], "Amt": {"@cur": "USD", "#text": "5"}}


@pytest.mark.parametrize(
    ("ret", "message", "expected"),
    [
        # No attribute below the Rs (and no '=' beyond the Rs attributes): the whole-document
        # path takes the records without asking each element for attributes.
        (
            "<VendorRet><ListID>1</ListID><Name>a</Name><Name>b</Name><Memo>x</Memo>"
            "<VendorAddress><City>Here</City></VendorAddress><Empty/><Blank> </Blank>"
            "<Commented><!-- c --></Commented><DataExtRet><OwnerID>0</OwnerID></DataExtRet>"
            "<Mixed>t<?pi x?></Mixed></VendorRet>",
            "Status OK",
            {
                "ListID": "1",
                "Name": ["a", "b"],
                "Memo": "x",
                "VendorAddress": {"City": "Here"},
                "Empty": "",
                "Blank": " ",
                "Commented": {},
                "DataExtRet": [{"OwnerID": "0"}],
                "Mixed": {},
            },
        ),
        # An attribute deep in a record, on a leaf, on the record; '=' in text or in the Rs.
        (
            '<VendorRet><ListID>1</ListID><Ref><FullName kind="x">A</FullName></Ref>'
            "<Memo>a=b</Memo></VendorRet>",
            "Status OK",
            {"ListID": "1", "Ref": {"FullName": {"@kind": "x", "#text": "A"}}, "Memo": "a=b"},
        ),
        (
            '<VendorRet a="1"><ListID>1</ListID></VendorRet>',
            "Status OK",
            {"@a": "1", "ListID": "1"},
        ),
        ("<VendorRet><Memo>1+1=2</Memo></VendorRet>", "Status OK", {"Memo": "1+1=2"}),
        ("<VendorRet><Memo>x</Memo></VendorRet>", "a=b", {"Memo": "x"}),
    ],
)
def test_records_with_and_without_attributes(
    ret: str, message: str, expected: dict[str, object]
) -> None:
    page = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><VendorQueryRs requestID="1" statusCode="0" '
        f'statusSeverity="Info" statusMessage="{message}">{ret}</VendorQueryRs></QBXMLMsgsRs>'
        "</QBXML>"
    )
    (rs,) = parse_response(page).responses
    assert rs.data == [expected]
    assert rs.status.status_message == message
    body = page[parse_module.body_offset(page) :]
    plain = ret_dicts.records_without_attributes(body, etree.fromstring(body))
    assert plain == ("=" not in ret + message)


def test_event_order_of_stream() -> None:
    kinds = [type(e).__name__ for e in iter_response(SYNTHETIC)]
    assert kinds == [
        "MessageSet", "ResponseStart", "Record", "Record", "ResponseEnd",
        "ResponseStart", "ResponseEnd", "ResponseStart", "ResponseEnd",
    ]  # fmt: skip
    ends = [e for e in iter_response(SYNTHETIC) if isinstance(e, ResponseEnd)]
    assert [e.record_count for e in ends] == [2, 0, 0]


# --- prolog, encoding, control characters ---------------------------------------------------


def _one_vendor(prolog: str, name: str) -> str:
    return (
        f'{prolog}<QBXML><QBXMLMsgsRs><VendorQueryRs statusCode="0" statusSeverity="Info">'
        f"<VendorRet><Name>{name}</Name></VendorRet></VendorQueryRs></QBXMLMsgsRs></QBXML>"
    )


@pytest.mark.parametrize(
    "prolog",
    [
        "",
        '<?xml version="1.0" ?>\n',
        '<?xml version="1.0" encoding="windows-1252"?>\r\n',
        '\ufeff<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0" encoding="windows-1252"?><?qbxml version="13.0"?>',
    ],
)
def test_leading_declaration_stripped(prolog: str) -> None:
    rs = parse_response(_one_vendor(prolog, "Caf\u00e9")).responses[0]
    assert rs.data == [{"Name": "Caf\u00e9"}]


def test_control_characters_removed_from_inbound_text() -> None:
    text = _one_vendor("", "A\x01B&#1;C&#x1F;D&#233;&#9;E")
    assert parse_response(text).responses[0].data[0]["Name"] == "ABCD\u00e9\tE"


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 11, 16, 17, 64])
def test_chunk_boundaries_do_not_change_the_result(chunk_size: int) -> None:
    text = SYNTHETIC.replace("Sons", "Sons&#1;&#x10;&#8364;")
    expected = [e for e in iter_response(text) if isinstance(e, Record)]
    got = [
        e
        for e in iter_response(text, chunk_size=chunk_size, whole_document_max_chars=0)
        if isinstance(e, Record)
    ]
    assert [r.data for r in got] == [r.data for r in expected]
    assert expected[0].data["VendorRef"]["FullName"] == "D\u00e9cor & Sons\u20ac"


# --- hostile and broken input ---------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<QBXML><QBXMLMsgsRs><VendorQueryRs statusCode="0" statusSeverity="Info">
<VendorRet><Name>&lol3;</Name></VendorRet></VendorQueryRs></QBXMLMsgsRs></QBXML>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<QBXML><QBXMLMsgsRs><VendorQueryRs statusCode="0" statusSeverity="Info">
<VendorRet><Name>&xxe;</Name></VendorRet></VendorQueryRs></QBXMLMsgsRs></QBXML>"""

EXTERNAL_DTD = """<!DOCTYPE QBXML SYSTEM "http://example.invalid/qbxml.dtd"><QBXML/>"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
@pytest.mark.parametrize("parse", [parse_response, lambda t: list(iter_response(t))])
def test_dtd_and_entities_refused(text: str, parse: Callable[[str], object]) -> None:
    with pytest.raises(UnsafeXmlError):
        parse(text)


def test_undeclared_entity_is_a_parse_error_not_a_lookup() -> None:
    with pytest.raises(QbxmlParseError):
        parse_response(_one_vendor("", "&xxe;"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not xml",
        "<QBXML><QBXMLMsgsRs><VendorQueryRs statusCode='0'><VendorRet>",  # truncated
        "<Other/>",
        "<QBXML><QBXMLMsgsRs><VendorQueryRs statusSeverity='Info'/></QBXMLMsgsRs></QBXML>",
        "<QBXML><QBXMLMsgsRs><VendorQueryRs statusCode='x'/></QBXMLMsgsRs></QBXML>",
    ],
)
def test_broken_input_raises_parse_error(text: str) -> None:
    with pytest.raises(QbxmlParseError):
        parse_response(text)


def test_only_qbxml_msgs_rs_is_read() -> None:
    text = (
        "<QBXML><SignonMsgsRs><SignonDesktopRs statusCode='0' statusSeverity='Info'/>"
        "</SignonMsgsRs><QBXMLMsgsRs><HostQueryRs statusCode='0' statusSeverity='Info'>"
        "<HostRet><ProductName>QB</ProductName></HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
    )
    parsed = parse_response(text)
    assert [rs.status.name for rs in parsed.responses] == ["HostQueryRs"]
    assert parsed.responses[0].data == [{"ProductName": "QB"}]


def test_empty_message_set() -> None:
    parsed = parse_response('<QBXML><QBXMLMsgsRs messageSetStatusCode="0"/></QBXML>')
    assert parsed.responses == [] and parsed.message_set_status_code == 0


def test_bytes_refused() -> None:
    with pytest.raises(TypeError):
        parse_response(b"<QBXML/>")  # type: ignore[arg-type]


# --- streaming: large page, flat memory -----------------------------------------------------

RECORD = (
    "<VendorRet><ListID>{i}-1646382185</ListID><EditSequence>1646382259</EditSequence>"
    "<Name>V&#233;ndor {i} with a reasonably long name</Name><VendorAddress><City>Town</City>"
    "</VendorAddress><DataExtRet><OwnerID>0</OwnerID><DataExtValue>v</DataExtValue>"
    "</DataExtRet></VendorRet>\n"
)


def big_page(n: int) -> str:
    return (
        '<?xml version="1.0" ?>\n<QBXML><QBXMLMsgsRs><VendorQueryRs requestID="1" '
        'statusCode="0" statusSeverity="Info" statusMessage="Status OK" '
        'iteratorRemainingCount="0" iteratorID="{11111111-2222-3333-4444-555555555555}">\n'
        + "".join(RECORD.format(i=i) for i in range(n))
        + "</VendorQueryRs></QBXMLMsgsRs></QBXML>\n"
    )


def _stream_python_peak(text: str) -> tuple[int, Record | None, int]:
    count = 0
    last: Record | None = None
    tracemalloc.start()
    try:
        for event in iter_response(text, whole_document_max_chars=0):
            if isinstance(event, Record):
                count += 1
                last = event
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, last, count


def test_streaming_20000_records_with_flat_python_memory() -> None:
    text = big_page(20_000)
    peak, last, count = _stream_python_peak(text)
    assert count == 20_000
    assert last is not None and last.data["ListID"] == "19999-1646382185"
    assert last.data["DataExtRet"] == [{"OwnerID": "0", "DataExtValue": "v"}]
    # Python-side peak (one chunk, its queued parser events, one record's dicts) is bounded
    # by the chunk size, not by the page: far below the page, and no bigger than for a page
    # a tenth of the size.
    assert peak < len(text) / 5, (peak, len(text))
    small_peak, _, small_count = _stream_python_peak(big_page(2_000))
    assert small_count == 2_000
    assert peak < small_peak * 1.5 + 64 * 1024, (peak, small_peak)


def test_streaming_keeps_the_lxml_tree_flat() -> None:
    """tracemalloc cannot see libxml2's memory, so measure the resident set of a child process
    (sampled while streaming) and compare it with what building the whole tree costs."""
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs /proc (Linux)")
    script = textwrap.dedent(
        f"""
        import gc, os, sys
        sys.path.insert(0, {str(PROJECT_ROOT)!r})
        from tests.qbxml.test_parse import big_page
        from qbwc_server.qbxml.parse import iter_response

        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

        text = big_page(20000)
        body = text.split("\\n", 1)[1]
        gc.collect()
        before = rss()
        peak = before
        if sys.argv[1] == "stream":
            for i, _ in enumerate(iter_response(text, whole_document_max_chars=0)):
                if i % 500 == 0:
                    peak = max(peak, rss())
        else:
            from lxml import etree
            tree = etree.fromstring(body)
            peak = rss()
        print(peak - before, len(text))
        """
    )

    def run(mode: str) -> tuple[int, int]:
        out = subprocess.run(
            [sys.executable, "-c", script, mode], capture_output=True, text=True, check=True
        ).stdout.split()
        return int(out[0]), int(out[1])

    streamed, size = run("stream")
    whole_tree, _ = run("tree")
    assert whole_tree > size  # the comparison is meaningful: a full tree is big
    assert streamed < size / 4, (streamed, size, whole_tree)


# --- the repeatable-element constant against the XSDs ---------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_repeatable_constant_covers_synced_rets(
    version: str, xsd: Callable[[str], XsdModel]
) -> None:
    pairs = xsd(version).parent_child_repeat(SYNCED_RETS)
    missing = sorted(k for k, rep in pairs.items() if rep and not is_repeatable(*k))
    wrongly_listed = sorted(k for k, rep in pairs.items() if not rep and is_repeatable(*k))
    assert not missing, missing
    assert not wrongly_listed, wrongly_listed


@pytest.mark.parametrize("version", VERSIONS)
def test_repeatable_constant_covers_every_ret(
    version: str, xsd_files: Callable[[str], XsdModel]
) -> None:
    model = xsd_files(version)
    pairs = model.parent_child_repeat(model.ret_element_names())
    missing = sorted(k for k, rep in pairs.items() if rep and not is_repeatable(*k))
    wrongly_listed = sorted(k for k, rep in pairs.items() if not rep and is_repeatable(*k))
    assert not missing, missing
    assert not wrongly_listed, wrongly_listed


def test_repeatable_constant_has_no_dead_entries(xsd_files: Callable[[str], XsdModel]) -> None:
    repeated: set[str] = set()
    pairs_seen: set[tuple[str, str]] = set()
    for version in VERSIONS:
        model = xsd_files(version)
        for key, rep in model.parent_child_repeat(model.ret_element_names()).items():
            if rep:
                repeated.add(key[1])
                pairs_seen.add(key)
    assert repeated >= REPEATABLE_ELEMENTS
    assert pairs_seen >= REPEATABLE_IN_PARENT


def test_events_types_exported() -> None:
    assert {MessageSet, ResponseStart, Record, ResponseEnd}


# --- whole-document and streaming paths agree -----------------------------------------------


def _events(text: str, whole: bool) -> list[object]:
    return list(iter_response(text, whole_document_max_chars=len(text) if whole else 0))


@pytest.mark.parametrize("parse_mode", ["whole"], indirect=True)  # compares both itself
def test_whole_and_streamed_parsing_agree_on_every_reference_response(
    reference_dir: Path, parse_mode: str
) -> None:
    texts: list[str] = []
    for path in sorted(reference_dir.rglob("*.xml")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        if "QBXMLMsgsRs" not in raw or "<!DOCTYPE" in raw:
            continue
        envelope = "<soap:Envelope" in raw[:500] and "responseXML" in raw
        texts.append(soap_response_text(path) if envelope else raw)
    for path in sorted((reference_dir / "logs").glob("*.txt")):
        texts.extend(log_responses(path))
    parsed = 0
    for text in texts:
        try:
            whole = _events(text, whole=True)
        except QbxmlParseError:
            with pytest.raises(QbxmlParseError):
                _events(text, whole=False)
            continue
        assert whole == _events(text, whole=False)
        parsed += 1
    assert parsed >= 5, parsed


@pytest.mark.parametrize("parse_mode", ["whole"], indirect=True)  # compares both itself
def test_whole_and_streamed_parsing_agree_on_simulated_pages(parse_mode: str) -> None:
    from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks

    fake = FakeQuickBooks(CompanyFile.generate(seed=3, profile="small"))
    fake.open_session(app_name="t", owner_id="{0}", file_id="{1}")
    for query in ("Vendor", "Bill", "Item", "Check", "BillPaymentCheck"):
        extra = (
            "<IncludeLineItems>true</IncludeLineItems><IncludeLinkedTxns>true</IncludeLinkedTxns>"
            if query in ("Bill", "Check")
            else ""
        )
        text = fake.process(
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
            f'"stopOnError"><{query}QueryRq requestID="1">{extra}</{query}QueryRq>'
            "</QBXMLMsgsRq></QBXML>"
        )
        whole = _events(text, whole=True)
        assert sum(isinstance(e, Record) for e in whole) > 0, query
        assert whole == _events(text, whole=False), query


@pytest.mark.parametrize(
    "dirty",
    ["\x00", "\x08", "\x0b", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff", "&#0;", "&#x1F;",
     "&#xD800;", "&#xFFFE;", "&#65535;"],
)  # fmt: skip
def test_every_illegal_character_is_removed_in_both_paths(dirty: str) -> None:
    text = _one_vendor('<?xml version="1.0" ?>', f"A{dirty}B&#233;")
    assert _events(text, whole=True) == _events(text, whole=False)
    assert parse_response(text).responses[0].data == [{"Name": "AB\u00e9"}]


# --- QuickBooks' layout: a line break after every element --------------------------------------


def _quickbooks_layout(text: str) -> str:
    """``text`` as QuickBooks writes a response: every element on a line of its own."""
    return text.replace("><", ">\n<")


def simulated_vendor_page() -> str:
    """A page of vendors from the simulator (no line breaks between its elements)."""
    from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks

    fake = FakeQuickBooks(CompanyFile.generate(seed=3, profile="small"))
    fake.open_session(app_name="t", owner_id="{0}", file_id="{1}")
    return fake.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
        '"stopOnError"><VendorQueryRq requestID="1"/></QBXMLMsgsRq></QBXML>'
    ).replace(">\n<", "><")


def _leaves_vendor(memo: str) -> str:
    return (
        '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n'
        '<VendorQueryRs requestID="1" statusCode="0" statusSeverity="Info">\n<VendorRet>\n'
        "<ListID>80000001-1</ListID>\n<Name>Acme</Name>\n<VendorAddress>\n<Addr1>1 Main</Addr1>\n"
        f"</VendorAddress>\n<Notes>{memo}</Notes>\n</VendorRet>\n</VendorQueryRs>\n</QBXMLMsgsRs>\n"
        "</QBXML>\n"
    )


def test_the_line_breaks_between_elements_are_not_built() -> None:
    """A page in QuickBooks' layout is parsed without its blank text nodes (a fifth of the
    parsing), into the same records as the same page without line breaks."""
    page = simulated_vendor_page()
    laid_out = _quickbooks_layout(page)
    assert laid_out.count("\n") > 1000
    _body, root = parse_whole(laid_out, body_offset(laid_out))
    blanks = [el for el in root.iter() for t in (el.text, el.tail) if t and t.isspace()]
    assert blanks == []
    assert _events(laid_out, whole=True) == _events(page, whole=True)
    assert _events(laid_out, whole=True) == _events(laid_out, whole=False)


@pytest.mark.parametrize("memo", ["  ", "\n", " \t\n ", " a ", "  &amp; "])
def test_blanks_inside_an_element_are_its_value(memo: str) -> None:
    text = _leaves_vendor(memo)
    records = parse_response(text).responses[0].data
    assert records[0]["Notes"] == memo.replace("&amp;", "&")
    assert records[0]["VendorAddress"] == {"Addr1": "1 Main"}
    assert _events(text, whole=True) == _events(text, whole=False)


@pytest.mark.parametrize(
    "memo", ["  <!-- a comment -->x", "  <![CDATA[x]]>", "  <?pi x?>y", "\n<!---->\n"]
)
def test_a_document_with_comments_cdata_or_instructions_keeps_every_blank(memo: str) -> None:
    """libxml2 would drop the blanks before a comment, CDATA section or processing instruction
    inside a value: such a document is parsed with every blank kept, as the streaming path
    does."""
    text = _leaves_vendor(memo)
    assert parse_module._markup_only(text[body_offset(text) :]) is False
    assert _events(text, whole=True) == _events(text, whole=False)


@pytest.mark.parametrize(
    ("memo", "markup_only"),
    [
        ("Hello!", True),  # a "!" in text, no "<!"
        ("Why? Because!", True),  # "?" and "!" in text, no markup
        ("Hi! <!-- note --> there", False),
        ("Why? <?pi x?>", False),
        ("<![CDATA[a]]>!", False),
        ("plain", True),
    ],
)
def test_markup_is_found_whatever_else_the_text_holds(memo: str, markup_only: bool) -> None:
    """The search for ``<!`` and ``<?`` first looks for their rare second character alone;
    that shortcut must never hide markup that is there, nor invent it."""
    text = _leaves_vendor(memo)
    assert parse_module._markup_only(text[body_offset(text) :]) is markup_only
    assert _events(text, whole=True) == _events(text, whole=False)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE QBXML [<!ENTITY x "y">]>',
        "<!DOCTYPE QBXML>",
    ],
)
def test_a_dtd_is_refused_in_a_page_full_of_exclamation_marks(doctype: str) -> None:
    text = _leaves_vendor("Wow! Great!").replace("<QBXML>", doctype + "<QBXML>", 1)
    assert doctype in text
    with pytest.raises(UnsafeXmlError):
        body_offset(text)

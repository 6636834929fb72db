"""Document assembly: prolog, message-set attributes, ASCII serialization with character
references, control-character stripping."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.other_queries import HostQuery
from qbwc_server.qbxml.queries import ListQuery
from qbwc_server.qbxml.query_parts import NameFilter
from qbwc_server.qbxml.schema_order import Address
from qbwc_server.qbxml.writes import VendorAdd
from tests.qbxml.conftest import Validator

TRICKY = 'Caf\u00e9 D\u00e9cor & <Sons> "Ltd" \u2013 Stra\u00dfe \u20ac \U0001f600'


def _body(document: str) -> etree._Element:
    return etree.fromstring(re.sub(r"^<\?xml[^>]*\?>", "", document).encode("ascii"))


def test_prolog_written_by_hand() -> None:
    doc = build_document([HostQuery()], version="13.0")
    lines = doc.split("\n")
    assert lines[0] == '<?xml version="1.0" encoding="utf-8"?>'
    assert lines[1] == '<?qbxml version="13.0"?>'
    assert lines[2].startswith('<QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq')
    assert "us-ascii" not in doc


def test_non_ascii_and_markup_become_references(validate_doc: Validator) -> None:
    doc = build_document([VendorAdd(name="Caf\u00e9", notes=TRICKY)], version="16.0")
    doc.encode("ascii")  # pure ASCII: raises if any raw non-ASCII character slipped through
    assert "Caf&#233;" in doc
    assert "&amp; &lt;Sons&gt;" in doc
    assert "&#8364;" in doc and "&#128512;" in doc  # euro sign, emoji (non-BMP)
    root = validate_doc(doc, "16.0")
    assert root.findtext("QBXMLMsgsRq/VendorAddRq/VendorAdd/Notes") == TRICKY


def test_quotes_in_attributes_are_escaped() -> None:
    doc = build_document([HostQuery(request_id='a"b<c')], version="13.0")
    assert 'requestID="a&quot;b&lt;c"' in doc
    assert _body(doc).find("QBXMLMsgsRq/HostQueryRq").get("requestID") == 'a"b<c'  # type: ignore[union-attr]


def test_control_characters_stripped(validate_doc: Validator) -> None:
    vendor = VendorAdd(
        name="Acme\x00\x01 Ltd\x1f", vendor_address=Address(addr1="Line\x0b1\tTab"), notes="a\nb"
    )
    root = validate_doc(build_document([vendor], version="13.0"), "13.0")
    body = root.find("QBXMLMsgsRq/VendorAddRq/VendorAdd")
    assert body is not None
    assert body.findtext("Name") == "Acme Ltd"
    assert body.findtext("VendorAddress/Addr1") == "Line1\tTab"
    assert body.findtext("Notes") == "a\nb"


def test_filter_text_escaped_too(validate_doc: Validator) -> None:
    query = ListQuery(kind="Vendor", name_filter=NameFilter("Contains", "O'Brien & Sons"))
    root = validate_doc(build_document([query], version="13.0"), "13.0")
    assert root.findtext(".//NameFilter/Name") == "O'Brien & Sons"


def test_message_set_attributes(validate_doc: Validator) -> None:
    doc = build_document(
        [VendorAdd(name="A")],
        version="13.0",
        on_error="continueOnError",
        new_message_set_id="ms-00000000000000000001",
        old_message_set_id="ClearAllMessageSets",
    )
    msgs = validate_doc(doc, "13.0").find("QBXMLMsgsRq")
    assert msgs is not None
    assert msgs.get("onError") == "continueOnError"
    assert msgs.get("newMessageSetID") == "ms-00000000000000000001"
    assert msgs.get("oldMessageSetID") == "ClearAllMessageSets"


def test_several_requests_keep_their_order(validate_doc: Validator) -> None:
    requests = [HostQuery(request_id=str(i)) for i in range(5)]
    root = validate_doc(build_document(requests, version="16.0"), "16.0")
    assert [rq.get("requestID") for rq in root[0]] == ["0", "1", "2", "3", "4"]


def test_prebuilt_elements_accepted(validate_doc: Validator) -> None:
    element = ListQuery(kind="Account", active_status="All").to_element("13.0")
    validate_doc(build_document([element], version="13.0"), "13.0")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_error": "rollbackOnError"}, "rollbackOnError"),
        ({"new_message_set_id": "x" * 24}, "newMessageSetID"),
        ({"old_message_set_id": ""}, "oldMessageSetID"),
        ({"version": "13"}, "X.Y"),
    ],
)
def test_document_refusals(kwargs: dict[str, str], message: str) -> None:
    args = {"version": "13.0", **kwargs}
    with pytest.raises(ValueError, match=message):
        build_document([HostQuery()], **args)  # type: ignore[arg-type]


def test_empty_message_set_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_document([], version="13.0")


def test_non_request_element_refused() -> None:
    with pytest.raises(ValueError, match="not a qbXML request"):
        build_document([etree.Element("VendorRet")], version="13.0")

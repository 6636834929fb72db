"""DOCTYPE refusal in every qbXML string we parse holds by construction (issue 9: the text check
ran before character cleaning, so ``<!&#1;DOCTYPE`` passed it), and an HCP that only starts
after removed characters (``&#1;<?xml ...?>``) is still read."""

from __future__ import annotations

from typing import Any

import pytest

from qbwc_server.qbxml.hcp import parse_hcp
from qbwc_server.qbxml.parse import UnsafeXmlError, iter_response
from tests.foundation.helpers import QbwcSessionDriver, api, create_company, qwc_fields
from tests.soap_util import make_hcp

PAGE = (
    '<QBXML><QBXMLMsgsRs><VendorQueryRs requestID="1" statusCode="0" statusSeverity="Info" '
    'statusMessage="Status OK"><VendorRet><Name>&x;</Name></VendorRet></VendorQueryRs>'
    "</QBXMLMsgsRs></QBXML>"
)
# Spellings libxml2 reads as a DOCTYPE once the XML-illegal characters are cleaned out.
PROLOGS = {
    "charref": '<!&#1;DOCTYPE QBXML [<!&#1;ENTITY x "boom">]>',
    "hex-charref": '<!&#x1F;DOCTYPE QBXML [<!&#x1F;ENTITY x "boom">]>',
    "raw-control": '<!\x01DOCTYPE QBXML [<!\x02ENTITY x "boom">]>',
    "external": '<!&#1;DOCTYPE QBXML [<!&#1;ENTITY x SYSTEM "file:///etc/passwd">]>',
    "plain": '<!DOCTYPE QBXML [<!ENTITY x "boom">]>',
}


@pytest.mark.parametrize("prolog", sorted(PROLOGS))
@pytest.mark.parametrize("whole", [None, 0], ids=["whole-document", "streamed"])
def test_response_with_a_doctype_is_refused(prolog: str, whole: int | None) -> None:
    text = '<?xml version="1.0" ?>' + PROLOGS[prolog] + PAGE
    with pytest.raises(UnsafeXmlError):
        list(iter_response(text, whole_document_max_chars=whole))


@pytest.mark.parametrize("prolog", sorted(PROLOGS))
def test_hcp_with_a_doctype_is_refused(prolog: str) -> None:
    hcp = make_hcp(owner_id=None, file_id=None, company_name="&x;")
    body = hcp.split("?>", 1)[1]
    with pytest.raises(UnsafeXmlError):
        parse_hcp(PROLOGS[prolog] + body)
    with pytest.raises(UnsafeXmlError):  # a broken one goes through the recovering parser
        parse_hcp(PROLOGS[prolog] + body.replace("</HostRet>", "</Host>"))


def test_declaration_uncovered_by_cleaning_is_dropped() -> None:
    page = PAGE.replace("&x;", "Zoë")
    decl = '<?xml version="1.0" encoding="windows-1252"?>'
    for whole in (None, 0):
        records = [
            e.data
            for e in iter_response("&#1;" + decl + page, whole_document_max_chars=whole)
            if hasattr(e, "data")
        ]
        assert records == [{"Name": "Zoë"}]  # not "ZoÃ«": the bytes parsed are UTF-8
    hcp = make_hcp(owner_id=None, file_id=None, company_name="Zoë Supplies")
    hcp = "&#1;" + hcp.replace('<?xml version="1.0" ?>', '<?xml version="1.0" encoding="utf-8"?>')
    assert parse_hcp(hcp).company_name == "Zoë Supplies"


def test_hcp_starting_with_a_character_reference_binds_the_file(live_server: Any) -> None:
    company = create_company(live_server.url)
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"])
    hcp = "&#1;" + hcp.replace('<?xml version="1.0" ?>', '<?xml version="1.0" encoding="utf-8"?>')
    request = wc.send_request(hcp)
    assert request.startswith("<?xml"), wc.last_error()
    _, view, _ = api(live_server.url, "GET", f"/api/companies/{company['id']}")
    assert view["binding"]["bound"] is True


def test_hcp_with_a_hidden_doctype_is_refused_over_soap(live_server: Any) -> None:
    company = create_company(live_server.url)
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"], company_name="&x;")
    assert wc.send_request(PROLOGS["charref"] + hcp.split("?>", 1)[1]) == ""
    assert "could not be read" in wc.last_error()
    _, view, _ = api(live_server.url, "GET", f"/api/companies/{company['id']}")
    assert view["binding"]["bound"] is False

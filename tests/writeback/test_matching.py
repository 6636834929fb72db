"""The "same vendor" rule used when QuickBooks says a vendor name is taken (3100)."""

from __future__ import annotations

from qbwc_server.writeback.matching import differences, is_same_vendor, same_guid

EXISTING = {
    "Name": "Acme Paper",
    "CompanyName": "Acme  Paper Inc.",
    "Email": "AP@acme.example",
    "Phone": "(555) 010-2000",
    "VendorTaxIdent": "12-3456789",
    "VendorAddress": {"Addr1": "1 Main St", "City": "Springfield", "PostalCode": "12345-6789"},
}
GUID = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"


def test_no_contradicting_detail_means_the_same_vendor() -> None:
    assert is_same_vendor({"name": "acme paper"}, EXISTING, GUID)
    same = {
        "name": "Acme Paper",
        "company_name": "acme paper inc.",
        "email": " ap@ACME.example ",
        "phone": "555-010-2000",
        "tax_id": "123456789",
        "address": {"addr1": "1 MAIN ST", "postal_code": "12345 6789", "city": "springfield"},
        "account_number": "A-1",  # QuickBooks has none: nothing to contradict
    }
    assert differences(same, EXISTING) == []
    assert is_same_vendor(same, EXISTING, GUID)


def test_one_contradicting_detail_means_another_vendor() -> None:
    assert differences({"name": "Acme Paper", "email": "x@y.example"}, EXISTING) == ["email"]
    other = {"tax_id": "98-7654321", "address": {"postal_code": "99999"}}
    assert differences(other, EXISTING) == ["tax ID", "postal code"]
    assert not is_same_vendor(other, EXISTING, GUID)


def test_our_own_marker_wins() -> None:
    ours = dict(EXISTING, ExternalGUID=GUID.lower().strip("{}"))
    assert is_same_vendor({"email": "different@x.example"}, ours, GUID)
    assert same_guid(GUID, "{" + GUID.strip("{}").lower() + "}")
    assert not same_guid(GUID, None) and not same_guid(None, None)

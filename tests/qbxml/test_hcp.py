"""strHCPResponse parsing: the real (corrupted) QuickBooks Pro 2014 capture and a well-formed
synthetic one."""

from __future__ import annotations

from pathlib import Path

import pytest

from qbwc_server.qbxml.hcp import parse_hcp
from qbwc_server.qbxml.parse import UnsafeXmlError
from qbwc_server.qbxml.versions import choose_qbxml_version

OWNER = "{512349B1-1111-2222-3333-000DE1813D20}"


@pytest.fixture(scope="module")
def capture(reference_dir: Path) -> str:
    return (reference_dir / "soap-captures" / "qbwc-gem-strHCPResponse-QBPro2014.xml").read_text()


def test_capture_needs_recovery_and_yields_host_data(capture: str) -> None:
    hcp = parse_hcp(capture)
    assert hcp.recovered is True  # the published capture is not well-formed
    assert hcp.product_name == "QuickBooks Pro 2014"
    assert (hcp.major_version, hcp.minor_version, hcp.country) == (24, 0, "US")
    assert hcp.supported_qbxml_versions[0] == "1.0"
    assert hcp.supported_qbxml_versions[-1] == "13.0"
    assert len(hcp.supported_qbxml_versions) == 16
    assert hcp.file_mode == "SingleUser" and hcp.is_automatic_login is False
    assert hcp.host["SupportedQBXMLVersion"] == list(hcp.supported_qbxml_versions)
    assert hcp.host_status is not None and hcp.host_status.status_code == 0


def test_capture_company_and_data_extensions(capture: str) -> None:
    hcp = parse_hcp(capture)
    assert hcp.company_name == "myCompany"
    assert hcp.legal_company_name == "myCompany Legal Name"
    assert hcp.file_id_for(OWNER) == "{00000ee-1111-ffff-cccc-5ff123456047}"
    assert hcp.file_id_for(OWNER.lower()) == "{00000ee-1111-ffff-cccc-5ff123456047}"
    assert hcp.app_lock_for(OWNER) == "LOCKED:REDACTED:631234599990000223"
    assert hcp.file_id_for("{00000000-0000-0000-0000-000000000000}") is None
    assert hcp.company_status is not None and hcp.company_status.request_id == "1"


def test_capture_preferences(capture: str) -> None:
    hcp = parse_hcp(capture)
    assert hcp.is_using_class_tracking is False
    assert hcp.is_using_account_numbers is False
    assert hcp.is_using_inventory is False
    assert hcp.days_bills_are_due == 10
    assert hcp.is_multi_currency_on is False
    assert hcp.is_personal_data_access_allowed is False
    assert hcp.preferences["AccountingPreferences"]["IsUsingAuditTrail"] == "true"
    assert hcp.preferences_status is not None and hcp.preferences_status.request_id == "2"


def test_ein_presence_only(capture: str) -> None:
    hcp = parse_hcp(capture)
    assert hcp.has_ein is True
    assert "12-3456789" not in repr(hcp)
    assert "EIN" not in hcp.company


def test_capture_gives_version_13(capture: str) -> None:
    hcp = parse_hcp(capture)
    choice = choose_qbxml_version(hcp.supported_qbxml_versions)
    assert choice.version == "13.0" and choice.source == "hcp"


WELL_FORMED = """<?xml version="1.0" encoding="windows-1252"?>
<QBXML><QBXMLMsgsRs>
<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<HostRet><ProductName>QuickBooks Enterprise Solutions: Accountant Edition 24.0</ProductName>
<MajorVersion>34</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country>
<SupportedQBXMLVersion>13.0</SupportedQBXMLVersion><SupportedQBXMLVersion>14.0</SupportedQBXMLVersion>
<SupportedQBXMLVersion>15.0</SupportedQBXMLVersion><SupportedQBXMLVersion>16.0</SupportedQBXMLVersion>
<IsAutomaticLogin>true</IsAutomaticLogin><QBFileMode>MultiUser</QBFileMode></HostRet></HostQueryRs>
<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>Caf&#233; Ltd</CompanyName>
<DataExtRet><OwnerID>{512349B1-1111-2222-3333-000DE1813D20}</OwnerID><DataExtName>FileID</DataExtName>
<DataExtType>STR255TYPE</DataExtType><DataExtValue>{AAAAAAAA-1111-2222-3333-444444444444}</DataExtValue>
</DataExtRet></CompanyRet></CompanyQueryRs>
<PreferencesQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<PreferencesRet><AccountingPreferences><IsUsingAccountNumbers>true</IsUsingAccountNumbers>
<IsRequiringAccounts>true</IsRequiringAccounts><IsUsingClassTracking>true</IsUsingClassTracking>
</AccountingPreferences><MultiCurrencyPreferences><IsMultiCurrencyOn>true</IsMultiCurrencyOn>
<HomeCurrencyRef><FullName>US Dollar</FullName></HomeCurrencyRef></MultiCurrencyPreferences>
<PurchasesAndVendorsPreferences><IsUsingInventory>true</IsUsingInventory>
<DaysBillsAreDue>30</DaysBillsAreDue></PurchasesAndVendorsPreferences></PreferencesRet>
</PreferencesQueryRs></QBXMLMsgsRs></QBXML>"""


def test_well_formed_hcp() -> None:
    hcp = parse_hcp(WELL_FORMED)
    assert hcp.recovered is False
    assert hcp.company_name == "Caf\u00e9 Ltd" and hcp.has_ein is False
    assert hcp.file_mode == "MultiUser" and hcp.is_automatic_login is True
    assert hcp.is_using_class_tracking is True and hcp.is_using_inventory is True
    assert hcp.is_using_account_numbers is True and hcp.days_bills_are_due == 30
    assert hcp.is_multi_currency_on is True and hcp.home_currency == "US Dollar"
    assert hcp.file_id_for(OWNER) == "{AAAAAAAA-1111-2222-3333-444444444444}"
    assert hcp.app_lock_for(OWNER) is None
    assert choose_qbxml_version(hcp.supported_qbxml_versions).version == "16.0"


def test_empty_hcp_on_later_calls() -> None:
    hcp = parse_hcp("")
    assert hcp.product_name is None and hcp.supported_qbxml_versions == ()


def test_hcp_refuses_entities() -> None:
    with pytest.raises(UnsafeXmlError):
        parse_hcp('<!DOCTYPE x [<!ENTITY a "b">]><QBXML>&a;</QBXML>')

"""Read the strHCPResponse (Host, Company, Preferences) into CompanyFileFacts (§3.4, §6.9)."""

from __future__ import annotations

from typing import Any

from qbwc_server.engine.verification import CompanyFileFacts
from qbwc_server.qbxml.hcp import HostCompanyPreferences, parse_hcp
from qbwc_server.qbxml.parse import QbxmlParseError
from qbwc_server.services.connectors import machine_from_app_lock

# Preference flags the sync and the status page use (PreferencesRet, §6.9).
_FLAGS = {
    "IsUsingClassTracking": "is_using_class_tracking",
    "IsUsingAccountNumbers": "is_using_account_numbers",
    "IsUsingInventory": "is_using_inventory",
    "IsMultiCurrencyOn": "is_multi_currency_on",
    "IsAutomaticLoginAllowed": "is_automatic_login_allowed",
    "IsPersonalDataAccessAllowed": "is_personal_data_access_allowed",
}


def _preferences(hcp: HostCompanyPreferences) -> dict[str, Any]:
    prefs: dict[str, Any] = {}
    for flag, attr in _FLAGS.items():
        value = getattr(hcp, attr)
        if value is not None:
            prefs[flag] = value
    if hcp.days_bills_are_due is not None:
        prefs["DaysBillsAreDue"] = hcp.days_bills_are_due
    if hcp.home_currency:
        prefs["HomeCurrency"] = hcp.home_currency
    if hcp.file_mode:
        prefs["QBFileMode"] = hcp.file_mode
    return prefs


def facts_from_hcp(
    text: str, owner_id: str, company_file_name: str | None
) -> CompanyFileFacts | None:
    """None when the text cannot be read at all (the session is then refused)."""
    try:
        hcp = parse_hcp(text)
    except QbxmlParseError:
        return None
    if not hcp.host and not hcp.company:
        return None
    others = {
        ext.owner_id: ext.value
        for ext in hcp.data_extensions
        if ext.name == "FileID"
        and ext.value
        and ext.owner_id.strip().upper() != owner_id.strip().upper()
    }
    version = (
        f"{hcp.major_version}.{hcp.minor_version or 0}" if hcp.major_version is not None else None
    )
    return CompanyFileFacts(
        file_stamp=hcp.file_id_for(owner_id),
        company_name=hcp.company_name,
        file_path=company_file_name or None,
        product=hcp.product_name,
        version=version,
        country=hcp.country,
        supported_versions=list(hcp.supported_qbxml_versions),
        preferences=_preferences(hcp),
        other_stamps=others,
        machine_name=machine_from_app_lock(hcp.app_lock_for(owner_id)),
    )

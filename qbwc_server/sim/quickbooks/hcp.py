"""Host, Company and Preferences data: what QBWC sends as ``strHCPResponse`` (§3.4, §6.9).

Shapes follow the real QB Pro 2014 HCP capture (``reference/soap-captures``) and the XSDs.
"""

from __future__ import annotations

from typing import Any

from .company_data import CompanyData

# Every qbXML version a current QuickBooks Desktop accepts (§6.9: newer QB accepts all older).
ALL_QBXML_VERSIONS: tuple[str, ...] = (
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
    "14.0",
    "15.0",
    "16.0",
)


def company_info(name: str) -> dict[str, Any]:
    """CompanyRet without DataExtRet (the data extensions are added per query)."""
    return {
        "IsSampleCompany": False,
        "CompanyName": name,
        "LegalCompanyName": f"{name} Legal Name",
        "Address": {
            "Addr1": "100 Market St",
            "City": "San Francisco",
            "State": "CA",
            "PostalCode": "94105",
            "Country": "US",
        },
        "AddressBlock": {
            "Addr1": name,
            "Addr2": "100 Market St",
            "Addr3": "San Francisco CA 94105",
        },
        "LegalAddress": {
            "Addr1": "100 Market St",
            "City": "San Francisco",
            "State": "CA",
            "PostalCode": "94105",
            "Country": "US",
        },
        "Phone": "415-555-0100",
        "Email": "ap@example.com",
        "FirstMonthFiscalYear": "January",
        "FirstMonthIncomeTaxYear": "January",
        "CompanyType": "WholesaleDistribution",
        "EIN": "12-3456789",
        "TaxForm": "Form1120",
        "SubscribedServices": {
            "Service": [
                {
                    "Name": "QuickBooks Online Banking",
                    "Domain": "banking.qb",
                    "ServiceStatus": "Never",
                },
                {
                    "Name": "QuickBooks Bill Payment",
                    "Domain": "billpay.qb",
                    "ServiceStatus": "Never",
                },
            ]
        },
        "AccountantCopy": {"AccountantCopyExists": False},
    }


def host_ret(
    *,
    product_name: str,
    major_version: str,
    minor_version: str,
    country: str,
    supported_versions: tuple[str, ...],
    file_mode: str,
    automatic_login: bool = False,
) -> dict[str, Any]:
    return {
        "ProductName": product_name,
        "MajorVersion": major_version,
        "MinorVersion": minor_version,
        "Country": country,
        "SupportedQBXMLVersion": list(supported_versions),
        "IsAutomaticLogin": automatic_login,
        "QBFileMode": file_mode,
    }


def preferences_ret(company: CompanyData) -> dict[str, Any]:
    prefs = company.preferences
    out: dict[str, Any] = {
        "AccountingPreferences": {
            "IsUsingAccountNumbers": prefs.account_numbers,
            "IsRequiringAccounts": True,
            "IsUsingClassTracking": prefs.class_tracking,
            "IsUsingAuditTrail": True,
            "IsAssigningJournalEntryNumbers": True,
        },
        "FinanceChargePreferences": {
            "AnnualInterestRate": "0.00",
            "MinFinanceCharge": "0.00",
            "GracePeriod": 0,
            "IsAssessingForOverdueCharges": False,
            "CalculateChargesFrom": "DueDate",
            "IsMarkedToBePrinted": False,
        },
        "JobsAndEstimatesPreferences": {
            "IsUsingEstimates": True,
            "IsUsingProgressInvoicing": False,
            "IsPrintingItemsWithZeroAmounts": False,
        },
        "MultiCurrencyPreferences": {"IsMultiCurrencyOn": prefs.multicurrency},
        "MultiLocationInventoryPreferences": {
            "IsMultiLocationInventoryAvailable": False,
            "IsMultiLocationInventoryEnabled": False,
        },
        "PurchasesAndVendorsPreferences": {
            "IsUsingInventory": prefs.inventory,
            "DaysBillsAreDue": prefs.days_bills_are_due,
            "IsAutomaticallyUsingDiscounts": False,
        },
        "ReportsPreferences": {
            "AgingReportBasis": "AgeFromDueDate",
            "SummaryReportBasis": "Accrual",
        },
        "SalesAndCustomersPreferences": {
            "IsTrackingReimbursedExpensesAsIncome": False,
            "IsAutoApplyingPayments": True,
            "PriceLevels": {"IsUsingPriceLevels": True, "IsRoundingSalesPriceUp": True},
        },
        "TimeTrackingPreferences": {"FirstDayOfWeek": "Monday"},
        "CurrentAppAccessRights": {
            "IsAutomaticLoginAllowed": False,
            "IsPersonalDataAccessAllowed": False,
        },
        "ItemsAndInventoryPreferences": {
            "EnhancedInventoryReceivingEnabled": False,
            "IsTrackingSerialOrLotNumber": "None",
            "FIFOEnabled": False,
            "IsRSBEnabled": False,
            "IsBarcodeEnabled": False,
        },
    }
    if prefs.multicurrency:
        home = company.tables["Currency"].find_by_name("US Dollar")
        if home:
            out["MultiCurrencyPreferences"]["HomeCurrencyRef"] = company.ref(home)
    return out

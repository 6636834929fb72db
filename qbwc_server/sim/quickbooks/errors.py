"""What the QuickBooks request processor raises instead of answering (protocol doc §5).

QBWC passes these HRESULTs on: a failed OpenConnection/BeginSession goes to the server's
``connectionError(ticket, hresult, message)``; a request processor that throws while handling a
request document goes to ``receiveResponseXML(ticket, "", hresult, message)``.
"""

from __future__ import annotations

# Wording condensed from protocol doc §5 (itself from Intuit's samples and the SDK's message table).
HRESULT_MESSAGES: dict[str, str] = {
    "0x80040400": "QuickBooks found an error when parsing the provided XML text stream.",
    "0x80040401": "Could not access QuickBooks.",
    "0x80040402": "Unexpected error. Check the qbsdklog.txt file for possible additional "
    "information.",
    "0x80040408": "Could not start QuickBooks.",
    "0x80040409": "The version of QuickBooks currently being used cannot open this company file.",
    "0x8004040A": "A QuickBooks company data file is already open and it is different from the "
    "one requested.",
    "0x8004040D": "The ticket parameter is invalid.",
    "0x80040410": "The QuickBooks company data file is currently open in a mode other than the one "
    "specified by your application.",
    "0x80040414": "A modal dialog box is showing in the QuickBooks user interface. Your "
    "application cannot access QuickBooks until the user dismisses the dialog box.",
    "0x80040416": "If QuickBooks is not running, the company data file name must be supplied to "
    "BeginSession.",
    "0x80040417": "If the QuickBooks company data file is not open, a call to the BeginSession "
    "method must include the name of the data file.",
    "0x80040418": "This application has not accessed this QuickBooks company data file before. "
    "Only the QuickBooks administrator can grant an application permission to access a "
    "QuickBooks company data file for the first time.",
    "0x8004041A": "This application does not have permission to access this QuickBooks company "
    "data file. The QuickBooks administrator can grant access permission through the "
    "Integrated Application preferences.",
    "0x8004041B": "Unable to lock the necessary information to allow this application to access "
    "this company data file. Try again later.",
    "0x8004041D": "This application is not allowed to log into this QuickBooks company data file "
    "automatically.",
    "0x80040420": "The QuickBooks user has denied access.",
    "0x80040422": "This application requires Single User file access mode and there is already "
    "another application sharing data with this QuickBooks company data file.",
    "0x80040423": "The version of qbXML that was requested is not supported or is unknown.",
    "0x80040424": "QuickBooks did not finish its initialization. Please try again later.",
}

PARSE_ERROR = "0x80040400"
UNSUPPORTED_VERSION = "0x80040423"


class QBError(Exception):
    """Base: an HRESULT from the QuickBooks request processor (``.hresult``, ``.message``)."""

    def __init__(self, hresult: str, message: str | None = None) -> None:
        self.hresult = hresult
        self.message = message if message is not None else HRESULT_MESSAGES.get(hresult, "")
        super().__init__(f"{hresult}: {self.message}")


class QBConnectionError(QBError):
    """OpenConnection/BeginSession failed: QBWC reports it through ``connectionError``."""


class QBRequestError(QBError):
    """ProcessRequest threw instead of returning a response document (e.g. 0x80040400)."""

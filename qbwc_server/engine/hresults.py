"""Plain words and reactions for request-processor HRESULTs (§5)."""

from __future__ import annotations

from typing import Literal

Reaction = Literal["done", "retry_with_path"]

# §5: the QuickBooks request processor's HRESULTs with wording a bookkeeper can act on.
_TEXT: dict[str, str] = {
    "0x80040400": "QuickBooks could not parse a request from the server (0x80040400). The request "
    "was skipped and logged for support.",
    "0x80040401": "The Web Connector could not access QuickBooks (0x80040401).",
    "0x80040402": "QuickBooks reported an unexpected error (0x80040402); see qbsdklog.txt.",
    "0x80040408": "QuickBooks could not be started (0x80040408). Open QuickBooks and the company "
    "file on the Web Connector PC, then run the update again.",
    "0x80040409": "This QuickBooks version cannot open the company file (0x80040409). Open the "
    "file in the QuickBooks version it belongs to.",
    "0x8004040A": "A different company file is open in QuickBooks (0x8004040A). Open the right "
    "company file and run the update again.",
    "0x80040410": "The company file is open in a different mode (single/multi-user) than needed "
    "(0x80040410).",
    "0x80040414": "A dialog box is open in QuickBooks (0x80040414). Close it and run the update "
    "again.",
    "0x80040416": "QuickBooks is not running and no company file was given (0x80040416). Open "
    "QuickBooks with the company file.",
    "0x80040417": "QuickBooks is running but no company file is open (0x80040417). Open the "
    "company file.",
    "0x80040418": "This application has not been authorized for the company file yet "
    "(0x80040418). Log in to QuickBooks as Admin in single-user mode, run the update and approve "
    "the application.",
    "0x8004041A": "This application does not have permission to access the company file "
    "(0x8004041A). The QuickBooks Admin can grant it under Edit > Preferences > Integrated "
    "Applications.",
    "0x8004041B": "QuickBooks could not lock the data it needed (0x8004041B); it will retry.",
    "0x8004041D": "QuickBooks does not allow this application to log in automatically "
    "(0x8004041D). Allow automatic login in Integrated Applications.",
    "0x80040420": "The QuickBooks user denied access to this application (0x80040420). "
    "Re-authorize it in Edit > Preferences > Integrated Applications.",
    "0x80040422": "QuickBooks needs single-user mode but another application is using the file "
    "(0x80040422); it will retry.",
    "0x80040423": "QuickBooks does not support the requested qbXML version (0x80040423).",
    "0x80040424": "QuickBooks has not finished starting (0x80040424); it will retry.",
}

# QuickBooks closed / no file open: naming our file once can open it (§3.7, §5).
_RETRY_WITH_PATH = {"0x80040416", "0x80040417"}


def normalize(hresult: str) -> str:
    h = hresult.strip()
    if h.lower().startswith("0x"):
        return "0x" + h[2:].upper()
    return h


def describe_hresult(hresult: str, message: str) -> str:
    code = normalize(hresult)
    text = _TEXT.get(code)
    if text:
        return text
    detail = f": {message.strip()}" if message and message.strip() else ""
    return f"QuickBooks reported error {code or '(none)'}{detail}"


def connection_error_reaction(hresult: str) -> Reaction:
    return "retry_with_path" if normalize(hresult) in _RETRY_WITH_PATH else "done"

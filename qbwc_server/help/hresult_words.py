"""HRESULTs of QuickBooks' request processor (docs/protocol.md §5), in the customer's words.

The protocol reactions to each code (connectionError answer, retry or not) stay in
``qbwc_server/qbxml/hresult.py``; only the words a person reads live here.
"""

from __future__ import annotations

from qbwc_server.help.entry import ACCOUNTING_MANAGER, OPERATOR, QUICKBOOKS_ADMIN, HelpEntry, entry
from qbwc_server.help.phrases import INTEGRATED_APPS, OPEN_AS_ADMIN, OPEN_FILE, RUN_AGAIN

_NEXT_RUN = "Nothing else to do: the next scheduled update tries again by itself."


def _h(code: str, who: str, title: str, cause: str, *steps: str) -> HelpEntry:
    return entry(code, "hresult", who, title, cause, *steps)


CATALOG: tuple[HelpEntry, ...] = (
    _h("0x80040400", OPERATOR, "QuickBooks could not read a request the server sent",
       "QuickBooks refused a request as unreadable (an element in the wrong order, or one this "
       "QuickBooks version does not know). The problem is in the server's request, not in the "
       "company file.",
       "Nothing to do in QuickBooks: the server drops that request, never sends it again "
       "unchanged, and goes on with the rest.",
       "If it repeats, the operator sends the session (Company Profile, session page) to the "
       "server's developers."),
    _h("0x80040401", QUICKBOOKS_ADMIN, "The Web Connector could not access QuickBooks",
       "QuickBooks' integration component did not respond; QuickBooks may be missing, damaged or "
       "unable to start on this PC.",
       "Make sure QuickBooks opens normally on this PC.", OPEN_FILE, RUN_AGAIN,
       "If it repeats, restart the PC."),
    _h("0x80040402", QUICKBOOKS_ADMIN, "QuickBooks reported an unexpected error",
       "QuickBooks' integration component failed without a specific reason; it writes details to "
       "its log qbsdklog.txt.",
       "Restart QuickBooks and the Web Connector.", RUN_AGAIN,
       "If it repeats, send QuickBooks' qbsdklog.txt and the Web Connector's QWCLog.txt to the "
       "operator."),
    _h("0x80040408", QUICKBOOKS_ADMIN, "QuickBooks could not be started",
       "The Web Connector had to start QuickBooks itself and could not: QuickBooks needs a user "
       "logged in with the company file open unless it is allowed to log in automatically.",
       OPEN_AS_ADMIN, OPEN_FILE, RUN_AGAIN),
    _h("0x80040409", QUICKBOOKS_ADMIN, "This QuickBooks version cannot open the company file",
       "Several QuickBooks versions are installed and the one that started cannot open this file "
       "(it was last used with another, usually newer, version).",
       "Close QuickBooks.",
       "Open the company file in the QuickBooks version it belongs to (usually the newest "
       "installed).", RUN_AGAIN),
    _h("0x8004040A", QUICKBOOKS_ADMIN, "A different company file is open in QuickBooks",
       "QuickBooks has another company file open than the one this connection syncs.",
       "In QuickBooks, close the open company file (File > Close Company).", OPEN_FILE,
       RUN_AGAIN),
    _h("0x8004040D", QUICKBOOKS_ADMIN, "The Web Connector's QuickBooks session was not valid",
       "The session between the Web Connector and QuickBooks ended or broke during the update.",
       "Restart QuickBooks and the Web Connector.", RUN_AGAIN),
    _h("0x80040410", QUICKBOOKS_ADMIN, "The company file is open in the other user mode",
       "The company file is open in single-user mode while multi-user was needed, or the other "
       "way round.",
       "Ask everyone else to close the company file.",
       "In QuickBooks, switch the file's mode (File > Switch to Single-user Mode, or back to "
       "multi-user).", RUN_AGAIN),
    _h("0x80040414", QUICKBOOKS_ADMIN, "A window is open in QuickBooks and blocks the update",
       "QuickBooks shows a message or dialog that waits for an answer; nothing else can use "
       "QuickBooks until it is closed.",
       "Go to QuickBooks and close the open message or window (OK or Cancel).", RUN_AGAIN),
    _h("0x80040416", QUICKBOOKS_ADMIN, "QuickBooks is not running",
       "QuickBooks was closed and the Web Connector did not know which company file to open. The "
       "server names the file it is bound to once; this shows when that did not help.",
       "Start QuickBooks and open the company file that belongs to this company.", RUN_AGAIN),
    _h("0x80040417", QUICKBOOKS_ADMIN, "No company file is open in QuickBooks",
       "QuickBooks runs, but without a company file open. The server names the file it is bound "
       "to once; this shows when that did not help.",
       OPEN_FILE, RUN_AGAIN),
    _h("0x80040418", QUICKBOOKS_ADMIN,
       "QuickBooks needs the administrator to allow this connection the first time",
       "This application has never accessed this company file; only the QuickBooks Admin user, "
       "in single-user mode, can allow the first access.",
       OPEN_AS_ADMIN, OPEN_FILE, RUN_AGAIN,
       "When QuickBooks asks about the application, choose 'Yes, whenever this QuickBooks company "
       "file is open', Login as Admin, tick 'Allow this application to access personal data', "
       "then Continue and Done."),
    _h("0x8004041A", QUICKBOOKS_ADMIN, "This connection may not access the company file",
       "QuickBooks' list of integrated applications does not allow this application.",
       INTEGRATED_APPS,
       "Select this application, click Properties, tick 'Allow this application to read and "
       "modify this company file', and click OK.", RUN_AGAIN),
    _h("0x8004041B", QUICKBOOKS_ADMIN, "QuickBooks could not lock the data the update needed",
       "Someone or something else in QuickBooks was using the same data.",
       _NEXT_RUN,
       "If it keeps happening, run updates at a time when nobody edits in QuickBooks."),
    _h("0x8004041C", QUICKBOOKS_ADMIN, "QuickBooks had an internal error opening the company file",
       "QuickBooks failed while opening the file for the Web Connector.",
       "Restart QuickBooks and open the company file yourself to check it opens.",
       "If QuickBooks reports a problem with the file, run File > Utilities > Verify Data.",
       RUN_AGAIN),
    _h("0x8004041D", QUICKBOOKS_ADMIN, "This connection may not log in to QuickBooks automatically",
       "The Web Connector ran while QuickBooks was closed, and QuickBooks does not allow this "
       "application to log in by itself.",
       INTEGRATED_APPS,
       "Select this application, click Properties, tick 'Allow this application to login "
       "automatically' and choose the Admin user.",
       "Or leave QuickBooks open with this company file when the Web Connector runs."),
    _h("0x8004041E", QUICKBOOKS_ADMIN, "The application's certificate has expired",
       "QuickBooks no longer accepts the certificate the Web Connector presented for this "
       "application.",
       "Install the latest QuickBooks Web Connector from Intuit.",
       "Remove this application from the Web Connector, add the .qwc again (Download Connector) "
       "and approve it in QuickBooks as Admin."),
    _h("0x8004041F", ACCOUNTING_MANAGER,
       "This QuickBooks edition cannot exchange data with other programs",
       "The installed QuickBooks edition does not accept connections from integrations.",
       "Use QuickBooks Desktop Pro, Premier or Enterprise for this company file."),
    _h("0x80040420", QUICKBOOKS_ADMIN, "A QuickBooks user refused this connection",
       "Someone answered No when QuickBooks asked whether to allow this application, or access "
       "was turned off in Integrated Applications.",
       INTEGRATED_APPS,
       "Make sure applications are allowed, select this application, click Properties and allow "
       "access.", RUN_AGAIN),
    _h("0x80040422", QUICKBOOKS_ADMIN, "Another program is using the company file",
       "QuickBooks needed the file to itself (single-user), but another integrated program shares "
       "it right now.",
       "Close the other programs connected to QuickBooks, or wait until they finish.",
       _NEXT_RUN),
    _h("0x80040423", QUICKBOOKS_ADMIN,
       "QuickBooks does not support the request version the server used",
       "The server chooses the qbXML version from what QuickBooks reports it supports; this "
       "QuickBooks refused it anyway.",
       "Update QuickBooks to its latest release (Help > Update QuickBooks Desktop).", RUN_AGAIN,
       "If it repeats, tell the operator."),
    _h("0x80040424", QUICKBOOKS_ADMIN, "QuickBooks had not finished starting",
       "The Web Connector reached QuickBooks while it was still opening.",
       "Wait until QuickBooks has fully opened the company file.", _NEXT_RUN),
    _h("0x80040427", ACCOUNTING_MANAGER, "This copy of QuickBooks is not registered",
       "QuickBooks only accepts connections from integrations once it is registered.",
       "Register QuickBooks (Help > Register QuickBooks Desktop).", RUN_AGAIN),
    _h("0x8004042A", QUICKBOOKS_ADMIN, "QuickBooks does not allow remote access",
       "The Web Connector reached QuickBooks from another machine or Windows session, which this "
       "QuickBooks does not allow.",
       "Run the Web Connector on the PC where QuickBooks runs, in the same Windows user session.",
       RUN_AGAIN),
    _h("0x8004042C", QUICKBOOKS_ADMIN, "The application's certificate was revoked",
       "QuickBooks no longer trusts the certificate the Web Connector presented.",
       "Install the latest QuickBooks Web Connector and update QuickBooks.",
       "Remove this application from the Web Connector, add the .qwc again and approve it as "
       "Admin."),
)  # fmt: skip

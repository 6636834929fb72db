"""The Web Connector's own error codes (docs/protocol.md §4.4), in the customer's words.

Meanings from Intuit's QBWC Programmer's Guide, Appendix A; QBWC1039 and QBWC1085 as users of
current Web Connectors report them (see §4.4 and §10). Codes the guide documents as a group share
one explanation.
"""

from __future__ import annotations

from collections.abc import Iterable

from qbwc_server.help.entry import ACCOUNTING_MANAGER, OPERATOR, QUICKBOOKS_ADMIN, HelpEntry, entry
from qbwc_server.help.phrases import NOTHING_LOST, OPEN_AS_ADMIN, OPEN_FILE, PASTE_KEY, RUN_AGAIN

_ADD_AGAIN = (
    "Download the .qwc again with Download Connector on the Company Profile and add it in the Web "
    "Connector (Add an application); it replaces the old one."
)
_SERVER_REACHABLE = (
    "On the QuickBooks PC, open the server's address (the AppURL, ending in /qbwc) in a browser: "
    "it must answer with a short text and no certificate warning."
)
_TELL_OPERATOR_SERVER = (
    "If it does not, or the error repeats, tell the operator: the server, its TLS certificate, or "
    "a proxy or firewall between the PC and the server needs fixing (the operator checks the "
    "server log, /healthz and /readyz)."
)


def _qbwc(code: int, who: str, title: str, cause: str, *steps: str) -> HelpEntry:
    return entry(f"QBWC{code}", "qbwc", who, title, cause, *steps)


def _group(codes: Iterable[int], who: str, title: str, cause: str, *steps: str) -> list[HelpEntry]:
    return [_qbwc(code, who, title, cause, *steps) for code in codes]


def _server_call_failed(code: int, method: str, extra: str = "") -> HelpEntry:
    return _qbwc(
        code,
        OPERATOR,
        f"The server failed while answering the Web Connector ({method})",
        f"The Web Connector's {method} call to the server ended in an error instead of an "
        "answer: the server was unreachable or restarting, answered with an error page, or a "
        f"proxy cut the connection.{extra}",
        NOTHING_LOST + " " + RUN_AGAIN,
        _SERVER_REACHABLE,
        _TELL_OPERATOR_SERVER,
    )


CATALOG: tuple[HelpEntry, ...] = (
    _qbwc(1000, OPERATOR, "The .qwc file's service and support addresses are on different domains",
          "The Web Connector requires the AppURL and the AppSupport address of the .qwc file to be "
          "on the same domain. The server always writes both from QBWC_PUBLIC_URL, so the file in "
          "use was edited or made elsewhere.",
          _ADD_AGAIN,
          "If a fresh .qwc shows it too, the operator checks QBWC_PUBLIC_URL."),
    _qbwc(1001, OPERATOR, "The .qwc file's service address is an IP address",
          "The Web Connector accepts only host names (https://sync.example.com) as the AppURL.",
          "The operator sets QBWC_PUBLIC_URL to the server's https host name.", _ADD_AGAIN),
    _qbwc(1002, OPERATOR, "The .qwc file's support address is an IP address",
          "The Web Connector accepts only host names as the AppSupport address.",
          "The operator sets QBWC_PUBLIC_URL to the server's https host name.", _ADD_AGAIN),
    *_group((1003, 1004), OPERATOR, "The Web Connector could not open the support page",
            "The Web Connector checks the AppSupport page of the .qwc (/support on this server) "
            "and it did not answer with success: the server was down or unreachable from the PC, "
            "its certificate was refused, or a proxy blocked it.",
            "On the QuickBooks PC, open the support address (ending in /support) in a browser; it "
            "must show the support page without a certificate warning.",
            _TELL_OPERATOR_SERVER, RUN_AGAIN),
    *_group((1005, 1006, 1033), QUICKBOOKS_ADMIN,
            "The Web Connector could not start or could not write its log",
            "The Web Connector itself failed on this PC: it could not run, or could not write its "
            "log file QWCLog.txt (no permission, or the disk is full).",
            "Close the Web Connector completely (also from the system tray) and start it again as "
            "the Windows user who normally runs it.",
            "Make sure that Windows user may write to the Web Connector's folder and that the disk "
            "has free space.",
            "If it still fails, install the latest QuickBooks Web Connector from Intuit."),
    *_group((1007, 1008, 1009), QUICKBOOKS_ADMIN,
            "The Web Connector could not connect to QuickBooks",
            "QuickBooks was not running, no company file was open, or a QuickBooks window was "
            "waiting for an answer. The Web Connector tries twice before it shows this.",
            "Open QuickBooks on this PC and open the company file that belongs to this company.",
            "Close any message or window that is open in QuickBooks.", RUN_AGAIN),
    _qbwc(1010, OPERATOR, "The .qwc file's service address is not https",
          "The Web Connector accepts plain http only for localhost; everything else needs https. "
          "The server refuses to write such a .qwc, so this file was made elsewhere or by hand.",
          "The operator puts the server behind TLS with a certificate the PC trusts and sets "
          "QBWC_PUBLIC_URL=https://...", _ADD_AGAIN),
    *_group((1011, 1032), QUICKBOOKS_ADMIN, "The application is missing from the Web Connector",
            "The Web Connector lost its record of this application (its registry entry).",
            "Close the Web Connector (also from the system tray) and start it again.",
            "If the application is not in the list, " + _ADD_AGAIN[0].lower() + _ADD_AGAIN[1:],
            PASTE_KEY),
    _server_call_failed(1012, "authenticate",
                        " This is the first call of an update, so it also shows when the server "
                        "cannot be reached at all or its certificate is not trusted."),
    _qbwc(1013, QUICKBOOKS_ADMIN,
          "The Web Connector could not connect to QuickBooks during an update",
          "Opening the company file failed after the server had accepted the login; QuickBooks "
          "gave a reason (an 0x8004... code) that the Company Profile shows with its own steps.",
          "Look up the 0x8004... code on the Company Profile or in the Web Connector's message and "
          "follow its steps.",
          "Usually: open QuickBooks with this company file, as Admin if QuickBooks asks, then run "
          "Update Selected again."),
    _qbwc(1014, QUICKBOOKS_ADMIN, "The Web Connector could not read the company's basic data",
          "At the start of every update the Web Connector asks QuickBooks about the product, the "
          "company and its preferences; that failed.",
          "Close any message or window that is open in QuickBooks and make sure the company file "
          "is fully open.", RUN_AGAIN,
          "If it repeats, restart QuickBooks and the Web Connector."),
    _qbwc(1015, QUICKBOOKS_ADMIN, "The Web Connector failed while closing its QuickBooks session",
          "The error came at the very end of an update, after the data was exchanged.",
          "Usually nothing: the update's data was already saved.",
          "If it repeats, restart QuickBooks and the Web Connector."),
    *_group(range(1016, 1021), QUICKBOOKS_ADMIN,
            "The Web Connector's own window reported a problem",
            "These codes are about the Web Connector program itself, for example Update Selected "
            "with no application ticked, or closing it while updates are scheduled.",
            "Read the Web Connector's message.",
            "Tick this application, click Update Selected, and leave the Web Connector running "
            "(minimised) so that scheduled updates happen."),
    _qbwc(1021, QUICKBOOKS_ADMIN,
          "The Web Connector could not find QuickBooks' integration component",
          "QuickBooks installs a request processor that the Web Connector talks to; its version "
          "could not be determined, so it is missing or damaged.",
          "Repair or update QuickBooks to its latest release (Help > Update QuickBooks Desktop).",
          "Restart the PC, then run Update Selected."),
    *_group(range(1022, 1026), QUICKBOOKS_ADMIN,
            "The application could not be added: QuickBooks was not ready",
            "When a .qwc is added, the Web Connector opens the company file to look for this "
            "connection's stamp (its FileID). QuickBooks was not running with the file open, or "
            "failed while looking.",
            OPEN_AS_ADMIN, OPEN_FILE,
            "Add the .qwc again (Add an application) and approve the certificate screen: Yes, "
            "whenever this QuickBooks company file is open; Login as Admin; allow personal data."),
    _qbwc(1026, QUICKBOOKS_ADMIN,
          "The company file already carries another connection of this product",
          "Adding the .qwc writes a stamp (FileID) into the company file; the file already has one "
          "from an older .qwc of this product or from another company on this server.",
          "Check on the Company Profile that this is the right company file for this company.",
          "Remove any older application of this product for this file from the Web Connector, then "
          "add the new .qwc.",
          "If it still fails, ask the operator: the old stamp must be removed from the file (with "
          "Intuit's tool) before the file can be connected again."),
    _qbwc(1027, QUICKBOOKS_ADMIN,
          "The application could not be added: writing the file stamp failed",
          "QuickBooks failed while the Web Connector wrote this connection's stamp (FileID) into "
          "the company file.",
          OPEN_AS_ADMIN, OPEN_FILE, "Add the .qwc again and approve it."),
    *_group((1028, 1029, 1038), QUICKBOOKS_ADMIN, "The Web Connector could not store the password",
            "The Web Connector keeps passwords encrypted on the PC; that store failed.",
            "Clear this application's Password in the Web Connector and paste the Connector Key "
            "again.",
            "If it keeps failing, install the latest QuickBooks Web Connector and add the .qwc "
            "again."),
    _qbwc(1030, QUICKBOOKS_ADMIN, "No password is set for this application",
          "The Web Connector needs the Connector Key in the application's Password column "
          "before it can log in.", PASTE_KEY, RUN_AGAIN),
    _qbwc(1031, ACCOUNTING_MANAGER, "A scheduled update finished with an error",
          "The Web Connector ran on schedule and the server reported a problem during the update.",
          "Open the Company Profile: the last session shows the problem and what to do.",
          "Once it is fixed, the next scheduled update continues where the last one stopped."),
    _qbwc(1034, QUICKBOOKS_ADMIN,
          "The Web Connector could not set which QuickBooks editions may connect",
          "Setting the .qwc's AuthFlags in QuickBooks' integration component failed.",
          "Update QuickBooks to its latest release and restart it.", _ADD_AGAIN),
    _qbwc(1035, OPERATOR, "The .qwc points at localhost",
          "A .qwc made for a test on the server's own machine was installed on another PC, where "
          "localhost is not the server.",
          "The operator sets QBWC_PUBLIC_URL to the server's public https address.", _ADD_AGAIN),
    _server_call_failed(1036, "clientVersion"),
    _qbwc(1037, QUICKBOOKS_ADMIN, "The server asks for a newer Web Connector",
          "The server checks the Web Connector's version first and showed its message: either a "
          "warning (the update may continue) or a refusal (this version is too old).",
          "Read the message: it names the version the server needs.",
          "Download and install the latest QuickBooks Web Connector from Intuit.", RUN_AGAIN),
    _qbwc(1039, QUICKBOOKS_ADMIN, "The application could not be added to the Web Connector",
          "Intuit's guide: the .qwc is missing required elements. Current Web Connectors also say "
          "'Unique OwnerID/FileID pair value required': the company file already carries a stamp "
          "of this product.",
          "Use the .qwc from Download Connector on the Company Profile, unchanged.",
          "Remove any older application of this product for this file from the Web Connector, "
          "then add the .qwc again.",
          "If it still fails, ask the operator: the file's old stamp must be removed first."),
    _qbwc(1040, QUICKBOOKS_ADMIN, "The password in the Web Connector is wrong",
          "The password saved for this application is not the company's current Connector Key "
          "(mistyped, or a new key was generated since).", PASTE_KEY, RUN_AGAIN),
    _server_call_failed(1041, "sendRequestXML"),
    _server_call_failed(1042, "receiveResponseXML",
                        " A page of QuickBooks data larger than the server accepts "
                        "(QBWC_MAX_BODY_BYTES, or a proxy's limit) also ends this way."),
    _server_call_failed(1043, "getLastError"),
    _server_call_failed(1044, "closeConnection"),
    _server_call_failed(1045, "connectionError"),
    _qbwc(1046, OPERATOR, "The Web Connector did not understand the server's version answer",
          "The server's answer to the Web Connector's version check (clientVersion) was not in a "
          "form the Web Connector accepts. This server answers nothing, W: or E: only, so the "
          "answer was changed on the way (a proxy) or came from another server.",
          _SERVER_REACHABLE, _TELL_OPERATOR_SERVER),
    _qbwc(1048, OPERATOR, "The Web Connector could not check the server's certificate",
          "The .qwc names a separate certificate address (CertURL) that asks for a login. The "
          "server's own .qwc has none, so this file was made elsewhere.", _ADD_AGAIN),
    _qbwc(1085, QUICKBOOKS_ADMIN, "The Web Connector reported a problem with its log or last run",
          "Not in Intuit's guide; reports differ (a problem with the log file QWCLog.txt, or with "
          "the application's last attempt).",
          "Close the Web Connector (also from the system tray) and start it again.", RUN_AGAIN,
          "If it repeats, send QWCLog.txt (Web Connector: View Log) to the operator."),
)  # fmt: skip

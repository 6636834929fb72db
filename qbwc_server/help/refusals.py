"""What this server itself refuses or reports to the Web Connector, in the customer's words.

The engine names a refusal by its entry's code (``_fail_session(ctx, "wrong_file",
"wrong_company_file")``, ``TicketRejected("session_unknown", ...)``, ``sync_gate.Gate``); the Web
Connector is told that entry's words (``catalog.web_connector_text``: title, this update's
detail, steps) and the company's ``status.problem`` is the same entry. Besides the entries:
``SERVER_MESSAGES`` (the start of each sentence the engine and SOAP layer still write
themselves — a refusal's company-specific detail, or a sentence that is no problem) and
``OUTCOME_PROBLEMS`` (the ``outcome`` of a QBWC session). ``tests/help/test_coverage.py`` reads
the engine's source and fails when it names a code without an entry, says a sentence or
records an outcome that is not mapped here.
"""

from __future__ import annotations

from qbwc_server.help.entry import ACCOUNTING_MANAGER, OPERATOR, QUICKBOOKS_ADMIN, HelpEntry, entry
from qbwc_server.help.phrases import NOTHING_LOST, PASTE_KEY, RUN_AGAIN


def _r(code: str, who: str, title: str, cause: str, *steps: str) -> HelpEntry:
    return entry(code, "server", who, title, cause, *steps)


CATALOG: tuple[HelpEntry, ...] = (
    _r("wrong_company_file", QUICKBOOKS_ADMIN, "The wrong company file is open in QuickBooks",
       "Every update checks the connection stamp the Web Connector wrote into the company file. "
       "The file open in QuickBooks is not the one this company is bound to (another company's "
       "file, a copy, or a file without this connection's stamp); no data was exchanged.",
       "In QuickBooks, close the open company file (File > Close Company).",
       "Open the company file named on the Company Profile (bound company file).", RUN_AGAIN,
       "If the company really moved to a new file, the accounting manager uses Reset binding on "
       "the Company Profile first; the next update then asks to confirm the new file."),
    _r("connector_key_wrong", QUICKBOOKS_ADMIN, "The Connector Key in the Web Connector is wrong",
       "The Web Connector logged in with a password that is not this company's current Connector "
       "Key: it was mistyped, or a new key was generated since (the old one stops working at "
       "once).", PASTE_KEY, RUN_AGAIN),
    _r("connector_key_rotated", QUICKBOOKS_ADMIN,
       "The Connector Key was changed during the update",
       "Someone generated a new Connector Key while this Web Connector was syncing; its session "
       "ended at once.", PASTE_KEY, RUN_AGAIN),
    _r("throttled", QUICKBOOKS_ADMIN, "Too many logins with a wrong Connector Key",
       "After repeated wrong Connector Keys for this user name the server stops checking for a "
       "while (15 minutes unless the operator changed it), to protect the company.",
       "Wait 15 minutes.", PASTE_KEY, RUN_AGAIN),
    _r("client_too_old", QUICKBOOKS_ADMIN, "The Web Connector on this PC is too old for the server",
       "The operator set a minimum Web Connector version and this PC's is older; the server "
       "refuses the update.",
       "Download and install the latest QuickBooks Web Connector from Intuit.", RUN_AGAIN),
    _r("client_update_recommended", QUICKBOOKS_ADMIN, "A newer Web Connector is recommended",
       "The operator recommends a newer Web Connector version; the update may continue.",
       "Click to continue this time.",
       "Install the latest QuickBooks Web Connector from Intuit when convenient."),
    _r("another_connector_syncing", ACCOUNTING_MANAGER,
       "Another Web Connector is syncing this company",
       "Two PCs have this company's connection; only one syncs at a time and the other is told "
       "to come back later. It takes over if the first one stops.",
       "Nothing to do: this is how redundancy works.",
       "If the other PC was retired, remove this application from its Web Connector."),
    _r("sync_taken_over", QUICKBOOKS_ADMIN, "Another Web Connector took over the sync",
       "This Web Connector stopped answering for too long (the PC slept, or the network dropped) "
       "and another PC with the same connection took over; this one stopped without exchanging "
       "more data.",
       NOTHING_LOST,
       "Keep the QuickBooks PC awake and connected while it syncs (Windows power settings)."),
    _r("no_sync_due", ACCOUNTING_MANAGER, "Nothing to sync yet",
       "The last sync finished less than the sync interval ago and no write-back is waiting, so "
       "the server told the Web Connector to come back later.",
       "Nothing to do: the next sync starts when the interval has passed.",
       "To sync more often, lower the sync interval in the Company Profile's settings."),
    _r("session_unknown", QUICKBOOKS_ADMIN, "The server does not know this Web Connector session",
       "The session expired, was already closed, or the Web Connector sent no session ticket "
       "(for example after the server restarted during an update).",
       NOTHING_LOST, RUN_AGAIN),
    _r("company_deleted", ACCOUNTING_MANAGER, "This company no longer exists on the server",
       "The company this Web Connector syncs was deleted.",
       "Remove this application from the Web Connector.",
       "If the company was deleted by mistake, create it again and connect it with a new .qwc "
       "and Connector Key."),
    _r("company_file_info_missing", QUICKBOOKS_ADMIN,
       "The Web Connector did not send the company file's details",
       "The first request of every update must carry the company's basic data so the server can "
       "check the file; this Web Connector did not send it.",
       "Install the latest QuickBooks Web Connector from Intuit.", RUN_AGAIN),
    _r("company_file_info_unreadable", OPERATOR, "The company file's details could not be read",
       "The basic company data the Web Connector sent at the start of the update was not in a "
       "form the server understands; no data was exchanged.",
       RUN_AGAIN,
       "If it repeats, the operator sends the session (Company Profile, session page) and the "
       "server log to the server's developers."),
    _r("quickbooks_too_old", ACCOUNTING_MANAGER, "This QuickBooks is too old for the server",
       "The server needs QuickBooks Desktop 2014 (qbXML 13.0) or newer.",
       "Upgrade QuickBooks Desktop to a supported version.", RUN_AGAIN),
    _r("session_incomplete", QUICKBOOKS_ADMIN, "The last update stopped before the sync finished",
       "The Web Connector ended the update early (it was closed, the PC slept or lost its "
       "network, or QuickBooks was closed).",
       NOTHING_LOST,
       "Keep QuickBooks and the Web Connector open and the PC awake until the Company Profile "
       "shows Connected to Server; a first sync of a large file can take two hours."),
    _r("server_error", OPERATOR, "The server had an internal error",
       "The server failed while answering the Web Connector and stopped the update safely.",
       NOTHING_LOST,
       "If it repeats, the operator looks at the server log for that time."),
    _r("database_unavailable", OPERATOR, "The server's database could not be reached",
       "While the server's database was down or unreachable, the Web Connector's polls were told "
       "there was nothing to do and to come back a few minutes later; nothing was exchanged, so "
       "nothing was lost or half-done.",
       "Nothing to do for the accounting side: the next scheduled run syncs as usual.",
       "If it repeats, the operator checks the database server and the server log for that "
       "time (GET /readyz says whether the database is reachable)."),
    _r("request_too_large", OPERATOR,
       "A page of QuickBooks data was larger than the server accepts",
       "The server (QBWC_MAX_BODY_BYTES) or a proxy in front of it refused a response from "
       "QuickBooks because of its size; the Web Connector shows QBWC1042.",
       "The operator raises QBWC_MAX_BODY_BYTES and the proxy's body limit (for example nginx "
       "client_max_body_size).", RUN_AGAIN),
    _r("client_too_slow", OPERATOR, "A request from the Web Connector arrived too slowly",
       "The server closes a request whose data stops arriving for QBWC_CLIENT_TIMEOUT_SECONDS "
       "(30 s unless the operator changed it), or that arrives slower than 16 KiB/s, so stalled "
       "connections cannot tie it up; the Web Connector shows a connection error.",
       "Check the QuickBooks PC's network connection (a VPN or a proxy on the PC can stall "
       "uploads).",
       "If the line is slow but working, the operator raises QBWC_CLIENT_TIMEOUT_SECONDS.",
       RUN_AGAIN),
    _r("waiting_for_confirmation", ACCOUNTING_MANAGER,
       "Waiting for confirmation of the company file",
       "The Web Connector reached the server with a company file that nobody has confirmed yet "
       "for this company; the server read the file's name and details and ended without syncing.",
       "Open the Company Profile and check the company file shown (company name, file path, "
       "product).",
       "If it is this company's file, click Begin Sync; otherwise reject it.",
       RUN_AGAIN + " (or wait for the next scheduled run)."),
    _r("paused", ACCOUNTING_MANAGER, "Sync is paused",
       "Someone paused this company's sync in its settings; the Web Connector is told there is "
       "nothing to do until the pause ends.",
       "To resume now, clear the pause in the Company Profile's settings.",
       "Otherwise nothing to do: the sync resumes by itself when the pause ends."),
    _r("sync_window", ACCOUNTING_MANAGER, "Historical sync waits for the sync window",
       "The company's settings allow the heavy historical sync only during certain hours; new "
       "and changed records and write-backs still go on outside them.",
       "Nothing to do: the historical sync continues where it stopped when the window opens.",
       "To change the hours, edit the sync window in the Company Profile's settings, and keep "
       "the QuickBooks PC on during them."),
)  # fmt: skip

# The start of each sentence the engine or the SOAP layer still writes itself (a refusal's
# details for the profile, clientVersion's dialog text, a session's reason, SOAP faults) -> the
# entry that explains it, or None when the sentence is not a problem. Longest prefix wins.
SERVER_MESSAGES: tuple[tuple[str, str | None], ...] = (
    ("E:This server needs QuickBooks Web Connector", "client_too_old"),
    ("W:QuickBooks Web Connector", "client_update_recommended"),
    ("another Web Connector is syncing", "another_connector_syncing"),
    ("nothing to do until the next sync", "no_sync_due"),
    # The profile's details of a wrong file (engine/verification.py).
    ("Wrong company file open", "wrong_company_file"),
    ("Open this company's file in QuickBooks", "wrong_company_file"),
    ("is connected to another company on this server", "wrong_company_file"),
    ("carries a file stamp this server did not issue", "wrong_company_file"),
    ("does not carry this connector's file stamp", "wrong_company_file"),
    ("has a different company name than the bound file", "wrong_company_file"),
    ("Request body of ", "request_too_large"),
    ("Request body exceeds the server limit", "request_too_large"),
    ("Only a live Web Connector session may send", "session_unknown"),
    ("The request body did not arrive in time", "client_too_slow"),
    ("The server is busy; the Web Connector tries again", None),  # shed: see database_unavailable
    ("Sync complete", None),
    ("Nothing to do right now", None),
    ("The server has nothing to send right now", None),
    ("Interactive mode is not used", None),
    ("Only POST (SOAP 1.1)", None),  # not the Web Connector: a browser or a scanner
    ("XML with a DOCTYPE or entity declaration", None),  # never sent by the Web Connector
    # Faults for bodies no Web Connector sends (soap/envelope.py, soap/wsgi.py): not a problem
    # a customer can have, a broken or hostile client.
    ("No SOAP envelope was received", None),
    ("The SOAP Body must hold exactly one", None),
    ("The request body ended after", None),
    ("The request body is empty", None),
    ("The request has ", None),
    ("The request is not a SOAP 1.1 envelope", None),
    ("The request is not well-formed XML", None),
    ("This endpoint speaks SOAP 1.1", None),
    ("The SOAPAction header names another method", None),
    ("QuickBooks reported error ", None),  # an HRESULT; its code names the entry
    # The event loop's read giving up (engine/prepared_read.py): the call goes to a request
    # thread, which answers as always; the words reach no one (the log names the error's kind).
    ("the database answered nothing", None),
    ("the database did not answer within", None),
)  # fmt: skip

# The ``outcome`` of a QBWC session (models/qbwc_session.py) -> the entry that explains it, or
# None when the outcome is not a problem or its message names the entry (``error``: several
# causes; ``connection_error``: the HRESULT says which).
OUTCOME_PROBLEMS: dict[str, str | None] = {
    "in_progress": None,
    "completed": None,
    "none": None,
    "error": None,
    "connection_error": None,
    "nvu": "connector_key_wrong",
    "throttled": "throttled",
    "wrong_file": "wrong_company_file",
    "busy": "sync_taken_over",
    "incomplete": "session_incomplete",
    "waiting_for_confirmation": "waiting_for_confirmation",
    "paused": "paused",
}

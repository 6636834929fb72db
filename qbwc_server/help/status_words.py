"""qbXML status codes (docs/protocol.md §6.3), in the customer's words.

The policy for each code (retry, skip the stream, re-read, ...) stays in
``qbwc_server/qbxml/status.py``; only the words a person reads live here. The titles are what
the status page and a failed operation show, followed by QuickBooks' own message.
"""

from __future__ import annotations

from qbwc_server.help.entry import ACCOUNTING_MANAGER, OPERATOR, QUICKBOOKS_ADMIN, HelpEntry, entry

_NOTHING = "Nothing to do."
_RETRY_OP = "Retry the operation (Company Profile, write-back queue)."
_AUTO_RETRY = "Nothing else to do: the server tries again by itself in a few minutes."
_READ_QB_TEXT = "Read QuickBooks' own message shown next to this code: it names the reason."
_OUR_REQUEST = (
    "Nothing to do in QuickBooks. If it came from a write-back operation, check that "
    "operation's data and retry it; otherwise the operator reports it to the server's developers."
)
_VERSION_WARNING = (
    "Nothing to do: what could be read was kept. If it repeats, the operator reports it (the "
    "server asked for something this QuickBooks version does not have)."
)
_INTEGRATED_APPS = (
    "Log in to QuickBooks as Admin, open Edit > Preferences > Integrated Applications > Company "
    "Preferences, select this application and click Properties."
)


def _s(code: int, who: str, title: str, cause: str, *steps: str) -> HelpEntry:
    return entry(str(code), "qbxml_status", who, title, cause, *steps)


CATALOG: tuple[HelpEntry, ...] = (
    _s(0, ACCOUNTING_MANAGER, "Done", "QuickBooks did what was asked.", _NOTHING),
    _s(1, ACCOUNTING_MANAGER, "QuickBooks found nothing matching the request",
       "A query matched no record; an empty answer is normal.", _NOTHING),
    _s(500, ACCOUNTING_MANAGER,
       "Some of the requested records do not exist in QuickBooks; the others were returned",
       "The server asked for several records by ID or name and some of them are gone, usually "
       "deleted in QuickBooks.",
       "Nothing to do: the records that exist were read, and deleted ones are marked deleted by "
       "the next sync."),
    _s(501, OPERATOR, "A record cannot be shown in this qbXML version",
       "QuickBooks has a record the request version cannot describe.", _VERSION_WARNING),
    _s(510, OPERATOR, "Some data could not be returned",
       "QuickBooks answered, but left part of the data out.", _VERSION_WARNING),
    _s(530, OPERATOR, "A field is not supported by this QuickBooks version and was ignored",
       "The request named a field this QuickBooks version does not know.", _VERSION_WARNING),
    _s(531, OPERATOR, "A value is not supported by this QuickBooks version and was ignored",
       "The request used a choice this QuickBooks version does not know.", _VERSION_WARNING),
    _s(560, OPERATOR, "A deprecated field was used",
       "The request named a field QuickBooks still accepts but no longer recommends.",
       _VERSION_WARNING),
    _s(600, OPERATOR, "QuickBooks has no record of that earlier request",
       "When the server asks what became of a write whose answer was lost, QuickBooks may no "
       "longer know it (it never arrived, or QuickBooks forgot it).",
       "Nothing to do: the server then looks for the record's own marker in QuickBooks and "
       "sends the write again only if it is not there."),
    _s(1000, QUICKBOOKS_ADMIN, "QuickBooks had an internal error; the server will try again later",
       "QuickBooks failed on its side while answering.",
       "Nothing to do: the server tries again at the next run.",
       "If it repeats for days, restart QuickBooks and run File > Utilities > Verify Data."),
    _s(1060, OPERATOR,
       "The request ID was invalid (too long); this is a problem on the server's side",
       "The server sent a request ID longer than QuickBooks accepts.", _OUR_REQUEST),
    _s(3000, OPERATOR, "A QuickBooks record ID in the request is not valid",
       "An ID in the request does not have the form QuickBooks uses.", _OUR_REQUEST),
    _s(3010, OPERATOR, "A yes/no value was not valid",
       "A true/false field in the request held something else.", _OUR_REQUEST),
    _s(3020, OPERATOR, "A date was not valid",
       "A date in the request is not a real date or not in QuickBooks' format.", _OUR_REQUEST),
    _s(3030, OPERATOR, "A date range starts after it ends",
       "A date filter's start is later than its end.", _OUR_REQUEST),
    _s(3031, OPERATOR, "A name or number range starts after it ends",
       "A text range filter's start sorts after its end.", _OUR_REQUEST),
    _s(3100, ACCOUNTING_MANAGER,
       "A record with this name already exists in QuickBooks (names must be unique across "
       "vendors, customers, employees and other names)",
       "QuickBooks keeps one name list for vendors, customers, employees and other names, "
       "including inactive ones. When the existing one is the same vendor the server links to it "
       "by itself; this shows when it is a different record.",
       "In QuickBooks, look the name up in the vendor, customer, employee and other-name lists "
       "(include inactive ones).",
       "Give the new vendor a different name, or rename the existing record in QuickBooks.",
       _RETRY_OP),
    _s(3120, ACCOUNTING_MANAGER, "The QuickBooks record no longer exists (it was probably deleted)",
       "The request named a record by its QuickBooks ID and QuickBooks has no such record.",
       "Nothing to do for the sync: the next deletion sweep marks it deleted here.",
       "For a write-back operation: choose an existing record and " + _RETRY_OP[0].lower()
       + _RETRY_OP[1:]),
    _s(3140, ACCOUNTING_MANAGER,
       "The request refers to a vendor, account, item or other record QuickBooks does not have",
       "A reference in the operation (vendor, account, item, class, terms, ...) points at a "
       "record that is missing, deleted or not yet synced.",
       "Check in QuickBooks that every record the operation names exists and is active.",
       "Wait for the next sync (or create the missing record in QuickBooks), then "
       + _RETRY_OP[0].lower() + _RETRY_OP[1:]),
    _s(3150, OPERATOR, "A required field is missing",
       "QuickBooks needs a field the request did not include.", _OUR_REQUEST),
    _s(3160, ACCOUNTING_MANAGER, "QuickBooks does not allow deleting this record",
       "The record is in use or protected in QuickBooks.",
       "Leave it, or make it inactive in QuickBooks instead."),
    _s(3161, ACCOUNTING_MANAGER,
       "The record is dated on or before the closing date and cannot be deleted",
       "QuickBooks protects the books up to the company's closing date.",
       "Ask the person who has the closing-date password whether the change is right, and let "
       "them make it in QuickBooks."),
    _s(3170, ACCOUNTING_MANAGER,
       "QuickBooks could not change the record, usually because someone else was editing the "
       "same list; the server will try again",
       "Most often another user was changing the same list at that moment; QuickBooks' message "
       "says when the reason is something else.",
       _AUTO_RETRY,
       "If QuickBooks' message names another reason, correct the operation and retry it."),
    _s(3171, ACCOUNTING_MANAGER,
       "The transaction is dated on or before the company's closing date; someone with the "
       "closing-date password must decide",
       "QuickBooks protects the books up to the closing date (Company > Set Closing Date).",
       "Change the operation's date to after the closing date, or ask the person with the "
       "closing-date password to allow the change.", _RETRY_OP),
    _s(3175, QUICKBOOKS_ADMIN,
       "The record is open or in use in QuickBooks; the server will try again",
       "Someone has the record open in a QuickBooks window.",
       "Close the record's window in QuickBooks.", _AUTO_RETRY),
    _s(3176, QUICKBOOKS_ADMIN, "QuickBooks could not lock the record; the server will try again",
       "Another user or program held the record at that moment.",
       "Close windows that show the record in QuickBooks.", _AUTO_RETRY),
    _s(3180, ACCOUNTING_MANAGER, "QuickBooks could not save the record; its message says why",
       "QuickBooks refused to save (for example a credit limit would be exceeded); when the "
       "message is about a lock, the server tries again by itself.",
       _READ_QB_TEXT, "Correct the data in QuickBooks or in the operation.", _RETRY_OP),
    _s(3200, ACCOUNTING_MANAGER, "The record changed in QuickBooks since the server last read it",
       "QuickBooks only changes a record when the request carries its latest version.",
       "Nothing to do: the server reads the record again and applies the change once more.",
       "If it still fails, someone keeps editing the record in QuickBooks: close it there and "
       "retry the operation."),
    _s(3210, ACCOUNTING_MANAGER, "QuickBooks refused a value (for example paying more than is due)",
       "A value in the operation is not allowed for that record.",
       _READ_QB_TEXT, "Correct the operation and retry it, or cancel it."),
    _s(3231, OPERATOR, "Skipped because an earlier request in the same batch failed",
       "QuickBooks stops a batch at its first error and leaves the rest unprocessed.",
       "Nothing to do: the server sends it again on its own."),
    _s(3250, ACCOUNTING_MANAGER,
       "This feature is turned off or not available in this QuickBooks edition",
       "The company file does not use the feature (for example inventory and purchase orders, "
       "class tracking or multiple currencies), or the edition lacks it.",
       "Nothing to do if you do not use the feature: the server skips that kind of record and "
       "syncs the rest.",
       "If you need it, turn it on in QuickBooks (Edit > Preferences) and run an update."),
    _s(3260, QUICKBOOKS_ADMIN,
       "The QuickBooks user this connection runs as may not do this; the QuickBooks admin must "
       "grant access (Edit > Preferences > Integrated Applications)",
       "The application logs in as a QuickBooks user whose permissions do not cover the request.",
       _INTEGRATED_APPS,
       "Let the application log in as the Admin user (or a user with full access), then run "
       "Update Selected."),
    _s(3261, QUICKBOOKS_ADMIN,
       "This connection may not read personal data (such as tax IDs); the QuickBooks admin can "
       "allow it in Integrated Applications",
       "QuickBooks hides personal data from applications unless the admin allows it.",
       _INTEGRATED_APPS,
       "Tick the option that allows access to personal data, click OK, and run Update Selected."),
    _s(3262, ACCOUNTING_MANAGER, "This needs a QuickBooks payroll subscription",
       "The request touches payroll data, which needs an active payroll subscription.",
       "Nothing to do unless you use payroll: the rest syncs normally."),
    _s(3263, QUICKBOOKS_ADMIN, "This connection has read-only access to the company file",
       "The application was allowed to read but not to change the company file, so write-back "
       "operations fail.",
       _INTEGRATED_APPS,
       "Allow the application to read and modify the company file, click OK, then retry the "
       "operations."),
    _s(3264, ACCOUNTING_MANAGER, "This needs QuickBooks merchant services",
       "The request touches merchant-service data the company does not subscribe to.",
       "Nothing to do unless you use merchant services."),
    _s(3391, OPERATOR,
       "A paged read expired (QuickBooks forgets it when the session ends); it will restart from "
       "the last saved point",
       "QuickBooks' paged reads live only as long as one Web Connector update.",
       "Nothing to do: the server starts that read again from its last saved position."),
    _s(9001, OPERATOR, "QuickBooks reported error 9001",
       "No public source explains this code.",
       _READ_QB_TEXT,
       "If it repeats, send the session (Company Profile, session page) to the operator."),
)  # fmt: skip

# Words for a status code that has no entry of its own, by the range QuickBooks puts it in
# (docs/protocol.md §6.3); ``qbxml/status.py`` decides the range.
RANGE_WORDS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "info": ("Done", "QuickBooks answered with an information code.", (_NOTHING,),
             ACCOUNTING_MANAGER),
    "warning": ("Done with a warning", "QuickBooks answered, with a warning.", (_VERSION_WARNING,),
                OPERATOR),
    "format_error": ("QuickBooks could not read a value in the request",
                     "A value in the request is not in the form QuickBooks expects.",
                     (_OUR_REQUEST,), OPERATOR),
    "unsupported_request": ("QuickBooks does not support this request",
                            "This QuickBooks edition or version does not offer what was asked.",
                            (_OUR_REQUEST,), OPERATOR),
    "error": ("QuickBooks reported an error", "QuickBooks refused the request.",
              (_READ_QB_TEXT, "If it repeats, send the session to the operator."), OPERATOR),
}  # fmt: skip

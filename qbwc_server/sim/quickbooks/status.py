"""qbXML response status codes with their real meanings (protocol doc §6.3).

A status rides inside a normal response (``statusCode``/``statusSeverity``/``statusMessage``
attributes of each ``...Rs``); severities follow the Intuit ranges: 0-499 Info, 500-999 Warn,
1000 and above Error.
"""

from __future__ import annotations

from dataclasses import dataclass

OK = 0
NO_MATCH = 1
SOME_NOT_FOUND = 500
NAME_IN_USE = 3100
OBJECT_NOT_FOUND = 3120
INVALID_REFERENCE = 3140
MODIFY_ERROR = 3170
OBJECT_IN_USE = 3175
LOCK_FAILED = 3176
STALE_EDIT_SEQUENCE = 3200
INVALID_VALUE = 3210
NOT_PROCESSED = 3231
FEATURE_NOT_ENABLED = 3250
INVALID_ITERATOR = 3391

# Message-set level (messageSetStatusCode) for error recovery: 600 is Intuit's
# "No cleared state to return"; used here when no state is stored for oldMessageSetID.
MESSAGE_SET_NO_STATE = 600


@dataclass(frozen=True)
class Status:
    code: int
    message: str

    @property
    def severity(self) -> str:
        if self.code < 500:
            return "Info"
        if self.code < 1000:
            return "Warn"
        return "Error"

    @property
    def is_error(self) -> bool:
        return self.code >= 1000


def ok() -> Status:
    return Status(OK, "Status OK")


def no_match() -> Status:
    return Status(NO_MATCH, "A query request did not find a matching object in QuickBooks")


def some_not_found(missing: str) -> Status:
    return Status(
        SOME_NOT_FOUND,
        "The query request has not been fully completed. There was a required element "
        f'("{missing}") that could not be found in QuickBooks.',
    )


def name_in_use(name: str) -> Status:
    return Status(NAME_IN_USE, f'The name "{name}" of the list element is already in use.')


def object_not_found(object_id: str) -> Status:
    # Wording of a real 3120 captured by the qbwc gem's tests (protocol doc §6.3).
    return Status(
        OBJECT_NOT_FOUND,
        f'Object "{object_id}" specified in the request cannot be found.  QuickBooks error '
        "message: Invalid argument.  The specified record does not exist in the list.",
    )


def invalid_reference(kind: str, name: str, in_object: str) -> Status:
    # Shape of the real 3140 text in the flowlink fixture (protocol doc §6.3).
    return Status(
        INVALID_REFERENCE,
        f'There is an invalid reference to QuickBooks {kind} "{name}" in the {in_object}.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in "
        "the list.",
    )


def lock_error(code: int, object_type: str) -> Status:
    # §6.3: 3170 "list modified by another user" (transient), 3175 object in use,
    # 3176 lock could not be acquired. Texts are plausible renderings, not captures.
    reasons = {
        MODIFY_ERROR: "This list has been modified by another user.",
        OBJECT_IN_USE: "Cannot perform this operation because the record is being used by "
        "another user.",
        LOCK_FAILED: "The internals could not be locked: failed to acquire the lock.",
    }
    return Status(
        code,
        f"There was an error when processing the {object_type} request.  QuickBooks error "
        f"message: {reasons.get(code, 'The object is locked.')}",
    )


def stale_edit_sequence(edit_sequence: str) -> Status:
    return Status(
        STALE_EDIT_SEQUENCE, f'The provided edit sequence "{edit_sequence}" is out-of-date.'
    )


def invalid_value(text: str) -> Status:
    return Status(INVALID_VALUE, text)


def not_processed() -> Status:
    return Status(NOT_PROCESSED, "The request has not been processed.")


def feature_not_enabled(feature: str) -> Status:
    return Status(
        FEATURE_NOT_ENABLED,
        f'The feature "{feature}" is not enabled or is not available in this version of '
        "QuickBooks.",
    )


def invalid_iterator(iterator_id: str) -> Status:
    # Text as reported from a real QuickBooks (consolibyte/quickbooks-php issue #183).
    return Status(INVALID_ITERATOR, f'The iteratorID "{iterator_id}" is not valid.')

"""qbXML status codes (§6.3) as data: name, severity class and the policy the sync engine /
write-back applies. The words a bookkeeper reads come from the help catalog
(``qbwc_server/help``), the one place that explains every code.

A status rides inside a perfectly normal SOAP call (§6.3: "always inspect it"). Use
:func:`classify` — it also handles ranges and codes whose meaning depends on the message text
(3180 "error when saving" is a lock problem only when the text says so).

Sources: protocol doc §6.3 ([I-SC], [CB-ERR], flowlink/GEM fixtures, [QUBE]); 3391 from
consolibyte/quickbooks-php#183 ("3391: The iteratorID "{…}" is not valid."). Entries marked
``verified=False`` come from a single third-party source.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from qbwc_server.help import catalog as help_catalog
from qbwc_server.help.entry import HelpEntry


class StatusPolicy(enum.Enum):
    SUCCESS = "success"  # data returned
    EMPTY_SUCCESS = "empty_success"  # nothing (or not everything) matched: not an error
    WARNING = "warning"  # data returned, but something was dropped or is deprecated
    RETRY_LATER = "retry_later"  # transient: a lock, a busy file, an internal error
    STALE = "stale"  # EditSequence out of date: re-query, re-apply
    DUPLICATE_NAME = "duplicate_name"  # name already in use: link to the existing record
    NOT_FOUND = "not_found"  # the ListID/TxnID no longer exists
    BAD_REFERENCE = "bad_reference"  # a ...Ref points at nothing: create/sync it first
    FEATURE_OFF = "feature_off"  # not enabled in this company/edition: skip that stream
    NOT_PROCESSED = "not_processed"  # skipped after an earlier failure: resend next set
    PERMISSION = "permission"  # the QuickBooks admin must grant access
    FIX_REQUEST = "fix_request"  # our request (or its data) must change before resending
    ITERATOR_INVALID = "iterator_invalid"  # iterator gone: restart from the watermark
    CLOSED_PERIOD = "closed_period"  # before the closing date: a person must decide
    NEEDS_ATTENTION = "needs_attention"  # unknown error: park and show it


class SeverityClass(enum.Enum):
    INFO = "Info"
    WARN = "Warn"
    ERROR = "Error"


@dataclass(frozen=True)
class StatusInfo:
    code: int
    name: str  # for a code without an entry: its range (info, warning, format_error, ...)
    severity: SeverityClass
    policy: StatusPolicy
    verified: bool = True

    @property
    def retryable(self) -> bool:
        return self.policy in (StatusPolicy.RETRY_LATER, StatusPolicy.NOT_PROCESSED)

    @property
    def help(self) -> HelpEntry:
        known = help_catalog.status_entry(self.code)
        return known if known is not None else help_catalog.status_range_entry(self.code, self.name)

    @property
    def meaning(self) -> str:
        """Plain words for the status page (the catalog entry's title)."""
        return self.help.sentence


_I, _W, _E = SeverityClass.INFO, SeverityClass.WARN, SeverityClass.ERROR
P = StatusPolicy

_CATALOG: tuple[StatusInfo, ...] = (
    StatusInfo(0, "ok", _I, P.SUCCESS),
    StatusInfo(1, "no_match", _I, P.EMPTY_SUCCESS),
    StatusInfo(500, "some_not_found", _W, P.EMPTY_SUCCESS),
    StatusInfo(501, "not_representable", _W, P.WARNING),
    StatusInfo(510, "cannot_return", _W, P.WARNING),
    StatusInfo(530, "unsupported_field", _W, P.WARNING),
    StatusInfo(531, "unsupported_enum", _W, P.WARNING),
    StatusInfo(560, "deprecated_field", _W, P.WARNING),
    StatusInfo(1000, "internal_error", _E, P.RETRY_LATER),
    StatusInfo(1060, "invalid_request_id", _E, P.FIX_REQUEST),
    StatusInfo(3000, "invalid_object_id", _E, P.FIX_REQUEST),
    StatusInfo(3010, "invalid_boolean", _E, P.FIX_REQUEST),
    StatusInfo(3020, "invalid_date", _E, P.FIX_REQUEST),
    StatusInfo(3030, "invalid_date_range", _E, P.FIX_REQUEST),
    StatusInfo(3031, "invalid_string_range", _E, P.FIX_REQUEST),
    StatusInfo(3100, "name_in_use", _E, P.DUPLICATE_NAME),
    StatusInfo(3120, "object_not_found", _E, P.NOT_FOUND),
    StatusInfo(3140, "invalid_reference", _E, P.BAD_REFERENCE),
    StatusInfo(3150, "missing_element", _E, P.FIX_REQUEST, verified=False),
    StatusInfo(3160, "cannot_delete", _E, P.FIX_REQUEST, verified=False),
    StatusInfo(3161, "cannot_delete_closed", _E, P.CLOSED_PERIOD, verified=False),
    StatusInfo(3170, "modify_error", _E, P.RETRY_LATER),
    StatusInfo(3171, "closed_period", _E, P.CLOSED_PERIOD, verified=False),
    StatusInfo(3175, "in_use", _E, P.RETRY_LATER),
    StatusInfo(3176, "locked", _E, P.RETRY_LATER),
    StatusInfo(3180, "save_error", _E, P.FIX_REQUEST),
    StatusInfo(3200, "stale_edit_sequence", _E, P.STALE),
    StatusInfo(3210, "invalid_value", _E, P.FIX_REQUEST),
    StatusInfo(3231, "not_processed", _E, P.NOT_PROCESSED),
    StatusInfo(3250, "feature_not_enabled", _E, P.FEATURE_OFF),
    StatusInfo(3260, "insufficient_permission", _E, P.PERMISSION),
    StatusInfo(3261, "no_personal_data_permission", _E, P.PERMISSION),
    StatusInfo(3262, "payroll_subscription_required", _E, P.FEATURE_OFF, verified=False),
    StatusInfo(3263, "read_only_access", _E, P.PERMISSION, verified=False),
    StatusInfo(3264, "merchant_services_required", _E, P.FEATURE_OFF, verified=False),
    StatusInfo(3391, "iterator_invalid", _E, P.ITERATOR_INVALID),
)  # fmt: skip

STATUS_CODES: dict[int, StatusInfo] = {info.code: info for info in _CATALOG}

# 3180 and 3170 carry the real reason in the text; these phrases mean "try again later".
_LOCK_TEXT = re.compile(
    r"lock|in use|being (?:edited|used)|modified by another user|another user|busy",
    re.IGNORECASE,
)


def _range_info(code: int, severity: str) -> StatusInfo:
    """§6.3 ranges: 0-499 Info, 500-999 Warn, 1000-1999 general errors, 2000-2999 not
    supported, 3000-3099 format errors, 3100-9099 other errors, 9100-9199 macro errors."""
    if code < 500 and severity != "Error":
        return StatusInfo(code, "info", _I, P.SUCCESS, verified=False)
    if 500 <= code < 1000 or severity == "Warn":
        return StatusInfo(code, "warning", _W, P.WARNING, verified=False)
    if 3000 <= code < 3100:
        return StatusInfo(code, "format_error", _E, P.FIX_REQUEST, verified=False)
    if 2000 <= code < 3000 or 9100 <= code < 9200:
        return StatusInfo(code, "unsupported_request", _E, P.FIX_REQUEST, verified=False)
    return StatusInfo(code, "error", _E, P.NEEDS_ATTENTION, verified=False)


def lookup(code: int, severity: str = "") -> StatusInfo:
    """The catalog entry for ``code``, or a range-based one for unknown codes."""
    info = STATUS_CODES.get(code)
    return info if info is not None else _range_info(code, severity)


def classify(code: int, severity: str = "", message: str = "") -> StatusPolicy:
    """The policy for one ``…Rs`` status.

    Severity wins over the catalog when QuickBooks says ``Info``/``Warn`` for a code we
    believe is an error (data came back, so never discard it).
    """
    info = lookup(code, severity)
    if info.severity is SeverityClass.ERROR and severity in ("Info", "Warn"):
        return P.SUCCESS if severity == "Info" else P.WARNING
    if code == 3180 and _LOCK_TEXT.search(message):
        return P.RETRY_LATER  # "error when saving … could not be locked / in use"
    if code == 3170 and message and not _LOCK_TEXT.search(message):
        return P.FIX_REQUEST  # the reason given is not a concurrent edit
    return info.policy


def bookkeeper_message(code: int, severity: str = "", message: str = "") -> str:
    """Plain-words text for the status page; QuickBooks' own message is appended."""
    info = lookup(code, severity)
    qb_text = message.strip()
    if qb_text and qb_text not in ("Status OK",):
        return f"{info.meaning} (QuickBooks {code}: {qb_text})"
    return f"{info.meaning} (QuickBooks {code})" if code else info.meaning

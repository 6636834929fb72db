"""HRESULTs from the QuickBooks request processor (§5) — in ``connectionError`` and in the
``hresult`` parameter of ``receiveResponseXML`` — and the server's reaction to each.

These are not qbXML status codes: they mean QuickBooks could not be reached or refused the
whole message set (the response is then empty).

Reactions (§5 "General rules", advice unless cited):

* ``connectionError``: answer ``done`` for anything a person must fix; retry with the
  remembered company-file path at most once for "no company open" cases
  (``RETRY_WITH_COMPANY_PATH``) [PG pp.51, 69].
* ``receiveResponseXML``: 0x80040400 means *our* request was not valid XML/qbXML — never
  resend it unchanged (qbwc/qbwc#53 endless loop) → ``REQUEST_INVALID``; 0x80040423 means
  the qbXML version is not supported → ``VERSION_UNSUPPORTED`` (lower it, §6.9); everything
  else is ``TRANSIENT``: keep the queue, try again next run.

Only 0x80040400 to 0x80040402, 0x80040409 and 0x8004040D are from official/first-hand sources
(``verified=True``); the rest come from a third-party copy of the SDK message table (§5 note).

The words a person reads (``meaning``, ``user_action``) come from the help catalog
(``qbwc_server/help``), the one place that explains every code; this table holds only reactions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from qbwc_server.help import catalog as help_catalog
from qbwc_server.help.entry import HelpEntry


class ConnectionReaction(enum.Enum):
    DONE = "done"  # answer "done" from connectionError
    RETRY_WITH_COMPANY_PATH = "retry_with_company_path"  # return the remembered path once


class ResponseReaction(enum.Enum):
    REQUEST_INVALID = "request_invalid"  # mark the request failed; never resend unchanged
    VERSION_UNSUPPORTED = "version_unsupported"  # rebuild with a lower qbXML version
    TRANSIENT = "transient"  # QuickBooks not reachable right now: retry next run


@dataclass(frozen=True)
class HResultInfo:
    code: int  # unsigned 32-bit, e.g. 0x80040408
    connection_reaction: ConnectionReaction
    response_reaction: ResponseReaction
    retry_next_run: bool  # worth trying again at the next scheduled run without user action
    verified: bool = False

    @property
    def hex(self) -> str:
        return help_catalog.hresult_code(self.code)

    @property
    def help(self) -> HelpEntry:
        return help_catalog.hresult_entry(self.code)

    @property
    def meaning(self) -> str:
        """Plain words for the status page (the catalog entry's title)."""
        return self.help.sentence

    @property
    def user_action(self) -> str:
        """What the QuickBooks user should do (the catalog entry's steps, in order)."""
        return self.help.advice


_D = ConnectionReaction.DONE
_R = ConnectionReaction.RETRY_WITH_COMPANY_PATH
_T = ResponseReaction.TRANSIENT
_INVALID = ResponseReaction.REQUEST_INVALID
_VERSION = ResponseReaction.VERSION_UNSUPPORTED

_CATALOG: tuple[HResultInfo, ...] = (
    # code         connectionError  receiveResponseXML  retry next run
    HResultInfo(0x80040400, _D, _INVALID, False, verified=True),  # our request unreadable
    HResultInfo(0x80040401, _D, _T, True, verified=True),  # could not access QuickBooks
    HResultInfo(0x80040402, _D, _T, True, verified=True),  # unexpected error
    HResultInfo(0x80040408, _D, _T, True),  # could not start QuickBooks
    HResultInfo(0x80040409, _D, _T, False, verified=True),  # wrong QuickBooks version for file
    HResultInfo(0x8004040A, _R, _T, True),  # a different company file is open
    HResultInfo(0x8004040D, _D, _T, True, verified=True),  # invalid ticket
    HResultInfo(0x80040410, _D, _T, False),  # file open in the other mode
    HResultInfo(0x80040414, _D, _T, True),  # a modal dialog is open
    HResultInfo(0x80040416, _R, _T, True),  # QuickBooks not running, no file named
    HResultInfo(0x80040417, _R, _T, True),  # no company file open
    HResultInfo(0x80040418, _D, _T, False),  # first access needs the admin
    HResultInfo(0x8004041A, _D, _T, False),  # no permission
    HResultInfo(0x8004041B, _D, _T, True),  # could not lock
    HResultInfo(0x8004041C, _D, _T, True),  # internal error opening the file
    HResultInfo(0x8004041D, _D, _T, False),  # no automatic login
    HResultInfo(0x8004041E, _D, _T, False),  # certificate expired
    HResultInfo(0x8004041F, _D, _T, False),  # edition takes no integrations
    HResultInfo(0x80040420, _D, _T, False),  # a user denied access
    HResultInfo(0x80040422, _D, _T, True),  # single-user needed, file shared
    HResultInfo(0x80040423, _D, _VERSION, True),  # qbXML version not supported
    HResultInfo(0x80040424, _D, _T, True),  # QuickBooks still starting
    HResultInfo(0x80040427, _D, _T, False),  # QuickBooks not registered
    HResultInfo(0x8004042A, _D, _T, False),  # remote access not allowed
    HResultInfo(0x8004042C, _D, _T, False),  # certificate revoked
)  # fmt: skip

HRESULTS: dict[int, HResultInfo] = {info.code: info for info in _CATALOG}


def parse_hresult(text: str) -> int | None:
    """``"0x80040408"`` / ``"80040408"`` / ``"-2147220472"`` / ``"2147746824"`` → 0x80040408;
    ``None`` if empty or unreadable (see :func:`qbwc_server.help.catalog.hresult_value`)."""
    return help_catalog.hresult_value(text)


def lookup_hresult(text_or_code: str | int) -> HResultInfo:
    """Reactions for an HRESULT; unknown codes are treated as transient."""
    code = text_or_code if isinstance(text_or_code, int) else parse_hresult(text_or_code)
    if code is not None and code in HRESULTS:
        return HRESULTS[code]
    return HResultInfo(code or 0, ConnectionReaction.DONE, ResponseReaction.TRANSIENT, True)

"""HRESULTs from the QuickBooks request processor (§5) — in ``connectionError`` and in the
``hresult`` parameter of ``receiveResponseXML`` — with plain-words text and a reaction.

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
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


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
    meaning: str  # plain words for the status page
    user_action: str  # what the QuickBooks user should do ("" when nothing)
    connection_reaction: ConnectionReaction
    response_reaction: ResponseReaction
    retry_next_run: bool  # worth trying again at the next scheduled run without user action
    verified: bool = False

    @property
    def hex(self) -> str:
        return f"0x{self.code:08X}"


_D = ConnectionReaction.DONE
_R = ConnectionReaction.RETRY_WITH_COMPANY_PATH
_T = ResponseReaction.TRANSIENT

_CATALOG: tuple[HResultInfo, ...] = (
    HResultInfo(0x80040400, "QuickBooks could not read the request we sent.",
                "", _D, ResponseReaction.REQUEST_INVALID, False, verified=True),
    HResultInfo(0x80040401, "The Web Connector could not access QuickBooks.",
                "Make sure QuickBooks is installed and can be started on this computer.",
                _D, _T, True, verified=True),
    HResultInfo(0x80040402, "QuickBooks reported an unexpected error.",
                "Check qbsdklog.txt on the QuickBooks computer.", _D, _T, True, verified=True),
    HResultInfo(0x80040408, "QuickBooks could not be started.",
                "Start QuickBooks and open the company file, or allow the application to log "
                "in automatically.", _D, _T, True),
    HResultInfo(0x80040409,
                "The running QuickBooks version cannot open this company file (several "
                "QuickBooks versions are installed).",
                "Open the company file in the right QuickBooks version.", _D, _T, False,
                verified=True),
    HResultInfo(0x8004040A, "A different company file is open in QuickBooks.",
                "Close it and open the company file this connection belongs to.", _R, _T,
                True),
    HResultInfo(0x8004040D, "The QuickBooks session ticket was not valid.", "", _D, _T, True,
                verified=True),
    HResultInfo(0x80040410,
                "The company file is open in single-user or multi-user mode, not the mode "
                "requested.", "Switch the company file to the other mode.", _D, _T, False),
    HResultInfo(0x80040414, "A window (dialog) is open in QuickBooks and blocks access.",
                "Close the open dialog in QuickBooks.", _D, _T, True),
    HResultInfo(0x80040416, "QuickBooks is not running and no company file was given.",
                "Start QuickBooks and open the company file.", _R, _T, True),
    HResultInfo(0x80040417, "QuickBooks is running but no company file is open.",
                "Open the company file in QuickBooks.", _R, _T, True),
    HResultInfo(0x80040418,
                "This application has not accessed this company file before; only the "
                "QuickBooks administrator can allow the first access.",
                "Log in to QuickBooks as Admin in single-user mode, run the Web Connector and "
                "approve the application.", _D, _T, False),
    HResultInfo(0x8004041A, "This application may not access this company file.",
                "The QuickBooks admin can allow it under Edit > Preferences > Integrated "
                "Applications.", _D, _T, False),
    HResultInfo(0x8004041B, "QuickBooks could not lock the data it needed.", "", _D, _T, True),
    HResultInfo(0x8004041C, "QuickBooks had an internal error opening the company file.", "",
                _D, _T, True),
    HResultInfo(0x8004041D, "The application may not log in to QuickBooks automatically.",
                "Allow automatic login for the application in Integrated Applications.", _D,
                _T, False),
    HResultInfo(0x8004041E, "The application's certificate has expired.", "", _D, _T, False),
    HResultInfo(0x8004041F, "This QuickBooks edition does not accept integrations.", "", _D,
                _T, False),
    HResultInfo(0x80040420, "The QuickBooks user denied access to this application.",
                "Allow the application again in Integrated Applications.", _D, _T, False),
    HResultInfo(0x80040422,
                "QuickBooks needs single-user mode but another application is using the file.",
                "", _D, _T, True),
    HResultInfo(0x80040423, "QuickBooks does not support the qbXML version we used.", "", _D,
                ResponseReaction.VERSION_UNSUPPORTED, True),
    HResultInfo(0x80040424, "QuickBooks had not finished starting.", "", _D, _T, True),
    HResultInfo(0x80040427, "This copy of QuickBooks is not registered.",
                "Register QuickBooks.", _D, _T, False),
    HResultInfo(0x8004042A, "Remote access to QuickBooks is not allowed.", "", _D, _T, False),
    HResultInfo(0x8004042C, "The application's certificate was revoked.", "", _D, _T, False),
)  # fmt: skip

HRESULTS: dict[int, HResultInfo] = {info.code: info for info in _CATALOG}

_HEX_RE = re.compile(r"^(?:0x)?([0-9a-f]{1,8})$")


def parse_hresult(text: str) -> int | None:
    """``"0x80040408"`` / ``"80040408"`` / ``"-2147220472"`` / ``"2147746824"`` → 0x80040408;
    ``None`` if empty or unreadable. Eight bare digits are read as hex (the usual way HRESULTs
    are written); other bare numbers as decimal."""
    raw = (text or "").strip().lower()
    if not raw:
        return None
    if raw.startswith("-") and raw[1:].isdigit():
        return int(raw) & 0xFFFFFFFF  # signed 32-bit as .NET prints it
    if raw.isdigit() and len(raw) != 8:
        value = int(raw)
        return value if value <= 0xFFFFFFFF else None
    m = _HEX_RE.match(raw)
    if m is None:
        return None
    return int(m.group(1), 16)


def lookup_hresult(text_or_code: str | int) -> HResultInfo:
    """Catalog entry for an HRESULT; unknown codes get a generic, transient entry."""
    code = text_or_code if isinstance(text_or_code, int) else parse_hresult(text_or_code)
    if code is not None and code in HRESULTS:
        return HRESULTS[code]
    return HResultInfo(
        code or 0,
        "QuickBooks could not be reached or reported an error the Web Connector passed on.",
        "Check that QuickBooks is running with the company file open; see QWCLog.txt.",
        ConnectionReaction.DONE,
        ResponseReaction.TRANSIENT,
        True,
    )

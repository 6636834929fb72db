"""Error codes in what QuickBooks answered, as bounded label values for
``qbwc_qbxml_errors_total{code}``: qbXML status codes with severity Error (e.g. ``3200``) and
HRESULTs (e.g. ``0x80040408``). A code outside the catalogs (qbxml/status.py,
qbxml/hresult.py) becomes ``other``: the Web Connector sends these strings, so they must not
be able to create series at will.
"""

from __future__ import annotations

import re

from qbwc_server.qbxml.hresult import HRESULTS, parse_hresult
from qbwc_server.qbxml.status import STATUS_CODES

OTHER = "other"
_SEVERITY_ERROR = ('statusSeverity="Error"', "statusSeverity='Error'")
_STATUS_CODE_RE = re.compile(r"""statusCode\s*=\s*["'](-?\d{1,6})["']""")


def hresult_label(text: str | None) -> str | None:
    """``0x8004040A`` for a known HRESULT, ``other`` for any other non-empty one, else None."""
    if not (text or "").strip():
        return None
    code = parse_hresult(text or "")
    if code is None or code not in HRESULTS:
        return OTHER
    return f"0x{code:08X}"


# The last long answer scanned and its labels: the metrics (soap_metering.py) and the audit
# trail (audit/recorder.py) both ask about the same answer of a call, a page of up to
# megabytes; the second asks for the same object (a tuple, replaced whole: thread-safe). Only
# for the length of the call: forget_long_answer() drops it when the call is over, so an idle
# process does not keep its last page (up to QBWC_MAX_BODY_BYTES of text) alive.
_NOTHING: tuple[str, list[str]] = ("", [])
_last = _NOTHING
_REMEMBER_FROM = 4096  # characters: short answers are cheaper to scan again


def forget_long_answer() -> None:
    """Drop the remembered answer (its call is over). Another thread's call in flight then
    scans its answer once more: the same labels, a little later."""
    global _last
    _last = _NOTHING


def status_error_labels(response: str | None) -> list[str]:
    """The status codes of every response element with severity Error in a qbXML answer.

    Scans for the severity attribute with ``str.find`` (fast over a multi-MB page of records,
    which has no status attributes except on its few response elements), then reads the code
    from the enclosing tag."""
    global _last
    if not response:
        return []
    last = _last
    if last[0] is response:
        return list(last[1])
    labels: list[str] = []
    for needle in _SEVERITY_ERROR:
        pos = response.find(needle)
        while pos >= 0:
            start = response.rfind("<", 0, pos)
            end = response.find(">", pos)
            match = _STATUS_CODE_RE.search(response, start if start >= 0 else 0, end + 1)
            code = int(match.group(1)) if match else None
            labels.append(str(code) if code is not None and code in STATUS_CODES else OTHER)
            pos = response.find(needle, pos + len(needle))
    if len(response) >= _REMEMBER_FROM:
        _last = (response, list(labels))
    return labels

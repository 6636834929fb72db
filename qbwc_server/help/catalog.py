"""The one help catalog: every QBWC error code (docs/protocol.md §4.4), HRESULT (§5), qbXML
status code (§6.3) and refusal of our own, with lookups.

Codes are looked up the way people type them: case does not matter, HRESULTs with or without
``0x`` (or as the signed number some logs print), QBWC codes as ``QBWC1012``, qbXML statuses as
numbers, our own refusals by name (``wrong_company_file``, ``wrong-company-file``).
"""

from __future__ import annotations

import re

from qbwc_server.help import hresult_words, qbwc_codes, refusals, status_words
from qbwc_server.help.entry import KINDS, QUICKBOOKS_ADMIN, WHO, HelpEntry, Kind, entry

__all__ = ["KINDS", "WHO", "HelpEntry", "Kind"]

ENTRIES: tuple[HelpEntry, ...] = (
    qbwc_codes.CATALOG + hresult_words.CATALOG + status_words.CATALOG + refusals.CATALOG
)


def _index(items: tuple[HelpEntry, ...]) -> dict[str, HelpEntry]:
    index: dict[str, HelpEntry] = {}
    for item in items:
        if item.code in index:
            raise ValueError(f"help catalog: code {item.code} twice")
        index[item.code] = item
    return index


_BY_CODE = _index(ENTRIES)

_HEX_RE = re.compile(r"^(?:0x)?([0-9a-f]{1,8})$")
_QBWC_RE = re.compile(r"^qbwc[\s_-]*(\d{4})$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def hresult_value(text: str) -> int | None:
    """``"0x80040408"`` / ``"80040408"`` / ``"-2147220472"`` / ``"2147746824"`` → 0x80040408;
    ``None`` if empty or unreadable. Eight bare digits are hex (the usual way HRESULTs are
    written); other bare numbers decimal."""
    raw = (text or "").strip().lower()
    if not raw:
        return None
    if raw.startswith("-") and raw[1:].isdigit():
        return int(raw) & 0xFFFFFFFF  # signed 32-bit as .NET prints it
    if raw.isdigit() and len(raw) != 8:
        value = int(raw)
        return value if value <= 0xFFFFFFFF else None
    m = _HEX_RE.match(raw)
    return int(m.group(1), 16) if m else None


def hresult_code(value: int) -> str:
    """The catalog's spelling of an HRESULT: ``0x8004040A``."""
    return f"0x{value:08X}"


def normalize_code(text: str | int) -> str | None:
    """The canonical code for what someone typed, or None when it cannot be a code."""
    if isinstance(text, int):
        return str(text) if 0 <= text < 100_000 else hresult_code(text & 0xFFFFFFFF)
    raw = text.strip().lower()
    if not raw:
        return None
    m = _QBWC_RE.match(raw)
    if m:
        return f"QBWC{m.group(1)}"
    if raw.isdigit() and len(raw) != 8 and int(raw) < 100_000:
        return str(int(raw))  # a qbXML status code
    if raw.startswith(("0x", "-")) or len(raw) >= 8:
        value = hresult_value(raw)
        if value is not None:
            return hresult_code(value)
    name = raw.replace("-", "_").replace(" ", "_")
    return name if _NAME_RE.match(name) else None


def lookup(code: str | int) -> HelpEntry | None:
    """The entry for a code, however it was typed; None when there is none."""
    key = normalize_code(code)
    return _BY_CODE.get(key) if key is not None else None


def web_connector_text(code: str, detail: str | None = None) -> str:
    """What the Web Connector shows for a problem (getLastError, closeConnection, a
    clientVersion message): the entry's title, ``detail`` (what this update adds) when given,
    then its steps, in one paragraph. The profile and ``company show`` show the same entry with
    its cause."""
    found = lookup(code)
    value = hresult_value(code) if found is None and code.lower().startswith("0x") else None
    if value is not None:
        found = hresult_entry(value)  # an HRESULT without an entry of its own: the general one
    if found is None:
        raise KeyError(f"no help catalog entry {code!r}")
    return " ".join(part for part in (found.sentence, detail, found.advice) if part)


def entries(kind: str | None = None, query: str | None = None) -> list[HelpEntry]:
    """Entries in catalog order, optionally of one kind and containing every word of ``query``
    (in the code, title, cause or steps; case-insensitive)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    words = (query or "").lower().split()
    result = []
    for item in ENTRIES:
        if kind is not None and item.kind != kind:
            continue
        if words:
            text = " ".join((item.code, item.title, item.cause, *item.steps)).lower()
            if not all(word in text for word in words):
                continue
        result.append(item)
    return result


def hresult_entry(value: int) -> HelpEntry:
    """The entry for an HRESULT; a general one for codes the catalog does not know."""
    code = hresult_code(value)
    known = _BY_CODE.get(code)
    if known is not None:
        return known
    return entry(
        code,
        "hresult",
        QUICKBOOKS_ADMIN,
        "QuickBooks could not be reached or reported an error the Web Connector passed on",
        "QuickBooks' integration component reported an error this server has no entry for.",
        "Check that QuickBooks is running on this PC with the company file open.",
        "In the Web Connector, tick this application and click Update Selected.",
        "If it repeats, send the Web Connector's QWCLog.txt (View Log) to the operator.",
    )


def status_entry(code: int) -> HelpEntry | None:
    """The entry for a qbXML status code the catalog knows."""
    return _BY_CODE.get(str(code))


def status_range_entry(code: int, range_name: str) -> HelpEntry:
    """Words for a status code without an entry, by the range ``qbxml/status.py`` put it in
    (``info``, ``warning``, ``format_error``, ``unsupported_request``, ``error``)."""
    title, cause, steps, who = status_words.RANGE_WORDS[range_name]
    return entry(str(code), "qbxml_status", who, title, cause, *steps)


_EMBEDDED_HRESULT = re.compile(r"\b0x[0-9a-fA-F]{8}\b")
_EMBEDDED_STATUS = re.compile(r"\(QuickBooks (\d{1,4})\b")
# What the server says in a catalog entry's words starts with the entry's title (as a
# sentence: web_connector_text); the sentences it still writes itself, with their prefixes.
_PREFIXES = sorted(
    [(item.sentence, item.code) for item in refusals.CATALOG] + list(refusals.SERVER_MESSAGES),
    key=lambda pair: -len(pair[0]),
)


def problem_for_message(text: str | None) -> HelpEntry | None:
    """The entry behind a sentence the server said (a session's or company's last error, a
    getLastError text): an entry's own words, a known sentence of ours, else the HRESULT or
    qbXML status it names."""
    text = (text or "").strip()
    if not text:
        return None
    for prefix, code in _PREFIXES:
        if text.startswith(prefix):
            if code is not None:
                return _BY_CODE[code]
            break
    m = _EMBEDDED_HRESULT.search(text)
    if m:
        return _BY_CODE.get(hresult_code(int(m.group(0), 16)))
    m = _EMBEDDED_STATUS.search(text)
    if m and m.group(1) != "0":
        return _BY_CODE.get(str(int(m.group(1))))
    return None


def problem_for_outcome(outcome: str | None) -> HelpEntry | None:
    """The entry explaining a QBWC session's outcome, when one entry does."""
    code = refusals.OUTCOME_PROBLEMS.get(outcome or "")
    return _BY_CODE[code] if code is not None else None

"""Status-code and HRESULT catalogs, and the qbXML version choice."""

from __future__ import annotations

import pytest

from qbwc_server.qbxml.hresult import (
    HRESULTS,
    ConnectionReaction,
    ResponseReaction,
    lookup_hresult,
    parse_hresult,
)
from qbwc_server.qbxml.status import (
    STATUS_CODES,
    SeverityClass,
    StatusPolicy,
    bookkeeper_message,
    classify,
    lookup,
)
from qbwc_server.qbxml.versions import choose_qbxml_version

P = StatusPolicy


@pytest.mark.parametrize(
    ("code", "severity", "message", "policy"),
    [
        (0, "Info", "Status OK", P.SUCCESS),
        (1, "Info", "A query request did not find a matching object in QuickBooks",
         P.EMPTY_SUCCESS),
        (500, "Warn", "The query request has not been fully completed.", P.EMPTY_SUCCESS),
        (530, "Warn", "", P.WARNING),
        (1000, "Error", "internal error", P.RETRY_LATER),
        (3100, "Error", 'The name "Acme" of the list element is already in use.',
         P.DUPLICATE_NAME),
        (3120, "Error", 'Object "8000001B-1405768916" specified in the request cannot be found.',
         P.NOT_FOUND),
        (3140, "Error", 'There is an invalid reference to QuickBooks Vendor "X"',
         P.BAD_REFERENCE),
        (3170, "Error", "This list has been modified by another user.", P.RETRY_LATER),
        (3170, "Error", "The amount is negative.", P.FIX_REQUEST),
        (3175, "Error", "", P.RETRY_LATER),
        (3176, "Error", "", P.RETRY_LATER),
        (3180, "Error", "The record could not be locked because it is in use.", P.RETRY_LATER),
        (3180, "Error", "There was an error when saving a Bill. Credit limit exceeded.",
         P.FIX_REQUEST),
        (3200, "Error", "The provided edit sequence \"1\" is out-of-date.", P.STALE),
        (3210, "Error", "You cannot pay more than the amount due.", P.FIX_REQUEST),
        (3231, "Error", "The request has not been processed.", P.NOT_PROCESSED),
        (3250, "Error", "This feature is not enabled or not available", P.FEATURE_OFF),
        (3260, "Error", "Insufficient permission level", P.PERMISSION),
        (3261, "Error", "", P.PERMISSION),
        (3263, "Error", "", P.PERMISSION),
        (3171, "Error", "", P.CLOSED_PERIOD),
        (3161, "Error", "", P.CLOSED_PERIOD),
        (3391, "Error", 'The iteratorID "{dbd52aaa-a295-4d15-b675-fafa0f49fcf8}" is not valid.',
         P.ITERATOR_INVALID),
        (3000, "Error", "The given object ID is invalid.", P.FIX_REQUEST),
        (3045, "Error", "unlisted format error", P.FIX_REQUEST),
        (2010, "Error", "not supported", P.FIX_REQUEST),
        (9150, "Error", "macro error", P.FIX_REQUEST),
        (3999, "Error", "unlisted", P.NEEDS_ATTENTION),
        (42, "Info", "unlisted info", P.SUCCESS),
        (777, "Warn", "unlisted warning", P.WARNING),
    ],
)  # fmt: skip
def test_status_policies(code: int, severity: str, message: str, policy: StatusPolicy) -> None:
    assert classify(code, severity, message) is policy


def test_severity_from_quickbooks_wins_for_data_bearing_responses() -> None:
    # If QuickBooks says Info for a code we file as an error, records came back: keep them.
    assert classify(3100, "Info") is P.SUCCESS
    assert classify(3100, "Warn") is P.WARNING


def test_catalog_is_consistent() -> None:
    for code, info in STATUS_CODES.items():
        assert info.code == code and info.meaning and info.name
        if code < 500:
            assert info.severity is SeverityClass.INFO
        elif code < 1000:
            assert info.severity is SeverityClass.WARN
        else:
            assert info.severity is SeverityClass.ERROR
    assert lookup(3175).retryable and not lookup(3100).retryable


def test_bookkeeper_message_includes_quickbooks_text() -> None:
    text = bookkeeper_message(3100, "Error", 'The name "Acme" is already in use.')
    assert "already exists" in text and "3100" in text and '"Acme"' in text
    assert bookkeeper_message(0, "Info", "Status OK") == "Done."


# --- HRESULTs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0x80040408", 0x80040408),
        ("0X8004040a", 0x8004040A),
        ("80040400", 0x80040400),
        ("-2147220472", 0x80040408),
        ("", None),
        ("  ", None),
        ("bogus", None),
    ],
)
def test_parse_hresult(text: str, code: int | None) -> None:
    assert parse_hresult(text) == code


def test_request_invalid_is_never_resent() -> None:
    info = lookup_hresult("0x80040400")
    assert info.response_reaction is ResponseReaction.REQUEST_INVALID
    assert info.retry_next_run is False and info.verified
    assert info.hex == "0x80040400"


def test_version_unsupported_hresult() -> None:
    assert lookup_hresult("0x80040423").response_reaction is ResponseReaction.VERSION_UNSUPPORTED


def test_no_company_open_retries_with_path_once() -> None:
    for code in ("0x80040416", "0x80040417"):
        reaction = lookup_hresult(code).connection_reaction
        assert reaction is ConnectionReaction.RETRY_WITH_COMPANY_PATH
    assert lookup_hresult("0x80040408").connection_reaction is ConnectionReaction.DONE
    assert lookup_hresult("0x80040418").user_action  # admin must approve: tell the user


def test_unknown_hresult_is_transient() -> None:
    info = lookup_hresult("0x8004FFFF")
    assert info.code == 0x8004FFFF
    assert info.response_reaction is ResponseReaction.TRANSIENT
    assert info.connection_reaction is ConnectionReaction.DONE


def test_hresult_catalog_texts() -> None:
    for code, info in HRESULTS.items():
        assert info.code == code and info.meaning.endswith(".")
        assert info.hex.startswith("0x8004")


# --- versions -------------------------------------------------------------------------------


def versions_up_to(last: str) -> list[str]:
    all_versions = ["1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0"]
    all_versions += [f"{major}.0" for major in range(8, 17)]
    return all_versions[: all_versions.index(last) + 1]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (versions_up_to("13.0"), "13.0"),
        (versions_up_to("14.0"), "13.0"),  # no XSD for 14.0: send 13.0 shapes
        (versions_up_to("15.0"), "13.0"),
        (versions_up_to("16.0"), "16.0"),
        (["16.0"], "16.0"),
        (["14.0"], "13.0"),  # no exact match: QuickBooks accepts older versions
        (["13.0", "junk", "CA3.0"], "13.0"),
    ],
)
def test_choose_from_hcp(host: list[str], expected: str) -> None:
    choice = choose_qbxml_version(host, major=99, minor=0)
    assert choice.version == expected and choice.source == "hcp" and choice.supported


def test_old_quickbooks_unsupported() -> None:
    choice = choose_qbxml_version(versions_up_to("12.0"))
    assert not choice.supported and "unsupported QuickBooks version" in choice.reason
    assert not choose_qbxml_version(None, major=12, minor=0).supported


@pytest.mark.parametrize(
    ("major", "minor", "expected"),
    [(13, 0, "13.0"), (14, 0, "13.0"), (16, 0, "16.0"), (17, 0, "16.0"), (13, None, "13.0")],
)
def test_fall_back_to_major_minor(major: int, minor: int | None, expected: str) -> None:
    choice = choose_qbxml_version([], major=major, minor=minor)
    assert choice.version == expected and choice.source == "major_minor"


def test_nothing_reported() -> None:
    choice = choose_qbxml_version(None)
    assert choice.version is None and choice.source == "none"

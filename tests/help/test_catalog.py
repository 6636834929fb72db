"""The help catalog: complete entries, lookups the way people type codes, and one source of
words for the qbXML status and HRESULT tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from qbwc_server.help import catalog
from qbwc_server.help.entry import KINDS, WHO
from qbwc_server.qbxml import hresult, status

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("item", catalog.ENTRIES, ids=lambda item: item.code)
def test_every_entry_is_complete(item: catalog.HelpEntry) -> None:
    assert item.kind in KINDS
    assert item.who in WHO, f"{item.code}: who={item.who!r} is not one of {WHO}"
    for name in ("title", "cause"):
        text = getattr(item, name)
        assert text.strip() == text and len(text) >= 4, f"{item.code}: {name}={text!r}"
        assert "\n" not in text and "  " not in text, f"{item.code}: {name}"
    assert not item.title.endswith("."), f"{item.code}: titles carry no full stop"
    assert item.steps, f"{item.code}: no steps"
    for step in item.steps:
        assert step.strip() == step and len(step) >= 8, f"{item.code}: step {step!r}"
        assert step[0].isupper() and step[-1] in ".)", f"{item.code}: step {step!r}"
    assert catalog.normalize_code(item.code) == item.code, f"{item.code} is not canonical"
    assert catalog.lookup(item.code) is item
    assert catalog.lookup(item.code.lower()) is item and catalog.lookup(item.code.upper()) is item


def test_every_kind_has_entries_and_codes_are_unique() -> None:
    codes = [item.code for item in catalog.ENTRIES]
    assert len(codes) == len(set(codes))
    for kind in KINDS:
        assert catalog.entries(kind=kind), kind


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("0x80040408", "0x80040408"),
        ("80040408", "0x80040408"),
        ("0X8004040a", "0x8004040A"),
        ("8004040a", "0x8004040A"),
        ("-2147220472", "0x80040408"),  # signed, as some .NET logs print it
        ("2147746824", "0x80040408"),
        (" QBWC1012 ", "QBWC1012"),
        ("qbwc1012", "QBWC1012"),
        ("QBWC-1042", "QBWC1042"),
        ("3100", "3100"),
        ("03100", "3100"),
        ("0", "0"),
        ("wrong_company_file", "wrong_company_file"),
        ("Wrong-Company-File", "wrong_company_file"),
        ("PAUSED", "paused"),
    ],
)
def test_lookup_accepts_codes_as_people_type_them(typed: str, code: str) -> None:
    found = catalog.lookup(typed)
    assert found is not None and found.code == code


@pytest.mark.parametrize(
    "typed", ["", "   ", "nope", "1012", "0x8004FFFF", "QBWC9", "3100; drop table", "../etc"]
)
def test_unknown_codes_have_no_entry(typed: str) -> None:
    assert catalog.lookup(typed) is None


def test_the_issue_example_reads_in_order() -> None:
    # 0x80040408 -> open QuickBooks as Admin in single-user mode, open this company file,
    # run Update Selected (issue 11).
    steps = catalog.lookup("0x80040408").steps  # type: ignore[union-attr]
    text = " | ".join(steps)
    order = ["Admin", "single-user", "company file", "Update Selected"]
    positions = [text.index(word) for word in order]
    assert positions == sorted(positions), text
    assert catalog.lookup("0x80040408").who == "QuickBooks admin"  # type: ignore[union-attr]


def test_entries_filter_by_kind_and_words() -> None:
    hresults = catalog.entries(kind="hresult")
    assert hresults and all(item.kind == "hresult" for item in hresults)
    single_user = catalog.entries(query="Single-User admin")
    assert {"0x80040408", "0x80040418"} <= {item.code for item in single_user}
    assert catalog.entries(query="zzz-no-such-word") == []
    with pytest.raises(ValueError):
        catalog.entries(kind="bogus")


def test_unknown_hresult_and_status_still_get_words() -> None:
    generic = catalog.hresult_entry(0x8004FFFF)
    assert generic.code == "0x8004FFFF" and generic.steps and generic.who in WHO
    assert catalog.lookup("0x8004FFFF") is None  # not listed: the API answers 404
    for code, range_name in ((42, "info"), (777, "warning"), (3045, "format_error"),
                             (2010, "unsupported_request"), (3999, "error")):  # fmt: skip
        item = catalog.status_range_entry(code, range_name)
        assert item.code == str(code) and item.steps and item.who in WHO


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ('Wrong company file open: QuickBooks has "Other" open', "wrong_company_file"),
        (catalog.web_connector_text("connector_key_rotated"), "connector_key_rotated"),
        (catalog.web_connector_text("wrong_company_file", "Expected: x."), "wrong_company_file"),
        ("QuickBooks could not be started. (0x80040408) Open QuickBooks ...", "0x80040408"),
        ("The record is open or in use in QuickBooks. (QuickBooks 3175: in use)", "3175"),
        ("QuickBooks reported error 0x8004FFFF: strange", None),
        ("Sync complete: nothing more to do.", None),
        ("", None),
    ],
)
def test_problem_for_message(said: str, code: str | None) -> None:
    found = catalog.problem_for_message(said)
    assert (found.code if found else None) == code


def test_problem_for_outcome() -> None:
    assert catalog.problem_for_outcome("wrong_file").code == "wrong_company_file"  # type: ignore[union-attr]
    assert catalog.problem_for_outcome("nvu").code == "connector_key_wrong"  # type: ignore[union-attr]
    assert catalog.problem_for_outcome("completed") is None
    assert catalog.problem_for_outcome("never-heard-of") is None


# --- one source of words ---------------------------------------------------------------------


def test_hresult_words_come_from_the_catalog() -> None:
    for code, info in hresult.HRESULTS.items():
        entry = catalog.lookup(hex(code))
        assert entry is not None, hex(code)
        assert info.help is entry
        assert info.meaning == entry.sentence and info.user_action == " ".join(entry.steps)


def test_status_words_come_from_the_catalog() -> None:
    for code, info in status.STATUS_CODES.items():
        entry = catalog.lookup(code)
        assert entry is not None, code
        assert info.help is entry and info.meaning == entry.sentence
    text = status.bookkeeper_message(3175, "Error", "The record is in use.")
    assert text.startswith(catalog.lookup(3175).sentence)  # type: ignore[union-attr]
    assert "(QuickBooks 3175: The record is in use.)" in text


@pytest.mark.parametrize("module", ["qbxml/hresult.py", "qbxml/status.py", "engine/hresults.py"])
def test_protocol_tables_hold_no_copy_of_the_words(module: str) -> None:
    source = (PROJECT_ROOT / "qbwc_server" / module).read_text(encoding="utf-8")
    for item in catalog.ENTRIES:
        for text in (item.title, item.cause, *item.steps):
            if len(text) > 30:
                assert text not in source, f"{module} repeats the catalog's words: {text!r}"

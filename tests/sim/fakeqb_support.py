"""Shared helpers for the fake-QuickBooks tests (test_fakeqb_*.py)."""

from __future__ import annotations

from lxml import etree

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.quickbooks.qbxml_text import request_document, responses

OWNER_ID = "{57F3B9B1-86F1-4FCC-B1EE-566DE1813D20}"
FILE_ID = "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"


def open_fake(company: CompanyFile | None = None, **kwargs: object) -> FakeQuickBooks:
    """A fake QuickBooks over a fresh tiny company, with a session open."""
    fake = FakeQuickBooks(company or CompanyFile.generate(seed=7, profile="tiny"), **kwargs)  # type: ignore[arg-type]
    fake.open_session(app_name="AP Sync", owner_id=OWNER_ID, file_id=FILE_ID)
    return fake


def ask(
    fake: FakeQuickBooks,
    body: str,
    *,
    version: str = "13.0",
    on_error: str = "stopOnError",
    msgs_attrs: str = "",
) -> list[etree._Element]:
    """Send one request document; return its …Rs elements."""
    text = fake.process(
        request_document(body, version=version, on_error=on_error, msgs_attrs=msgs_attrs)
    )
    assert text.startswith('<?xml version="1.0" ?>')
    return responses(text)


def ask_one(fake: FakeQuickBooks, body: str, **kwargs: str) -> etree._Element:
    rs = ask(fake, body, **kwargs)
    assert len(rs) == 1
    return rs[0]


def status(rs: etree._Element) -> int:
    return int(rs.get("statusCode", "-1"))


def ids(rs: etree._Element, field: str = "TxnID") -> list[str]:
    return [str(el.findtext(field)) for el in rs]


def child(el: etree._Element | None, path: str) -> etree._Element:
    """``el.find(path)``, asserting that it exists (keeps the tests free of None checks)."""
    assert el is not None
    found = el.find(path)
    assert found is not None, path
    return found


def text(el: etree._Element | None, path: str) -> str:
    """Text of ``el.find(path)``; "" when the element is absent."""
    assert el is not None
    return el.findtext(path) or ""


def schema_error(schema: etree.XMLSchema) -> str:
    return str(schema.error_log)

"""Fixtures for the qbXML layer tests: schema validation of whole request documents and the
content-model readers (generated facts everywhere; Intuit's XSD files where present)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests.qbxml.xsd_tools import FactsModel, XsdModel, facts_model, xsd_model

VERSIONS = ("13.0", "16.0")

Validator = Callable[[str, str], etree._Element]


@pytest.fixture(scope="session")
def validate_doc(qbxml_schema) -> Validator:  # type: ignore[no-untyped-def]
    """``validate_doc(document, version)``: assert the document is valid against the XSD of
    ``version`` and return its root element."""

    def check(document: str, version: str) -> etree._Element:
        assert document.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
        assert f'<?qbxml version="{version}"?>' in document.splitlines()[1]
        body = re.sub(r"^<\?xml[^>]*\?>", "", document)
        root = etree.fromstring(body.encode("ascii"))
        schema = qbxml_schema(version)
        if not schema.validate(root):
            raise AssertionError(f"invalid against {version} XSD: {schema.error_log}\n{body}")
        return root

    return check


@pytest.fixture(scope="session")
def xsd() -> Callable[[str], FactsModel]:
    """Content models from the schema facts generated into the project (any clone)."""
    return facts_model


@pytest.fixture(scope="session")
def xsd_files(reference_dir: Path) -> Callable[[str], XsdModel]:
    """Content models read from Intuit's XSD files (questions the facts do not cover, e.g.
    every Ret of the whole schema)."""

    def get(version: str) -> XsdModel:
        return xsd_model(reference_dir, version)

    return get

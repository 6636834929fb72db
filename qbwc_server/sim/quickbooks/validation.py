"""Validating request documents against Intuit's qbXML schema, as QuickBooks does (§6.8).

QuickBooks rejects a request document that does not validate against the schema of its declared
``<?qbxml version?>`` with HRESULT 0x80040400 and no hint of what was wrong. The fake checks
every request against the schema facts generated into the project from Intuit's XSDs
(:mod:`.xsd_facts`), so it validates on any clone, with or without the reference files.

Versions below 14.0 are checked against the 13.0 schema and later ones against 16.0 — slightly
lenient (an element introduced in 12.0 passes a request declared 11.0), never too strict for the
two versions real servers use.
"""

from __future__ import annotations

from lxml import etree

from .xsd_facts import validator_for


def schema_major(major: int) -> int:
    return 13 if major < 14 else 16


def request_is_valid(root: etree._Element, major: int) -> bool:
    """Whether a parsed request document validates for qbXML major version ``major``."""
    return validator_for(f"{schema_major(major)}.0").validate(root)

"""Validating request documents against Intuit's qbXML schema, as QuickBooks does (§6.8).

QuickBooks rejects a request document that does not validate against the schema of its declared
``<?qbxml version?>`` with HRESULT 0x80040400 and no hint of what was wrong. The reference XSDs
(13.0 and 16.0) live outside the project (``QBWC_REFERENCE_DIR`` or ``<project>/../shared/
reference``); without them the fake simply skips validation.

Versions below 14.0 are checked against the 13.0 schema and later ones against 16.0 — slightly
lenient (an element introduced in 12.0 passes a request declared 11.0), never too strict for the
two versions real servers use.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from lxml import etree


def reference_dir() -> Path:
    override = os.environ.get("QBWC_REFERENCE_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3].parent / "shared" / "reference"


def schema_major(major: int) -> int:
    return 13 if major < 14 else 16


@functools.cache
def _load(path: str) -> etree.XMLSchema | None:
    if not Path(path).is_file():
        return None
    return etree.XMLSchema(etree.parse(path))


def schema_for(major: int, root: Path | None = None) -> etree.XMLSchema | None:
    """The XSD for a qbXML major version, or None when the reference files are absent."""
    chosen = schema_major(major)
    base = root if root is not None else reference_dir()
    return _load(str(base / "xsd" / f"qbxml-{chosen}.0" / f"qbxmlops{chosen}0.xsd"))

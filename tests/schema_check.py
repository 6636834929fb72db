"""Validating qbXML documents in tests: Intuit's XSDs where present, the generated facts always.

:class:`SchemaCheck` is what the ``qbxml_schema`` fixture hands out. It validates with the
facts validator generated into the project (``qbwc_server.sim.quickbooks.xsd_facts``), which
works on any clone; when Intuit's XSDs are present (``../shared/reference``) it also validates
with lxml's ``XMLSchema`` and fails the test if the two disagree. So every document the suite
validates is also a cross-check of the facts against the real schema wherever the files exist.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

from qbwc_server.sim.quickbooks.xsd_facts import validator_for
from qbwc_server.sim.quickbooks.xsd_facts.validator import Invalid


@functools.cache
def load_xsd(reference: Path, version: str) -> etree.XMLSchema:
    major = version.split(".")[0]
    path = reference / "xsd" / f"qbxml-{major}.0" / f"qbxmlops{major}0.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


class SchemaCheck:
    """``validate(root) -> bool`` and ``error_log`` like ``etree.XMLSchema``, on two engines."""

    def __init__(self, version: str, xsd: etree.XMLSchema | None) -> None:
        self.version = version
        self.xsd = xsd
        self.facts = validator_for(version)
        self.error_log = ""

    @property
    def engines(self) -> str:
        return "XSD + generated facts" if self.xsd is not None else "generated facts"

    def validate(self, root: etree._Element) -> bool:
        try:
            self.facts.assert_valid(root)
            facts_ok, facts_says = True, ""
        except Invalid as exc:
            facts_ok, facts_says = False, str(exc)
        self.error_log = f"[facts] {facts_says}" if facts_says else ""
        if self.xsd is not None:
            xsd_ok = bool(self.xsd.validate(root))
            if not xsd_ok:
                self.error_log = f"[xsd] {self.xsd.error_log}\n{self.error_log}".rstrip()
            assert xsd_ok == facts_ok, (
                f"the generated schema facts disagree with Intuit's {self.version} XSD: "
                f"XSD says {'valid' if xsd_ok else 'invalid'}, facts say "
                f"{'valid' if facts_ok else 'invalid'} ({facts_says or 'no complaint'}); "
                f"XSD log: {self.xsd.error_log}\n" + etree.tostring(root, encoding="unicode")[:800]
            )
        return facts_ok

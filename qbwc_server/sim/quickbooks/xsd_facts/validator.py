"""Validating a qbXML document against the generated schema facts (§6.8).

Does what an XSD validator does for the parts of XML Schema Intuit's qbXML files use: content
models of sequences, choices and groups with min/max occurs; element-only content (no stray
text); simple values by type (string, token, boolean, date, decimal, integer, duration, with
enumerations, patterns, maxLength and inclusive bounds, and unions of those); attributes
(unknown ones refused, required ones present, values by type). A test checks it agrees with
lxml's ``XMLSchema`` on every request the test suite builds, Intuit's samples and broken variants.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from .facts import UNBOUNDED, SchemaFacts, facts_for

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
_DURATION = re.compile(
    r"-?P(?=[0-9T])([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?"
    r"([0-9]+(\.[0-9]+)?S)?)?"
)


_ENVELOPES = ("QBXMLMsgsRq", "QBXMLMsgsRs")


class Invalid(Exception):
    """The document does not validate (the message says where, for tests and logs)."""


def _collapse(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _pattern(xsd_regex: str) -> re.Pattern[str]:
    # XSD patterns are anchored at both ends; the qbXML ones use no XSD-only syntax.
    return re.compile(xsd_regex)


def _base_ok(base: str, value: str) -> bool:
    if base in ("string", "token"):
        return True
    if base == "boolean":
        return value in ("true", "false", "1", "0")
    if base == "integer":
        return _INTEGER.fullmatch(value) is not None
    if base == "decimal":
        return _DECIMAL.fullmatch(value) is not None
    if base == "date":
        match = _DATE.fullmatch(value)
        if match is None:
            return False
        try:
            dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return False
        return True
    if base == "duration":
        return _DURATION.fullmatch(value) is not None and not value.endswith("T")
    raise AssertionError(f"simple base type {base} is not understood")


class FactsValidator:
    """Validates request documents of one schema version (13.0 or 16.0)."""

    def __init__(self, facts: SchemaFacts) -> None:
        self.facts = facts

    # --- entry points ----------------------------------------------------------------------------
    def validate(self, root: etree._Element) -> bool:
        try:
            self.assert_valid(root)
        except Invalid:
            return False
        return True

    def assert_valid(self, root: etree._Element) -> None:
        """Raise :class:`Invalid` naming the first problem, if the document does not validate.

        The document element must be ``QBXML`` holding at most one ``QBXMLMsgsRq`` or
        ``QBXMLMsgsRs`` (sign-on and subscription messages are not modelled). A response may
        hold the ``…Rs`` of the requests the simulator answers; any other is refused as not
        covered by the facts."""
        if root.tag != "QBXML":
            raise Invalid(f"the document element is {root.tag!r}, not QBXML")
        if root.attrib:
            raise Invalid("QBXML takes no attributes")
        self._no_text(root)
        children = self._element_children(root)
        if len(children) > 1 or (children and children[0].tag not in _ENVELOPES):
            raise Invalid("QBXML must hold one QBXMLMsgsRq or QBXMLMsgsRs")
        for child in children:
            if child.tag == "QBXMLMsgsRq":
                self.element(child, self.facts.elements["QBXMLMsgsRq"], "QBXML")
            else:
                self.responses(child)

    def responses(self, envelope: etree._Element) -> None:
        """``QBXMLMsgsRs``: any number of ``…Rs`` in any order (a choice, unbounded)."""
        facts = self.facts.responses
        self.attributes(envelope, facts["attributes"], "QBXML/QBXMLMsgsRs")
        self._no_text(envelope)
        for rs in self._element_children(envelope):
            type_name = facts["answers"].get(rs.tag)
            if type_name is None:
                raise Invalid(f"{rs.tag}: not a response the schema facts cover")
            self.element(rs, {"t": type_name}, "QBXML/QBXMLMsgsRs")

    # --- elements --------------------------------------------------------------------------------
    def element(self, node: etree._Element, declaration: dict[str, Any], where: str) -> None:
        path = f"{where}/{node.tag}"
        if "any" in declaration:
            return
        if "s" in declaration:
            if node.attrib:
                raise Invalid(f"{path}: a text element takes no attributes")
            if self._element_children(node):
                raise Invalid(f"{path}: a text element holds no elements")
            self.value(node.text or "", declaration["s"], path)
            return
        complex_facts = self.facts.complex_of(declaration)
        assert complex_facts is not None
        self.attributes(node, complex_facts["a"], path)
        children = self._element_children(node)
        if "text" in complex_facts:
            if children:
                raise Invalid(f"{path}: simple content holds no elements")
            self.value(node.text or "", complex_facts["text"], path)
            return
        self._no_text(node)
        names = [str(child.tag) for child in children]
        matches = self._match(complex_facts["p"], names, 0) if complex_facts["p"] else {0: ()}
        if len(names) not in matches:
            raise Invalid(f"{path}: children {names} do not fit the schema's content model")
        for child, child_declaration in zip(children, matches[len(names)], strict=True):
            self.element(child, child_declaration or self.facts.elements[child.tag], path)

    def _element_children(self, node: etree._Element) -> list[etree._Element]:
        children = []
        for child in node:
            if isinstance(child.tag, str):
                if etree.QName(child).namespace is not None:
                    raise Invalid(f"{child.tag}: qbXML elements have no namespace")
                children.append(child)
            elif not isinstance(child, etree._Comment | etree._ProcessingInstruction):
                raise Invalid(f"{node.tag}: unexpected node {child!r}")
        return children

    @staticmethod
    def _no_text(node: etree._Element) -> None:
        if (node.text or "").strip() or any((c.tail or "").strip() for c in node):
            raise Invalid(f"{node.tag}: text is not allowed between elements")

    # --- content models --------------------------------------------------------------------------
    Matches = dict[int, tuple[Any, ...]]

    def _match(self, particle: list[Any], names: list[str], start: int) -> Matches:
        """End positions reachable by matching ``particle`` from ``start``, each with the
        declarations of the elements matched on the way (None = the global declaration).
        XSD's unique particle attribution makes the first way to an end the only one."""
        kind, low, high = particle[0], particle[1], particle[2]
        if kind == "el":
            name, declaration = particle[3], particle[4]
            out: FactsValidator.Matches = {}
            count = 0
            if low == 0:
                out[start] = ()
            while start + count < len(names) and names[start + count] == name:
                if high != UNBOUNDED and count >= high:
                    break
                count += 1
                if count >= low:
                    out[start + count] = (declaration,) * count
            return out
        return self._repeat(particle, names, start, low, high)

    def _once(self, particle: list[Any], names: list[str], start: int) -> Matches:
        kind = particle[0]
        if kind == "group":
            return self._match(self.facts.groups[particle[3]], names, start)
        if kind == "choice":
            out: FactsValidator.Matches = {}
            for part in particle[3]:
                for end, declarations in self._match(part, names, start).items():
                    out.setdefault(end, declarations)
            return out
        states: FactsValidator.Matches = {start: ()}
        for part in particle[3]:
            following: FactsValidator.Matches = {}
            for position, declarations in states.items():
                for end, more in self._match(part, names, position).items():
                    following.setdefault(end, declarations + more)
            states = following
            if not states:
                break
        return states

    def _repeat(
        self, particle: list[Any], names: list[str], start: int, low: int, high: int
    ) -> Matches:
        out: FactsValidator.Matches = {}
        states: FactsValidator.Matches = {start: ()}
        nullable = False
        rounds = 0
        if low == 0:
            out[start] = ()
        while states and (high == UNBOUNDED or rounds < high):
            rounds += 1
            following: FactsValidator.Matches = {}
            for position, declarations in states.items():
                for end, more in self._once(particle, names, position).items():
                    if end == position:
                        nullable = True  # an empty round satisfies any number of rounds
                        continue
                    following.setdefault(end, declarations + more)
            if rounds >= low or nullable:
                for end, declarations in following.items():
                    out.setdefault(end, declarations)
            if nullable and rounds < low:
                for position, declarations in states.items():
                    out.setdefault(position, declarations)
            states = following
        if nullable:
            out.setdefault(start, ())
        return out

    # --- attributes and values -------------------------------------------------------------------
    def attributes(self, node: etree._Element, allowed: dict[str, Any], path: str) -> None:
        for raw_name, raw_value in node.attrib.items():
            name, value = str(raw_name), str(raw_value)
            facts = allowed.get(name)
            if facts is None:
                raise Invalid(f"{path}: attribute {name} is not allowed")
            self.value(value, facts["s"], f"{path}/@{name}")
        for required, facts in allowed.items():
            if facts["required"] and required not in node.attrib:
                raise Invalid(f"{path}: attribute {required} is required")

    def value(self, text: str, simple: dict[str, Any], path: str) -> None:
        if not self._value_ok(text, simple):
            raise Invalid(f"{path}: {text!r} is not a valid value")

    def _value_ok(self, text: str, simple: dict[str, Any]) -> bool:
        if "union" in simple:
            return any(self._value_ok(text, member) for member in simple["union"])
        if "ref" in simple:
            named = self.facts.simple_types[simple["ref"]]
            if not self._value_ok(text, named):
                return False
            base = self._base_of(named)
        else:
            base = simple["base"]
            # string keeps whitespace; every other type used here collapses it.
            if base != "string":
                text = _collapse(text)
            if not _base_ok(base, text):
                return False
        if base not in ("string", None):
            text = _collapse(text)
        if "enum" in simple and text not in simple["enum"]:
            return False
        if "max_length" in simple and len(text) > int(simple["max_length"]):
            return False
        if any(_pattern(p).fullmatch(text) is None for p in simple.get("pattern", ())):
            return False
        try:
            if "min" in simple and Decimal(text) < Decimal(simple["min"]):
                return False
            if "max" in simple and Decimal(text) > Decimal(simple["max"]):
                return False
        except InvalidOperation:
            return False
        return True

    def _base_of(self, simple: dict[str, Any]) -> str | None:
        if "union" in simple:
            return None
        if "ref" in simple:
            return self._base_of(self.facts.simple_types[simple["ref"]])
        base: str = simple["base"]
        return base


@functools.cache
def validator_for(version: str) -> FactsValidator:
    """The validator for requests declared at qbXML ``version`` (13.0 below 14, else 16.0)."""
    return FactsValidator(facts_for(version))

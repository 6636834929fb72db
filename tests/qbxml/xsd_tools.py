"""Read content models out of the qbXML schema (test-side only).

The production code encodes schema order and repeatable elements as constants; these helpers
re-derive the same facts so the tests can compare the two: :class:`FactsModel` from the facts
generated into the project (runs on any clone), :class:`XsdModel` from Intuit's XSD files
(``../shared/reference``), for the few questions the facts do not cover.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from qbwc_server.sim.quickbooks.xsd_facts import facts_for

XS = "{http://www.w3.org/2001/XMLSchema}"


@dataclass(frozen=True)
class ChildDecl:
    name: str
    decl: etree._Element  # the xsd:element that defines it (after following ref=)
    repeatable: bool
    optional: bool


class XsdModel:
    def __init__(self, root: Path, version: str) -> None:
        major = version.split(".")[0]
        folder = root / "xsd" / f"qbxml-{major}.0"
        self.index: dict[tuple[str, str], etree._Element] = {}
        for name in (f"qbxml{major}0.xsd", f"qbxmlops{major}0.xsd"):
            for el in etree.parse(str(folder / name)).getroot():
                if isinstance(el.tag, str) and el.get("name"):
                    self.index[(etree.QName(el).localname, el.get("name", ""))] = el

    def has_element(self, name: str) -> bool:
        return ("element", name) in self.index

    def element(self, name: str) -> etree._Element:
        return self.index[("element", name)]

    def complex_type(self, name: str) -> etree._Element:
        return self.index[("complexType", name)]

    def _walk(self, node: etree._Element, repeat: bool, optional: bool) -> Iterator[ChildDecl]:
        for c in node:
            if not isinstance(c.tag, str):
                continue
            local = etree.QName(c).localname
            rep = repeat or c.get("maxOccurs", "1") not in ("0", "1")
            opt = optional or c.get("minOccurs", "1") == "0"
            if local in ("sequence", "all"):
                yield from self._walk(c, rep, opt)
            elif local == "choice":
                yield from self._walk(c, rep, True)
            elif local == "group":
                yield from self._walk(self.index[("group", c.get("ref", ""))], rep, opt)
            elif local == "element":
                decl = self.element(c.get("ref", "")) if c.get("ref") else c
                yield ChildDecl(decl.get("name", ""), decl, rep, opt)
            elif local in ("complexType", "complexContent", "simpleContent"):
                yield from self._walk(c, repeat, optional)
            elif local == "extension":
                base = c.get("base", "")
                if ("complexType", base) in self.index:
                    yield from self._walk(self.index[("complexType", base)], repeat, optional)
                yield from self._walk(c, repeat, optional)

    def children(self, decl: etree._Element) -> list[ChildDecl]:
        """Child elements of an element declaration, in schema order."""
        typ = decl.get("type")
        out: list[ChildDecl] = []
        if typ and ("complexType", typ) in self.index:
            out.extend(self._walk(self.index[("complexType", typ)], False, False))
        inline = decl.find(f"{XS}complexType")
        if inline is not None:
            out.extend(self._walk(inline, False, False))
        return out

    def children_of_type(self, type_name: str) -> list[ChildDecl]:
        return list(self._walk(self.complex_type(type_name), False, False))

    def resolve(self, path: str) -> etree._Element:
        """``"BillAdd/ExpenseLineAdd"`` → the declaration of ExpenseLineAdd inside BillAdd."""
        first, *rest = path.split("/")
        decl = self.element(first)
        for part in rest:
            matches = [c.decl for c in self.children(decl) if c.name == part]
            if not matches:
                raise KeyError(f"{part} not in {decl.get('name')}")
            decl = matches[0]
        return decl

    def child_names(self, path: str) -> list[str]:
        return [c.name for c in self.children(self.resolve(path))]

    def max_length(self, decl: etree._Element) -> int | None:
        """maxLength of a leaf declaration (inline restriction only, like the XSDs use)."""
        for restriction in decl.iter(f"{XS}maxLength"):
            return int(restriction.get("value", "0"))
        return None

    def attributes_of_type(self, type_name: str) -> set[str]:
        ct = self.complex_type(type_name)
        return {a.get("name", "") for a in ct.iter(f"{XS}attribute")}

    def enumeration(self, element_name: str) -> list[str]:
        for el in self.index.values():
            for decl in el.iter(f"{XS}element"):
                if decl.get("name") == element_name:
                    values = [e.get("value", "") for e in decl.iter(f"{XS}enumeration")]
                    if values:
                        return values
        return []

    def ret_element_names(self) -> list[str]:
        return sorted(n for (k, n) in self.index if k == "element" and n.endswith("Ret"))

    def parent_child_repeat(self, roots: list[str]) -> dict[tuple[str, str], bool]:
        """``(parent, child) -> repeatable`` for every element reachable from ``roots``."""
        result: dict[tuple[str, str], bool] = {}
        # Holding the proxies keeps their id() unique while we walk.
        seen: dict[int, etree._Element] = {}
        stack = [self.element(r) for r in roots]
        while stack:
            decl = stack.pop()
            if id(decl) in seen:
                continue
            seen[id(decl)] = decl
            parent = decl.get("name", "")
            for child in self.children(decl):
                key = (parent, child.name)
                result[key] = result.get(key, False) or child.repeatable
                stack.append(child.decl)
        return result


@functools.cache
def xsd_model(root: Path, version: str) -> XsdModel:
    return XsdModel(root, version)


# --- the same questions, answered by the generated schema facts ------------------------------


@dataclass(frozen=True)
class FactsChild:
    name: str
    decl: dict[str, Any]  # the facts declaration of the child element
    repeatable: bool
    optional: bool


class FactsModel:
    """:class:`XsdModel`'s questions answered from the facts generated into the project
    (``qbwc_server/sim/quickbooks/xsd_facts``), so the tables that transcribe the schema are
    checked on any clone. ``test_schema_facts`` checks both models agree where the XSDs exist."""

    def __init__(self, version: str) -> None:
        self.facts = facts_for(version)

    def has_element(self, name: str) -> bool:
        return name in self.facts.elements

    def element(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.facts.elements[name]
        return found

    def _walk(
        self, particle: list[Any] | None, repeat: bool, optional: bool
    ) -> Iterator[FactsChild]:
        if particle is None:
            return
        kind, low, high = particle[0], particle[1], particle[2]
        rep = repeat or high not in (0, 1)
        opt = optional or low == 0
        if kind == "seq":
            for part in particle[3]:
                yield from self._walk(part, rep, opt)
        elif kind == "choice":
            for part in particle[3]:
                yield from self._walk(part, rep, True)
        elif kind == "group":
            yield from self._walk(self.facts.groups[particle[3]], rep, opt)
        else:
            yield FactsChild(particle[3], particle[4] or self.facts.elements[particle[3]], rep, opt)

    def children(self, decl: dict[str, Any]) -> list[FactsChild]:
        complex_facts = self.facts.complex_of(decl)
        return list(self._walk(complex_facts["p"], False, False)) if complex_facts else []

    def children_of_type(self, type_name: str) -> list[FactsChild]:
        return list(self._walk(self.facts.types[type_name]["p"], False, False))

    def resolve(self, path: str) -> dict[str, Any]:
        first, *rest = path.split("/")
        decl = self.element(first)
        for part in rest:
            matches = [c.decl for c in self.children(decl) if c.name == part]
            if not matches:
                raise KeyError(f"{part} not in {path}")
            decl = matches[0]
        return decl

    def child_names(self, path: str) -> list[str]:
        return [c.name for c in self.children(self.resolve(path))]

    def max_length(self, decl: dict[str, Any]) -> int | None:
        """maxLength of a leaf declared with its own restriction (like :class:`XsdModel`)."""
        simple = decl.get("s") or {}
        return int(simple["max_length"]) if "max_length" in simple else None

    def attributes_of_type(self, type_name: str) -> set[str]:
        return set(self.facts.types[type_name]["a"])

    def enumeration(self, element_name: str) -> list[str]:
        for decl in self._declarations():
            if decl[0] == element_name:
                values = (decl[1].get("s") or {}).get("enum")
                if values:
                    return list(values)
        return []

    def _declarations(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every element declaration in the facts: globals, then locals inside types/groups."""
        yield from self.facts.elements.items()
        stack: list[Any] = [t["p"] for t in self.facts.types.values()]
        stack += list(self.facts.groups.values())
        stack += [d["c"]["p"] for d in self.facts.elements.values() if "c" in d]
        while stack:
            particle = stack.pop(0)
            if particle is None:
                continue
            if particle[0] in ("seq", "choice"):
                stack.extend(particle[3])
            elif particle[0] == "el" and particle[4] is not None:
                yield particle[3], particle[4]
                if "c" in particle[4]:
                    stack.append(particle[4]["c"]["p"])

    def parent_child_repeat(self, roots: list[str]) -> dict[tuple[str, str], bool]:
        result: dict[tuple[str, str], bool] = {}
        seen: set[int] = set()
        stack: list[tuple[str, dict[str, Any]]] = [(r, self.element(r)) for r in roots]
        while stack:
            parent, decl = stack.pop()
            if id(decl) in seen:
                continue
            seen.add(id(decl))
            for child in self.children(decl):
                key = (parent, child.name)
                result[key] = result.get(key, False) or child.repeatable
                stack.append((child.name, child.decl))
        return result


@functools.cache
def facts_model(version: str) -> FactsModel:
    return FactsModel(version)

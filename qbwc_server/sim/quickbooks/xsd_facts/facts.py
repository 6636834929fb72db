"""Loading the generated schema facts, and asking them about aggregates.

The file stores 16.0 whole and 13.0 as its differences (an entry of 13.0 replaces or adds to
16.0's); :func:`facts_for` merges them. Tables, as the generator writes them:

* ``elements``: global element name -> declaration: ``{"t": complex type name}``,
  ``{"c": complex facts}``, ``{"s": simple facts}`` or ``{"any": true}``;
* ``types``: complex type name -> ``{"p": particle | null, "a": {attribute: {"required",
  "s"}}, "text": simple facts (simple content only)}``;
* ``groups``: group name -> particle;
* ``simple_types``: name -> simple facts (``base`` or ``ref``, ``union``, ``enum``,
  ``max_length``, ``pattern``, ``min``/``max``);
* ``responses``: the ``QBXMLMsgsRs`` envelope's ``attributes`` and, as ``answers``, the ``…Rs``
  elements of the requests the simulator answers (name -> complex type name);
* ``requests``: every element ``QBXMLMsgsRq`` may hold.

A particle is ``["seq" | "choice", min, max, [particles]]``, ``["group", min, max, name]`` or
``["el", min, max, name, declaration | null]`` (null: the global element of that name);
``max`` -1 is unbounded.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FACTS_FILE = Path(__file__).with_name("qbxml_facts.json")
UNBOUNDED = -1


@functools.cache
def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FACTS_FILE.read_text(encoding="utf-8"))
    return data


def header() -> dict[str, Any]:
    """Where the facts come from: source files with their provenance and sha256, and the date."""
    return dict(_raw()["header"])


def schema_version(version: str) -> str:
    """The schema a qbXML version is checked against: 13.0 below 14, else 16.0 (§6.9)."""
    major = int(version.split(".")[0])
    return "13.0" if major < 14 else "16.0"


@dataclass(frozen=True)
class SchemaFacts:
    version: str
    elements: dict[str, Any]
    types: dict[str, Any]
    groups: dict[str, Any]
    simple_types: dict[str, Any]
    requests: tuple[str, ...]
    responses: dict[str, Any]
    new_in_16: dict[str, tuple[str, ...]]

    def complex_of(self, declaration: dict[str, Any]) -> dict[str, Any] | None:
        if "t" in declaration:
            found: dict[str, Any] = self.types[declaration["t"]]
            return found
        complex_facts: dict[str, Any] | None = declaration.get("c")
        return complex_facts

    def declaration(self, path: str) -> dict[str, Any]:
        """``"BillAddRq/BillAdd/ExpenseLineAdd"`` -> the declaration of that element there."""
        first, *rest = path.split("/")
        declaration: dict[str, Any] = self.elements[first]
        for part in rest:
            found = [d for name, d in self.children(declaration) if name == part]
            if not found:
                raise KeyError(f"{part} is not a child of {path}")
            declaration = found[0]
        return declaration

    def children(self, declaration: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Child elements of an element, in schema order (first declaration of each name)."""
        complex_facts = self.complex_of(declaration)
        out: list[tuple[str, dict[str, Any]]] = []
        if complex_facts is not None:
            self._walk(complex_facts["p"], out)
        return out

    def child_names(self, path: str) -> list[str]:
        return [name for name, _ in self.children(self.declaration(path))]

    def _walk(self, particle: list[Any] | None, out: list[tuple[str, dict[str, Any]]]) -> None:
        if particle is None:
            return
        kind = particle[0]
        if kind in ("seq", "choice"):
            for part in particle[3]:
                self._walk(part, out)
        elif kind == "group":
            self._walk(self.groups[particle[3]], out)
        else:
            name = particle[3]
            if all(name != seen for seen, _ in out):
                out.append((name, particle[4] or self.elements[name]))

    def occurs(self, path: str) -> tuple[int, int]:
        """(minOccurs, maxOccurs) of the last element of ``path`` inside its parent, as the
        effective bounds through the enclosing sequences/choices (a choice makes it optional)."""
        parent, _, name = path.rpartition("/")
        complex_facts = self.complex_of(self.declaration(parent))
        assert complex_facts is not None, parent
        found = self._bounds(complex_facts["p"], name, 1, 1)
        if found is None:
            raise KeyError(path)
        return found

    def _bounds(
        self, particle: list[Any] | None, name: str, low: int, high: int
    ) -> tuple[int, int] | None:
        if particle is None:
            return None
        kind, p_low, p_high = particle[0], particle[1], particle[2]
        low = low * p_low
        high = UNBOUNDED if UNBOUNDED in (high, p_high) else high * p_high
        if kind == "el":
            return (low, high) if particle[3] == name else None
        if kind == "group":
            return self._bounds(self.groups[particle[3]], name, low, high)
        for part in particle[3]:
            found = self._bounds(part, name, 0 if kind == "choice" else low, high)
            if found is not None:
                return found
        return None

    def simple_of(self, declaration: dict[str, Any]) -> dict[str, Any] | None:
        simple: dict[str, Any] | None = declaration.get("s")
        return simple

    def max_length(self, path: str) -> int | None:
        """The maxLength of a text element (its own restriction, else its named type's)."""
        simple = self.simple_of(self.declaration(path))
        while simple is not None:
            if "max_length" in simple:
                return int(simple["max_length"])
            simple = self.simple_types.get(simple["ref"]) if "ref" in simple else None
        return None

    def attributes(self, element: str) -> dict[str, Any]:
        """The attributes an element allows (e.g. which queries take ``iterator``)."""
        complex_facts = self.complex_of(self.elements[element])
        return dict(complex_facts["a"]) if complex_facts else {}


@functools.cache
def facts_for(version: str) -> SchemaFacts:
    """The facts of the schema that checks qbXML ``version`` (see :func:`schema_version`)."""
    raw = _raw()
    chosen = schema_version(version)
    tables = raw["versions"]["16.0"]
    names = ("elements", "types", "groups", "simple_types", "responses")
    merged = {name: dict(tables[name]) for name in names}
    requests = tables["requests"]
    if chosen == "13.0":
        delta = raw["versions"]["13.0"]
        for name in merged:
            merged[name].update(delta[name])
        requests = delta["requests"]
    new = raw["new_in_16"]
    return SchemaFacts(
        version=chosen,
        elements=merged["elements"],
        types=merged["types"],
        groups=merged["groups"],
        simple_types=merged["simple_types"],
        requests=tuple(requests),
        responses=merged["responses"],
        new_in_16={k: tuple(v) for k, v in new.items()},
    )

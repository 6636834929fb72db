#!/usr/bin/env python3
"""Generate the qbXML schema facts the project needs from Intuit's XSDs (13.0 and 16.0).

Usage::

    python scripts/generate_schema_facts.py [--reference ../shared/reference] [--check]

Reads ``<reference>/xsd/qbxml-13.0`` and ``qbxml-16.0`` (Intuit's schema files, provenance in
``<reference>/SOURCES.md``) and writes ``qbwc_server/sim/quickbooks/xsd_facts/qbxml_facts.json``:
for every request aggregate (everything ``QBXMLMsgsRq`` can hold) and the response aggregates
the simulator writes, the content model (sequences and choices with min/max occurs), the value
type and maxLength of every text element, the allowed attributes (which queries take
``iterator``/``metaData``) and, per aggregate, the children that are new in 16.0. These are
facts compiled from the schema, not its text: no annotation, comment or layout is kept.

``--check`` regenerates in memory and exits 1 if the committed file differs (the header's
generation date aside). The test suite runs the same check when the reference files exist.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from lxml import etree

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from qbwc_server.sim.quickbooks.catalog import ALL_TYPES, QUERY_SPECS  # noqa: E402
from qbwc_server.sim.quickbooks.writes import WRITE_HANDLERS  # noqa: E402

OUTPUT = PROJECT / "qbwc_server" / "sim" / "quickbooks" / "xsd_facts" / "qbxml_facts.json"
XS = "{http://www.w3.org/2001/XMLSchema}"
VERSIONS = ("13.0", "16.0")
UNBOUNDED = -1

# Every request aggregate is included (all children of QBXMLMsgsRq). Of the responses: the
# ...Rs of every request the simulator answers (its answers are validated on these facts), and
# the Ret aggregates it writes.
ANSWERED = sorted({rq[:-2] + "Rs" for rq in (*QUERY_SPECS, *WRITE_HANDLERS)})
RESPONSE_ROOTS = (
    "HostRet",
    "CompanyRet",
    "PreferencesRet",
    "ListDeletedRet",
    "TxnDeletedRet",
    "ErrorRecovery",
    "DataExtRet",
    *(f"{object_type}Ret" for object_type in ALL_TYPES),
)


class Schema:
    """The named components of one version's schema files (after following ``xsd:include``)."""

    def __init__(self, folder: Path, version: str) -> None:
        major = version.split(".")[0]
        self.files = [f"qbxmltypes{major}0.xsd", f"qbxml{major}0.xsd", f"qbxmlops{major}0.xsd"]
        self.index: dict[tuple[str, str], etree._Element] = {}
        for name in self.files:
            for node in etree.parse(str(folder / name)).getroot():
                if isinstance(node.tag, str) and node.get("name"):
                    self.index[(etree.QName(node).localname, node.get("name", ""))] = node

    def get(self, kind: str, name: str) -> etree._Element:
        return self.index[(kind, name)]


def _occurs(node: etree._Element) -> tuple[int, int]:
    high = node.get("maxOccurs", "1")
    return int(node.get("minOccurs", "1")), UNBOUNDED if high == "unbounded" else int(high)


class Compiler:
    """Turns XSD components into plain facts (lists and dicts), following names on demand."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.elements: dict[str, Any] = {}
        self.types: dict[str, Any] = {}
        self.groups: dict[str, Any] = {}
        self.simple_types: dict[str, Any] = {}

    # --- simple types --------------------------------------------------------------------------
    def simple(self, node: etree._Element) -> dict[str, Any]:
        """Facts of an ``xsd:simpleType`` (or of the restriction inside one)."""
        local = etree.QName(node).localname
        if local == "simpleType":
            (inner,) = [c for c in node if isinstance(c.tag, str)]
            return self.simple(inner)
        if local == "union":
            return {"union": [self.simple(c) for c in node if isinstance(c.tag, str)]}
        assert local == "restriction", local
        facts: dict[str, Any] = {}
        base = node.get("base", "")
        if base.startswith("xsd:"):
            facts["base"] = base[4:]
        else:
            facts["ref"] = self.simple_type_name(base)
        for facet in node:
            if not isinstance(facet.tag, str):
                continue
            name = etree.QName(facet).localname
            value = facet.get("value", "")
            if name == "enumeration":
                facts.setdefault("enum", []).append(value)
            elif name == "maxLength":
                facts["max_length"] = int(value)
            elif name == "pattern":
                facts.setdefault("pattern", []).append(value)
            elif name in ("minInclusive", "maxInclusive"):
                facts["min" if name == "minInclusive" else "max"] = value
            else:
                raise ValueError(f"facet {name} is not understood")
        return facts

    def simple_type_name(self, name: str) -> str:
        if name not in self.simple_types:
            self.simple_types[name] = None  # recursion guard
            self.simple_types[name] = self.simple(self.schema.get("simpleType", name))
        return name

    def type_ref(self, name: str) -> dict[str, Any]:
        if name.startswith("xsd:"):
            return {"s": {"base": name[4:]}}
        if ("simpleType", name) in self.schema.index:
            return {"s": {"ref": self.simple_type_name(name)}}
        if name not in self.types:
            self.types[name] = None
            self.types[name] = self.complex(self.schema.get("complexType", name))
        return {"t": name}

    # --- elements and content models -------------------------------------------------------------
    def declaration(self, node: etree._Element) -> dict[str, Any]:
        """Facts of an element declaration: a named type, a simple type or a complex type."""
        if node.get("type"):
            return self.type_ref(node.get("type", ""))
        for child in node:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local == "simpleType":
                return {"s": self.simple(child)}
            if local == "complexType":
                return {"c": self.complex(child)}
        return {"any": True}

    def global_element(self, name: str) -> str:
        if name not in self.elements:
            self.elements[name] = None
            self.elements[name] = self.declaration(self.schema.get("element", name))
        return name

    def complex(self, node: etree._Element) -> dict[str, Any]:
        facts: dict[str, Any] = {"p": None, "a": {}}
        for child in node:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local in ("sequence", "choice", "group"):
                facts["p"] = self.particle(child)
            elif local == "attribute":
                facts["a"][child.get("name", "")] = self.attribute(child)
            elif local == "simpleContent":
                (ext,) = [c for c in child if isinstance(c.tag, str)]
                assert etree.QName(ext).localname == "extension"
                facts["text"] = self.type_ref(ext.get("base", ""))["s"]
                for attr in ext.iter(f"{XS}attribute"):
                    facts["a"][attr.get("name", "")] = self.attribute(attr)
            else:
                raise ValueError(f"complexType child {local} is not understood")
        return facts

    def attribute(self, node: etree._Element) -> dict[str, Any]:
        facts: dict[str, Any] = {"required": node.get("use") == "required"}
        if node.get("type"):
            facts["s"] = self.type_ref(node.get("type", ""))["s"]
        else:
            inline = node.find(f"{XS}simpleType")
            facts["s"] = self.simple(inline) if inline is not None else {"base": "string"}
        return facts

    def particle(self, node: etree._Element) -> list[Any]:
        local = etree.QName(node).localname
        low, high = _occurs(node)
        if local in ("sequence", "choice"):
            kind = "seq" if local == "sequence" else "choice"
            parts = [self.particle(c) for c in node if isinstance(c.tag, str)]
            return [kind, low, high, parts]
        if local == "group":
            name = node.get("ref", "")
            if name not in self.groups:
                self.groups[name] = None
                group = self.schema.get("group", name)
                (inner,) = [c for c in group if isinstance(c.tag, str)]
                self.groups[name] = self.particle(inner)
            return ["group", low, high, name]
        assert local == "element", local
        if node.get("ref"):
            name = self.global_element(node.get("ref", ""))
            return ["el", low, high, name, None]
        return ["el", low, high, node.get("name", ""), self.declaration(node)]


def compile_version(reference: Path, version: str, roots: list[str]) -> dict[str, Any]:
    folder = reference / "xsd" / f"qbxml-{version.split('.')[0]}.0"
    compiler = Compiler(Schema(folder, version))
    for root in roots:
        if ("element", root) in compiler.schema.index:
            compiler.global_element(root)
    # The response envelope: its attributes, and the ...Rs it may hold that the simulator
    # answers (name -> complex type), instead of all of them (the whole response schema).
    envelope = compiler.schema.get("element", "QBXMLMsgsRs")
    responses: dict[str, str] = {}
    for declared in envelope.iter(f"{XS}element"):
        if declared.get("name") in ANSWERED:
            responses[declared.get("name", "")] = compiler.type_ref(declared.get("type", ""))["t"]
    attributes = {a.get("name", ""): compiler.attribute(a) for a in envelope.iter(f"{XS}attribute")}
    return {
        "responses": {"attributes": attributes, "answers": dict(sorted(responses.items()))},
        "elements": dict(sorted(compiler.elements.items())),
        "types": dict(sorted(compiler.types.items())),
        "groups": dict(sorted(compiler.groups.items())),
        "simple_types": dict(sorted(compiler.simple_types.items())),
    }


def _child_names(facts: dict[str, Any], particle: list[Any] | None, out: list[str]) -> None:
    if particle is None:
        return
    kind = particle[0]
    if kind in ("seq", "choice"):
        for part in particle[3]:
            _child_names(facts, part, out)
    elif kind == "group":
        _child_names(facts, facts["groups"][particle[3]], out)
    elif particle[3] not in out:
        out.append(particle[3])


def _aggregate_children(facts: dict[str, Any]) -> dict[str, list[str]]:
    """Global element name -> its child element names (complex aggregates only)."""
    out: dict[str, list[str]] = {}
    for name, decl in facts["elements"].items():
        complex_facts = facts["types"].get(decl["t"]) if "t" in decl else decl.get("c")
        if complex_facts is None:
            continue
        names: list[str] = []
        _child_names(facts, complex_facts["p"], names)
        out[name] = names
    return out


def new_in_16(v13: dict[str, Any], v16: dict[str, Any]) -> dict[str, list[str]]:
    """Per aggregate of both versions, the children only 16.0 has (by name)."""
    old, new = _aggregate_children(v13), _aggregate_children(v16)
    out: dict[str, list[str]] = {}
    for name, children in new.items():
        if name in old:
            added = [c for c in children if c not in old[name]]
            if added:
                out[name] = added
    out["(new aggregates)"] = sorted(n for n in new if n not in old)
    return out


def _provenance(reference: Path) -> list[dict[str, str]]:
    """The SOURCES.md rows of the XSD files (repository, path, commit) with their sha256."""
    rows: dict[str, str] = {}
    sources = reference / "SOURCES.md"
    for line in sources.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`(xsd/[^`]+)`\s*\|\s*([^|]+)\|\s*`([^`]+)`\s*\|\s*([^|]+)\|", line)
        if match:
            rows[match.group(1)] = (
                f"{match.group(2).strip()} {match.group(3)} @ {match.group(4).strip()}"
            )
    out = []
    for version in VERSIONS:
        major = version.split(".")[0]
        for name in (f"qbxmltypes{major}0.xsd", f"qbxml{major}0.xsd", f"qbxmlops{major}0.xsd"):
            local = f"xsd/qbxml-{major}.0/{name}"
            digest = hashlib.sha256((reference / local).read_bytes()).hexdigest()
            out.append({"file": local, "from": rows.get(local, "?"), "sha256": digest})
    return out


def build_facts(reference: Path, today: dt.date | None = None) -> dict[str, Any]:
    """All facts as one JSON-able dict (the header carries sources and the generation date)."""
    versions: dict[str, Any] = {}
    for version in VERSIONS:
        folder = reference / "xsd" / f"qbxml-{version.split('.')[0]}.0"
        ops = Schema(folder, version)
        msgs = ops.get("element", "QBXMLMsgsRq")
        requests = [e.get("name", "") for e in msgs.iter(f"{XS}element") if e.get("name")]
        facts = compile_version(reference, version, ["QBXMLMsgsRq", *RESPONSE_ROOTS])
        facts["requests"] = sorted(requests)
        versions[version] = facts
    # 13.0 is stored as its differences from 16.0 (most components are identical): a table entry
    # of 13.0 replaces or adds to 16.0's. A 16.0-only element stays unreachable from 13.0's
    # content models, so nothing needs removing.
    full13 = versions["13.0"]
    delta: dict[str, Any] = {"base": "16.0"}
    for table, entries in full13.items():
        if table == "requests":
            delta[table] = entries
            continue
        newer = versions["16.0"][table]
        delta[table] = {k: v for k, v in entries.items() if newer.get(k) != v}
    new = new_in_16(full13, versions["16.0"])
    versions["13.0"] = delta
    return {
        "header": {
            "what": "qbXML schema facts compiled from Intuit's XSDs; regenerate with "
            "`python scripts/generate_schema_facts.py` (never edit by hand)",
            "sources": _provenance(reference),
            "provenance": "SOURCES.md of the reference data (../shared/reference/SOURCES.md)",
            "generated": (today or dt.date.today()).isoformat(),
        },
        "versions": {"16.0": versions["16.0"], "13.0": versions["13.0"]},
        "new_in_16": new,
    }


def render(facts: dict[str, Any]) -> str:
    """The file's text: one line per top-level entry of each table, so diffs stay readable."""
    lines = ["{", f'"header": {json.dumps(facts["header"], indent=1)},', '"versions": {']
    versions = list(facts["versions"].items())
    for v_index, (version, tables) in enumerate(versions):
        lines.append(f"{json.dumps(version)}: {{")
        table_items = list(tables.items())
        for t_index, (table, entries) in enumerate(table_items):
            if isinstance(entries, dict):
                lines.append(f"{json.dumps(table)}: {{")
                items = list(entries.items())
                for i, (key, value) in enumerate(items):
                    comma = "," if i < len(items) - 1 else ""
                    compact = json.dumps(value, separators=(",", ":"))
                    lines.append(f"{json.dumps(key)}: {compact}{comma}")
                lines.append("}" + ("," if t_index < len(table_items) - 1 else ""))
            else:
                comma = "," if t_index < len(table_items) - 1 else ""
                lines.append(f"{json.dumps(table)}: {json.dumps(entries)}{comma}")

        lines.append("}" + ("," if v_index < len(versions) - 1 else ""))
    lines.append("},")
    lines.append(f'"new_in_16": {json.dumps(facts["new_in_16"], indent=0)}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def without_date(text: str) -> dict[str, Any]:
    data = json.loads(text)
    data["header"].pop("generated", None)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=PROJECT.parent / "shared" / "reference")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    args = parser.parse_args(argv)
    if not (args.reference / "xsd").is_dir():
        print(f"no XSDs under {args.reference}/xsd (use --reference)", file=sys.stderr)
        return 2
    text = render(build_facts(args.reference))
    if args.check:
        committed = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if not committed or without_date(committed) != without_date(text):
            print(f"{args.output} is out of date: run python scripts/generate_schema_facts.py")
            return 1
        print(f"{args.output} matches the XSDs")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

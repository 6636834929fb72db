"""The schema facts generated into the project (``qbwc_server/sim/quickbooks/xsd_facts``).

On any clone: the facts carry their provenance; the facts validator refuses what QuickBooks
refuses (wrong order, missing required element, too long, an attribute the request type does
not take, filters the schema does not combine, bad values); the simulator's hand-written Ret
order tables agree with them. With the reference files (required in CI): the committed file is
what the generator makes from Intuit's XSDs today, and the validator agrees with lxml's
``XMLSchema`` on Intuit's sample requests, on requests the server builds, and on thousands of
broken variants of them.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.queries import ListQuery, TxnQuery
from qbwc_server.qbxml.query_specs import LIST_QUERIES, TXN_QUERIES
from qbwc_server.sim.quickbooks import schema_order
from qbwc_server.sim.quickbooks.xsd_facts import facts_for, header, validator_for
from tests.conftest import PROJECT_ROOT
from tests.qbxml.xsd_tools import facts_model, xsd_model
from tests.schema_check import load_xsd

VERSIONS = ("13.0", "16.0")

VALID = (
    '<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    '<VendorQueryRq requestID="1" iterator="Start"><MaxReturned>7</MaxReturned>'
    "<ActiveStatus>All</ActiveStatus><FromModifiedDate>2024-01-01T00:00:00</FromModifiedDate>"
    "</VendorQueryRq>"
    '<BillAddRq requestID="2"><BillAdd><VendorRef><FullName>AT&amp;T</FullName></VendorRef>'
    "<TxnDate>2024-01-02</TxnDate><RefNumber>INV-1</RefNumber>"
    "<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef>"
    "<Amount>1.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>"
    "</QBXMLMsgsRq></QBXML>"
)

# What QuickBooks refuses with 0x80040400, each a small edit of VALID.
BROKEN = {
    "wrong order": (
        "<MaxReturned>7</MaxReturned><ActiveStatus>All</ActiveStatus>",
        "<ActiveStatus>All</ActiveStatus><MaxReturned>7</MaxReturned>",
    ),
    "missing required element": ("<VendorRef><FullName>AT&amp;T</FullName></VendorRef>", ""),
    "too long": ("<RefNumber>INV-1</RefNumber>", f"<RefNumber>{'9' * 21}</RefNumber>"),
    "iterator where the type has none": (
        '<VendorQueryRq requestID="1" iterator="Start">',
        '<AccountQueryRq requestID="1" iterator="Start">',
    ),
    "filters the schema does not combine": (
        "<MaxReturned>7</MaxReturned>",
        "<ListID>80000001-1</ListID><MaxReturned>7</MaxReturned>",
    ),
    "unknown element": ("<TxnDate>", "<Colour>red</Colour><TxnDate>"),
    "unknown attribute": ('requestID="2"', 'requestID="2" colour="red"'),
    "missing required attribute": ('onError="stopOnError"', ""),
    "bad enumeration value": (
        "<ActiveStatus>All</ActiveStatus>",
        "<ActiveStatus>Any</ActiveStatus>",
    ),
    "bad date": ("<TxnDate>2024-01-02</TxnDate>", "<TxnDate>2024-02-30</TxnDate>"),
    "bad amount": ("<Amount>1.00</Amount>", "<Amount>1.005</Amount>"),
    "bad integer": ("<MaxReturned>7</MaxReturned>", "<MaxReturned>seven</MaxReturned>"),
    "text between elements": ("<TxnDate>", "stray<TxnDate>"),
    "repeated single element": (
        "<TxnDate>2024-01-02</TxnDate>",
        "<TxnDate>2024-01-02</TxnDate><TxnDate>2024-01-03</TxnDate>",
    ),
}


def _root(text: str) -> etree._Element:
    return etree.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text).encode("utf-8"))


def _with_edit(name: str) -> etree._Element:
    old, new = BROKEN[name]
    assert old in VALID, name
    edited = VALID.replace(old, new, 1)
    if name == "iterator where the type has none":
        edited = edited.replace("</VendorQueryRq>", "</AccountQueryRq>", 1).replace(
            "<ActiveStatus>All</ActiveStatus><FromModifiedDate>2024-01-01T00:00:00"
            "</FromModifiedDate>",
            "",
        )
    return _root(edited)


# --- on any clone ----------------------------------------------------------------------------


def test_facts_name_their_sources_and_date() -> None:
    info = header()
    files = {s["file"] for s in info["sources"]}
    assert {"xsd/qbxml-13.0/qbxmlops130.xsd", "xsd/qbxml-16.0/qbxml160.xsd"} <= files
    for source in info["sources"]:
        assert "jsgoupil/quickbooks-sync" in source["from"], source
        assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"]), source
    assert date.fromisoformat(info["generated"]) <= date.today()
    assert "SOURCES.md" in info["provenance"]


@pytest.mark.parametrize("version", VERSIONS)
def test_valid_document_passes(version: str) -> None:
    validator_for(version).assert_valid(_root(VALID.replace("13.0", version)))


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("version", VERSIONS)
def test_broken_documents_are_refused(name: str, version: str) -> None:
    assert not validator_for(version).validate(_with_edit(name))


def test_version_specific_elements() -> None:
    """BillAdd's header ClassRef exists only in 16.0 (facts.new_in_16 says so too)."""
    text = VALID.replace(
        "<RefNumber>INV-1</RefNumber>",
        "<RefNumber>INV-1</RefNumber><ClassRef><FullName>Admin</FullName></ClassRef>",
    )
    assert validator_for("16.0").validate(_root(text))
    assert not validator_for("13.0").validate(_root(text))
    assert "ClassRef" in facts_for("16.0").new_in_16["BillAdd"]


def test_which_queries_take_an_iterator() -> None:
    facts = facts_for("16.0")
    assert "iterator" in facts.types["VendorQueryRqType"]["a"]
    assert "iterator" not in facts.types["AccountQueryRqType"]["a"]
    assert "metaData" in facts.types["AccountQueryRqType"]["a"]
    assert facts.max_length("BillAdd/RefNumber") == 20
    assert facts.max_length("VendorAdd/VendorAddress/City") == 31
    assert facts.occurs("BillAdd/ExpenseLineAdd") == (0, -1)
    assert facts.occurs("BillAdd/VendorRef") == (1, 1)


@pytest.mark.parametrize("aggregate", sorted(schema_order.ORDER))
def test_simulator_ret_order_matches_the_facts(aggregate: str) -> None:
    """The fake's ``schema_order.ORDER`` (the order it writes Ret children in) is 16.0's
    sequence; its ``NEW_IN_16`` is what 13.0 lacks."""
    facts16, facts13 = facts_for("16.0"), facts_for("13.0")
    holder = _holder_path(aggregate)
    assert list(schema_order.ORDER[aggregate]) == facts16.child_names(holder), aggregate
    names13 = facts13.child_names(holder) if _exists(facts13, holder) else []
    expected_new = {n for n in facts16.child_names(holder) if n not in names13}
    assert schema_order.NEW_IN_16.get(aggregate, frozenset()) == expected_new, aggregate


# Aggregates that are not global elements: where one of them is declared.
_LOCAL_AGGREGATES = {
    "SalesOrPurchase": "ItemServiceRet/SalesOrPurchase",
    "SalesAndPurchase": "ItemServiceRet/SalesAndPurchase",
    "ItemGroupLine": "ItemGroupRet/ItemGroupLine",
    "ItemInventoryAssemblyLine": "ItemInventoryAssemblyRet/ItemInventoryAssemblyLine",
    "CurrencyFormat": "CurrencyRet/CurrencyFormat",
    "Service": "CompanyRet/SubscribedServices/Service",
}


def _holder_path(aggregate: str) -> str:
    facts = facts_for("16.0")
    if aggregate in _LOCAL_AGGREGATES:
        return _LOCAL_AGGREGATES[aggregate]
    if aggregate in facts.elements:
        return aggregate
    for holder in ("PreferencesRet", "CompanyRet", "VendorRet", "CustomerRet", "OtherNameRet"):
        if aggregate in facts.child_names(holder):
            return f"{holder}/{aggregate}"
    raise KeyError(aggregate)


def _exists(facts: object, path: str) -> bool:
    try:
        facts.declaration(path)  # type: ignore[attr-defined]
    except KeyError:
        return False
    return True


# --- with the reference files ------------------------------------------------------------------


def _generator() -> ModuleType:
    path = PROJECT_ROOT / "scripts" / "generate_schema_facts.py"
    spec = importlib.util.spec_from_file_location("generate_schema_facts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_facts_are_what_the_xsds_give(reference_dir: Path) -> None:
    generator = _generator()
    fresh = generator.render(generator.build_facts(reference_dir))
    committed = generator.OUTPUT.read_text(encoding="utf-8")
    assert generator.without_date(committed) == generator.without_date(fresh), (
        "qbxml_facts.json is out of date: run python scripts/generate_schema_facts.py"
    )


def _intuit_requests(reference: Path) -> Iterator[tuple[str, etree._Element]]:
    for path in sorted((reference / "qbxml-samples").rglob("*.xml")):
        try:
            root = _root(path.read_text(encoding="utf-8", errors="replace"))
        except etree.XMLSyntaxError:
            continue
        if root.tag == "QBXML" and root.find("QBXMLMsgsRq") is not None:
            yield path.name, root


def _server_requests() -> Iterator[tuple[str, etree._Element]]:
    for version in VERSIONS:
        for kind, spec in sorted(LIST_QUERIES.items()):
            query = ListQuery(
                kind=kind, max_returned=5, iterator="Start" if spec.iterator else None
            )
            yield f"{kind} {version}", _root(build_document([query], version=version))
        for kind in sorted(TXN_QUERIES):
            txn_query = TxnQuery(kind=kind, modified_from="2024-01-01T00:00:00", max_returned=5)
            yield f"{kind} {version}", _root(build_document([txn_query], version=version))


def _mutants(root: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """Broken (and some still valid) variants: each element dropped, doubled, moved first,
    given a very long or a nonsense value, or given an attribute it may not take."""
    elements = list(root.iter(etree.Element))[2:]  # below QBXMLMsgsRq
    for index, _ in enumerate(elements):
        for how in ("drop", "double", "first", "long", "nonsense", "attribute"):
            mutant = copy.deepcopy(root)
            node = list(mutant.iter(etree.Element))[2:][index]
            parent = node.getparent()
            assert parent is not None
            if how == "drop":
                parent.remove(node)
            elif how == "double":
                node.addnext(copy.deepcopy(node))
            elif how == "first":
                parent.insert(0, node)
            elif how == "long" and len(node) == 0:
                node.text = "A" * 4100
            elif how == "nonsense" and len(node) == 0:
                node.text = "not a value -1.5x"
            elif how == "attribute":
                node.set("iterator", "Start")
            else:
                continue
            yield f"{how} {node.tag}#{index}", mutant


@pytest.mark.parametrize("version", VERSIONS)
def test_facts_validator_agrees_with_lxml(reference_dir: Path, version: str) -> None:
    xsd = load_xsd(reference_dir, version)
    facts = validator_for(version)
    corpus = [*_intuit_requests(reference_dir), *_server_requests()]
    corpus += [(f"broken: {name}", _with_edit(name)) for name in BROKEN]
    corpus.append(("valid", _root(VALID)))
    checked = refused = 0
    disagreements = []
    for name, root in corpus:
        for variant, document in [(name, root), *((f"{name}: {m}", d) for m, d in _mutants(root))]:
            expected = bool(xsd.validate(document))
            checked += 1
            refused += not expected
            if facts.validate(document) != expected:
                disagreements.append(f"{variant}: XSD says {expected}")
    assert disagreements == []
    assert checked > 2000 and refused > 1000, (checked, refused)
    print(f"{version}: {checked} documents, {refused} refused by the XSD, facts agree on all")


def test_every_broken_edit_is_refused_by_the_xsd_too(reference_dir: Path) -> None:
    for version in VERSIONS:
        xsd = load_xsd(reference_dir, version)
        for name in BROKEN:
            assert not xsd.validate(_with_edit(name)), (version, name)
        assert xsd.validate(_root(VALID.replace("13.0", version)))


@pytest.mark.parametrize("version", VERSIONS)
def test_facts_model_answers_like_the_xsd_files(reference_dir: Path, version: str) -> None:
    """What the table-checking tests ask (children in order, repeatable, optional, maxLength)
    is answered the same from the facts as from the XSD files, for every element the facts
    hold — so those tests mean the same on a clone without the files."""
    files, facts = xsd_model(reference_dir, version), facts_model(version)
    compared = 0
    for name in sorted(facts.facts.elements):
        if name == "QBXMLMsgsRq" or not files.has_element(name):
            continue
        file_children = files.children(files.element(name))
        fact_children = facts.children(facts.element(name))
        assert [(c.name, c.repeatable, c.optional) for c in fact_children] == [
            (c.name, c.repeatable, c.optional) for c in file_children
        ], name
        for fact_child, file_child in zip(fact_children, file_children, strict=True):
            if "s" in fact_child.decl:  # a text element: its own maxLength
                expected = files.max_length(file_child.decl)
                assert facts.max_length(fact_child.decl) == expected, (name, fact_child.name)
        compared += 1
    assert compared > 500

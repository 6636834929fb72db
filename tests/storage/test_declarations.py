"""Every declared record type (``qbwc_server/records/types.py``) is complete: a model and a
table the migrations create, a query the schema facts know, line elements and Ret tags that
match Intuit's XSD, a generator in the simulator and an oracle in the sync tests — and the
README lists exactly the declared types. Adding a type without one of these fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from models.records import ListRecord, TxnRecord
from qbwc_server.qbxml.query_specs import LIST_QUERIES, TXN_QUERIES
from qbwc_server.records.types import DECLARED, RECORD_TYPES, TYPE_NAMES
from qbwc_server.sim.quickbooks import CompanyFile
from qbwc_server.sim.quickbooks.catalog import QUERY_SPECS
from tests.qbxml.xsd_tools import FactsModel, facts_model
from tests.sync.expected import LIST_STREAMS, TXN_STREAMS, fake_records

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def full_company() -> CompanyFile:
    """A simulated company with every feature on, so that every type has records."""
    return CompanyFile.generate(seed=3, profile="tiny", inventory=True, multicurrency=True)


def test_names_are_unique_and_lists_come_first() -> None:
    assert len(TYPE_NAMES) == len(set(TYPE_NAMES)) == len(DECLARED)
    kinds = [rt.kind for rt in DECLARED]
    assert kinds == sorted(kinds), "lists must come before transactions (the work order)"
    assert len({rt.table.name for rt in DECLARED}) == len(DECLARED)
    tags = [tag for rt in DECLARED for tag in rt.ret_tags]
    assert len(tags) == len(set(tags)), "a Ret tag belongs to one type"
    del_types = [d for rt in DECLARED for d in rt.del_types]
    assert len(del_types) == len(set(del_types)), "a deletion type belongs to one type"


@pytest.mark.parametrize("name", TYPE_NAMES)
def test_each_type_has_a_model_of_its_kind_and_a_query(name: str) -> None:
    rt = RECORD_TYPES[name]
    assert issubclass(rt.model, ListRecord if rt.is_list else TxnRecord)
    assert rt.query in (LIST_QUERIES if rt.is_list else TXN_QUERIES)
    columns = {c.name for c in rt.table.columns}
    for field in rt.fields:
        assert field.column in columns, f"{name}: no column {field.column}"
    if rt.is_list:
        assert not rt.lines and rt.link_kind is None and rt.balance_vendor_ref is None
    else:
        assert rt.link_kind in ("linked", "applied_to")


def test_the_migrations_create_every_declared_table(db: Any) -> None:
    """``db`` is migrated by alembic (not created from the models)."""
    inspector = inspect(db.engine)
    present = set(inspector.get_table_names())
    for rt in DECLARED:
        assert rt.table.name in present, f"no migration creates {rt.table.name} ({rt.name})"
        migrated = {c["name"] for c in inspector.get_columns(rt.table.name)}
        assert migrated == {c.name for c in rt.table.columns}, rt.name


@pytest.mark.parametrize("name", TYPE_NAMES)
def test_the_simulator_generates_and_answers_each_type(
    name: str, full_company: CompanyFile
) -> None:
    rt = RECORD_TYPES[name]
    spec = QUERY_SPECS.get(f"{rt.query}QueryRq")
    assert spec is not None, f"the fake QuickBooks does not answer {rt.query}QueryRq"
    assert spec.iterator == rt.iterator
    objects = {tag.removesuffix("Ret") for tag in rt.ret_tags}
    assert set(spec.object_types) == objects
    generated = [t for t in objects if full_company.records(t)]
    assert generated, f"the simulator generates no {name}"


@pytest.mark.parametrize("name", TYPE_NAMES)
def test_the_sync_tests_have_an_oracle_for_each_type(name: str, full_company: CompanyFile) -> None:
    """tests/sync/expected.py is written from the QuickBooks side, independently of the
    declarations: it must know the type, and agree on what the sync asks for."""
    assert name in LIST_STREAMS or name in TXN_STREAMS, f"tests/sync/expected.py lacks {name}"
    rt = RECORD_TYPES[name]
    assert (name in LIST_STREAMS) == rt.is_list
    if not rt.is_list:
        spec = TXN_STREAMS[name]
        assert spec.qb_type == rt.query
        assert spec.linked_asked == rt.include_linked_txns
        assert spec.link_key == ("applied_to" if rt.link_kind == "applied_to" else "linked_txns")
    assert fake_records(full_company, name)


def _line_children(xsd: FactsModel, ret: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for child in xsd.children(xsd.element(ret)):
        if re.fullmatch(r"\w+Line(Group)?Ret", child.name):
            nested = [c.name for c in xsd.children(child.decl) if c.name.endswith("LineRet")]
            out.append((child.name, nested[0] if nested else None))
    return out


@pytest.mark.parametrize("version", ["13.0", "16.0"])
def test_tags_and_line_elements_match_the_xsd(version: str) -> None:
    model = facts_model(version)  # the schema facts generated from the XSDs (any clone)
    for rt in DECLARED:
        for tag in rt.ret_tags:
            model.element(tag)  # raises KeyError when the XSD has no such Ret
        if rt.is_list:
            continue
        (tag,) = rt.ret_tags
        declared = [(line.element, line.nested) for line in rt.lines]
        assert declared == _line_children(model, tag), rt.name
    list_del = set(model.enumeration("ListDelType"))
    txn_del = set(model.enumeration("TxnDelType"))
    for rt in DECLARED:
        assert set(rt.del_types) <= (list_del if rt.is_list else txn_del), rt.name


def test_the_readme_lists_the_declared_types() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"\(`type` = `([a-z_ \n]+)`:", text)
    assert match, "README: the records API's type list is missing"
    assert tuple(match.group(1).split()) == TYPE_NAMES

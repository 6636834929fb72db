"""What a synced QuickBooks record type is: the shape of one declaration in ``records/types.py``.

A :class:`RecordType` is the one place a QuickBooks object type is described (the way Singer
SDK / Airbyte CDK declare a stream): which query fetches it, the ``…Ret`` tags and
ListDelType/TxnDelType values that belong to it, its typed columns and line elements, its table
(the SQLAlchemy model), the company preference it needs, and — for accounts-payable
transactions — the reference to the vendor whose Balance it moves. Everything else is derived
from it: the sync's streams and their order (``sync/``), the query shapes
(``records/queries.py``), the write-back's read-backs, the read API's type list and the storage.

What a query *accepts* (an iterator, OwnerID, IncludeLinkedTxns) is not declared here but read
from the schema facts in ``qbxml/query_specs.py`` (§6.4, §6.6): the sync asks for all it can get.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Table

from models.base import Base
from qbwc_server.qbxml.query_specs import LIST_QUERIES, TXN_QUERIES, ListQuerySpec, TxnQuerySpec
from qbwc_server.records.fields import Field, compile_extractor

Kind = Literal["list", "txn"]


@dataclass(frozen=True)
class LineElement:
    """A line element of a transaction's Ret: ``ExpenseLineRet`` -> line kind "expense".

    ``nested`` names the item lines inside a group line (``ItemGroupLineRet/ItemLineRet``):
    they are stored after the group line, naming it as their parent."""

    element: str
    kind: Literal["expense", "item", "group"]
    nested: str | None = None


@dataclass(frozen=True, eq=False)
class RecordType:
    name: str  # our type name: the read API's {type}, the stream, the change feed's "type"
    query: str  # the qbXML object queried: <query>QueryRq (ListQuery/TxnQuery kind)
    model: type[Base]  # the typed table (models/records.py)
    fields: tuple[Field, ...]  # typed columns fed from the Ret (the whole Ret is kept in qb)
    ret_tags: tuple[str, ...]  # the …Ret tags whose records belong to this type
    del_types: tuple[str, ...]  # ListDelType / TxnDelType values (§6.5 deletions)
    lines: tuple[LineElement, ...] = ()  # line elements of a transaction's Ret
    link_kind: Literal["linked", "applied_to"] | None = None  # how links show in the API
    # PreferencesRet flag that must be true, else QuickBooks answers 3250 (§6.3, §6.9).
    requires_preference: str | None = None
    # AP transactions: the …Ref naming the vendor whose Balance this record moves
    # (records/vendor_balances.py).
    balance_vendor_ref: str | None = None

    # --- what the query accepts (schema facts, qbxml/query_specs.py) ------------------------------
    @property
    def spec(self) -> ListQuerySpec | TxnQuerySpec:
        spec = LIST_QUERIES.get(self.query) or TXN_QUERIES.get(self.query)
        if spec is None:
            raise ValueError(f"{self.name}: no query {self.query}QueryRq in qbxml/query_specs.py")
        return spec

    @functools.cached_property
    def kind(self) -> Kind:
        return "list" if self.query in LIST_QUERIES else "txn"

    @functools.cached_property
    def is_list(self) -> bool:
        return self.kind == "list"

    @property
    def iterator(self) -> bool:
        """§6.4: only queries whose XSD has the iterator attribute page with iterators."""
        return self.spec.iterator

    @property
    def owner_id(self) -> bool:
        """§6.6: OwnerID 0 returns the public custom fields, where the query accepts it."""
        return self.spec.owner_id

    @property
    def include_line_items(self) -> bool:
        return isinstance(self.spec, TxnQuerySpec) and self.spec.include_line_items

    @property
    def include_linked_txns(self) -> bool:
        return isinstance(self.spec, TxnQuerySpec) and self.spec.include_linked_txns

    # --- storage ------------------------------------------------------------------------------
    @functools.cached_property
    def table(self) -> Table:
        table = self.model.__table__
        assert isinstance(table, Table)
        return table

    @functools.cached_property
    def blank_row(self) -> dict[str, Any]:
        """Every column, as None: the rows of one batch must have the same keys."""
        return {c.name: None for c in self.table.columns}

    @functools.cached_property
    def extract(self) -> Callable[[Mapping[str, Any], dict[str, Any]], None]:
        """``extract(data, row)`` sets the typed columns of ``row`` from a Ret dict."""
        return compile_extractor(self.fields)

    @functools.cached_property
    def id_key(self) -> str:
        """The Ret element holding the record's id."""
        return "ListID" if self.is_list else "TxnID"

    @functools.cached_property
    def id_column(self) -> str:
        return "list_id" if self.is_list else "txn_id"

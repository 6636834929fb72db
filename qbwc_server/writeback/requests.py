"""qbXML for the write-back that is not an operation kind's own (``writeback/kinds/`` build the
Add/Mod requests and marker lookups): the message set of a send, the error-recovery status
check, vendor lookups and the read-backs, and the reference helpers the kinds use.

Every write goes alone in its own message set with ``newMessageSetID`` (§6.2: SDK error
recovery), ``stopOnError`` and the operation's ExternalGUID stamped on the record. Builders come
from ``qbxml/writes.py`` and ``qbxml/queries.py`` (schema-ordered; tests validate every document
against the 13.0 and 16.0 XSDs).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from qbwc_server.qbxml.document import MESSAGE_SET_ID_MAX_LENGTH, build_document
from qbwc_server.qbxml.queries import ListQuery
from qbwc_server.qbxml.schema_order import Address, Ref, version_tuple
from qbwc_server.records.queries import CUSTOM_FIELDS_OWNER, by_ids_query, read_document
from qbwc_server.records.types import record_type

# Resolves a reference of the resolved payload ({"list_id"}, {"txn_id"} or {"operation_id"})
# to the QuickBooks id; raises Unresolved when a dependency has no result.
Resolve = Callable[[Mapping[str, Any], str], str]


class Unresolved(Exception):
    """A reference cannot be turned into a QuickBooks id (a dependency without a result)."""


def new_message_set_id() -> str:
    """A fresh ``newMessageSetID`` (≤ 23 characters, §6.2), random so that an id QuickBooks
    still remembers from an earlier database can never be mistaken for this send."""
    value = "W" + secrets.token_hex(11)
    assert len(value) <= MESSAGE_SET_ID_MAX_LENGTH
    return value


def list_ref(resolve: Resolve, ref: Mapping[str, Any] | None) -> Ref | None:
    if not ref:
        return None
    # §6.7: write by ListID; names change, ids do not.
    return Ref(list_id=resolve(ref, "list_id"))


def address(data: Mapping[str, Any] | None) -> Address | None:
    if not data:
        return None
    return Address(**{k: v for k, v in data.items() if v is not None})


def send_document(builder: Any, *, version: str, message_set_id: str) -> str:
    """One write, alone in its message set, with error recovery on (§6.2)."""
    return build_document(
        [builder], version=version, on_error="stopOnError", new_message_set_id=message_set_id
    )


def recovery_document(version: str, message_set_id: str) -> str:
    """The SDK status check (Intuit sample ErrRecovery2): no requests, ``oldMessageSetID`` names
    the message set to report on, and the same ``newMessageSetID`` keeps QuickBooks' record of
    it, so a status check whose own answer is lost can be asked again.

    Written here because ``build_document`` requires at least one request; the XSD allows an
    empty ``QBXMLMsgsRq`` (minOccurs 0)."""
    version_tuple(version)
    if not message_set_id or len(message_set_id) > MESSAGE_SET_ID_MAX_LENGTH:
        raise ValueError("bad message set id")
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq")
    msgs.set("onError", "continueOnError")
    msgs.set("oldMessageSetID", message_set_id)
    msgs.set("newMessageSetID", message_set_id)
    body = etree.tostring(root, encoding="us-ascii").decode("ascii")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'


def vendor_by_name(version: str, request_id: str, name: str) -> str:
    query = ListQuery(
        kind="Vendor", request_id=request_id, full_names=[name], owner_ids=[CUSTOM_FIELDS_OWNER]
    )
    return build_document([query], version=version, on_error="continueOnError")


def vendor_by_id(version: str, request_id: str, list_id: str) -> str:
    return read_back(version, request_id, "vendors", list_id)


def read_back(version: str, request_id: str, record_type_name: str, object_id: str) -> str:
    """Fetch one record by id shaped like the read sync's pages (records/queries.py), so the
    row stored now equals what the sync would store (storage skips an unchanged
    EditSequence)."""
    query = by_ids_query(record_type(record_type_name), request_id, [object_id])
    return read_document([query], version)

"""Schema order, as data, and the small engine that writes elements in that order.

§6.8: qbXML is validated as XSD sequences; an element out of order makes QuickBooks reject the
whole message set with the generic 0x80040400. The Intuit XSDs are reference data and are not
shipped, so the order is encoded here: every aggregate we write declares ``FIELDS`` — a tuple
of :class:`Field` in the order of the XSD ``xsd:sequence`` (qbxml130.xsd / qbxml160.xsd) — and
:func:`emit_fields` walks it. Dict insertion order never decides anything. The tests compare
each ``FIELDS`` tuple with the XSD sequence and validate the output against both schemas.

Fields that exist only in a newer schema carry ``since``; asking for them with an older
``version`` raises ``ValueError`` instead of producing a document QuickBooks would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from lxml import etree

from qbwc_server.qbxml import values

# The versions whose XSD we validate against (see versions.py for how one is chosen).
SUPPORTED_VERSIONS: tuple[str, ...] = ("13.0", "16.0")

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")

Kind = Literal[
    "text", "bool", "date", "datetime", "amount", "price", "float", "int", "guid", "id", "agg"
]


def version_tuple(version: str) -> tuple[int, int]:
    m = _VERSION_RE.match(version.strip())
    if not m:
        raise ValueError(f"not a qbXML version (X.Y): {version!r}")
    return int(m.group(1)), int(m.group(2))


def require_supported_version(version: str) -> str:
    """Return ``version`` if requests can be built for it, else raise ``ValueError``."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(
            f"qbXML version {version!r} is not supported by the request builders; "
            f"use one of {', '.join(SUPPORTED_VERSIONS)}"
        )
    return version


def version_at_least(version: str, minimum: str) -> bool:
    return version_tuple(version) >= version_tuple(minimum)


@dataclass(frozen=True)
class Field:
    """One child element of an aggregate, in schema position.

    ``attr`` is the Python attribute holding the value; ``max_length`` is the XSD maxLength
    (for ``agg`` refs it is the FullName limit, kept for the max-length table);
    ``since`` is the first qbXML version that has the element; ``repeated`` means
    maxOccurs > 1 (the attribute then holds a sequence).
    """

    tag: str
    attr: str
    kind: Kind = "text"
    max_length: int | None = None
    since: str = "13.0"
    repeated: bool = False
    max_occurs: int | None = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    agg_type: type | None = None


def text_child(parent: etree._Element, tag: str, text: str) -> etree._Element:
    """Append ``<tag>text</tag>``; XML-illegal control characters are removed (§7)."""
    child = etree.SubElement(parent, tag)
    child.text = values.clean_text(text)
    return child


def _format_scalar(field: Field, value: Any) -> str:
    kind = field.kind
    if kind == "text":
        if not isinstance(value, str):
            raise TypeError(f"{field.tag}: expected str, got {type(value).__name__}")
        text = values.clean_text(value)
        if field.choices is not None and text not in field.choices:
            raise ValueError(f"{field.tag}: {text!r} is not one of {', '.join(field.choices)}")
        return values.check_length(field.tag, text, field.max_length)
    if kind == "bool":
        return values.fmt_bool(value)
    if kind == "date":
        return values.fmt_date(value)
    if kind == "datetime":
        return values.fmt_datetime(value)
    if kind == "amount":
        return values.fmt_amount(value)
    if kind == "price":
        return values.fmt_price(value)
    if kind == "float":
        return values.fmt_float(value)
    if kind == "int":
        return values.fmt_int(value)
    if kind == "guid":
        return values.fmt_guid(value)
    if kind == "id":
        return values.fmt_id(value)
    raise AssertionError(f"unknown kind {kind}")


def emit_fields(
    parent: etree._Element, obj: object, fields: Sequence[Field], version: str
) -> etree._Element:
    """Append the children of ``obj`` to ``parent`` in the order of ``fields``.

    ``None`` (and empty sequences for repeated fields) are omitted. An empty string is written
    as an empty element — on a Mod request that clears the field in QuickBooks.
    """
    for field in fields:
        value = getattr(obj, field.attr)
        if value is None or (field.repeated and len(value) == 0):
            if field.required:
                raise ValueError(f"{parent.tag}: {field.tag} is required")
            continue
        if not version_at_least(version, field.since):
            raise ValueError(
                f"{parent.tag}/{field.tag} needs qbXML {field.since} or newer "
                f"(request is being built for {version})"
            )
        items: Iterable[Any] = value if field.repeated else (value,)
        if field.repeated and isinstance(value, str | bytes):
            raise TypeError(f"{field.tag}: expected a sequence of values, got a string")
        items = list(items)
        if field.max_occurs is not None and len(items) > field.max_occurs:
            raise ValueError(f"{field.tag}: at most {field.max_occurs} allowed")
        for item in items:
            if field.kind == "agg":
                if field.agg_type is not None and not isinstance(item, field.agg_type):
                    raise TypeError(
                        f"{field.tag}: expected {field.agg_type.__name__}, "
                        f"got {type(item).__name__}"
                    )
                if isinstance(item, Ref) and item.full_name is not None:
                    values.check_length(f"{field.tag}/FullName", item.full_name, field.max_length)
                check = getattr(item, "check", None)
                if callable(check):
                    check()
                child = etree.SubElement(parent, field.tag)
                nested: tuple[Field, ...] = type(item).FIELDS  # type: ignore[attr-defined]
                emit_fields(child, item, nested, version)
            else:
                text_child(parent, field.tag, _format_scalar(field, item))
    return parent


def max_length_table(fields: Sequence[Field]) -> dict[str, int]:
    """Flatten ``fields`` into ``{"Name": 41, "VendorAddress.Addr1": 41, ...}``.

    Nested aggregates contribute dotted paths; a ``...Ref`` contributes ``<Ref>.FullName``.
    """
    table: dict[str, int] = {}
    for field in fields:
        if field.kind != "agg":
            if field.max_length is not None:
                table[field.tag] = field.max_length
            continue
        if field.agg_type is Ref:
            if field.max_length is not None:
                table[f"{field.tag}.FullName"] = field.max_length
            continue
        nested: tuple[Field, ...] = getattr(field.agg_type, "FIELDS", ())
        for path, limit in max_length_table(nested).items():
            table[f"{field.tag}.{path}"] = limit
    return table


REQUEST_ID_MAX_LENGTH = 50  # status 1060 "Invalid request ID ... possibly too long" (§6.2)
INCLUDE_RET_ELEMENT_MAX_LENGTH = 50


def start_request(rq_tag: str, request_id: str | None, version: str) -> etree._Element:
    """Create a ``…Rq`` element with its ``requestID`` (checked against the 50-char limit)."""
    require_supported_version(version)
    rq = etree.Element(rq_tag)
    if request_id is not None:
        if not request_id or len(request_id) > REQUEST_ID_MAX_LENGTH:
            raise ValueError(f"requestID must be 1..{REQUEST_ID_MAX_LENGTH} characters")
        rq.set("requestID", values.clean_text(request_id))
    return rq


def add_include_ret_elements(rq: etree._Element, names: Sequence[str]) -> None:
    if isinstance(names, str):
        raise TypeError("include_ret_elements must be a sequence of element names")
    for name in names:
        if not name or len(name) > INCLUDE_RET_ELEMENT_MAX_LENGTH:
            raise ValueError(f"IncludeRetElement must be 1..{INCLUDE_RET_ELEMENT_MAX_LENGTH} chars")
        text_child(rq, "IncludeRetElement", name)


# --- shared aggregates --------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A list reference (VendorRef, AccountRef, ...): ListID and/or FullName.

    Prefer ``ListID`` when writing (§6.7: names change, IDs do not). ``full_name_max`` is the
    FullName maxLength of the concrete ref type and is checked by the field that holds it.
    """

    list_id: str | None = None
    full_name: str | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("ListID", "list_id", "id"),
        Field("FullName", "full_name"),
    )

    def __post_init__(self) -> None:
        if not self.list_id and not self.full_name:
            raise ValueError("a reference needs a ListID or a FullName")

    @classmethod
    def by_id(cls, list_id: str) -> Ref:
        return cls(list_id=list_id)

    @classmethod
    def by_name(cls, full_name: str) -> Ref:
        return cls(full_name=full_name)


def ref_field(tag: str, attr: str, full_name_max: int | None, **kw: Any) -> Field:
    """A ``...Ref`` field; the FullName limit depends on the ref type (ListRef 159, ...)."""
    return Field(tag, attr, "agg", max_length=full_name_max, agg_type=Ref, **kw)


def agg_field(tag: str, attr: str, agg_type: type, **kw: Any) -> Field:
    return Field(tag, attr, "agg", agg_type=agg_type, **kw)


# FullName limits of the XSD ref groups (identical in 13.0 and 16.0).
LIST_REF_MAX = 159  # ListRef: accounts, classes, vendor types
VENDOR_REF_MAX = 41  # VendorListRef
CUSTOMER_REF_MAX = 209  # CustomerListRef (also PayeeEntityRef)
SIMPLE_REF_MAX = 31  # SimpleListRef: terms, billing rates, item groups
SALES_TAX_CODE_REF_MAX = 3  # SalesTaxCodeListRef
CURRENCY_REF_MAX = 64  # CurrencyListRef
GENERIC_REF_MAX: int | None = None  # GenericListRef (ItemRef): no limit in the XSD


@dataclass(frozen=True)
class Address:
    """AddressData group (VendorAddress, ShipAddress, BillAdd/VendorAddress)."""

    addr1: str | None = None
    addr2: str | None = None
    addr3: str | None = None
    addr4: str | None = None
    addr5: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    note: str | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("Addr1", "addr1", max_length=41),
        Field("Addr2", "addr2", max_length=41),
        Field("Addr3", "addr3", max_length=41),
        Field("Addr4", "addr4", max_length=41),
        Field("Addr5", "addr5", max_length=41),
        Field("City", "city", max_length=31),
        Field("State", "state", max_length=21),
        Field("PostalCode", "postal_code", max_length=13),
        Field("Country", "country", max_length=31),
        Field("Note", "note", max_length=41),
    )


@dataclass(frozen=True)
class DataExt:
    """A data extension value on a line (``DataExt``: OwnerID, DataExtName, DataExtValue)."""

    owner_id: str
    name: str
    value: str

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("OwnerID", "owner_id", "guid", required=True),
        Field("DataExtName", "name", max_length=31, required=True),
        Field("DataExtValue", "value", required=True),
    )

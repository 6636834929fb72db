"""JSON API over the synced QuickBooks records and their change feed (issue 4, part 8).

``GET /api/companies/{id}/records/{type}`` pages through one record type with keyset
pagination (``cursor``), filters (``modified_since``, ``active``, ``include_deleted``,
``vendor``, ``from``/``to``) and answers ``{"data": [...], "next_cursor": ... | null}``.
Records come in ListID/TxnID order; a walk never repeats a record nor skips one that existed
when it started, whatever a sync changes meanwhile (records/read.py).

``GET /api/companies/{id}/changes?since=CURSOR`` is the change feed: every upsert and deletion
in commit order, so a consumer can read the records once and then follow along without
missing anything. ``next_cursor`` is always set: poll with it. ``since=latest`` starts at the
current end (take it *before* a full read to follow from there).

Cursors are opaque strings (base64 of a version, the scope and a position).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.api.http import json_response
from qbwc_server.records.feed import changes_since, feed_head
from qbwc_server.records.read import RecordFilter, list_records
from qbwc_server.records.types import RECORD_TYPES, TYPE_NAMES
from qbwc_server.runtime import Runtime
from qbwc_server.services import companies as companies_svc
from qbwc_server.services.errors import NotFound, ServiceError
from qbwc_server.services.ids import MAX_SEQ, parse_positive

RULES = [
    Rule("/api/companies/<company_id>/records/<type_name>", methods=["GET"], endpoint="records"),
    Rule("/api/companies/<company_id>/changes", methods=["GET"], endpoint="changes"),
]

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
RECORD_PARAMS = frozenset(
    {"limit", "cursor", "modified_since", "active", "include_deleted", "vendor", "from", "to"}
)
CHANGE_PARAMS = frozenset({"since", "limit"})
# A record cursor's position is a ListID/TxnID (at most 40 characters in QuickBooks).
MAX_POSITION = 100
# Record cursors: "r2:{company id}/{type}:{last key}" ("r1" had no company id).
RECORD_CURSOR = "r2"


def register(url_map: Map) -> None:
    for rule in RULES:
        url_map.add(rule.empty())


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    handler = HANDLERS[endpoint]
    return handler(rt, request, **args)


# --- parameters ------------------------------------------------------------------------------


def _bad(field: str, message: str) -> ServiceError:
    return ServiceError(f"{field}: {message}", field=field)


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise _bad(name, "given more than once")
    return values[0] if values else None


def _check_known(args: MultiDict[str, str], known: frozenset[str]) -> None:
    for name in args:
        if not name:
            raise _bad("query", "a parameter has an empty name")
        if name not in known:
            raise _bad(name, f"unknown parameter; known: {', '.join(sorted(known))}")


def _limit(args: MultiDict[str, str]) -> int:
    raw = _single(args, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise _bad("limit", f"not an integer: {raw!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise _bad("limit", f"must be between 1 and {MAX_LIMIT}")
    return value


def _bool(args: MultiDict[str, str], name: str, default: bool) -> bool:
    raw = _single(args, name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise _bad(name, f"expected true or false, got {raw!r}")


def _instant(args: MultiDict[str, str], name: str) -> datetime | None:
    raw = _single(args, name)
    if raw is None:
        return None
    text = raw.strip()
    if "T" in text:  # an unescaped "+" of an offset arrives as a space
        text = text.replace(" ", "+")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(name, f"not an ISO 8601 date-time: {raw[:60]!r}") from None
    # Without an offset the value is taken as UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before year 1 in UTC
        raise _bad(name, f"outside the years 1 to 9999 in UTC: {raw[:60]!r}") from None


def _date(args: MultiDict[str, str], name: str) -> date | None:
    raw = _single(args, name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise _bad(name, f"not a date (YYYY-MM-DD): {raw[:60]!r}") from None


def encode_cursor(*parts: object) -> str:
    text = ":".join(str(p) for p in parts)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _split_cursor(raw: str) -> tuple[str, str, str] | None:
    """``(kind, scope, position)`` of a cursor made by :func:`encode_cursor`, or None."""
    try:
        padded = raw.strip() + "=" * (-len(raw.strip()) % 4)
        kind, scope, position = base64.urlsafe_b64decode(padded.encode()).decode().split(":", 2)
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return kind, scope, position


def decode_cursor(raw: str, field: str, kind: str, scope: str) -> str:
    """The position in a cursor made by :func:`encode_cursor` ``(kind, scope, position)``."""
    parts = _split_cursor(raw)
    if parts is None:
        raise _bad(field, "not a cursor this API handed out")
    got_kind, got_scope, position = parts
    if got_kind == "r1" and kind == RECORD_CURSOR:  # handed out before cursors named the company
        raise _bad(field, "from before a server upgrade: start the listing again")
    if got_kind != kind or got_scope != scope or not position:
        raise _bad(field, "this cursor belongs to another listing")
    if len(position) > MAX_POSITION or not position.isprintable():
        raise _bad(field, "not a cursor this API handed out")
    return position


# --- handlers --------------------------------------------------------------------------------


def _records(rt: Runtime, request: Request, company_id: str, type_name: str) -> Response:
    args = request.args
    record_type = RECORD_TYPES.get(type_name)
    if record_type is None:
        raise NotFound(f"unknown record type {type_name!r}; known: {', '.join(TYPE_NAMES)}")
    _check_known(args, RECORD_PARAMS)
    limit = _limit(args)
    raw_cursor = _single(args, "cursor")
    active_raw = _single(args, "active")
    active: bool | None = None
    if active_raw is not None:
        lowered = active_raw.strip().lower()
        if lowered not in ("true", "false", "all"):
            raise _bad("active", f"expected true, false or all, got {active_raw!r}")
        if lowered != "all" and not record_type.is_list:
            raise _bad("active", f"applies to list types only, not to {type_name}")
        active = None if lowered == "all" else lowered == "true"
    vendor = _single(args, "vendor")
    txn_from = _date(args, "from")
    txn_to = _date(args, "to")
    if record_type.is_list:
        for name, value in (("vendor", vendor), ("from", txn_from), ("to", txn_to)):
            if value is not None:
                raise _bad(name, f"applies to transaction types only, not to {type_name}")
    if txn_from and txn_to and txn_from > txn_to:
        raise _bad("from", "is after to")
    filters = RecordFilter(
        modified_since=_instant(args, "modified_since"),
        active=active,
        include_deleted=_bool(args, "include_deleted", False),
        vendor=vendor or None,
        txn_from=txn_from,
        txn_to=txn_to,
    )
    with rt.db.transaction() as s:
        company = companies_svc.get_company(s, company_id)
        # The cursor names the company and the type: one from another listing is refused.
        scope = f"{company.id}/{type_name}"
        after = decode_cursor(raw_cursor, "cursor", RECORD_CURSOR, scope) if raw_cursor else None
        page = list_records(s, company.id, type_name, limit=limit, after_key=after, filters=filters)
    next_cursor = (
        encode_cursor(RECORD_CURSOR, scope, page.last_key)
        if page.has_more and page.last_key is not None
        else None
    )
    return json_response({"data": page.data, "next_cursor": next_cursor})


def _changes(rt: Runtime, request: Request, company_id: str) -> Response:
    args = request.args
    _check_known(args, CHANGE_PARAMS)
    limit = _limit(args)
    raw_since = _single(args, "since")
    with rt.db.transaction() as s:
        company = companies_svc.get_company(s, company_id)
        scope = str(company.id)
        if raw_since is None or raw_since == "":
            since = 0
        elif raw_since == "latest":
            since = feed_head(s, company.id)
        else:
            position = decode_cursor(raw_since, "since", "c1", scope)
            seq = parse_positive(position, MAX_SEQ) if position != "0" else 0
            if seq is None:
                raise _bad("since", "not a cursor this API handed out")
            since = seq
        page = changes_since(s, company.id, since, limit)
    return json_response(
        {
            "data": page.data,
            "next_cursor": encode_cursor("c1", scope, page.last_seq),
            "has_more": page.has_more,
        }
    )


HANDLERS: dict[str, Any] = {
    "records": _records,
    "changes": _changes,
}

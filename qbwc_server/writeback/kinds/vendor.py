"""``vendor.create`` (VendorAdd) and ``vendor.update`` (VendorMod).

A vendor is found again by its name (QuickBooks names are unique across vendors, customers,
employees and other names): that is its marker lookup, and a 3100 "name in use" is settled by
reading the vendor of that name (``writeback/conflicts.py`` Match). An update needs the
vendor's current EditSequence; a 3200 "stale" re-reads the vendor and applies the change again
once (Reread).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from models import Operation
from models.records import QbVendor
from qbwc_server.qbxml.status import StatusPolicy
from qbwc_server.qbxml.writes import MAX_LENGTHS, VendorAdd, VendorMod
from qbwc_server.writeback import queue
from qbwc_server.writeback.catalog import (
    MAX_CONFLICT_RETRIES,
    NEEDS_ATTENTION,
    STEP_MATCH,
    STEP_REREAD,
)
from qbwc_server.writeback.checks import Checker
from qbwc_server.writeback.kinds.base import Bookkeeping, OperationKind, WriteArgs, ret_text
from qbwc_server.writeback.requests import Resolve, Unresolved, address, list_ref, vendor_by_name

ADDRESS_FIELDS: dict[str, str] = {
    "addr1": "Addr1",
    "addr2": "Addr2",
    "addr3": "Addr3",
    "addr4": "Addr4",
    "addr5": "Addr5",
    "city": "City",
    "state": "State",
    "postal_code": "PostalCode",
    "country": "Country",
}
VENDOR_TEXT: dict[str, str] = {
    "name": "Name",
    "company_name": "CompanyName",
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "phone": "Phone",
    "account_number": "AccountNumber",
    "tax_id": "VendorTaxIdent",
}
VENDOR_FIELDS = (*VENDOR_TEXT, "address", "terms", "is_1099")


def _vendor_fields(
    c: Checker, payload: Mapping[str, Any], request: str, out: dict[str, Any], update: bool
) -> None:
    limits = MAX_LENGTHS[request]
    for key, tag in VENDOR_TEXT.items():
        if key in payload:
            value = c.text(
                f"payload.{key}",
                payload[key],
                limits[tag],
                required=(key == "name" and not update),
                # On an update "" clears a field in QuickBooks (never the name).
                allow_empty=update and key != "name",
            )
            if value is not None:
                out[key] = value
        elif key == "name" and not update:
            c.error("payload.name", "payload.name is required")
    if "address" in payload and payload["address"] is not None:
        given = c.obj("payload.address", payload["address"], tuple(ADDRESS_FIELDS))
        if given is not None:
            clean: dict[str, str] = {}
            for key, tag in ADDRESS_FIELDS.items():
                value = c.text(
                    f"payload.address.{key}",
                    given.get(key),
                    limits[f"VendorAddress.{tag}"],
                    allow_empty=update,
                )
                if value is not None:
                    clean[key] = value
            out["address"] = clean
    if "terms" in payload:
        terms = c.list_ref(
            "payload.terms", payload["terms"], "terms", full_name_max=limits["TermsRef.FullName"]
        )
        if terms is not None:
            out["terms"] = terms
    if "is_1099" in payload:
        flag = c.boolean("payload.is_1099", payload["is_1099"])
        if flag is not None:
            out["is_1099"] = flag


def _vendor_common(r: Mapping[str, Any], resolve: Resolve) -> dict[str, Any]:
    return {
        "company_name": r.get("company_name"),
        "first_name": r.get("first_name"),
        "last_name": r.get("last_name"),
        "vendor_address": address(r.get("address")),
        "phone": r.get("phone"),
        "email": r.get("email"),
        "account_number": r.get("account_number"),
        "terms_ref": list_ref(resolve, r.get("terms")),
        "vendor_tax_ident": r.get("tax_id"),
        "is_vendor_eligible_for_1099": r.get("is_1099"),
    }


class _Vendor(OperationKind):
    qb_object = "Vendor"
    record_type = "vendors"
    lookup_has_whole_record = True

    def marker_lookup(
        self, r: Mapping[str, Any], *, version: str, request_id: str, resolve: Resolve
    ) -> str:
        return vendor_by_name(version, request_id, r["name"])

    def result_details(self, data: Mapping[str, Any]) -> dict[str, Any]:
        name = data.get("Name")
        return {} if name is None else {"name": ret_text(name)}


class VendorCreate(_Vendor):
    name = "vendor.create"
    request = "VendorAdd"
    is_add = True
    not_saved = "The vendor was not created"

    def validate(self, c: Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
        c.obj("payload", payload, VENDOR_FIELDS)
        out: dict[str, Any] = {}
        _vendor_fields(c, payload, self.request, out, update=False)
        return out

    def write_request(self, r: Mapping[str, Any], w: WriteArgs) -> Any:
        return VendorAdd(
            name=r["name"],
            external_guid=w.external_guid,
            request_id=w.request_id,
            **_vendor_common(r, w.resolve),
        )

    def on_refused(
        self, ctx: Bookkeeping, op: Operation, policy: StatusPolicy, text: str, code: int
    ) -> bool:
        if policy != StatusPolicy.DUPLICATE_NAME:
            return False
        # 3100: is the vendor of that name the same vendor? (writeback/matching.py)
        queue.set_error(op, text, code)
        ctx.requeue(op, STEP_MATCH)
        return True


class VendorUpdate(_Vendor):
    name = "vendor.update"
    request = "VendorMod"
    is_add = False
    not_saved = "The vendor was not changed"

    def validate(self, c: Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
        c.obj("payload", payload, ("vendor", *VENDOR_FIELDS))
        out: dict[str, Any] = {}
        vendor = c.vendor_ref("payload.vendor", payload.get("vendor"))
        if vendor is not None:
            out["vendor"] = vendor
        _vendor_fields(c, payload, self.request, out, update=True)
        if not any(k in payload for k in VENDOR_FIELDS):
            c.error("payload", "a vendor.update needs at least one field to change")
        return out

    def write_request(self, r: Mapping[str, Any], w: WriteArgs) -> Any:
        if not w.edit_sequence:
            raise Unresolved("the vendor's EditSequence is not known")
        return VendorMod(
            list_id=w.resolve(r["vendor"], "list_id"),
            edit_sequence=w.edit_sequence,
            name=r.get("name"),
            request_id=w.request_id,
            **_vendor_common(r, w.resolve),
        )

    def edit_sequence(self, ctx: Bookkeeping, op: Operation) -> str | None:
        """The synced vendor's EditSequence, or that of the vendor.create it refers to."""
        list_id = ctx.resolve(op.resolved["vendor"], "list_id")
        row = ctx.session.scalars(
            select(QbVendor).where(
                QbVendor.company_id == ctx.company.id, QbVendor.list_id == list_id
            )
        ).first()
        if row is not None and row.edit_sequence:
            return row.edit_sequence
        dep_id = op.resolved["vendor"].get("operation_id")
        dep = ctx.session.get(Operation, dep_id) if dep_id else None
        if dep is not None and dep.result and dep.result.get("edit_sequence"):
            return str(dep.result["edit_sequence"])
        return None

    def on_refused(
        self, ctx: Bookkeeping, op: Operation, policy: StatusPolicy, text: str, code: int
    ) -> bool:
        if policy != StatusPolicy.STALE:
            return False
        # 3200: the vendor changed since we read it: re-read it and apply the change again.
        if op.conflict_retries < MAX_CONFLICT_RETRIES:
            op.conflict_retries += 1
            queue.set_error(op, text, code)
            ctx.requeue(op, STEP_REREAD)
            return True
        ctx.settle(
            op,
            NEEDS_ATTENTION,
            "The vendor kept changing in QuickBooks while we tried to update it (re-read "
            f"and re-applied once). Retry when nobody is editing it. {text}",
            code,
        )
        return True

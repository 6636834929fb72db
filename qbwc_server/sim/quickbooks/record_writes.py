"""Writes that apply to any record: adding and modifying list records, editing, deleting.

The rules QuickBooks keeps when a user (or a ...Add/...Mod request) changes a list: unique names
per name list, colon-joined FullNames of hierarchical lists (renaming a parent renames its
children), references resolved to existing records, text stored as Windows-1252 would keep it.
Functions of a :class:`~.company_data.CompanyData`; the company file's methods delegate here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from . import status as st
from .catalog import ENTITY_TYPES, HIERARCHICAL, ITEM_TYPES, LIST_TYPES
from .company_data import ZERO, CompanyData, CompanyError, DeletedEntry, dec, money, qb_text
from .qbclock import wall_key
from .store import Record, RowMeta, copy_record

_REF_TYPES: dict[str, tuple[str, ...]] = {
    "AccountRef": ("Account",),
    "APAccountRef": ("Account",),
    "BankAccountRef": ("Account",),
    "CreditCardAccountRef": ("Account",),
    "ClassRef": ("Class",),
    "CustomerRef": ("Customer",),
    "VendorRef": ("Vendor",),
    "ItemRef": ITEM_TYPES,
    "TermsRef": ("StandardTerms", "DateDrivenTerms"),
    "VendorTypeRef": ("VendorType",),
    "CurrencyRef": ("Currency",),
    "SalesTaxCodeRef": ("SalesTaxCode",),
    "PayeeEntityRef": ENTITY_TYPES,
    "PrefVendorRef": ("Vendor",),
}


def edit(
    company: CompanyData, object_type: str, object_id: str, changes: Mapping[str, Any]
) -> None:
    """Change top-level fields of a record (new TimeModified and EditSequence)."""
    table = company.table(object_type)
    record = table.get(object_id)
    if record is None:
        raise CompanyError(st.object_not_found(object_id))
    changes = dict(changes)
    if object_type in LIST_TYPES and ("Name" in changes or "ParentRef" in changes):
        _rename(company, object_type, object_id, record, changes)
    if object_type in _OPEN_SIGN and "VendorRef" in changes:
        _move_to_vendor(company, object_type, object_id, record, changes)
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = copy_record(value)
    if "IsActive" in changes:
        table.reindex(object_id, is_active=bool(changes["IsActive"]))
    if "TxnDate" in changes:
        table.reindex(object_id, txn_date=date.fromisoformat(str(changes["TxnDate"])).toordinal())
    if "RefNumber" in changes:
        table.reindex(object_id, ref_number=str(changes.get("RefNumber") or ""))
    company.touch(object_type, object_id, record)


# How an open bill (+) or credit (-) counts in its vendor's Balance.
_OPEN_SIGN = {"Bill": 1, "VendorCredit": -1}


def _move_to_vendor(
    company: CompanyData, object_type: str, object_id: str, record: Record, changes: dict[str, Any]
) -> None:
    """A bill or credit given to another vendor: what is open of it moves from the old
    vendor's Balance to the new one's (neither vendor record is edited)."""
    new_id = company.require_ref(changes["VendorRef"], ("Vendor",), "Vendor", object_type)[1]
    old_id = str(record["VendorRef"]["ListID"])
    changes["VendorRef"] = company.ref(new_id)
    if new_id == old_id:
        return
    open_amount = _OPEN_SIGN[object_type] * dec(record.get("OpenAmount"))
    company.adjust_vendor_balance(old_id, -open_amount)
    company.adjust_vendor_balance(new_id, open_amount)
    company.table(object_type).reindex(object_id, entity=new_id)


def make_inactive(company: CompanyData, object_type: str, list_id: str) -> None:
    edit(company, object_type, list_id, {"IsActive": False})


def delete(company: CompanyData, object_type: str, object_id: str) -> None:
    """Delete a record; it shows up in ListDeletedQuery/TxnDeletedQuery (90 days)."""
    table = company.table(object_type)
    record = table.get(object_id)
    if record is None:
        raise CompanyError(st.object_not_found(object_id))
    if object_type in _OPEN_SIGN:
        company.adjust_vendor_balance(
            record["VendorRef"]["ListID"], -_OPEN_SIGN[object_type] * dec(record.get("OpenAmount"))
        )
    table.remove(object_id)
    company.owner_of.pop(object_id, None)
    name = record.get("RefNumber", "") if table.is_txn else record.get("FullName", "")
    company.deleted.append(
        DeletedEntry(
            is_txn=table.is_txn,
            del_type=object_type,
            object_id=object_id,
            time_created=str(record.get("TimeCreated", "")),
            deleted_at=company.clock.now,
            name=str(name or record.get("Name", "")),
        )
    )


def _rename(
    company: CompanyData, object_type: str, list_id: str, record: Record, changes: dict[str, Any]
) -> None:
    name = qb_text(str(changes.get("Name", record.get("Name", ""))))
    changes["Name"] = name
    parent_id = ""
    if object_type in HIERARCHICAL:
        parent_ref = changes.get("ParentRef", record.get("ParentRef"))
        if parent_ref:
            parent_id = company.require_ref(parent_ref, (object_type,), object_type, object_type)[1]
    full_name = _full_name(company, object_type, name, parent_id)
    if company.name_taken(object_type, full_name, except_id=list_id):
        raise CompanyError(st.name_in_use(full_name))
    table = company.tables[object_type]
    if object_type in HIERARCHICAL:
        changes["FullName"] = full_name
        table.reindex(list_id, name_key=full_name.lower(), parent=parent_id)
        _refresh_children(company, object_type, list_id, full_name)
    else:
        table.reindex(list_id, name_key=full_name.lower())


def _refresh_children(
    company: CompanyData, object_type: str, parent_id: str, parent_name: str
) -> None:
    table = company.tables[object_type]
    for child_id, meta in list(table.meta.items()):
        if meta.parent != parent_id:
            continue
        child = table.get(child_id)
        if child is None:
            continue
        child["FullName"] = f"{parent_name}:{child['Name']}"
        table.reindex(child_id, name_key=child["FullName"].lower())
        _refresh_children(company, object_type, child_id, child["FullName"])


def _full_name(company: CompanyData, object_type: str, name: str, parent_id: str) -> str:
    if not parent_id:
        return name
    parent = company.tables[object_type].get(parent_id)
    assert parent is not None
    return f"{parent['FullName']}:{name}"


def add_list_record(company: CompanyData, object_type: str, given: Mapping[str, Any]) -> Record:
    if object_type not in LIST_TYPES:
        raise KeyError(f"{object_type} is not a list type")
    fields: dict[str, Any] = copy_record(dict(given))
    name = qb_text(str(fields.get("Name", "")))
    if not name:
        raise CompanyError(st.Status(3150, "There is a missing element: Name."))
    parent_id = ""
    if object_type in HIERARCHICAL and fields.get("ParentRef"):
        parent_id = company.require_ref(
            fields["ParentRef"], (object_type,), object_type, object_type
        )[1]
    full_name = _full_name(company, object_type, name, parent_id)
    if company.name_taken(object_type, full_name):
        raise CompanyError(st.name_in_use(full_name))
    for key in [k for k in fields if k.endswith("Ref") and isinstance(fields[k], dict)]:
        if key == "ParentRef":
            continue
        fields[key] = normalize_ref(company, fields[key], key, object_type)
    now = company.clock.now
    list_id = company.new_list_id(now)
    stamp = company.clock.stamp(now)
    record: Record = {
        "ListID": list_id,
        "TimeCreated": stamp,
        "TimeModified": stamp,
        "EditSequence": company.new_edit_sequence(now),
        "Name": name,
    }
    if object_type in HIERARCHICAL:
        record["FullName"] = full_name
    record["IsActive"] = bool(fields.pop("IsActive", True))
    if object_type in HIERARCHICAL:
        if parent_id:
            record["ParentRef"] = company.ref(parent_id)
        record["Sublevel"] = full_name.count(":")
    fields.pop("Name", None)
    fields.pop("ParentRef", None)
    for key, value in fields.items():
        record[key] = qb_text(value) if isinstance(value, str) else value
    if object_type == "Vendor":
        record.setdefault("Balance", money(ZERO))
    meta = RowMeta(
        seq=company.next_seq(),
        modified=wall_key(now),
        is_active=record["IsActive"],
        name_key=full_name.lower(),
        parent=parent_id,
    )
    company.register(object_type, list_id, record, meta)
    return record


def normalize_ref(
    company: CompanyData, ref: Mapping[str, Any], key: str, in_object: str
) -> dict[str, str]:
    types = _REF_TYPES.get(key)
    if types is None:
        return dict(ref)
    kind = types[0] if len(types) == 1 else key.removesuffix("Ref")
    if key in ("AccountRef", "APAccountRef", "BankAccountRef", "CreditCardAccountRef"):
        kind = "Account"
    object_id = company.require_ref(ref, types, kind, in_object)[1]
    return company.ref(object_id)


def mod_list_record(
    company: CompanyData,
    object_type: str,
    list_id: str,
    edit_sequence: str,
    changes: Mapping[str, Any],
) -> Record:
    record = company.tables[object_type].get(list_id)
    if record is None:
        raise CompanyError(st.object_not_found(list_id))
    if str(record.get("EditSequence")) != edit_sequence:
        raise CompanyError(st.stale_edit_sequence(edit_sequence))
    normalized: dict[str, Any] = {}
    for key, value in changes.items():
        if key.endswith("Ref") and isinstance(value, dict) and key != "ParentRef":
            normalized[key] = normalize_ref(company, value, key, object_type)
        elif isinstance(value, str):
            normalized[key] = qb_text(value)
        else:
            normalized[key] = value
    edit(company, object_type, list_id, normalized)
    return record

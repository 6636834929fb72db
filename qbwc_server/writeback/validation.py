"""Validating an operation's payload before it is queued (issue 5, part 1).

Everything QuickBooks would refuse and that we can know in advance is refused here, with the
field named: required fields, unknown fields, text lengths (the XSD ``maxLength`` from
``qbxml/writes.py`` ``MAX_LENGTHS``), characters QuickBooks cannot store (it keeps text in
Windows-1252, §6.1 / user-pains #11), amounts (AMTTYPE: at most 2 decimals), dates, and
references: a list record given by ``list_id``/``full_name`` must exist in the synced tables
(not deleted, active, of the right account type); ``operation_id`` must name an operation of
the same company of the right type that has not failed or been cancelled.

The result is the *resolved* payload: the same names, but every list reference carries the
record's ``list_id`` (§6.7: names change, ids do not) and references to operations that are
not done yet stay ``{"operation_id": N}`` and become dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Operation
from qbwc_server.qbxml.values import has_illegal_xml_chars
from qbwc_server.qbxml.writes import MAX_LENGTHS
from qbwc_server.records.types import record_type
from qbwc_server.services.errors import Invalid
from qbwc_server.writeback.catalog import CANCELLED, DONE, FAILED, KINDS

MAX_LINES = 500
MAX_APPLIED = 100
_AMOUNT_RE = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")
_PRICE_RE = re.compile(r"^-?\d{1,10}(\.\d{1,5})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

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


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class PayloadInvalid(Invalid):
    """422 with every problem found; ``field``/``message`` are the first one's."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


@dataclass
class Validated:
    resolved: dict[str, Any]
    depends_on: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _ListTarget:
    record_types: tuple[str, ...]
    what: str  # words for messages
    account_types: tuple[str, ...] = ()


LIST_TARGETS: dict[str, _ListTarget] = {
    "vendor": _ListTarget(("vendors",), "vendor"),
    "ap_account": _ListTarget(("accounts",), "Accounts Payable account", ("AccountsPayable",)),
    "bank_account": _ListTarget(("accounts",), "bank account", ("Bank",)),
    "credit_card_account": _ListTarget(("accounts",), "credit card account", ("CreditCard",)),
    "account": _ListTarget(("accounts",), "account"),
    "discount_account": _ListTarget(("accounts",), "account"),
    "item": _ListTarget(("items",), "item"),
    "class": _ListTarget(("classes",), "class"),
    "customer": _ListTarget(("customers",), "customer or job"),
    "terms": _ListTarget(("standard_terms", "date_driven_terms"), "terms"),
}


def _cp1252_lossy(text: str) -> str | None:
    """The first character QuickBooks (Windows-1252) cannot store, or None."""
    for ch in text:
        try:
            ch.encode("cp1252")
        except UnicodeEncodeError:
            return ch
    return None


class _Checker:
    def __init__(self, session: Session, company_id: int) -> None:
        self.session = session
        self.company_id = company_id
        self.errors: list[FieldError] = []
        self.depends_on: list[int] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    # --- shapes -----------------------------------------------------------------------------
    def obj(self, path: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, f"{path} must be an object")
            return None
        for key in value:
            if key not in allowed:
                self.error(f"{path}.{key}", f"unknown field {key!r}")
        return value

    def items(self, path: str, value: Any, limit: int) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"{path} must be a list")
            return []
        if len(value) > limit:
            self.error(path, f"{path} may have at most {limit} entries")
            return []
        return value

    # --- scalars ----------------------------------------------------------------------------
    def text(
        self,
        path: str,
        value: Any,
        max_length: int | None,
        *,
        required: bool = False,
        allow_empty: bool = False,
    ) -> str | None:
        if value is None:
            if required:
                self.error(path, f"{path} is required")
            return None
        if not isinstance(value, str):
            self.error(path, f"{path} must be a string")
            return None
        if not value.strip() and not allow_empty:
            self.error(path, f"{path} must not be empty")
            return None
        if has_illegal_xml_chars(value):
            self.error(path, f"{path} contains control characters")
            return None
        lossy = _cp1252_lossy(value)
        if lossy is not None:
            self.error(
                path,
                f"{path} contains {lossy!r}, which QuickBooks cannot store (it keeps text in "
                "Windows-1252); replace it",
            )
            return None
        if max_length is not None and len(value) > max_length:
            self.error(
                path, f"{path} is {len(value)} characters long; QuickBooks allows {max_length}"
            )
            return None
        return value

    def boolean(self, path: str, value: Any) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(path, f"{path} must be true or false")
            return None
        return value

    def day(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _DATE_RE.match(value):
            self.error(path, f'{path} must be a date like "2024-06-30"')
            return None
        try:
            date.fromisoformat(value)
        except ValueError:
            self.error(path, f"{path} is not a real date")
            return None
        return value

    def amount(
        self, path: str, value: Any, *, required: bool = False, minimum: str | None = None
    ) -> Decimal | None:
        return self._number(path, value, _AMOUNT_RE, 2, required=required, minimum=minimum)

    def price(self, path: str, value: Any, *, minimum: str | None = None) -> Decimal | None:
        return self._number(path, value, _PRICE_RE, 5, required=False, minimum=minimum)

    def _number(
        self,
        path: str,
        value: Any,
        pattern: re.Pattern[str],
        places: int,
        *,
        required: bool,
        minimum: str | None,
    ) -> Decimal | None:
        if value is None:
            if required:
                self.error(path, f"{path} is required")
            return None
        if not isinstance(value, str) or not pattern.match(value.strip()):
            self.error(
                path,
                f'{path} must be a decimal string with at most {places} decimals, like "120.50"',
            )
            return None
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            self.error(path, f"{path} is not a number")
            return None
        if minimum is not None and number < Decimal(minimum):
            self.error(path, f"{path} must be at least {minimum}")
            return None
        return number

    # --- references -------------------------------------------------------------------------
    def list_ref(
        self,
        path: str,
        value: Any,
        key: str,
        *,
        required: bool = False,
        operation_type: str | None = None,
        full_name_max: int | None = None,
    ) -> dict[str, Any] | None:
        """A list reference: ``{"list_id"}`` or ``{"full_name"}`` (or ``{"operation_id"}`` of
        ``operation_type``). Returns the resolved reference."""
        if value is None:
            if required:
                self.error(path, f"{path} is required")
            return None
        allowed = ("list_id", "full_name") + (("operation_id",) if operation_type else ())
        ref = self.obj(path, value, allowed)
        if ref is None:
            return None
        given = [k for k in allowed if ref.get(k) is not None]
        if len(given) != 1:
            self.error(path, f"{path} needs exactly one of {', '.join(allowed)}")
            return None
        target = LIST_TARGETS[key]
        if given[0] == "operation_id":
            assert operation_type is not None
            return self.operation_ref(path, ref["operation_id"], operation_type, "list_id")
        if given[0] == "list_id":
            list_id = self.text(f"{path}.list_id", ref["list_id"], 36)
            if list_id is None:
                return None
            rows = self._find(target, list_id=list_id)
        else:
            name = self.text(f"{path}.full_name", ref["full_name"], full_name_max)
            if name is None:
                return None
            rows = self._find(target, full_name=name)
        if not rows:
            shown = ref.get("list_id") or ref.get("full_name")
            self.error(
                path,
                f"no {target.what} {shown!r} in the synced QuickBooks data (check the name or "
                "wait for the next sync)",
            )
            return None
        if len(rows) > 1:
            self.error(path, f"{len(rows)} {target.what}s match {ref['full_name']!r}; use list_id")
            return None
        row = rows[0]
        if not row.is_active:
            self.error(path, f"the {target.what} {row.full_name!r} is inactive in QuickBooks")
            return None
        if target.account_types:
            account_type = getattr(row, "account_type", None)
            if account_type not in target.account_types:
                self.error(
                    path,
                    f"{row.full_name!r} is not a {target.what} (its type is {account_type})",
                )
                return None
        return {"list_id": row.list_id, "full_name": row.full_name}

    def _find(
        self, target: _ListTarget, *, list_id: str | None = None, full_name: str | None = None
    ) -> list[Any]:
        found: list[Any] = []
        for type_name in target.record_types:
            model: Any = record_type(type_name).model
            base = select(model).where(
                model.company_id == self.company_id, model.is_deleted.is_(False)
            )
            if list_id is not None:
                found.extend(self.session.scalars(base.where(model.list_id == list_id)))
                continue
            assert full_name is not None
            exact = list(self.session.scalars(base.where(model.full_name == full_name)))
            if not exact:  # QuickBooks names are not case sensitive
                exact = list(
                    self.session.scalars(
                        base.where(func.lower(model.full_name) == full_name.lower())
                    )
                )
            found.extend(exact)
        return found

    def operation_ref(
        self, path: str, value: Any, operation_type: str, result_key: str
    ) -> dict[str, Any] | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(f"{path}.operation_id", f"{path}.operation_id must be an operation id")
            return None
        other = self.session.get(Operation, value)
        if other is None or other.company_id != self.company_id:
            self.error(f"{path}.operation_id", f"no operation {value} in this company")
            return None
        if other.type != operation_type:
            self.error(
                f"{path}.operation_id",
                f"operation {value} is a {other.type}, not a {operation_type}",
            )
            return None
        if other.state in (FAILED, CANCELLED):
            self.error(
                f"{path}.operation_id",
                f"operation {value} is {other.state}; it will never reach QuickBooks",
            )
            return None
        if other.state == DONE and other.result and other.result.get(result_key):
            resolved: dict[str, Any] = {result_key: other.result[result_key]}
            resolved["operation_id"] = other.id
            return resolved
        if other.id not in self.depends_on:
            self.depends_on.append(other.id)
        return {"operation_id": other.id}

    def bill_ref(self, path: str, value: Any) -> tuple[dict[str, Any], Any] | None:
        """``{"txn_id"}`` of a synced bill or ``{"operation_id"}`` of a bill.create. Returns the
        resolved reference and the synced bill row or the operation."""
        ref = self.obj(path, value, ("txn_id", "operation_id"))
        if ref is None:
            return None
        given = [k for k in ("txn_id", "operation_id") if ref.get(k) is not None]
        if len(given) != 1:
            self.error(path, f"{path} needs exactly one of txn_id, operation_id")
            return None
        model: Any = record_type("bills").model
        if given[0] == "operation_id":
            resolved = self.operation_ref(path, ref["operation_id"], "bill.create", "txn_id")
            if resolved is None:
                return None
            source: Any = None
            if resolved.get("txn_id"):  # done: the synced bill knows its open balance
                source = self.session.scalars(
                    select(model).where(
                        model.company_id == self.company_id, model.txn_id == resolved["txn_id"]
                    )
                ).first()
            return resolved, source or self.session.get(Operation, ref["operation_id"])
        txn_id = self.text(f"{path}.txn_id", ref["txn_id"], 36)
        if txn_id is None:
            return None
        row = self.session.scalars(
            select(model).where(model.company_id == self.company_id, model.txn_id == txn_id)
        ).first()
        if row is None or row.is_deleted:
            self.error(path, f"no bill {txn_id!r} in the synced QuickBooks data")
            return None
        return {"txn_id": row.txn_id}, row


# --- per type ----------------------------------------------------------------------------------


def _vendor_fields(
    c: _Checker, payload: Mapping[str, Any], request: str, out: dict[str, Any], update: bool
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
        address = c.obj("payload.address", payload["address"], tuple(ADDRESS_FIELDS))
        if address is not None:
            clean: dict[str, str] = {}
            for key, tag in ADDRESS_FIELDS.items():
                value = c.text(
                    f"payload.address.{key}",
                    address.get(key),
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


def _vendor_create(c: _Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
    c.obj("payload", payload, VENDOR_FIELDS)
    out: dict[str, Any] = {}
    _vendor_fields(c, payload, "VendorAdd", out, update=False)
    return out


def _vendor_update(c: _Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
    c.obj("payload", payload, ("vendor", *VENDOR_FIELDS))
    out: dict[str, Any] = {}
    vendor = c.list_ref(
        "payload.vendor",
        payload.get("vendor"),
        "vendor",
        required=True,
        operation_type="vendor.create",
        full_name_max=41,
    )
    if vendor is not None:
        out["vendor"] = vendor
    _vendor_fields(c, payload, "VendorMod", out, update=True)
    if not any(k in payload for k in VENDOR_FIELDS):
        c.error("payload", "a vendor.update needs at least one field to change")
    return out


def _line_refs(
    c: _Checker, path: str, line: Mapping[str, Any], request: str, tag: str, out: dict[str, Any]
) -> None:
    limits = MAX_LENGTHS[request]
    for key, ref_tag in (("class", "ClassRef"), ("customer", "CustomerRef")):
        if line.get(key) is not None:
            ref = c.list_ref(
                f"{path}.{key}",
                line[key],
                key,
                full_name_max=limits.get(f"{tag}.{ref_tag}.FullName"),
            )
            if ref is not None:
                out[key] = ref


def _bill_create(c: _Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
    allowed = (
        "vendor",
        "ap_account",
        "txn_date",
        "due_date",
        "ref_number",
        "terms",
        "memo",
        "expense_lines",
        "item_lines",
    )
    c.obj("payload", payload, allowed)
    limits = MAX_LENGTHS["BillAdd"]
    out: dict[str, Any] = {}
    vendor = c.list_ref(
        "payload.vendor",
        payload.get("vendor"),
        "vendor",
        required=True,
        operation_type="vendor.create",
        full_name_max=limits["VendorRef.FullName"],
    )
    if vendor is not None:
        out["vendor"] = vendor
    refs: tuple[tuple[str, str], ...] = (("ap_account", "APAccountRef"), ("terms", "TermsRef"))
    for key, tag in refs:
        if payload.get(key) is not None:
            ref = c.list_ref(
                f"payload.{key}", payload[key], key, full_name_max=limits[f"{tag}.FullName"]
            )
            if ref is not None:
                out[key] = ref
    for key in ("txn_date", "due_date"):
        value = c.day(f"payload.{key}", payload.get(key))
        if value is not None:
            out[key] = value
    if "txn_date" in out and "due_date" in out and out["due_date"] < out["txn_date"]:
        c.error("payload.due_date", "payload.due_date is before payload.txn_date")
    for key, tag in (("ref_number", "RefNumber"), ("memo", "Memo")):
        value = c.text(f"payload.{key}", payload.get(key), limits[tag])
        if value is not None:
            out[key] = value

    total = Decimal(0)
    expense: list[dict[str, Any]] = []
    for n, raw in enumerate(
        c.items("payload.expense_lines", payload.get("expense_lines"), MAX_LINES)
    ):
        path = f"payload.expense_lines[{n}]"
        line = c.obj(path, raw, ("account", "amount", "memo", "class", "customer"))
        if line is None:
            continue
        clean: dict[str, Any] = {}
        account = c.list_ref(
            f"{path}.account",
            line.get("account"),
            "account",
            required=True,
            full_name_max=limits["ExpenseLineAdd.AccountRef.FullName"],
        )
        if account is not None:
            clean["account"] = account
        amount = c.amount(f"{path}.amount", line.get("amount"), required=True)
        if amount is not None:
            clean["amount"] = f"{amount:.2f}"
            total += amount
        memo = c.text(f"{path}.memo", line.get("memo"), limits["ExpenseLineAdd.Memo"])
        if memo is not None:
            clean["memo"] = memo
        _line_refs(c, path, line, "BillAdd", "ExpenseLineAdd", clean)
        expense.append(clean)
    items: list[dict[str, Any]] = []
    for n, raw in enumerate(c.items("payload.item_lines", payload.get("item_lines"), MAX_LINES)):
        path = f"payload.item_lines[{n}]"
        line = c.obj(path, raw, ("item", "quantity", "cost", "amount", "memo", "class", "customer"))
        if line is None:
            continue
        clean = {}
        item = c.list_ref(f"{path}.item", line.get("item"), "item", required=True)
        if item is not None:
            clean["item"] = item
        quantity = c.price(f"{path}.quantity", line.get("quantity"))
        cost = c.price(f"{path}.cost", line.get("cost"))
        amount = c.amount(f"{path}.amount", line.get("amount"))
        if quantity is not None:
            clean["quantity"] = str(quantity)
        if cost is not None:
            clean["cost"] = str(cost)
        if amount is not None:
            clean["amount"] = f"{amount:.2f}"
            total += amount
        elif cost is not None:
            total += cost * (quantity if quantity is not None else Decimal(1))
        elif "amount" not in line and "cost" not in line:
            c.error(f"{path}.amount", f"{path} needs an amount or a cost")
        memo = c.text(f"{path}.memo", line.get("memo"), limits["ItemLineAdd.Desc"])
        if memo is not None:
            clean["memo"] = memo
        _line_refs(c, path, line, "BillAdd", "ItemLineAdd", clean)
        items.append(clean)
    if not payload.get("expense_lines") and not payload.get("item_lines"):
        c.error("payload.expense_lines", "a bill needs at least one expense line or item line")
    elif total < 0:
        c.error("payload.expense_lines", "the bill's total must not be negative")
    if expense:
        out["expense_lines"] = expense
    if items:
        out["item_lines"] = items
    out["_total"] = f"{total:.2f}"
    return out


def _same_vendor(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool | None:
    """Whether two resolved vendor references name the same vendor (None: cannot tell)."""
    if not a or not b:
        return None
    if a.get("list_id") and b.get("list_id"):
        return bool(a["list_id"] == b["list_id"])
    if a.get("operation_id") and b.get("operation_id"):
        return bool(a["operation_id"] == b["operation_id"])
    return None


def _payment(
    c: _Checker, payload: Mapping[str, Any], request: str, account_key: str
) -> dict[str, Any]:
    allowed = (
        "vendor",
        account_key,
        "ap_account",
        "txn_date",
        "ref_number",
        "memo",
        "applied_to",
    ) + (("is_to_be_printed",) if account_key == "bank_account" else ())
    c.obj("payload", payload, allowed)
    limits = MAX_LENGTHS[request]
    out: dict[str, Any] = {}
    vendor = c.list_ref(
        "payload.vendor",
        payload.get("vendor"),
        "vendor",
        required=True,
        operation_type="vendor.create",
        full_name_max=41,
    )
    if vendor is not None:
        out["vendor"] = vendor
    account_tag = "BankAccountRef" if account_key == "bank_account" else "CreditCardAccountRef"
    account = c.list_ref(
        f"payload.{account_key}",
        payload.get(account_key),
        account_key,
        required=True,
        full_name_max=limits[f"{account_tag}.FullName"],
    )
    if account is not None:
        out[account_key] = account
    if payload.get("ap_account") is not None:
        ap = c.list_ref(
            "payload.ap_account",
            payload["ap_account"],
            "ap_account",
            full_name_max=limits["APAccountRef.FullName"],
        )
        if ap is not None:
            out["ap_account"] = ap
    txn_date = c.day("payload.txn_date", payload.get("txn_date"))
    if txn_date is not None:
        out["txn_date"] = txn_date
    for key, tag in (("ref_number", "RefNumber"), ("memo", "Memo")):
        value = c.text(f"payload.{key}", payload.get(key), limits[tag])
        if value is not None:
            out[key] = value
    if account_key == "bank_account":
        printed = c.boolean("payload.is_to_be_printed", payload.get("is_to_be_printed"))
        if printed and "ref_number" in out:
            # BillPaymentCheckAdd: IsToBePrinted and RefNumber are a schema choice.
            c.error(
                "payload.is_to_be_printed",
                "give either ref_number (a check number) or is_to_be_printed, not both",
            )
        if printed is not None:
            out["is_to_be_printed"] = printed

    raw_applied = c.items("payload.applied_to", payload.get("applied_to"), MAX_APPLIED)
    if not raw_applied:
        c.error("payload.applied_to", "a bill payment must apply to at least one bill")
    applied: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_applied):
        path = f"payload.applied_to[{n}]"
        entry = c.obj(path, raw, ("bill", "amount", "discount_amount", "discount_account"))
        if entry is None:
            continue
        clean: dict[str, Any] = {}
        amount = c.amount(f"{path}.amount", entry.get("amount"), required=True, minimum="0.01")
        discount = c.amount(f"{path}.discount_amount", entry.get("discount_amount"), minimum="0")
        if amount is not None:
            clean["amount"] = f"{amount:.2f}"
        if discount is not None:
            clean["discount_amount"] = f"{discount:.2f}"
        if entry.get("discount_account") is not None:
            ref = c.list_ref(
                f"{path}.discount_account",
                entry["discount_account"],
                "discount_account",
                full_name_max=limits["AppliedToTxnAdd.DiscountAccountRef.FullName"],
            )
            if ref is not None:
                clean["discount_account"] = ref
        if entry.get("bill") is None:
            c.error(f"{path}.bill", f"{path}.bill is required")
        else:
            found = c.bill_ref(f"{path}.bill", entry["bill"])
            if found is not None:
                ref, source = found
                key = (
                    f"txn:{ref.get('txn_id')}" if ref.get("txn_id") else f"op:{ref['operation_id']}"
                )
                if key in seen:
                    c.error(f"{path}.bill", "the same bill appears twice in applied_to")
                seen.add(key)
                clean["bill"] = ref
                _check_bill(c, path, source, vendor, amount, discount)
        applied.append(clean)
    out["applied_to"] = applied
    return out


def _check_bill(
    c: _Checker,
    path: str,
    source: Any,
    vendor: Mapping[str, Any] | None,
    amount: Decimal | None,
    discount: Decimal | None,
) -> None:
    """The bill must belong to the payment's vendor and still be open for the amount."""
    paying = (amount or Decimal(0)) + (discount or Decimal(0))
    if isinstance(source, Operation):
        bill_vendor = source.resolved.get("vendor")
        open_amount = Decimal(str(source.resolved.get("_total", "0")))
    else:
        bill_vendor = {"list_id": source.vendor_list_id} if source.vendor_list_id else None
        open_amount = source.open_amount if source.open_amount is not None else source.amount_due
    if _same_vendor(bill_vendor, vendor) is False:
        c.error(f"{path}.bill", "the bill belongs to another vendor than the payment")
    if open_amount is not None and paying > Decimal(open_amount):
        c.error(
            f"{path}.amount",
            f"{path}.amount (with discount) is more than the bill's open balance {open_amount}",
        )


Handler = Callable[[_Checker, Mapping[str, Any]], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {
    "vendor.create": _vendor_create,
    "vendor.update": _vendor_update,
    "bill.create": _bill_create,
    "bill_payment.check.create": lambda c, p: _payment(c, p, "BillPaymentCheckAdd", "bank_account"),
    "bill_payment.credit_card.create": lambda c, p: _payment(
        c, p, "BillPaymentCreditCardAdd", "credit_card_account"
    ),
}


def validate_operation(session: Session, company_id: int, op_type: Any, payload: Any) -> Validated:
    """Validate and resolve; raises :class:`PayloadInvalid` (422) listing every problem."""
    if not isinstance(op_type, str) or op_type not in KINDS:
        raise PayloadInvalid([FieldError("type", f"type must be one of {', '.join(KINDS)}")])
    if not isinstance(payload, dict):
        raise PayloadInvalid([FieldError("payload", "payload must be an object")])
    checker = _Checker(session, company_id)
    resolved = _HANDLERS[op_type](checker, payload)
    if checker.errors:
        raise PayloadInvalid(checker.errors)
    return Validated(resolved=resolved, depends_on=sorted(checker.depends_on))

"""The field checks an operation kind's validation is made of (``writeback/kinds/``).

Everything QuickBooks would refuse and that we can know in advance is refused with the field
named: required fields, unknown fields, text lengths (the XSD ``maxLength`` from
``qbxml/writes.py`` ``MAX_LENGTHS``), characters QuickBooks cannot store (it keeps text in
Windows-1252, §6.1 / user-pains #11), amounts (AMTTYPE: at most 2 decimals), dates, and
references: a list record given by ``list_id``/``full_name`` must exist in the synced tables
(not deleted, active, of the right account type); ``operation_id`` must name an operation of
the same company of the right type that has not failed or been cancelled. A :class:`Checker`
collects every problem rather than stopping at the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
from qbwc_server.services.ids import row_id
from qbwc_server.writeback.catalog import CANCELLED, DONE, FAILED

_AMOUNT_RE = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")
_PRICE_RE = re.compile(r"^-?\d{1,10}(\.\d{1,5})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A vendor is named by its Name (vendors are not hierarchical): the schema's limit for it.
VENDOR_NAME_MAX = MAX_LENGTHS["VendorAdd"]["Name"]


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class PayloadInvalid(Invalid):
    """422 with every problem found; ``field``/``message`` are the first one's."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


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


class Checker:
    """One payload's checks; ``errors`` collects every problem, ``depends_on`` the operations
    it refers to that are not done yet."""

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

    def vendor_ref(self, path: str, value: Any, *, required: bool = True) -> dict[str, Any] | None:
        """The vendor of an operation: a synced vendor (``list_id``/``full_name``, its name
        within the schema's limit) or ``{"operation_id"}`` of a ``vendor.create``."""
        return self.list_ref(
            path,
            value,
            "vendor",
            required=required,
            operation_type="vendor.create",
            full_name_max=VENDOR_NAME_MAX,
        )

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
        # An id past the column's range names no operation (and must not reach the database).
        other = self.session.get(Operation, value) if row_id(value) is not None else None
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

"""When is an existing QuickBooks vendor "the same vendor" as a vendor.create? (3100 handling)

QuickBooks names are unique across vendors, customers, employees and other names, so a
VendorAdd whose name is taken fails with 3100. The existing record is linked instead of
failing when it is a *vendor* and it is the same vendor:

1. it carries this operation's ExternalGUID (it is the record we created ourselves), or
2. no identifying detail contradicts: for every one of company name, first/last name, email,
   phone, account number, tax ID, address line 1, city and postal code that both the payload
   and QuickBooks have, the two agree after normalising (case, spacing; digits only for phone
   and tax ID; letters and digits only for postal codes).

A payload that gives only the name therefore links to the vendor of that name — the name is
QuickBooks' own identity for a vendor. One contradicting detail (a different email, another tax
ID, ...) means a *different* vendor that happens to have the name: the operation fails and says
which details differ, so a person can choose another name or update the existing vendor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_SPACE = re.compile(r"\s+")


def _words(value: str) -> str:
    return _SPACE.sub(" ", value).strip().casefold()


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _alnum(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()


# payload path -> (QuickBooks Ret path, normaliser, words for messages)
_IDENTITY: tuple[tuple[tuple[str, ...], tuple[str, ...], Callable[[str], str], str], ...] = (
    (("company_name",), ("CompanyName",), _words, "company name"),
    (("first_name",), ("FirstName",), _words, "first name"),
    (("last_name",), ("LastName",), _words, "last name"),
    (("email",), ("Email",), _words, "email"),
    (("phone",), ("Phone",), _digits, "phone"),
    (("account_number",), ("AccountNumber",), _words, "account number"),
    (("tax_id",), ("VendorTaxIdent",), _digits, "tax ID"),
    (("address", "addr1"), ("VendorAddress", "Addr1"), _words, "address"),
    (("address", "city"), ("VendorAddress", "City"), _words, "city"),
    (("address", "postal_code"), ("VendorAddress", "PostalCode"), _alnum, "postal code"),
)


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> str | None:
    value: Any = data
    for key in path:
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    if isinstance(value, str) and value.strip():
        return value
    return None


def same_guid(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a.strip().strip("{}").upper() == b.strip().strip("{}").upper()


def differences(payload: Mapping[str, Any], existing: Mapping[str, Any]) -> list[str]:
    """The identifying details that contradict (empty list: the same vendor)."""
    out: list[str] = []
    for mine, theirs, normalise, words in _IDENTITY:
        a, b = _get(payload, mine), _get(existing, theirs)
        if a is None or b is None:
            continue
        if normalise(a) != normalise(b):
            out.append(words)
    return out


def is_same_vendor(payload: Mapping[str, Any], existing: Mapping[str, Any], guid: str) -> bool:
    if same_guid(guid, _get(existing, ("ExternalGUID",))):
        return True
    return not differences(payload, existing)

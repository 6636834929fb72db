"""Removing secrets and personal data from text that leaves the request: log lines and the
qbXML audit trail.

Two layers. The code never logs a Connector Key, ticket, token, password or tax id in the first
place (the tests scan a full run's output); this module is the net under that rule:

* qbXML: the text of elements that hold tax ids, account numbers and bank or card details is
  replaced, keeping the element (support still sees that a tax id was sent, not which);
* log lines: configured secrets (admin and metrics tokens, the database password) and anything
  shaped like a Connector Key, a session ticket, a US SSN or EIN are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[redacted]"

# qbXML elements (Intuit's XSDs 13.0/16.0) whose text is a tax id, an account number or a bank
# or card detail. AccountNumber is also the chart-of-accounts number: masked too, the harmless
# case is not worth the risk of keeping a vendor's account number with the customer.
SENSITIVE_ELEMENTS = (
    "VendorTaxIdent",  # a vendor's SSN or EIN (1099 vendors)
    "SSN",
    "EIN",
    "TaxRegistrationNumber",
    "ResaleNumber",
    "AccountNumber",
    "VendorAccountNumber",
    "BankNumber",
    "RoutingNumber",
    "CreditCardNumber",
    "MerchantAccountNumber",
)
_ELEMENT_RE = re.compile(r"(<(" + "|".join(SENSITIVE_ELEMENTS) + r")\b[^>]*(?<!/)>)[^<]*(</\2\s*>)")

# A Connector Key (QBWC- and 32 base32 characters in groups of 4), a ticket
# (secrets.token_urlsafe(32): 43 URL-safe characters), a US SSN or EIN.
_PATTERNS = (
    re.compile(r"QBWC(?:-?[A-Z2-7]{4}){8}", re.IGNORECASE),
    re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
    re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"),
    re.compile(r"(?<!\d)\d{2}-\d{7}(?!\d)"),
)


def redact_qbxml(text: str) -> str:
    """The qbXML with the text of every sensitive element replaced by the mask."""
    if not any(name in text for name in SENSITIVE_ELEMENTS):
        return text  # the common case (a page of bills): no regex pass over megabytes
    return _ELEMENT_RE.sub(lambda m: m.group(1) + MASK + m.group(3), text)


class Redactor:
    """Masks known secret values and secret-shaped strings in one line of text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        self._secrets = re.compile("|".join(re.escape(s) for s in values)) if values else None

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        for pattern in _PATTERNS:
            text = pattern.sub(MASK, text)
        return redact_qbxml(text)

"""Row ids and sequence numbers from the outside world (URLs, query strings, JSON).

An id arrives as text (or a JSON number) and goes into a query on an ``INTEGER`` primary key.
Python's ``int()`` takes far more than the database does — 23 digits, a sign, ``1_000``,
surrounding blanks, non-ASCII digits — and a value past the column's range made PostgreSQL
(``NumericValueOutOfRange``) and SQLite (``OverflowError``) fail the request with a 500. Here
only plain ASCII digits within the column's range count as an id; anything else names no row.
"""

from __future__ import annotations

import re
from typing import Any

MAX_ROW_ID = 2**31 - 1  # Integer primary keys: 32-bit signed on PostgreSQL
MAX_SEQ = 2**63 - 1  # BigInteger sequence numbers (the change feed)
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_positive(value: Any, maximum: int) -> int | None:
    """``value`` as an int in 1..maximum, or None when it is anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= maximum else None


def row_id(value: Any) -> int | None:
    """A row id (1..2**31-1) or None."""
    return parse_positive(value, MAX_ROW_ID)


def shown(value: Any, limit: int = 40) -> str:
    """A bad id, quoted and shortened for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["MAX_ROW_ID", "MAX_SEQ", "parse_positive", "row_id", "shown"]

"""Formatting of values for qbXML requests, and cleaning of text in both directions.

QuickBooks is strict about lexical forms (see the simple types in qbxmltypes*.xsd):
dates ``YYYY-MM-DD``, amounts with at most two decimals, booleans ``true``/``false``.
Everything here raises ``ValueError``/``TypeError`` instead of guessing, because a silently
rounded amount or a shifted timestamp is worse than a refused request.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

# XML 1.0 allows TAB, LF, CR and everything from U+0020 except surrogates, U+FFFE, U+FFFF.
# lxml refuses to even store the others, and QuickBooks data sometimes contains them
# (user-pains #11), so they are removed from outbound and inbound text alike.
_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# §6.5: QuickBooks writes TimeModified with an offset that is wrong during DST; the filter
# value must be the wall-clock time of the QuickBooks machine *without* offset.
_DATETIME_RE = re.compile(
    r"^(?P<wall>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(?P<offset>Z|[+-]\d{2}:\d{2})?$"
)
_AMOUNT_MAX_INTEGER_DIGITS = 13  # AMTTYPE: [+-]?[0-9]{1,13}(\.[0-9]{2})?
_PRICE_MAX_INTEGER_DIGITS = 10  # PRICETYPE / QUANTYPE: [+-]?[0-9]{1,10}(\.[0-9]{1,5})?
_PRICE_MAX_DECIMALS = 5
_GUID_RE = re.compile(r"^\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}$")
# IDTYPE has maxLength 36 in both schemas.
ID_MAX_LENGTH = 36

DecimalLike = Decimal | int | str


def clean_text(text: str) -> str:
    """Remove characters that XML 1.0 cannot carry (control characters, surrogates)."""
    if _ILLEGAL_XML_CHARS.search(text) is None:
        return text
    return _ILLEGAL_XML_CHARS.sub("", text)


def has_illegal_xml_chars(text: str) -> bool:
    return _ILLEGAL_XML_CHARS.search(text) is not None


def fmt_bool(value: bool) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"expected bool, got {type(value).__name__}")
    return "true" if value else "false"


def fmt_date(value: date | str) -> str:
    """``YYYY-MM-DD``. Accepts a ``date`` (not a ``datetime``) or an already formatted string."""
    if isinstance(value, datetime):
        raise TypeError("a date field got a datetime; pass value.date() explicitly")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _DATE_RE.match(value):
        date.fromisoformat(value)  # rejects 2024-02-30
        return value
    raise ValueError(f"not a date (YYYY-MM-DD): {value!r}")


def fmt_datetime(value: datetime | date | str) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` in QuickBooks local wall-clock time, never with an offset (§6.5).

    * naive ``datetime``: taken as QuickBooks local time.
    * aware ``datetime``: refused — we cannot know the QuickBooks machine's zone, and
      converting would shift the watermark.
    * ``str``: a QuickBooks timestamp such as ``2021-12-15T04:59:45-08:00`` keeps its wall-clock
      part (which *is* QuickBooks local time) and drops the offset; fractions are dropped.
    * ``date`` or ``YYYY-MM-DD``: midnight.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            raise ValueError(
                "aware datetime refused: pass QuickBooks local wall-clock time without offset "
                "(or the raw TimeModified string QuickBooks returned)"
            )
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00"
    if isinstance(value, str):
        if _DATE_RE.match(value.strip()):
            return f"{fmt_date(value.strip())}T00:00:00"
        m = _DATETIME_RE.match(value.strip())
        if m:
            wall = m.group("wall")
            datetime.fromisoformat(wall)  # rejects impossible dates/times
            return wall
    raise ValueError(f"not a datetime (YYYY-MM-DDTHH:MM:SS): {value!r}")


def _to_decimal(value: DecimalLike) -> Decimal:
    if isinstance(value, bool | float):
        # Floats cannot represent cents exactly; money must arrive as Decimal/int/str.
        raise TypeError(f"amounts must be Decimal, int or str, not {type(value).__name__}")
    try:
        result = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def fmt_amount(value: DecimalLike) -> str:
    """AMTTYPE: a decimal string with exactly two places (``12.50``, ``-3.00``).

    Values with more than two significant decimals are refused rather than rounded.
    """
    dec = _to_decimal(value)
    quantized = dec.quantize(Decimal("0.01"))
    if quantized != dec:
        raise ValueError(f"amount has more than 2 decimal places: {value!r}")
    text = f"{quantized:f}"
    integer_digits = text.lstrip("-").split(".")[0]
    if len(integer_digits) > _AMOUNT_MAX_INTEGER_DIGITS:
        raise ValueError(f"amount too large for QuickBooks: {value!r}")
    return text


def fmt_price(value: DecimalLike) -> str:
    """PRICETYPE / QUANTYPE: up to 10 integer digits and up to 5 decimals, no exponent."""
    dec = _to_decimal(value)
    if dec == dec.to_integral_value():
        text = f"{dec.quantize(Decimal(1)):f}"
    else:
        text = f"{dec.normalize():f}"
    integer_part, _, decimals = text.lstrip("-").partition(".")
    if len(decimals) > _PRICE_MAX_DECIMALS:
        raise ValueError(f"more than {_PRICE_MAX_DECIMALS} decimal places: {value!r}")
    if len(integer_part) > _PRICE_MAX_INTEGER_DIGITS:
        raise ValueError(f"number too large for QuickBooks: {value!r}")
    return text


def fmt_float(value: DecimalLike) -> str:
    """FLOATTYPE (e.g. ExchangeRate): a plain decimal string."""
    dec = _to_decimal(value)
    return f"{dec.normalize():f}" if dec != dec.to_integral_value() else f"{dec:.0f}"


def fmt_int(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected int, got {type(value).__name__}")
    return str(value)


def fmt_guid(value: str) -> str:
    """GUIDTYPE: ``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`` (braces added if missing) or ``0``."""
    text = value.strip()
    if text == "0":
        return text
    if not text.startswith("{"):
        text = "{" + text + "}"
    if not _GUID_RE.match(text):
        raise ValueError(f"not a GUID: {value!r}")
    return text.upper()


def fmt_id(value: str) -> str:
    """IDTYPE (ListID / TxnID): opaque, at most 36 characters."""
    text = clean_text(value).strip()
    if not text:
        raise ValueError("empty ListID/TxnID")
    if len(text) > ID_MAX_LENGTH:
        raise ValueError(f"ListID/TxnID longer than {ID_MAX_LENGTH} characters: {value!r}")
    return text


def check_length(tag: str, text: str, max_length: int | None) -> str:
    """Refuse strings over the schema's maxLength (counted in characters, as the XSD does)."""
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"{tag} is {len(text)} characters long; QuickBooks allows {max_length}")
    return text

"""Reading a JSON request body strictly: what the API takes in is plain, finite, storable JSON.

``json.loads`` alone is lenient in ways that reached the database or crashed a request:
nesting 10,000 deep (``RecursionError`` → 500), ``NaN``/``Infinity``/``1e999`` (not JSON; floats
PostgreSQL's JSONB refuses), a duplicated key (the last one silently wins), UTF-16 or a BOM
(RFC 8259, section 8.1: UTF-8 only), and strings that no column can hold — U+0000 (PostgreSQL text
and JSONB refuse it) and lone surrogates (not characters; psycopg cannot encode them). Each is
refused here with a 400 (the body is not acceptable JSON) or a 422 naming the field, before any
handler or transaction sees it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from qbwc_server.services.errors import Invalid, ServiceError

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32  # our deepest legitimate body (an operation payload) nests 5 levels

BODY = "body"


class BodyTooLarge(ServiceError):
    status = 413


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:30]} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key[:50]!r} appears twice")
        out[key] = value
    return out


def _bad(message: str) -> ServiceError:
    return ServiceError(f"request body: {message}", field=BODY)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains U+0000 (NUL), which cannot be stored"
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            return f"contains a lone surrogate (\\u{ord(ch):04x}), which is not a character"
    return None


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check_tree(data: Any) -> None:
    """Depth and string checks over the parsed document, without recursion."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise _bad(f"nested more than {MAX_DEPTH} levels deep")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                where = _child(path, key)
                if isinstance(key, str):
                    problem = _text_problem(key)
                    if problem:
                        raise Invalid(f"{where}: the key {problem}", field=where)
                stack.append((value, where, depth + 1))
        elif isinstance(node, str):
            problem = _text_problem(node)
            if problem:
                raise Invalid(f"{path or 'body'} {problem}", field=path or BODY)


def parse_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; empty body → ``{}``."""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"request body over {MAX_BODY_BYTES} bytes", field=BODY)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(f"not UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        raise _bad("starts with a byte order mark; send plain UTF-8")
    if not text.strip():
        return {}
    try:
        data = json.loads(
            text,
            parse_constant=_no_constants,
            parse_float=_finite,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError:
        raise _bad(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise _bad(f"not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise _bad("must be a JSON object")
    check_tree(data)
    return data


__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "BodyTooLarge", "check_tree", "parse_object"]

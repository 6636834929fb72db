"""The ids a log line carries: request id, company, QBWC session, SOAP method.

One mutable dict per HTTP request, held in a context variable (each gthread worker thread has
its own context) and also put into the WSGI environ, so the access line written after the
response still sees what the handler learned (which company and session a ticket belonged to).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

ENVIRON_KEY = "qbwc.log_context"
HEADER = "X-Request-ID"
# A proxy's request id is taken as it is when it looks like one (letters, digits and a few
# separators, at most 128 characters: UUIDs, AWS "Root=1-..." trace ids, hex); anything else
# (a header that could inject text into a log line, or is absurdly long) is replaced.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=+/@-]{0,127}$")

_current: ContextVar[dict[str, Any] | None] = ContextVar("qbwc_log_context", default=None)


def new_request_id() -> str:
    """32 hex digits, unique: this process's random half and its count of requests. A
    ``uuid4()`` per request read the system's random source each time, for an id that only
    has to tell requests apart in the logs (it grants nothing)."""
    return f"{_ids[0]}{next(_ids[1]):016x}"


def _new_id_source() -> tuple[str, Iterator[int]]:
    return secrets.token_hex(8), itertools.count(1)


_ids = _new_id_source()


def _after_fork() -> None:
    global _ids
    _ids = _new_id_source()  # each worker its own half: never the master's or a sibling's


os.register_at_fork(after_in_child=_after_fork)


def accepted_request_id(value: str | None) -> str | None:
    """The incoming X-Request-ID if it is safe to echo and log, else None."""
    if value and _REQUEST_ID_RE.match(value):
        return value
    return None


def current() -> dict[str, Any]:
    """The ids known so far in this request (empty outside one)."""
    return _current.get() or {}


def bind(**ids: Any) -> None:
    """Add ids (company_id, session_id, method, ...) to the current request's context."""
    ctx = _current.get()
    if ctx is not None:
        ctx.update({k: v for k, v in ids.items() if v is not None})


@contextlib.contextmanager
def request_context(values: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Make ``values`` the context of the code run inside (a request, a background pass)."""
    token = _current.set(values)
    try:
        yield values
    finally:
        _current.reset(token)

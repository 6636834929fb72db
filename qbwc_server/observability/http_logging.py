"""The outermost WSGI layer: a request id for every request, one access line per request.

``X-Request-ID`` is taken from the request when a proxy set a sane one (context.py), else
generated, and returned on every response. The access line is written when the response body
is finished (so its duration includes streaming the body) and carries the ids the handlers
learned on the way: for a SOAP call the QBWC method, company and session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from qbwc_server.net import client_ip
from qbwc_server.observability import context

log = logging.getLogger("qbwc.access")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Work a handler leaves for after the response has been sent (a list of callables in the
# environ; observability must not make the client wait, e.g. storing the audit trail).
AFTER_RESPONSE_KEY = "qbwc.after_response"
# Probes and scrapes arrive every few seconds; their lines would drown the rest at INFO. So
# would an idle poll's calls (soap_metering.idle_poll_call): all of them at DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_QUERY_CHARS = 200
# Paths whose next segment is a secret: a setup link's token (web/setup_page.py).
SECRET_SEGMENT_PREFIXES = ("/setup/",)


def after_response_pending(environ: dict[str, Any]) -> bool:
    """Whether the request left work for after its response (e.g. an audit write), which may
    wait for the database. Unknown (no request layer ran) counts as yes."""
    return bool(environ.get(AFTER_RESPONSE_KEY, True))


def loggable_path(path: str) -> str:
    """The path as the access line shows it: a setup link's token masked."""
    for prefix in SECRET_SEGMENT_PREFIXES:
        if path.startswith(prefix):
            _token, slash, rest = path[len(prefix) :].partition("/")
            return prefix + "[redacted]" + slash + rest
    return path


class AfterClose:
    """The response body, with ``finished`` run when the server closes it (PEP 3333: after
    the last byte was sent) — also when the body's own ``close`` fails. What werkzeug's
    ClosingIterator does, without its per-request typing machinery (an idle poll's call is
    some forty microseconds in all; that was two of them)."""

    __slots__ = ("_body", "_finished", "_items")

    def __init__(self, body: Iterable[bytes], finished: Callable[[], None]) -> None:
        self._body = body
        self._items = iter(body)
        self._finished = finished

    def __iter__(self) -> AfterClose:
        return self

    def __next__(self) -> bytes:
        return next(self._items)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finished()


class RequestLogging:
    def __init__(self, app: WSGIApp, settings: Any) -> None:
        self.app = app
        self.settings = settings  # for the client address behind QBWC_TRUSTED_PROXIES

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = (
            context.accepted_request_id(environ.get("HTTP_X_REQUEST_ID"))
            or context.new_request_id()
        )
        values: dict[str, Any] = {"request_id": request_id}
        environ[context.ENVIRON_KEY] = values
        after_response: list[Callable[[], None]] = []
        environ[AFTER_RESPONSE_KEY] = after_response
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = status
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((context.HEADER, request_id))
            return start_response(status, headers, exc_info)

        with context.request_context(values):
            body = self.app(environ, start)

        def finished() -> None:
            duration = time.perf_counter() - started  # the client's wait, not the work below
            with context.request_context(values):
                for work in after_response:
                    try:
                        work()
                    except Exception:
                        log.exception("after-response work failed")
            self._access_line(environ, values, seen.get("status", "500"), duration, self.settings)

        return AfterClose(body, finished)

    @staticmethod
    def _access_line(
        environ: dict[str, Any], values: dict[str, Any], status: str, seconds: float, settings: Any
    ) -> None:
        path = loggable_path(environ.get("PATH_INFO", "") or "/")
        method = environ.get("REQUEST_METHOD", "?")
        code = int(status.split(" ", 1)[0]) if status[:3].isdigit() else 0
        routine = path in QUIET_PATHS or (
            values.get("idle_poll") is True and values.get("outcome") != "error"
        )
        level = logging.DEBUG if routine and code < 400 else logging.INFO
        if not log.isEnabledFor(level):
            return
        query = environ.get("QUERY_STRING", "")[:MAX_QUERY_CHARS]
        extra = {
            **values,
            "http_method": method,
            "path": path,
            "status": code,
            "duration_ms": round(seconds * 1000, 1),
            "remote_addr": client_ip(environ, settings),
        }
        if query:
            extra["query"] = query
        soap = values.get("method")
        event = f"{method} {path} {code}" + (f" {soap}" if soap else "")
        log.log(level, event, extra=extra)

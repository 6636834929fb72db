"""Metrics and log context of QBWC SOAP calls, measured around the SOAP endpoint.

Spyne tells which method a request called (its ``method_call`` event, with the arguments);
this layer times the call, counts its outcome and the errors QuickBooks reported in it. The
SOAP service itself only marks a call whose work failed (it answers with a safe fallback
instead of a fault, so from outside the call looks fine): :func:`call_failed`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from qbwc_server.loop_reads import NotOnLoop
from qbwc_server.observability import context
from qbwc_server.observability.qbxml_errors import (
    forget_long_answer,
    hresult_label,
    status_error_labels,
)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Arguments (in spyne's in_object order) that carry what QuickBooks answered.
_RESPONSE_ARGS = {"receiveResponseXML": (1, 2), "connectionError": (None, 1)}


def call_failed() -> None:
    """The SOAP service answered this call with its fallback after an internal error."""
    context.bind(outcome="error")


def idle_poll_call() -> None:
    """This call is routine polling: serverVersion, clientVersion answered "" (go on), an
    authenticate answered ``none`` (nothing to do), the closeConnection of such a session. Its
    access line is written at DEBUG (observability/http_logging.py): a fleet of Web Connectors
    polling every few minutes would write four lines per poll that say nothing; the metrics
    count these calls and the company status shows the contact."""
    context.bind(idle_poll=True)


def _on_method_call(ctx: Any) -> None:
    name = ctx.method_name or ""
    context.bind(method=name)
    where = _RESPONSE_ARGS.get(name)
    if where is None:
        return
    args = list(ctx.in_object or [])
    response_at, hresult_at = where
    codes: list[str] = []
    if response_at is not None and len(args) > response_at:
        codes.extend(status_error_labels(args[response_at]))
    if len(args) > hresult_at:
        label = hresult_label(args[hresult_at])
        if label:
            codes.append(label)
    if codes:
        from qbwc_server.observability.metrics import QBXML_ERRORS

        for code in codes:
            QBXML_ERRORS.labels(code=code).inc()


class SoapMetering:
    """Wraps the SOAP endpoint's WSGI app; ``spyne_app`` is its spyne ``Application``."""

    def __init__(self, endpoint: WSGIApp, spyne_app: Any) -> None:
        self.endpoint = endpoint
        spyne_app.event_manager.add_listener("method_call", _on_method_call)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.endpoint(environ, start_response)  # WSDL and probes: not QBWC calls
        started = time.perf_counter()
        status: list[str] = []

        def start(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(line)
            return start_response(line, headers, exc_info)

        try:
            body = self.endpoint(environ, start)
        except NotOnLoop:
            raise  # not answered: the request thread that takes it over is metered instead
        except BaseException:
            self._observe(status[0] if status else "500", time.perf_counter() - started)
            raise
        finally:
            forget_long_answer()  # read by this call's metrics and audit entry, both done
        self._observe(status[0] if status else "500", time.perf_counter() - started)
        return body

    @staticmethod
    def _observe(status: str, seconds: float) -> None:
        from qbwc_server.observability.metrics import observe_soap_call

        values = context.current()
        method = values.get("method")
        if values.get("outcome") == "error":
            outcome = "error"
        elif status.startswith("2"):
            outcome = "ok"
        else:
            # Refused by the guard before spyne read a method (size, DTD), or a SOAP fault.
            outcome = "fault" if method else "rejected"
        observe_soap_call(method or "", outcome, seconds)
        context.bind(duration_ms=round(seconds * 1000, 1))

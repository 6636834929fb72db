"""The WSGI side of the SOAP endpoint: spyne application plus a guard in front of it.

The guard exists because spyne alone would (a) answer an oversized body with a generic fault
after reading it, and (b) hand any XML to lxml. We refuse bodies over QBWC_MAX_BODY_BYTES with
a clear SOAP fault before reading them, refuse DTDs/entities outright (billion laughs, XXE:
nothing QBWC sends ever has one), and answer a plain GET (some QBWC versions probe the URL).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

import spyne.const
from spyne import Application
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.soap.service import TNS, build_service

log = logging.getLogger(__name__)

# spyne runs a full gc.collect() after a call at most once a second; with large pages in
# memory that was about a third of request time. CPython's generational collector suffices.
spyne.const.MIN_GC_INTERVAL = float("inf")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def soap_fault(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def build_spyne_app(db: Database, settings: Settings) -> WsgiApplication:
    application = Application(
        [build_service(db, settings)],
        tns=TNS,
        name="QBWebConnectorSvc",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    return WsgiApplication(
        application,
        chunked=True,
        max_content_length=settings.max_body_bytes,
        block_length=64 * 1024,
    )


class SoapEndpoint:
    """WSGI app for /qbwc."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.settings = settings
        self.spyne = build_spyne_app(db, settings)

    def _reply(
        self, start_response: StartResponse, status: str, body: bytes, ctype: str
    ) -> list[bytes]:
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = environ.get("QUERY_STRING", "")
        if method in ("GET", "HEAD"):
            if query.lower().startswith("wsdl"):
                return self.spyne(environ, start_response)  # type: ignore[no-any-return]
            body = b"QuickBooks Web Connector endpoint. POST SOAP 1.1 here; WSDL at ?wsdl.\n"
            return self._reply(start_response, "200 OK", body, "text/plain; charset=utf-8")
        if method != "POST":
            return self._reply(
                start_response,
                "405 Method Not Allowed",
                soap_fault("Client", "Only POST (SOAP 1.1) is accepted here."),
                "text/xml; charset=utf-8",
            )
        limit = self.settings.max_body_bytes
        try:
            declared = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            declared = -1
        if declared > limit:
            log.warning("refused SOAP body of %d bytes (limit %d)", declared, limit)
            return self._too_large(start_response, declared)
        stream = environ["wsgi.input"]
        body = stream.read(declared) if declared >= 0 else stream.read(limit + 1)
        if len(body) > limit:
            return self._too_large(start_response, len(body))
        if _DTD_RE.search(body):
            log.warning("refused SOAP body with a DTD/entity declaration")
            return self._reply(
                start_response,
                "400 Bad Request",
                soap_fault(
                    "Client.InvalidXml",
                    "XML with a DOCTYPE or entity declaration is not accepted.",
                ),
                "text/xml; charset=utf-8",
            )
        environ = dict(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.spyne(environ, start_response)  # type: ignore[no-any-return]

    def _too_large(self, start_response: StartResponse, size: int) -> list[bytes]:
        message = (
            f"Request body of {size} bytes exceeds the server limit of "
            f"{self.settings.max_body_bytes} bytes (QBWC_MAX_BODY_BYTES)."
        )
        return self._reply(
            start_response,
            "413 Request Entity Too Large",
            soap_fault("Client.RequestTooLong", message),
            "text/xml; charset=utf-8",
        )

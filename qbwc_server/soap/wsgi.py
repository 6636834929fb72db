"""The WSGI side of the SOAP endpoint: spyne application plus a guard in front of it.

spyne alone would read any body whole, hand it to lxml with a 10 MB text-node limit, log it
whole when it is malformed, and crash (an HTML 500 or no answer) on an empty body or invalid
UTF-8. So the guard reads the body itself (soap/envelope.py: bounded, DTDs refused by
construction, huge text nodes allowed), answers every refusal with a SOAP fault and one log
line without request text, and hands spyne the parsed envelope (``QbwcSoap11``). It also
answers a plain GET (some QBWC versions probe the URL).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

import spyne.const
from spyne import Application, Fault
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.engine import tickets
from qbwc_server.loop_reads import NotOnLoop
from qbwc_server.net import ClientTooSlow, client_ip
from qbwc_server.soap import admission
from qbwc_server.soap.calls import QbwcCalls
from qbwc_server.soap.envelope import EnvelopeRefused, ReadLimits, read_envelope, read_upto
from qbwc_server.soap.idle_lane import (
    EVENT_LOOP_KEY,
    NO_DATABASE_METHODS,
    IdleLane,
    action_method,
    called_method,
    parse_call,
)
from qbwc_server.soap.known_calls import MAX_BODY_BYTES as KNOWN_MAX_BYTES
from qbwc_server.soap.known_calls import KnownCalls
from qbwc_server.soap.service import TNS, build_service
from qbwc_server.soap.spyne_logs import scrub_spyne_loggers

log = logging.getLogger(__name__)

# spyne runs a full gc.collect() after a call at most once a second; with large pages in
# memory that was about a third of request time. CPython's generational collector suffices.
spyne.const.MIN_GC_INTERVAL = float("inf")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ENVELOPE_KEY = "qbwc.soap_envelope"  # environ key: the envelope parsed by the guard
# A closeConnection's ticket in the raw body (answers_at_once); a signed "none" ticket is
# URL-safe base64. Only a hint: the parsed envelope decides (_waits_for_nothing).
_TICKET = re.compile(rb"<(?:[\w.-]+:)?ticket>([A-Za-z0-9_-]{1,200})</(?:[\w.-]+:)?ticket>")


def soap_fault(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


class QbwcSoap11(Soap11):  # type: ignore[misc]
    """SOAP 1.1 that takes the envelope the guard already parsed instead of parsing bytes."""

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        root = getattr(ctx.transport, "req_env", {}).get(ENVELOPE_KEY)
        if root is None:
            raise Fault("Client.SoapError", "No SOAP envelope was received.")
        ctx.in_document = (root, {})  # no SOAP-encoding href/id resolution (QBWC uses none)


def build_spyne_app(db: Database, settings: Settings) -> WsgiApplication:
    application = Application(
        [build_service(db, settings)],
        tns=TNS,
        name="QBWebConnectorSvc",
        in_protocol=QbwcSoap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    app = WsgiApplication(
        application,
        chunked=True,
        max_content_length=settings.max_body_bytes,
        block_length=64 * 1024,
    )
    scrub_spyne_loggers()
    return app


def build_wsdl(app: WsgiApplication, settings: Settings) -> bytes:
    """The WSDL, with QBWC_PUBLIC_URL's endpoint as its address, built once.

    spyne builds it lazily from the first ``?wsdl`` request's Host header and caches it per
    worker, so ``Host: evil.example`` would have pointed everyone's WSDL there (issue 9).
    """
    app.doc.wsdl11.build_interface_document(settings.qbwc_url)
    return bytes(app.doc.wsdl11.get_interface_document())


class SoapEndpoint:
    """WSGI app for /qbwc."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.settings = settings
        self.db = db
        self.spyne = build_spyne_app(db, settings)
        self.wsdl = build_wsdl(self.spyne, settings)
        self.idle_lane = IdleLane(QbwcCalls(db, settings), self.spyne.app)
        self.known_calls = KnownCalls()

    def answers_at_once(self, soap_action: str, body: bytes) -> bool:
        """Whether a call is answered without waiting (the worker's event loop may run it):
        serverVersion and clientVersion always; closeConnection of a signed ``none`` ticket
        this process can check without the database (engine/tickets.py). Told from the
        SOAPAction and the body's bytes; :meth:`_waits_for_nothing` checks the parsed body.
        And authenticate while the loop has its own connection ready (loop_reads.py): its one
        read is bounded there, and a poll it does not decide goes to a thread."""
        if soap_action in NO_DATABASE_METHODS:
            return True
        if soap_action == "authenticate":
            return self.db.loop_reads is not None and self.db.loop_reads.available()
        if soap_action != "closeConnection":
            return False
        found = _TICKET.findall(body)
        if len(found) != 1:
            return False
        ticket = found[0].decode("ascii")
        return tickets.close_without_database(self.db.engine, ticket) is not None

    def _waits_for_nothing(
        self, root: Any, call: tuple[str, list[Any]] | None, environ: dict[str, Any]
    ) -> bool:
        """``call``: :func:`parse_call` of ``root``."""
        method = called_method(root)
        if method in NO_DATABASE_METHODS:
            return True
        if method == "authenticate":
            # Put on the loop for its SOAPAction, for the loop's bounded read: the idle lane
            # reads there or says NotOnLoop (and a body spyne must read goes to a thread,
            # below). Another SOAPAction vouched for no read at all.
            return action_method(environ.get("HTTP_SOAPACTION", "")) == method
        if method != "closeConnection":
            return False
        if call is None or call[0] != "closeConnection":
            return False  # spyne would take it: not on the loop
        ticket = call[1][0]
        return tickets.close_without_database(self.db.engine, ticket) is not None

    def admit_large(self, method: str, ticket: str) -> bool:
        """A body past the small-call size is read on only within a live session: one this
        process resolved moments ago (engine/tickets.py RecentlyLive: no transaction), or
        else looked up."""
        if tickets.seen_live(ticket):
            return True
        try:
            with self.db.transaction() as session:
                return tickets.is_live(session, ticket)
        except Exception:
            log.exception("could not check the ticket of a large %s", method)
            return False

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
                return self._reply(start_response, "200 OK", self.wsdl, "text/xml; charset=utf-8")
            body = b"QuickBooks Web Connector endpoint. POST SOAP 1.1 here; WSDL at ?wsdl.\n"
            return self._reply(start_response, "200 OK", body, "text/plain; charset=utf-8")
        if method != "POST":
            return self._reply(
                start_response,
                "405 Method Not Allowed",
                soap_fault("Client", "Only POST (SOAP 1.1) is accepted here."),
                "text/xml; charset=utf-8",
            )
        if admission.shedding():  # saturated: a session opener answered at once, as written
            canned = admission.shed_response(environ.get("HTTP_SOAPACTION", ""))
            if canned is not None:
                return self._reply(start_response, "200 OK", canned, "text/xml; charset=utf-8")
        limit = self.settings.max_body_bytes
        try:
            declared: int | None = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            declared = None
        if declared is not None and declared > limit:
            log.warning("refused SOAP body of %d bytes (limit %d)", declared, limit)
            return self._too_large(start_response, declared)
        small: bytes | None = None  # a body that may be a call already read (known_calls.py)
        try:
            stream = environ["wsgi.input"]
            if declared is not None and 0 < declared <= KNOWN_MAX_BYTES:
                small = read_upto(stream, declared)
                # A body shorter than declared is refused below, whatever its bytes.
                known = self.known_calls.get(small) if len(small) == declared else None
                if known is not None:  # the same bytes as a plain call read before
                    answer = self.idle_lane.answer(*known, environ)
                    return self._reply(start_response, "200 OK", answer, "text/xml; charset=utf-8")
                stream = io.BytesIO(small)
            root = read_envelope(
                stream, declared, ReadLimits(max_body_bytes=limit), admit=self.admit_large
            )
        except ClientTooSlow:
            # The serving worker's deadline (QBWC_CLIENT_TIMEOUT_SECONDS) passed mid-body.
            addr = client_ip(environ, self.settings)
            log.warning("refused SOAP request from %s: client-too-slow", addr)
            message = "The request body did not arrive in time (QBWC_CLIENT_TIMEOUT_SECONDS)."
            return self._fault(start_response, "408 Request Timeout", "Client.Timeout", message)
        except EnvelopeRefused as refused:
            # One bounded line, never request text (issue 9: spyne logged whole bodies).
            addr = client_ip(environ, self.settings)
            log.warning("refused SOAP request from %s: %s", addr, refused.reason)
            # Stop here: what was not read stays on the socket, so the connection is closed.
            return self._fault(start_response, refused.status, refused.code, refused.message)
        call = parse_call(root)  # a plain call the idle lane answers; None: spyne's
        if environ.get(EVENT_LOOP_KEY) and not self._waits_for_nothing(root, call, environ):
            # Answered on the worker's event loop because SOAPAction named a call that never
            # waits (soap/idle_lane.py); a body calling anything else is not run there.
            message = "The SOAPAction header names another method than the request body calls."
            return self._fault(start_response, "400 Bad Request", "Client.SOAPAction", message)
        if call is not None:  # no spyne
            if small is not None:
                self.known_calls.remember(small, *call)
            answer = self.idle_lane.answer(*call, environ)
            return self._reply(start_response, "200 OK", answer, "text/xml; charset=utf-8")
        if environ.get(EVENT_LOOP_KEY) and called_method(root) == "authenticate":
            raise NotOnLoop  # a body spyne must read (it reads the database): on a thread
        environ = dict(environ)
        environ["wsgi.input"] = io.BytesIO(b"")
        environ["CONTENT_LENGTH"] = "0"
        environ[ENVELOPE_KEY] = root
        return self.spyne(environ, start_response)  # type: ignore[no-any-return]

    def _fault(
        self, start_response: StartResponse, status: str, code: str, message: str
    ) -> list[bytes]:
        body = soap_fault(code, message)
        start_response(
            status,
            [
                ("Content-Type", "text/xml; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        return [body]

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

"""The QBWC SOAP service: the 11 methods the Web Connector calls (protocol doc §3).

Thin on purpose: each method opens one database transaction, hands the call to the engine and
returns its answer. Two protocol rules are enforced here because only this layer can:

- never a SOAP fault or a missing Result element for a call QBWC makes in the normal course
  (§1.1, §7: a missing sendRequestXMLResult crashes QBWC; a fault becomes QBWC1012/1041/...),
  so every method catches everything and answers through the protocol instead;
- never ``None``: strings are returned as ``""`` and authenticate always as a full array.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from spyne import Array, Integer, ServiceBase, Unicode, rpc

from qbwc_server import __version__
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.engine.authenticate import authenticate
from qbwc_server.engine.client_versions import client_version
from qbwc_server.engine.conversation import DONE, Conversation
from qbwc_server.help import catalog
from qbwc_server.net import client_ip
from qbwc_server.observability.soap_metering import call_failed
from qbwc_server.soap import admission

log = logging.getLogger(__name__)

TNS = "http://developer.intuit.com/"  # with the trailing slash (§1.1)
T = TypeVar("T")

# What the Web Connector shows when the server failed: the help catalog's ``server_error``.
INTERNAL_ERROR = catalog.web_connector_text("server_error")


def build_service(db: Database, settings: Settings) -> type[ServiceBase]:
    def _remote_addr(ctx: Any) -> str:
        env = getattr(getattr(ctx, "transport", None), "req_env", None)
        return client_ip(env, settings) if env is not None else "?"

    def guarded(name: str, fallback: T, work: Callable[[Conversation], T]) -> T:
        """Run ``work`` in one transaction; on any failure answer ``fallback``, never a fault."""
        try:
            with db.transaction() as session:
                return work(Conversation(session, settings))
        except Exception:
            call_failed()  # qbwc_soap_requests_total{outcome="error"}
            log.exception("QBWC %s failed; answering %r", name, fallback)
            return fallback

    class QBWebConnectorSvc(ServiceBase):  # type: ignore[misc]
        @rpc(Unicode(min_occurs=0), _returns=Unicode)
        def serverVersion(ctx: Any, strVersion: str | None = None) -> str:
            # Real QBWC sends <serverVersion/> with no argument; one WSDL allows strVersion (§3.1).
            return f"qbwc-server {__version__}"

        @rpc(Unicode, _returns=Unicode)
        def clientVersion(ctx: Any, strVersion: str | None) -> str:
            try:  # touches no database (engine/client_versions.py)
                return client_version(settings, strVersion, _remote_addr(ctx))
            except Exception:
                call_failed()
                log.exception("QBWC clientVersion failed")
                return ""

        @rpc(Unicode, Unicode, _returns=Array(Unicode))
        def authenticate(ctx: Any, strUserName: str | None, strPassword: str | None) -> list[str]:
            if admission.pool_saturated(db.engine):
                return admission.busy_answer()  # saturated: at once, without the database
            addr = _remote_addr(ctx)
            try:
                with db.transaction() as session:
                    admission.bound_waits(session)
                    answer = authenticate(session, settings, strUserName, strPassword, addr)
            except Exception as exc:
                call_failed()
                # "none" with a postpone: the connector comes back later, nothing is lost.
                return admission.failed_answer(exc, strUserName)
            return [a if a is not None else "" for a in answer]

        @rpc(Unicode, Unicode, Unicode, Unicode, Integer, Integer, _returns=Unicode)
        def sendRequestXML(
            ctx: Any,
            ticket: str | None,
            strHCPResponse: str | None,
            strCompanyFileName: str | None,
            qbXMLCountry: str | None,
            qbXMLMajorVers: int | None,
            qbXMLMinorVers: int | None,
        ) -> str:
            return (
                guarded(
                    "sendRequestXML",
                    "",
                    lambda c: c.send_request_xml(
                        ticket,
                        strHCPResponse,
                        strCompanyFileName,
                        qbXMLCountry,
                        qbXMLMajorVers,
                        qbXMLMinorVers,
                    ),
                )
                or ""
            )

        @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Integer)
        def receiveResponseXML(
            ctx: Any,
            ticket: str | None,
            response: str | None,
            hresult: str | None,
            message: str | None,
        ) -> int:
            result = guarded(
                "receiveResponseXML",
                -1,
                lambda c: c.receive_response_xml(ticket, response, hresult, message),
            )
            return int(result)

        @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
        def connectionError(
            ctx: Any, ticket: str | None, hresult: str | None, message: str | None
        ) -> str:
            return (
                guarded(
                    "connectionError", DONE, lambda c: c.connection_error(ticket, hresult, message)
                )
                or DONE
            )

        @rpc(Unicode, _returns=Unicode)
        def getLastError(ctx: Any, ticket: str | None) -> str:
            return (
                guarded("getLastError", INTERNAL_ERROR, lambda c: c.get_last_error(ticket))
                or INTERNAL_ERROR
            )

        @rpc(Unicode, _returns=Unicode)
        def closeConnection(ctx: Any, ticket: str | None) -> str:
            return guarded("closeConnection", "OK", lambda c: c.close_connection(ticket)) or "OK"

        # Interactive mode (§3.9) is not used by a sync server; answer so stray calls never fault.
        @rpc(Unicode, Unicode, _returns=Unicode)
        def getInteractiveURL(ctx: Any, wcTicket: str | None, sessionID: str | None) -> str:
            return ""

        @rpc(Unicode, _returns=Unicode)
        def interactiveDone(ctx: Any, wcTicket: str | None) -> str:
            return "Done"

        @rpc(Unicode, Unicode, _returns=Unicode)
        def interactiveRejected(ctx: Any, wcTicket: str | None, reason: str | None) -> str:
            return "Interactive mode is not used by this application."

    return QBWebConnectorSvc


__all__ = ["TNS", "build_service"]

"""The QBWC SOAP service: the 11 methods the Web Connector calls (protocol doc §3).

Thin on purpose: each method hands the call to ``soap/calls.py`` (one database transaction,
the engine's answer); the idle lane (``soap/idle_lane.py``) answers the calls of an empty
session from the same place without spyne. Two protocol rules are enforced here and there,
because only this layer can:

- never a SOAP fault or a missing Result element for a call QBWC makes in the normal course
  (§1.1, §7: a missing sendRequestXMLResult crashes QBWC; a fault becomes QBWC1012/1041/...),
  so every method catches everything and answers through the protocol instead;
- never ``None``: strings are returned as ``""`` and authenticate always as a full array.
"""

from __future__ import annotations

import logging
from typing import Any

from spyne import Array, Integer, ServiceBase, Unicode, rpc

from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.soap.calls import INTERNAL_ERROR, QbwcCalls

log = logging.getLogger(__name__)

TNS = "http://developer.intuit.com/"  # with the trailing slash (§1.1)


def build_service(db: Database, settings: Settings) -> type[ServiceBase]:
    calls = QbwcCalls(db, settings)

    def _remote_addr(ctx: Any) -> str:
        return calls.remote_addr(getattr(getattr(ctx, "transport", None), "req_env", None))

    class QBWebConnectorSvc(ServiceBase):  # type: ignore[misc]
        @rpc(Unicode(min_occurs=0), _returns=Unicode)
        def serverVersion(ctx: Any, strVersion: str | None = None) -> str:
            # Real QBWC sends <serverVersion/> with no argument; one WSDL allows strVersion (§3.1).
            return calls.server_version()

        @rpc(Unicode, _returns=Unicode)
        def clientVersion(ctx: Any, strVersion: str | None) -> str:
            return calls.client_version(strVersion, _remote_addr(ctx))

        @rpc(Unicode, Unicode, _returns=Array(Unicode))
        def authenticate(ctx: Any, strUserName: str | None, strPassword: str | None) -> list[str]:
            return calls.authenticate(strUserName, strPassword, _remote_addr(ctx))

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
            return calls.send_request_xml(
                ticket,
                strHCPResponse,
                strCompanyFileName,
                qbXMLCountry,
                qbXMLMajorVers,
                qbXMLMinorVers,
            )

        @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Integer)
        def receiveResponseXML(
            ctx: Any,
            ticket: str | None,
            response: str | None,
            hresult: str | None,
            message: str | None,
        ) -> int:
            return calls.receive_response_xml(ticket, response, hresult, message)

        @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
        def connectionError(
            ctx: Any, ticket: str | None, hresult: str | None, message: str | None
        ) -> str:
            return calls.connection_error(ticket, hresult, message)

        @rpc(Unicode, _returns=Unicode)
        def getLastError(ctx: Any, ticket: str | None) -> str:
            return calls.get_last_error(ticket)

        @rpc(Unicode, _returns=Unicode)
        def closeConnection(ctx: Any, ticket: str | None) -> str:
            return calls.close_connection(ticket)

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


__all__ = ["INTERNAL_ERROR", "TNS", "build_service"]

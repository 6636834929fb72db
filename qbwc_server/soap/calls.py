"""What each QBWC call answers, for the spyne service (``soap/service.py``) and the idle lane
(``soap/idle_lane.py``) alike: one transaction per call, never a fault, never ``None``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from qbwc_server import __version__
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.engine import tickets
from qbwc_server.engine.authenticate import answer_without_writes, authenticate
from qbwc_server.engine.client_versions import client_version
from qbwc_server.engine.conversation import DONE, Conversation
from qbwc_server.help import catalog
from qbwc_server.loop_reads import NotOnLoop
from qbwc_server.net import client_ip
from qbwc_server.observability.metrics import count_loop_read
from qbwc_server.observability.soap_metering import call_failed, idle_poll_call
from qbwc_server.soap import admission

log = logging.getLogger(__name__)

T = TypeVar("T")
SERVER_VERSION = f"qbwc-server {__version__}"
# What the Web Connector shows when the server failed: the help catalog's ``server_error``.
INTERNAL_ERROR = catalog.web_connector_text("server_error")


class QbwcCalls:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def remote_addr(self, environ: dict[str, Any] | None) -> str:
        return client_ip(environ, self.settings) if environ is not None else "?"

    def guarded(self, name: str, fallback: T, work: Callable[[Conversation], T]) -> T:
        """Run ``work`` in one transaction; on any failure answer ``fallback``, never a fault."""
        try:
            with self.db.transaction() as session:
                return work(Conversation(session, self.settings))
        except Exception:
            call_failed()  # qbwc_soap_requests_total{outcome="error"}
            log.exception("QBWC %s failed; answering %r", name, fallback)
            return fallback

    def server_version(self) -> str:
        idle_poll_call()
        return SERVER_VERSION

    def client_version(self, version: str | None, addr: str) -> str:
        try:  # touches no database (engine/client_versions.py)
            answer = client_version(self.settings, version, addr)
            if not answer:
                idle_poll_call()  # "go on": a warning or a refusal is worth its line
            return answer
        except Exception:
            call_failed()
            log.exception("QBWC clientVersion failed")
            return ""

    def authenticate(
        self, username: str | None, password: str | None, addr: str, *, on_loop: bool = False
    ) -> list[str]:
        """``on_loop``: the serving worker's event loop runs this call; it is answered there
        only when one read on the loop's connection decides it (loop_reads.py), else
        :class:`~qbwc_server.loop_reads.NotOnLoop` sends it to a request thread."""
        if on_loop:
            loop = self.db.loop_reads
            try:
                if loop is None:
                    raise NotOnLoop("unavailable")
                found = loop.read(
                    lambda conn: answer_without_writes(
                        conn, self.db.engine, self.settings, username, password, addr
                    )
                )
            except NotOnLoop as away:
                count_loop_read(away.reason)
                raise
            count_loop_read("answered")
            return _noted([a if a is not None else "" for a in found])
        if self.db.loop_reads is not None:
            self.db.loop_reads.warm()  # a connection for the loop, if it has none (after a pause)
        try:
            # Most polls: nothing due, nothing to write — one read, no transaction.
            answer = self.db.quick_read(
                lambda conn: answer_without_writes(
                    conn, self.db.engine, self.settings, username, password, addr
                )
            )
            if answer is None:
                if admission.pool_saturated(self.db.engine):
                    return admission.busy_answer()  # saturated: at once, without waiting
                with self.db.transaction() as session:
                    admission.bound_waits(session)
                    answer = authenticate(session, self.settings, username, password, addr)
        except Exception as exc:
            call_failed()
            # "none" with a postpone: the connector comes back later, nothing is lost.
            return admission.failed_answer(exc, username)
        return _noted([a if a is not None else "" for a in answer])

    def send_request_xml(
        self,
        ticket: str | None,
        hcp_response: str | None,
        company_file_name: str | None,
        country: str | None,
        major: int | None,
        minor: int | None,
    ) -> str:
        return (
            self.guarded(
                "sendRequestXML",
                "",
                lambda c: c.send_request_xml(
                    ticket, hcp_response, company_file_name, country, major, minor
                ),
            )
            or ""
        )

    def receive_response_xml(
        self, ticket: str | None, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        result = self.guarded(
            "receiveResponseXML",
            -1,
            lambda c: c.receive_response_xml(ticket, response, hresult, message),
        )
        return int(result)

    def connection_error(self, ticket: str | None, hresult: str | None, message: str | None) -> str:
        answer = self.guarded(
            "connectionError", DONE, lambda c: c.connection_error(ticket, hresult, message)
        )
        return answer or DONE

    def get_last_error(self, ticket: str | None) -> str:
        answer = self.guarded("getLastError", INTERNAL_ERROR, lambda c: c.get_last_error(ticket))
        return answer or INTERNAL_ERROR

    def close_connection(self, ticket: str | None) -> str:
        quick = tickets.close_without_database(self.db.engine, ticket)  # a "none" session
        if quick is not None:
            idle_poll_call()
            return quick
        return self.guarded("closeConnection", "OK", lambda c: c.close_connection(ticket)) or "OK"


def _noted(answer: list[str]) -> list[str]:
    """authenticate's answer, its call marked routine when it says ``none`` (nothing to do)."""
    if len(answer) > 1 and answer[1] == "none":
        idle_poll_call()
    return answer

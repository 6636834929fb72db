"""WSGI application factory: routes /qbwc (SOAP), /api (JSON), pages and health checks."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from werkzeug.exceptions import ClientDisconnected, HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.api import companies as companies_api
from qbwc_server.api import help as help_api
from qbwc_server.api import operations as operations_api
from qbwc_server.api import records as records_api
from qbwc_server.api import setup_links as setup_links_api
from qbwc_server.api.guard import refusal as api_refusal
from qbwc_server.api.http import json_error, json_response, service_error
from qbwc_server.api.metrics_endpoint import metrics_response
from qbwc_server.api.openapi.document import document as openapi_document
from qbwc_server.audit.recorder import AuditRecorder
from qbwc_server.config import Settings, load_settings
from qbwc_server.db import Database, migrations_current, upgrade
from qbwc_server.net import ClientTooSlow
from qbwc_server.observability.http_logging import RequestLogging, loggable_path
from qbwc_server.observability.soap_metering import SoapMetering
from qbwc_server.runtime import Runtime
from qbwc_server.security.headers import with_security_headers
from qbwc_server.services import outages
from qbwc_server.services.errors import ServiceError
from qbwc_server.services.settings_store import owner_id
from qbwc_server.soap.idle_lane import EVENT_LOOP_KEY
from qbwc_server.soap.wsgi import SoapEndpoint, StartResponse
from qbwc_server.web import pages, setup_page

log = logging.getLogger(__name__)


class QbwcApp:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        endpoint = SoapEndpoint(rt.db, rt.settings)
        self.endpoint = endpoint
        self.soap = SoapMetering(endpoint, endpoint.spyne.app)
        AuditRecorder(rt.db, rt.settings).install(endpoint.spyne.app)
        self._logged = RequestLogging(self._route, rt.settings)
        self.url_map = Map(
            [
                Rule("/healthz", endpoint="healthz"),
                Rule("/readyz", endpoint="readyz"),
                Rule("/metrics", endpoint="metrics"),
                Rule("/api/openapi.json", methods=["GET"], endpoint="openapi"),
            ],
            strict_slashes=False,
        )
        companies_api.register(self.url_map)
        operations_api.register(self.url_map)
        records_api.register(self.url_map)
        help_api.register(self.url_map)
        setup_links_api.register(self.url_map)
        pages.register(self.url_map)
        setup_page.register(self.url_map)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response = with_security_headers(start_response, environ, self.rt.settings)
        return self._logged(environ, start_response)

    def serve_from_event_loop(self) -> None:
        """The serving worker has an event loop that answers the calls that wait for nothing,
        and authenticate's bounded read (loop_reads.py): let request threads connect it."""
        if self.rt.db.loop_reads is not None:
            self.rt.db.loop_reads.want()

    def answers_at_once(self, path: str, soap_action: str, body: bytes) -> bool:
        """Whether this request is answered without waiting on anything (no database, no
        network): the serving worker then answers it on its event loop (serving/worker.py)."""
        return path.rstrip("/") == "/qbwc" and self.endpoint.answers_at_once(soap_action, body)

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if outages.pending() and not environ.get(EVENT_LOOP_KEY):
            # A database outage the Web Connectors saw, for the status: written by a request on
            # a thread, never one answered on the worker's event loop (it must not wait).
            outages.flush(self.rt.db)
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == "/qbwc":
            return self.soap(environ, start_response)
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        is_api = request.path.startswith("/api/")
        try:
            endpoint, args = adapter.match()
        except NotFound:
            if is_api:
                return json_error(404, f"no such API route: {request.method} {request.path}")
            return pages.not_found(request)
        except MethodNotAllowed as exc:
            if is_api:
                return json_error(405, f"{request.method} is not allowed on {request.path}")
            return exc.get_response()
        except HTTPException as exc:
            if is_api:
                return json_error(exc.code or 400, exc.description or exc.name)
            return exc.get_response()
        try:
            if endpoint == "healthz":
                return json_response({"status": "ok"})
            if endpoint == "readyz":
                return self.readyz()
            if endpoint == "metrics":
                return metrics_response(self.rt, request)
            if endpoint == "openapi":
                return json_response(openapi_document())
            if (
                endpoint in companies_api.HANDLERS
                or endpoint in records_api.HANDLERS
                or endpoint in operations_api.HANDLERS
                or endpoint in help_api.HANDLERS
                or endpoint in setup_links_api.HANDLERS
            ):
                refused = api_refusal(self.rt, request)
                if refused is not None:
                    return refused
                if endpoint in records_api.HANDLERS:
                    return records_api.handle(self.rt, endpoint, request, args)
                if endpoint in operations_api.HANDLERS:
                    return operations_api.handle(self.rt, endpoint, request, args)
                if endpoint in help_api.HANDLERS:
                    return help_api.handle(self.rt, endpoint, request, args)
                if endpoint in setup_links_api.HANDLERS:
                    return setup_links_api.handle(self.rt, endpoint, request, args)
                return companies_api.handle(self.rt, endpoint, request, args)
            if endpoint in setup_page.HANDLERS:  # opened by its link's token, no sign-in
                return setup_page.handle(self.rt, endpoint, request, args)
            return pages.handle(self.rt, endpoint, request, args)
        except ServiceError as exc:
            if is_api:
                return service_error(exc)
            return pages.error_page(exc.status, exc.message)
        except (ClientTooSlow, ClientDisconnected) as exc:
            # werkzeug reports a body read that failed as ClientDisconnected; the serving
            # worker's deadline (QBWC_CLIENT_TIMEOUT_SECONDS) is what made it fail, or not.
            slow = isinstance(exc, ClientTooSlow) or isinstance(exc.__context__, ClientTooSlow)
            log.info(
                "request body of %s %s did not arrive", request.method, loggable_path(request.path)
            )
            status = 408 if slow else 400
            message = (
                "The request body did not arrive in time (QBWC_CLIENT_TIMEOUT_SECONDS)."
                if slow
                else "The request body ended before its Content-Length."
            )
            if is_api:
                return json_error(status, message)
            return pages.error_page(status, message)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, loggable_path(request.path))
            if is_api:
                return json_error(500, "internal server error; see the server log")
            return pages.error_page(500, "Internal server error.")

    def readyz(self) -> Response:
        try:
            with self.rt.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = migrations_current(self.rt.db)
            outages.flush(self.rt.db, now=True)  # reachable again: record an outage seen
        except Exception as exc:
            return json_response({"status": "unavailable", "database": str(exc)[:200]}, 503)
        if not current:
            return json_response(
                {"status": "unavailable", "database": "ok", "migrations": "pending"}, 503
            )
        return json_response({"status": "ready", "database": "ok", "migrations": "current"})


def create_app(
    settings: Settings | None = None, db: Database | None = None, *, migrate: bool = False
) -> QbwcApp:
    settings = settings or load_settings()
    db = db or Database(settings.database_url)
    if migrate:
        upgrade(db)
    app = QbwcApp(Runtime(settings=settings, db=db))
    from qbwc_server.observability.metrics import instrument_pool

    instrument_pool(db.engine)
    try:
        if migrate or migrations_current(db):
            owner_id(db, settings)  # generate and persist the product OwnerID once
    except Exception:
        # Database down at start: keep serving; /healthz answers, /readyz says 503.
        log.exception("database not reachable at start")
    return app


def wsgi_app() -> QbwcApp:
    """Entry point for gunicorn (``qbwc_server.app:wsgi_app()``); migrations run in ``serve``."""
    from qbwc_server.observability.logs import configure_logging

    settings = load_settings()
    configure_logging(settings)
    return create_app(settings, migrate=False)

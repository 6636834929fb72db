"""``qbwc-server serve``: gunicorn with the server's settings, metrics directory and logging.

Workers and the worker timeout come from ``QBWC_WORKERS`` and ``QBWC_TIMEOUT_SECONDS`` (the
command line overrides them). The timeout must cover the longest SOAP call: ingesting a
multi-MB receiveResponseXML page on a busy database takes seconds to minutes, and a worker
killed in the middle makes the Web Connector retry the whole page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from qbwc_server.config import Settings
from qbwc_server.observability import multiproc

log = logging.getLogger("qbwc.serve")


def gunicorn_options(
    settings: Settings, *, host: str, port: int, workers: int, threads: int, timeout: int
) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        # gthread with the overload shed lane (soap/admission.py) and slow clients kept off its
        # threads (serving/worker.py)
        "worker_class": "qbwc_server.serving.worker.SlowClientWorker",
        "threads": threads,
        "timeout": timeout,
        # The Web Connector keeps its connection open between the calls of a session.
        "keepalive": 75,
        "graceful_timeout": 30,
        "accesslog": None,  # observability/http_logging.py writes the access lines
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "logger_class": "qbwc_server.observability.gunicorn_logging.GunicornLogger",
        "child_exit": _child_exit,
    }


def _child_exit(_server: Any, worker: Any) -> None:
    multiproc.mark_dead(worker.pid)


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from qbwc_server.app import create_app

        return create_app(self.settings)


def run(settings: Settings, options: dict[str, Any]) -> None:
    """Run gunicorn until it stops; the metrics directory is prepared first, removed after
    (when it was a temporary one)."""
    directory, owned = multiproc.prepare()
    log.info(
        "qbwc-server listening on http://%s (QBWC endpoint %s, database %s, %d workers, "
        "timeout %d s)",
        options["bind"],
        settings.qbwc_url,
        settings.database_url.split("://")[0],
        options["workers"],
        options["timeout"],
    )
    try:
        Server(settings, options).run()
    finally:
        if owned:
            multiproc.remove(Path(directory))

"""Gunicorn's own log lines ("Starting gunicorn", "Booting worker", worker timeouts) through the
server's handler, so they are JSON like every other line under ``QBWC_LOG_FORMAT=json``.

Gunicorn configures its ``gunicorn.error`` logger with a handler and format of its own; this
logger class drops that handler and lets the records propagate to the root handler set up by
observability/logs.py. Access lines are written by observability/http_logging.py (they carry
the request id and the QBWC session), so gunicorn's access log stays off.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger


class GunicornLogger(Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.propagate = True

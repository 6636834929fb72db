"""Log output: ``QBWC_LOG_FORMAT=json`` (one JSON object per line) or ``text``.

Every line carries ``ts``, ``level``, ``event`` (the message) and ``logger``, plus the ids of
the request it belongs to when known: ``request_id``, ``company_id``, ``session_id`` and, for
SOAP calls, ``method`` (observability/context.py). Gunicorn's own loggers are routed through
the same handler (observability/gunicorn_logging.py), so its start-up lines are JSON too.
Every line passes the :class:`~qbwc_server.observability.redaction.Redactor` last.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.engine import make_url

from qbwc_server.config import Settings
from qbwc_server.observability import context
from qbwc_server.observability.redaction import Redactor

CONTEXT_FIELDS = ("request_id", "company_id", "session_id", "method")
_HANDLER_NAME = "qbwc"
# Libraries that log whole messages at DEBUG (spyne logs every SOAP envelope, passwords
# included): never below WARNING, whatever QBWC_LOG_LEVEL says.
QUIET_LOGGERS = ("spyne", "urllib3", "multipart", "faker")


class ContextFilter(logging.Filter):
    """Copies the request's ids onto the record (values given with ``extra=`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context.current().items():
            if key in CONTEXT_FIELDS and not hasattr(record, key):
                setattr(record, key, value)
        return True


def _iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class JsonLineFormatter(JsonFormatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__(
            "%(levelname)s %(message)s %(name)s",
            rename_fields={"levelname": "level", "message": "event", "name": "logger"},
            json_ensure_ascii=False,
        )
        self.redactor = redactor

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["ts"] = _iso(record.created)
        super().add_fields(log_data, record, message_dict)
        log_data["pid"] = record.process  # which gunicorn worker
        # Drop the task name python-json-logger copies from 3.12's LogRecord; keep the rest.
        log_data.pop("taskName", None)

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(super().format(record))


class TextLineFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso(record.created)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if hasattr(record, key)
        )
        duration = getattr(record, "duration_ms", None)
        if duration is not None:
            ids += f" duration_ms={duration}"
        if ids:
            first, sep, rest = line.partition("\n")
            line = f"{first} [{ids.strip()}]{sep}{rest}"
        return self.redactor(line)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the line (a test harness or a
    daemonizing process may replace it after logging was configured)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def secrets_of(settings: Settings) -> list[str | None]:
    """Values of the settings that must never be printed."""
    password = None
    try:
        password = make_url(settings.database_url).password
    except Exception:
        password = None
    return [settings.admin_token, settings.metrics_token, str(password) if password else None]


def make_formatter(settings: Settings) -> logging.Formatter:
    redactor = Redactor(secrets_of(settings))
    if settings.log_format == "json":
        return JsonLineFormatter(redactor)
    return TextLineFormatter(redactor)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record of the process to ``stream`` (stderr) in the configured format.
    Idempotent: a second call replaces the handler it installed."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        # Ours from an earlier call, or a plain one from logging.basicConfig: replaced.
        if existing.get_name() == _HANDLER_NAME or type(existing) is logging.StreamHandler:
            # (a handler of ours is named _HANDLER_NAME whatever its class)
            root.removeHandler(existing)
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(make_formatter(settings))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    logging.captureWarnings(True)
    return handler

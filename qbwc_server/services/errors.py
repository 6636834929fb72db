"""Errors raised by service functions; the API, pages and CLI turn them into clear messages."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    status = 422


def refuse_unknown_fields(body: dict[str, object], allowed: set[str], what: str = "field") -> None:
    """Raise :class:`Invalid` naming the first key of ``body`` that is not in ``allowed``.

    A key that is empty (or only blanks) is reported as ``"(empty name)"`` so the error still
    names something the client can find.
    """
    unknown = sorted(set(body) - allowed)
    if not unknown:
        return
    key = unknown[0]
    named = key if key.strip() else "(empty name)"
    raise Invalid(
        f"unknown {what} {key!r}; accepted: {', '.join(sorted(allowed))}",
        field=named,
    )

"""Reading the pages' HTML forms: text fields, whole numbers, dates; and where to go back."""

from __future__ import annotations

from werkzeug.wrappers import Request

from qbwc_server.services.errors import Invalid


def text(request: Request, name: str) -> str:
    return (request.form.get(name) or "").strip()


def whole_number(request: Request, name: str, label: str) -> int:
    raw = text(request, name)
    if not raw.isdigit() or len(raw) > 9:
        raise Invalid(f"{label} must be a whole number", field=name)
    return int(raw)


def history_start(request: Request) -> str | None:
    """The history start of a form: "all" when "Read all history" is ticked, else the date
    (None when left empty: the default, two years back)."""
    if request.form.get("history_all"):
        return "all"
    return text(request, "history_start") or None


__all__ = ["history_start", "text", "whole_number"]

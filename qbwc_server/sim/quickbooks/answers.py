"""What one request's answer is made of, and the small answers every request kind can give."""

from __future__ import annotations

from dataclasses import dataclass

from .status import Status
from .xmlout import status_attrs


@dataclass
class Outcome:
    """One ``…Rs`` element and what it cost (records, lines, writes) for the cost model."""

    xml: str
    status: Status
    records: int = 0
    lines: int = 0
    writes: int = 0
    object_type: str | None = None
    recovery: dict[str, str] | None = None


def status_only(rs_name: str, request_id: str | None, status: Status) -> str:
    attrs = status_attrs(request_id, status.code, status.severity, status.message)
    return f"<{rs_name}{attrs} />\n"

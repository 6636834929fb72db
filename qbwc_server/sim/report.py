"""What one simulated QBWC session (and a run of many) did, for tests and for the CLI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    COMPLETED = "completed"  # receiveResponseXML returned 100 (or getLastError "" ended it)
    NONE = "none"  # authenticate: nothing to do
    NVU = "nvu"  # authenticate: invalid user/password
    BUSY = "busy"  # authenticate: server busy
    CLIENT_REJECTED = "client_rejected"  # clientVersion answered E: or O: (or malformed)
    AUTH_FAILED = "auth_failed"  # authenticate answer unusable (too few elements)
    CONNECTION_FAILED = "connection_failed"  # QuickBooks could not be opened; connectionError
    SERVER_ERROR = "server_error"  # getLastError message after "" / negative progress
    INTERACTIVE_REJECTED = "interactive_rejected"  # server asked for interactive mode
    CALL_FAILED = "call_failed"  # SOAP fault, non-200, malformed answer (QBWC10xx)
    TRANSPORT_ERROR = "transport_error"  # connection dropped/refused/timed out
    RUNAWAY = "runaway"  # our guard: too many round trips in one session


# Outcomes that are a normal end of a session when no error text was recorded.
NORMAL_OUTCOMES = frozenset({Outcome.COMPLETED, Outcome.NONE, Outcome.BUSY})


@dataclass
class SessionReport:
    """One QBWC update session, from serverVersion to closeConnection."""

    index: int
    outcome: Outcome = Outcome.COMPLETED
    started_at: float = 0.0  # simulated clock, seconds
    ended_at: float = 0.0
    ticket: str | None = None
    server_version: str | None = None
    client_version_reply: str | None = None
    auth_status: str | None = None  # authRet[1] as received
    postpone_seconds: int | None = None  # authRet[2]
    min_run_seconds: int | None = None  # authRet[3]
    company_path: str | None = None  # file QuickBooks opened
    qbxml_version: str | None = None  # sent as qbXMLMajorVers/MinorVers
    calls: list[str] = field(default_factory=list)  # method names in call order
    round_trips: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    server_seconds: float = 0.0  # wall time spent waiting for HTTP answers
    qb_real_seconds: float = 0.0  # wall time inside the fake QuickBooks
    qb_simulated_seconds: float = 0.0  # the fake's cost model (qb.simulated_seconds delta)
    progress: list[int] = field(default_factory=list)  # receiveResponseXML results
    noop_waits: int = 0
    requests_processed: int = 0  # request documents handed to QuickBooks
    records_by_type: Counter[str] = field(default_factory=Counter)  # e.g. VendorRet -> 12
    responses_by_type: Counter[str] = field(default_factory=Counter)  # e.g. VendorQueryRs -> 2
    status_codes: Counter[str] = field(default_factory=Counter)  # "VendorQueryRs:1" -> 1
    hresults: list[str] = field(default_factory=list)  # request-processor errors we reported
    connection_errors: list[str] = field(default_factory=list)  # hresults sent to connectionError
    errors: list[str] = field(default_factory=list)  # what QBWC would show as an error
    warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # status texts (closeConnection etc.)
    close_message: str | None = None
    transport_faults: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # only with keep_requests=True
    responses: list[str] = field(default_factory=list)  # only with keep_responses=True

    @property
    def quickbooks_seconds(self) -> float:
        return self.qb_real_seconds + self.qb_simulated_seconds

    @property
    def ok(self) -> bool:
        return self.outcome in NORMAL_OUTCOMES and not self.errors

    @property
    def last_progress(self) -> int | None:
        return self.progress[-1] if self.progress else None

    def to_dict(self, *, include_payloads: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "index": self.index,
            "outcome": str(self.outcome),
            "ok": self.ok,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "ticket": self.ticket,
            "server_version": self.server_version,
            "client_version_reply": self.client_version_reply,
            "auth_status": self.auth_status,
            "postpone_seconds": self.postpone_seconds,
            "min_run_seconds": self.min_run_seconds,
            "company_path": self.company_path,
            "qbxml_version": self.qbxml_version,
            "calls": list(self.calls),
            "round_trips": self.round_trips,
            "bytes_out": self.bytes_out,
            "bytes_in": self.bytes_in,
            "server_seconds": round(self.server_seconds, 6),
            "qb_real_seconds": round(self.qb_real_seconds, 6),
            "qb_simulated_seconds": round(self.qb_simulated_seconds, 6),
            "progress": list(self.progress),
            "noop_waits": self.noop_waits,
            "requests_processed": self.requests_processed,
            "records_by_type": dict(self.records_by_type),
            "responses_by_type": dict(self.responses_by_type),
            "status_codes": dict(self.status_codes),
            "hresults": list(self.hresults),
            "connection_errors": list(self.connection_errors),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "messages": list(self.messages),
            "close_message": self.close_message,
            "transport_faults": list(self.transport_faults),
        }
        if include_payloads:
            data["requests"] = list(self.requests)
            data["responses"] = list(self.responses)
        return data


@dataclass
class SimulationSummary:
    """Totals over many sessions (a Scheduler run or a CLI invocation)."""

    sessions: list[SessionReport]
    started_at: float = 0.0
    ended_at: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    round_trips: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    server_seconds: float = 0.0
    qb_real_seconds: float = 0.0
    qb_simulated_seconds: float = 0.0
    noop_waits: int = 0
    requests_processed: int = 0
    records_by_type: Counter[str] = field(default_factory=Counter)
    status_codes: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (session index, text)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def from_reports(
        cls, reports: Iterable[SessionReport], *, started_at: float = 0.0, ended_at: float = 0.0
    ) -> SimulationSummary:
        summary = cls(sessions=list(reports), started_at=started_at, ended_at=ended_at)
        for r in summary.sessions:
            summary.outcomes[str(r.outcome)] += 1
            summary.round_trips += r.round_trips
            summary.bytes_out += r.bytes_out
            summary.bytes_in += r.bytes_in
            summary.server_seconds += r.server_seconds
            summary.qb_real_seconds += r.qb_real_seconds
            summary.qb_simulated_seconds += r.qb_simulated_seconds
            summary.noop_waits += r.noop_waits
            summary.requests_processed += r.requests_processed
            summary.records_by_type.update(r.records_by_type)
            summary.status_codes.update(r.status_codes)
            summary.errors.extend((r.index, e) for e in r.errors)
            summary.warnings.extend((r.index, w) for w in r.warnings)
        return summary

    @property
    def quickbooks_seconds(self) -> float:
        return self.qb_real_seconds + self.qb_simulated_seconds

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.sessions)

    def to_dict(self, *, include_sessions: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "session_count": len(self.sessions),
            "simulated_started_at": self.started_at,
            "simulated_ended_at": self.ended_at,
            "outcomes": dict(self.outcomes),
            "round_trips": self.round_trips,
            "bytes_out": self.bytes_out,
            "bytes_in": self.bytes_in,
            "server_seconds": round(self.server_seconds, 6),
            "qb_real_seconds": round(self.qb_real_seconds, 6),
            "qb_simulated_seconds": round(self.qb_simulated_seconds, 6),
            "quickbooks_seconds": round(self.quickbooks_seconds, 6),
            "noop_waits": self.noop_waits,
            "requests_processed": self.requests_processed,
            "records_by_type": dict(self.records_by_type),
            "status_codes": dict(self.status_codes),
            "errors": [{"session": i, "error": e} for i, e in self.errors],
            "warnings": [{"session": i, "warning": w} for i, w in self.warnings],
        }
        if include_sessions:
            data["sessions"] = [r.to_dict() for r in self.sessions]
        return data

    def format_text(self, *, max_errors: int = 20) -> str:
        """Human summary for the CLI."""
        lines = [
            f"Sessions: {len(self.sessions)} "
            + "("
            + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
            + ")",
            f"Round trips: {self.round_trips}   sent {_bytes(self.bytes_out)}, "
            f"received {_bytes(self.bytes_in)}",
            f"Requests to QuickBooks: {self.requests_processed}   NoOp waits: {self.noop_waits}",
            f"Time: server {self.server_seconds:.2f} s (wall) vs QuickBooks "
            f"{self.quickbooks_seconds:.2f} s ({self.qb_real_seconds:.2f} s real + "
            f"{self.qb_simulated_seconds:.2f} s simulated)",
        ]
        if self.ended_at > self.started_at:
            lines.append(f"Simulated span: {_duration(self.ended_at - self.started_at)}")
        if self.records_by_type:
            lines.append("Records returned by type:")
            for name, count in sorted(self.records_by_type.items()):
                lines.append(f"  {name:<32} {count:>8}")
        nonzero = {k: v for k, v in self.status_codes.items() if not k.endswith(":0")}
        if nonzero:
            lines.append("qbXML statuses other than 0:")
            for name, count in sorted(nonzero.items()):
                lines.append(f"  {name:<32} {count:>8}")
        if self.errors:
            lines.append(f"Errors ({len(self.errors)}):")
            for index, text in self.errors[:max_errors]:
                lines.append(f"  session {index}: {text}")
            if len(self.errors) > max_errors:
                lines.append(f"  … {len(self.errors) - max_errors} more")
        else:
            lines.append("Errors: none")
        return "\n".join(lines)


def _bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


def _duration(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h{minutes:02d}m"
    return f"{hours:02d}h{minutes:02d}m{secs:02d}s"

"""A one-line text progress display for simulated sessions (stderr)."""

from __future__ import annotations

from typing import TextIO

from qbwc_server.sim.report import SessionReport

BAR_WIDTH = 24


def bar(percent: int, width: int = BAR_WIDTH) -> str:
    clamped = max(0, min(100, percent))
    filled = round(width * clamped / 100)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class ProgressLine:
    """Redraws one line on a terminal (``\\r``); on a pipe prints one line per finished session."""

    def __init__(self, stream: TextIO, total_sessions: int | None = None) -> None:
        self.stream = stream
        self.total = total_sessions
        self.interactive = bool(getattr(stream, "isatty", lambda: False)())
        self._drawn = False

    def _label(self, report: SessionReport) -> str:
        total = f"/{self.total}" if self.total else ""
        return f"session {report.index}{total}"

    def on_progress(self, report: SessionReport, percent: int) -> None:
        if not self.interactive:
            return
        shown = f"{percent:>4}%" if percent >= 0 else f"{percent:>5}"
        line = (
            f"\r{self._label(report)} {bar(percent)} {shown}  requests {report.requests_processed}"
        )
        self.stream.write(line)
        self.stream.flush()
        self._drawn = True

    def session_done(self, report: SessionReport) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K" if self.interactive else "\n")
            self._drawn = False
        detail = f"; {report.errors[0]}" if report.errors else ""
        progress = f" progress {report.last_progress}%" if report.progress else ""
        self.stream.write(
            f"{self._label(report)}: {report.outcome}{progress}, "
            f"{report.round_trips} round trips, {report.requests_processed} requests{detail}\n"
        )
        self.stream.flush()

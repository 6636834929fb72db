"""Plain-text renderings of help entries (the CLI; anything that prints for a terminal)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from qbwc_server.help.entry import HelpEntry

KIND_HEADINGS = {
    "qbwc": "Web Connector error codes",
    "hresult": "QuickBooks connection errors (HRESULTs)",
    "qbxml_status": "QuickBooks status codes",
    "server": "This server's own messages",
}
WIDTH = 88


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def format_entry(item: HelpEntry) -> str:
    lines = [f"{item.code}: {item.title}", f"Who acts:  {item.who}", "", "Cause:"]
    lines.append(_wrap(item.cause, "  "))
    lines += ["", "What to do:"]
    for number, step in enumerate(item.steps, 1):
        first = f"  {number}. "
        lines.append(
            textwrap.fill(step, WIDTH, initial_indent=first, subsequent_indent=" " * len(first))
        )
    return "\n".join(lines)


def format_list(items: Iterable[HelpEntry]) -> str:
    lines: list[str] = []
    kind = None
    for item in items:
        if item.kind != kind:
            kind = item.kind
            if lines:
                lines.append("")
            lines.append(KIND_HEADINGS[kind])
        lines.append(f"  {item.code:<28} {item.title}")
    return "\n".join(lines)

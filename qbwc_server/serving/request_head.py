"""How much of a request the serving worker's gate gathers before a thread takes it, read off
the request's head (serving/worker.py, issue 9)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qbwc_server.soap.envelope import BLOCK_SIZE, SMALL_CALL_MAX_BYTES

# The SOAP reader's small-call cap plus one read block: a body longer than that is read on only
# for a live Web Connector session's page (soap/envelope.py).
BODY_HELD = SMALL_CALL_MAX_BYTES + BLOCK_SIZE
MAX_HEAD = 64 * 1024  # request line and headers; far beyond any client of ours


@dataclass(frozen=True)
class Head:
    """What the gate needs to know of a request head."""

    body_held: int  # body bytes to gather before a thread takes the request
    chunked: bool = False
    expect_continue: bool = False


_FRAMING = re.compile(rb"\r\n[ \t]*(content-length|transfer-encoding|expect)[ \t]*:([^\r\n]*)")


def read_head(head: bytes) -> Head:
    """The request line and headers (without the blank line) -> how much body to gather.

    A head gunicorn will refuse (a bad or repeated Content-Length) gathers no body: it is
    answered 400 without reading one. Only the three headers that frame a body are looked at
    (one pass of a regular expression over the lower-cased head: this runs for every request).
    """
    length: int | None = None
    chunked = expect = False
    for name, raw in _FRAMING.findall(head.lower()):
        value = raw.strip()
        if name == b"content-length":
            if not value.isdigit():
                return Head(0)
            declared = int(value) if len(value) <= 18 else 1 << 62
            if length is not None and declared != length:
                return Head(0)
            length = declared
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        else:
            expect = value == b"100-continue"
    if chunked:
        return Head(BODY_HELD, chunked=True, expect_continue=expect)
    return Head(min(length or 0, BODY_HELD), expect_continue=expect and bool(length))


__all__ = ["BODY_HELD", "MAX_HEAD", "Head", "read_head"]

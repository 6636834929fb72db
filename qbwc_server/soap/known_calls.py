"""serverVersion and clientVersion bodies already read, remembered by their bytes (issue 13).

A Web Connector sends the same bytes for these two calls on every poll: serverVersion with no
parameter, clientVersion with its own version string. Reading them — the guard's parse of the
envelope with its hardened parser (soap/envelope.py) and the idle lane's look at the call
(idle_lane.py ``parse_call``) — was about a tenth of an empty session's CPU in a served worker
(``bench/idle_parts.py``). The read is a pure function of the bytes: the guard's quick path
takes a small body whole, with no DTD, entity, network or setting that could make the same
bytes read differently another time. So the call those bytes made is kept, and the same bytes
again are answered from it, through the same idle lane and handlers (the answer itself is never
kept: a clientVersion's depends on the settings and notes the client's version each time).

Only these two methods are kept: their parameters are no secret. authenticate (a Connector Key)
and closeConnection (a ticket, different every session anyway) are read every time. Bounded:
bodies of at most :data:`MAX_BODY_BYTES`, at most :data:`KEPT` of them, all forgotten when full,
so a stranger sending endless variants costs a dictionary insert each and holds at most
``KEPT * MAX_BODY_BYTES`` bytes. ``tests/security/test_known_calls.py`` answers every variant
both ways and compares.
"""

from __future__ import annotations

from typing import Any

from qbwc_server.soap.idle_lane import NO_DATABASE_METHODS

MAX_BODY_BYTES = 2048  # a Web Connector's serverVersion or clientVersion is about 400 bytes
KEPT = 256


class KnownCalls:
    def __init__(self) -> None:
        self._calls: dict[bytes, tuple[str, tuple[Any, ...]]] = {}

    def get(self, body: bytes) -> tuple[str, list[Any]] | None:
        """(method, arguments) of a body read before, or None."""
        known = self._calls.get(body)
        if known is None:
            return None
        return known[0], list(known[1])  # a list of its own for each call

    def remember(self, body: bytes, method: str, args: list[Any]) -> None:
        """Keep what ``body`` was read as, when it is a plain call of a kept method."""
        if method not in NO_DATABASE_METHODS or len(body) > MAX_BODY_BYTES:
            return
        if len(self._calls) >= KEPT:
            self._calls.clear()
        self._calls[body] = (method, tuple(args))

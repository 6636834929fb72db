"""Injected network failures between the fake Web Connector and the server.

Two moments matter for a QBWC server (architecture: "a dropped QBWC session resumes from the last
committed page"; "a lost response must never produce a second bill"):

* ``before``: the connection drops before the call is sent - the server never sees it;
* ``after``: the server handled (and committed) the call, but the answer never reaches QBWC.

A fault is selected by session (1-based, ``None`` = every session) and either by method name and
occurrence within the session (``drop-after:receiveResponseXML:2`` = the second
receiveResponseXML of the session) or by call ordinal (method ``*``: ``drop-before:*:4`` = the
fourth SOAP call of the session, whatever it is).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from qbwc_server.sim.soap_client import QBWC_ERROR_CODES

Phase = Literal["before", "after"]


@dataclass(frozen=True)
class TransportFault:
    phase: Phase
    method: str | None = None  # None: `occurrence` is the call ordinal within the session
    occurrence: int = 1
    session: int | None = 1

    def matches(self, session: int, method: str, ordinal: int, occurrence: int) -> bool:
        if self.session is not None and self.session != session:
            return False
        if self.method is None:
            return ordinal == self.occurrence
        return method == self.method and occurrence == self.occurrence

    def describe(self) -> str:
        target = f"{self.method or '*'}:{self.occurrence}"
        where = "every session" if self.session is None else f"session {self.session}"
        return f"drop-{self.phase}:{target} ({where})"

    @classmethod
    def parse(cls, spec: str) -> TransportFault:
        """Parse ``drop-before|drop-after:METHOD[:N][@SESSION|@*]`` (METHOD ``*`` = any call)."""
        text = spec.strip()
        session: int | None = 1
        if "@" in text:
            text, _, session_text = text.partition("@")
            session = None if session_text == "*" else _positive_int(session_text, spec, "session")
        head, _, rest = text.partition(":")
        if head not in ("drop-before", "drop-after"):
            raise ValueError(f"transport fault {spec!r}: expected drop-before:… or drop-after:…")
        phase: Phase = "before" if head == "drop-before" else "after"
        method, _, count_text = rest.partition(":")
        if not method:
            raise ValueError(f"transport fault {spec!r}: missing METHOD (or '*')")
        if method != "*" and method not in QBWC_ERROR_CODES:
            raise ValueError(f"transport fault {spec!r}: unknown QBWC method {method!r}")
        occurrence = _positive_int(count_text, spec, "occurrence") if count_text else 1
        return cls(
            phase=phase,
            method=None if method == "*" else method,
            occurrence=occurrence,
            session=session,
        )


def _positive_int(text: str, spec: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise ValueError(f"transport fault {spec!r}: {what} {text!r} is not a number") from exc
    if value < 1:
        raise ValueError(f"transport fault {spec!r}: {what} must be >= 1")
    return value


@dataclass
class TransportFaults:
    """A set of faults; :meth:`select` is asked before every call of every session."""

    faults: list[TransportFault] = field(default_factory=list)
    fired: list[tuple[int, str, TransportFault]] = field(default_factory=list)

    @classmethod
    def of(cls, *items: TransportFault | str) -> TransportFaults:
        return cls([TransportFault.parse(i) if isinstance(i, str) else i for i in items])

    def extend(self, items: Iterable[TransportFault]) -> None:
        self.faults.extend(items)

    def select(self, session: int, method: str, ordinal: int, occurrence: int) -> Phase | None:
        for fault in self.faults:
            if fault.matches(session, method, ordinal, occurrence):
                self.fired.append((session, method, fault))
                return fault.phase
        return None

    def __bool__(self) -> bool:
        return bool(self.faults)

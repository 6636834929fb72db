"""clientVersion (protocol doc §3.2), and the version it told us, handed on to the authenticate
after it.

clientVersion carries no ticket and comes right before authenticate on the same keep-alive
connection (§2); nothing in the protocol carries the version from one call to the next. It is
only shown (the session list, the company's Web Connectors), so it is kept in this process's
memory for a few minutes per client address instead of in the database: clientVersion writes
nothing. When the authenticate lands on another worker or replica (a proxy that spreads the
calls of one connection), the version is simply not known for that session and the connector
keeps the one it showed before.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from qbwc_server.config import Settings

TTL_SECONDS = 300.0
MAX_ADDRESSES = 10_000  # bounded: a flood of clientVersion calls cannot grow it

_lock = threading.Lock()
_seen: OrderedDict[str, tuple[str, float]] = OrderedDict()


def remember(remote_addr: str, version: str) -> None:
    if not version:
        return
    with _lock:
        _seen[remote_addr] = (version, time.monotonic())
        _seen.move_to_end(remote_addr)
        while len(_seen) > MAX_ADDRESSES:
            _seen.popitem(last=False)


def recent(remote_addr: str) -> str | None:
    """The version clientVersion reported from ``remote_addr`` in the last few minutes."""
    with _lock:
        found = _seen.get(remote_addr)
    if found is None or time.monotonic() - found[1] > TTL_SECONDS:
        return None
    return found[0]


def forget_all() -> None:
    """For tests: as after a restart."""
    with _lock:
        _seen.clear()


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def client_version(settings: Settings, version: str | None, remote_addr: str) -> str:
    """ "" continues; "W:" warns (needs a human, so only when configured); "E:" stops (§3.2).
    Touches no database."""
    version = (version or "").strip()[:40]
    remember(remote_addr, version)
    if (
        version
        and settings.min_client_version
        and _version_tuple(version) < _version_tuple(settings.min_client_version)
    ):
        return (
            f"E:This server needs QuickBooks Web Connector {settings.min_client_version} or newer "
            f"(you have {version}). Download the latest Web Connector from Intuit."
        )
    if (
        version
        and settings.warn_client_version
        and _version_tuple(version) < _version_tuple(settings.warn_client_version)
    ):
        return (
            f"W:QuickBooks Web Connector {version} is old; please update to "
            f"{settings.warn_client_version} or newer."
        )
    return ""

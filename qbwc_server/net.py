"""The client's network address for a request, with X-Forwarded-For trusted only from proxies.

``X-Forwarded-For`` is a header anyone can send. Believing it from everyone would let a client
pick the address the login throttle counts against and the address the profile shows. So the
header is read only when the TCP peer (``REMOTE_ADDR``) is one of ``QBWC_TRUSTED_PROXIES``, and
then from the right: each proxy appends the address it saw, so the rightmost entry that is not
one of our proxies is the client. Entries left of it were written by the client and are ignored.

One function for every place that records or counts an address (SOAP and pages/API alike).

Also :class:`ClientTooSlow`, what reading a request body raises when the client stops sending
(the serving worker's deadlines, serving/client_socket.py), so the SOAP endpoint and the app can
answer 408 instead of an error page.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "?"
MAX_LEN = 64  # the width of the remote_addr columns


class ClientTooSlow(TimeoutError):
    """The client did not send its request within QBWC_CLIENT_TIMEOUT_SECONDS (per read), or
    sent it slower than the minimum rate. A ``TimeoutError``, so code that handles socket
    timeouts handles this too."""


class TrustedProxiesError(ValueError):
    """A QBWC_TRUSTED_PROXIES entry is not an IP address or CIDR network."""


def parse_trusted_proxies(raw: str | None) -> tuple[IPNetwork, ...]:
    """``"10.0.0.1, 192.168.0.0/16, ::1"`` → networks. Empty or unset: no proxy is trusted."""
    networks: list[IPNetwork] = []
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise TrustedProxiesError(
                f"QBWC_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR network"
            ) from None
    return tuple(networks)


MAX_ADDRESS_CHARS = 100  # far beyond "[v6 address%zone]:port"; longer text is no address


def _parse_ip(text: str) -> IPAddress | None:
    """An address as proxies write it: ``1.2.3.4``, ``1.2.3.4:5678``, ``::1``, ``[::1]:5678``."""
    if len(text) > MAX_ADDRESS_CHARS:  # never kept by the cache below, whatever a client sends
        text = text.strip().strip('"')
        if len(text) > MAX_ADDRESS_CHARS:
            return None
    return _parse_address(text)


@functools.lru_cache(maxsize=4096)  # every request parses its peer (and its proxies' hops)
def _parse_address(text: str) -> IPAddress | None:
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        text = text.split(":", 1)[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: IPAddress, proxies: Iterable[IPNetwork]) -> bool:
    return any(addr.version == net.version and addr in net for net in proxies)


def client_ip(environ: Mapping[str, Any], settings: Any) -> str:
    """The client address of a WSGI request, as a string (at most 64 characters; "?" if none).

    ``settings`` is anything with ``trusted_proxies`` (a tuple of networks; see
    :func:`parse_trusted_proxies`).
    """
    proxies: tuple[IPNetwork, ...] = getattr(settings, "trusted_proxies", ())
    peer_text = str(environ.get("REMOTE_ADDR") or "")
    header = str(environ.get("HTTP_X_FORWARDED_FOR") or "")
    if len(header) <= CACHED_HEADER_CHARS and isinstance(proxies, tuple):
        return _remembered_client_ip(peer_text, header, proxies)
    return _client_ip(peer_text, header, proxies)


# Every request asks (the access line, the login throttle, the session's address), and a Web
# Connector's session asks the same question four times or more in a row. Only for headers of
# a few hops: the cache's memory stays bounded whatever a client sends.
CACHED_HEADER_CHARS = 256
_remembered_client_ip = functools.lru_cache(maxsize=4096)(lambda *key: _client_ip(*key))


def _client_ip(peer_text: str, header: str, proxies: tuple[IPNetwork, ...]) -> str:
    peer = _parse_ip(peer_text)
    if peer is None:
        return (peer_text or UNKNOWN)[:MAX_LEN]
    if not proxies or not _trusted(peer, proxies):
        return str(peer)
    client = peer
    for hop in reversed(header.split(",")):
        if not hop.strip():
            continue
        addr = _parse_ip(hop)
        if addr is None:
            break  # garbage from further left: the last address a trusted proxy gave stands
        client = addr
        if not _trusted(addr, proxies):
            break
    return str(client)


__all__ = ["ClientTooSlow", "TrustedProxiesError", "client_ip", "parse_trusted_proxies"]

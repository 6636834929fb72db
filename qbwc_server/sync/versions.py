"""Which qbXML version to declare in our requests (§6.9)."""

from __future__ import annotations

from qbwc_server.qbxml.versions import choose_qbxml_version


def choose_version(
    supported: list[str], major: int | None = None, minor: int | None = None
) -> str | None:
    """Highest of our versions (13.0, 16.0) the host supports; None below 13.0."""
    return choose_qbxml_version(supported, major, minor).version

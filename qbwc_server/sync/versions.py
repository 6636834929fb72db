"""Which qbXML version to declare in our requests (§6.9)."""

from __future__ import annotations

# The versions our request builders produce and our tests validate against the XSDs.
OUR_VERSIONS = ("16.0", "13.0")


def _key(v: str) -> tuple[int, int]:
    major, _, minor = v.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return (0, 0)


def choose_version(
    supported: list[str], major: int | None = None, minor: int | None = None
) -> str | None:
    """Highest of our versions the QuickBooks host supports; None below 13.0.

    HostRet/SupportedQBXMLVersion is authoritative; the sendRequestXML major/minor (the request
    processor level) is the fallback when the list is missing.
    """
    available = set(supported)
    if not available and major:
        top = (int(major), int(minor or 0))
        return next((v for v in OUR_VERSIONS if _key(v) <= top), None)
    return next((v for v in OUR_VERSIONS if v in available), None)

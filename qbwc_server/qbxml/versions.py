"""Choose the qbXML version for a session (§6.9, §8 item 3).

We build requests for the versions whose Intuit XSD we validate against: 16.0 and 13.0
(:data:`~qbwc_server.qbxml.schema_order.SUPPORTED_VERSIONS`). 14.0 and 15.0 are deliberately
*not* used even when QuickBooks offers them: we have no XSD to validate those shapes, and
QuickBooks accepts every older version, so a 14.0/15.0 host gets 13.0 requests. 16.0 (the
64-bit SDK, QuickBooks 2023 R3+) is used when the host lists it; our builders know its
additions (BillAdd/ClassRef, ExpenseLineAdd/VendorRef).

Inputs, in order of preference:

1. ``SupportedQBXMLVersion`` from the HostRet of ``strHCPResponse`` (first sendRequestXML).
2. ``qbXMLMajorVers``/``qbXMLMinorVers`` of sendRequestXML (every call), taken as the highest
   version the request processor accepts.

Below 13.0 (QuickBooks 2013 and older) the answer is "unsupported".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qbwc_server.qbxml.schema_order import SUPPORTED_VERSIONS, version_tuple

MINIMUM_VERSION = "13.0"


@dataclass(frozen=True)
class VersionChoice:
    version: str | None  # "16.0" / "13.0", or None when unsupported
    source: str  # "hcp" | "major_minor" | "none"
    reason: str  # plain words for logs and the status page

    @property
    def supported(self) -> bool:
        return self.version is not None


def _parse_many(versions: Iterable[str]) -> set[tuple[int, int]]:
    parsed: set[tuple[int, int]] = set()
    for v in versions:
        try:
            parsed.add(version_tuple(v))
        except ValueError:
            continue  # ignore junk such as "CA3.0" rather than failing the session
    return parsed


def _best_at_most(limit: tuple[int, int]) -> str | None:
    candidates = [v for v in SUPPORTED_VERSIONS if version_tuple(v) <= limit]
    return max(candidates, key=version_tuple) if candidates else None


def choose_qbxml_version(
    supported_by_host: Iterable[str] | None = None,
    major: int | None = None,
    minor: int | None = None,
) -> VersionChoice:
    """Highest of our versions QuickBooks supports, or an "unsupported" choice."""
    host_versions = _parse_many(supported_by_host or ())
    if host_versions:
        exact = [v for v in SUPPORTED_VERSIONS if version_tuple(v) in host_versions]
        if exact:
            best = max(exact, key=version_tuple)
            return VersionChoice(best, "hcp", f"QuickBooks lists qbXML {best}")
        # The list has no exact match (e.g. only 14.0): QuickBooks accepts older versions.
        top = max(host_versions)
        best_below = _best_at_most(top)
        if best_below is not None:
            return VersionChoice(best_below, "hcp", f"QuickBooks supports up to {top[0]}.{top[1]}")
        return VersionChoice(
            None,
            "hcp",
            f"unsupported QuickBooks version: it supports qbXML up to {top[0]}.{top[1]}, "
            f"we need {MINIMUM_VERSION} (QuickBooks 2014) or newer",
        )
    if major is not None and major > 0:
        limit = (major, minor or 0)
        best_for_rp = _best_at_most(limit)
        if best_for_rp is not None:
            return VersionChoice(
                best_for_rp, "major_minor", f"request processor reports {major}.{minor or 0}"
            )
        return VersionChoice(
            None,
            "major_minor",
            f"unsupported QuickBooks version: qbXML {major}.{minor or 0} is below "
            f"{MINIMUM_VERSION} (QuickBooks 2014)",
        )
    return VersionChoice(None, "none", "QuickBooks did not report its qbXML version")

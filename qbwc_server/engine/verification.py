"""Company-file verification: is the file open in QuickBooks the one bound to this company?

QBWC stamps the .qwc's FileID into the company file as a data extension under our OwnerID when
the customer adds the .qwc (§4.3), and its first sendRequestXML carries a CompanyQuery that
returns that stamp (§3.4). The stamp, not the path, identifies the file (user-pains #13): paths
differ between the two PCs of a redundant setup and change when a file is moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models import Company, utcnow


@dataclass
class CompanyFileFacts:
    """What the strHCPResponse told us about the open company file."""

    file_stamp: str | None  # our FileID data extension value, None when absent
    company_name: str | None
    file_path: str | None
    product: str | None = None
    version: str | None = None
    country: str | None = None
    supported_versions: list[str] = field(default_factory=list)
    preferences: dict[str, Any] = field(default_factory=dict)
    other_stamps: dict[str, str] = field(default_factory=dict)  # owner id -> FileID
    machine_name: str | None = None  # the updating PC, from QBWC's AppLock stamp (§4.3)


WRONG_FILE = "wrong_company_file"  # the help catalog entry of every refusal here


@dataclass
class Verdict:
    accepted: bool
    # When refused: ``code`` names the help catalog entry; ``expected`` (which file this
    # connector syncs) goes with the entry's words to the Web Connector (getLastError,
    # closeConnection), ``detail`` to this company's own profile and session history. Neither
    # ever names the company of the open file (issue 9: company A's connector on company B's
    # file learned B's name): not our name for another company, not the name inside the file.
    code: str | None = None
    expected: str | None = None
    detail: str | None = None
    first_contact: bool = False


def _norm(stamp: str | None) -> str | None:
    return stamp.strip().strip("{}").upper() if stamp else None


def _opened(facts: CompanyFileFacts) -> str:
    return f"the company file {facts.file_path}" if facts.file_path else "a company file"


_ADVICE = "Open this company's file in QuickBooks and run the update again; no data was exchanged."


def _refused(company: Company, facts: CompanyFileFacts, why: str) -> Verdict:
    expected = (
        f'"{company.bound_company_name}"'
        + (f" ({company.bound_file_path})" if company.bound_file_path else "")
        if company.bound_at
        else f"the file connected with this company's .qwc ({company.name})"
    )
    return Verdict(
        False,
        code=WRONG_FILE,
        expected=f"Expected: {expected}.",
        detail=(
            f"Wrong company file open: the Web Connector's PC had {_opened(facts)} open in "
            f"QuickBooks, which {why}. This connector syncs {expected}. {_ADVICE}"
        ),
    )


def verify(company: Company, facts: CompanyFileFacts, stamped_by_other: bool) -> Verdict:
    """Decide; ``stamped_by_other``: the file carries the FileID of another of our companies."""
    stamp = _norm(facts.file_stamp)
    issued = _norm(company.file_id)

    if stamp is not None and stamp != issued:
        why = (
            "is connected to another company on this server"
            if stamped_by_other
            else "carries a file stamp this server did not issue for this company"
        )
        return _refused(company, facts, why)

    if company.bound_at is None:
        return Verdict(True, first_contact=True)

    bound = _norm(company.bound_file_stamp)
    if bound is not None and stamp is None:
        return _refused(company, facts, "does not carry this connector's file stamp")
    # Bound without a stamp (older QuickBooks that did not return it): fall back to the
    # company name, which a restored copy keeps and a different file rarely shares.
    if (
        bound is None
        and stamp is None
        and (facts.company_name or "") != (company.bound_company_name or "")
    ):
        return _refused(company, facts, "has a different company name than the bound file")
    return Verdict(True)


def bind(company: Company, facts: CompanyFileFacts) -> None:
    company.bound_at = utcnow()
    company.bound_file_stamp = facts.file_stamp
    company.bound_company_name = facts.company_name
    company.bound_file_path = facts.file_path


def record_facts(company: Company, facts: CompanyFileFacts) -> None:
    company.qb_product = facts.product
    company.qb_version = facts.version
    company.qb_country = facts.country
    company.qb_supported_versions = list(facts.supported_versions)
    company.qb_file_path = facts.file_path
    company.qb_company_name = facts.company_name
    company.qb_preferences = dict(facts.preferences)
    if company.bound_at is not None and facts.file_path:
        # The file moved or is opened from the second PC's mapped drive: keep the latest.
        company.bound_file_path = facts.file_path

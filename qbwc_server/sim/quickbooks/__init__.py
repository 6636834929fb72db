"""A fake QuickBooks Desktop (company file + qbXML request processor) for simulations and tests.

Client-side only: imports nothing from the rest of ``qbwc_server``, so it can exercise any QBWC
server through a fake Web Connector. Typical use::

    company = CompanyFile.generate(seed=1, profile="tiny")      # or "small" / "large"
    qb = FakeQuickBooks(company, faults=FaultPlan(), cost=CostModel())
    qb.open_session(app_name="AP Sync", owner_id="{…}", file_id="{…}")   # may raise
    hcp = qb.hcp_response()                  # strHCPResponse for the first sendRequestXML
    response = qb.process(request_xml)       # may raise QBRequestError (hresult, message)
    qb.close_session()                       # iterators die, AppLock removed
    company.clock.advance(timedelta(hours=1)); company.add("Bill", {...})   # between sessions
"""

from .company import CompanyError, CompanyFile, Preferences, qb_text
from .errors import QBConnectionError, QBError, QBRequestError
from .fake import FakeQuickBooks
from .faults import CostModel, FaultPlan
from .generator import PROFILES, Profile
from .qbclock import LocalZone, QBClock

__all__ = [
    "PROFILES",
    "CompanyError",
    "CompanyFile",
    "CostModel",
    "FakeQuickBooks",
    "FaultPlan",
    "LocalZone",
    "Preferences",
    "Profile",
    "QBClock",
    "QBConnectionError",
    "QBError",
    "QBRequestError",
    "qb_text",
]

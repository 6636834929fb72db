"""Small helpers of the Company Profile tests."""

from __future__ import annotations

from typing import Any

from tests.sync.helpers import Rig


def status_of(rig: Rig) -> dict[str, Any]:
    """``status`` of the rig's company as ``GET /api/companies/{id}`` shows it."""
    view = rig.api.get(f"/api/companies/{rig.company_id}")
    return dict(view["status"])

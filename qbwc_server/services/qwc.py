"""The per-company .qwc file (protocol doc §4).

One .qwc per company file, carrying everything QBWC needs except the password: the Connector
Key is typed by the customer and never written into the file.
"""

from __future__ import annotations

import ipaddress
import re
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from models import Company
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.services.companies import get_company
from qbwc_server.services.errors import Invalid
from qbwc_server.services.settings_store import owner_id

TEMPLATE_NAME = "company.qwc"


def _template() -> Template:
    text = resources.files("qwc_templates").joinpath(TEMPLATE_NAME).read_text(encoding="utf-8")
    return Template(text)


def check_app_url(url: str) -> None:
    """QBWC refuses http except for localhost (QBWC1010) and IP addresses (QBWC1001/1002)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    if is_ip:
        raise Invalid(
            f"QBWC_PUBLIC_URL uses the IP address {host}; the Web Connector only accepts host "
            "names (QBWC1001). Use a DNS name (or localhost for a test on the QuickBooks PC)."
        )
    if parts.scheme != "https" and host != "localhost":
        raise Invalid(
            f"QBWC_PUBLIC_URL is {parts.scheme}://{host}: the Web Connector only accepts https "
            "(plain http is allowed only for localhost, QBWC1010). Put the server behind TLS and "
            "set QBWC_PUBLIC_URL=https://..."
        )


def qwc_filename(company: Company) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", company.name).strip("-")[:40] or "company"
    return f"{slug}-{company.id}.qwc"


def render_qwc(company: Company, settings: Settings, owner_id: str) -> str:
    check_app_url(settings.qbwc_url)
    # The Scheduler accepts whole minutes >= 1 (§4.1); an interval of 0 ("every run") still
    # needs QBWC to call us, so it asks for every minute and the server answers "none" cheaply.
    minutes = max(1, company.sync_interval_minutes)
    description = f"Syncs vendors, bills and payments of {company.name} with the AP platform"
    values = {
        "app_name": company.app_name,
        "app_display_name": company.app_name,
        "app_url": settings.qbwc_url,
        "app_support": settings.support_url,
        "app_description": description[:80],
        "username": company.username,
        "owner_id": owner_id,
        "file_id": company.file_id,
        "run_every_minutes": str(minutes),
    }
    return _template().substitute({k: escape(v) for k, v in values.items()})


def connector_file(db: Database, settings: Settings, company_id: Any) -> tuple[str, str]:
    """Download Connector (page) and ``GET /api/companies/{id}/qwc``: the .qwc text and the
    file name to save it under."""
    oid = owner_id(db, settings)
    with db.transaction() as s:
        company = get_company(s, company_id)
        return render_qwc(company, settings, oid), qwc_filename(company)


def download_headers(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}

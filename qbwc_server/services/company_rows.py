"""A company's row by its id, or the refusal an API caller reads (404): the one lookup every
company service starts from. Its own module, below ``companies.py``, ``binding.py`` and
``restore.py``, which all use it: ``companies.py`` composes the other two, so they cannot
import it back without a circle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company
from qbwc_server.services.errors import NotFound
from qbwc_server.services.ids import row_id, shown


def get_company(session: Session, company_id: Any, *, for_update: bool = False) -> Company:
    cid = row_id(company_id)
    if cid is None:
        raise NotFound(f"no company with id {shown(company_id)}", field="company_id")
    stmt = select(Company).where(Company.id == cid)
    if for_update:
        stmt = stmt.with_for_update()
    company = session.scalars(stmt).first()
    if company is None:
        raise NotFound(f"no company with id {cid}", field="company_id")
    return company


__all__ = ["get_company"]

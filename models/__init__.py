"""SQLAlchemy 2.x typed models (``Mapped[...]``) only: no business logic lives here."""

from models.base import Base, utcnow
from models.company import AppSetting, Company
from models.qbwc_session import ClientHello, QbwcSession, SessionEvent, Ticket

__all__ = [
    "AppSetting",
    "Base",
    "ClientHello",
    "Company",
    "QbwcSession",
    "SessionEvent",
    "Ticket",
    "utcnow",
]

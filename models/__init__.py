"""SQLAlchemy 2.x typed models (``Mapped[...]``) only: no business logic lives here."""

from models.admin_session import AdminSession, SigninFailure
from models.audit import AuditEntry
from models.base import Base, utcnow
from models.company import AppSetting, Company
from models.connector import Connector
from models.operations import Operation
from models.qbwc_session import LoginFailure, QbwcSession, SessionEvent, Ticket
from models.records import QbTxnLine, QbTxnLink, RecordChange, RecordChangeHead
from models.setup_link import SetupLink
from models.sync import ReconcileMark, StreamCursor

__all__ = [
    "AdminSession",
    "AppSetting",
    "AuditEntry",
    "Base",
    "Company",
    "Connector",
    "LoginFailure",
    "Operation",
    "QbTxnLine",
    "QbTxnLink",
    "QbwcSession",
    "ReconcileMark",
    "RecordChange",
    "RecordChangeHead",
    "SessionEvent",
    "SetupLink",
    "SigninFailure",
    "StreamCursor",
    "Ticket",
    "utcnow",
]

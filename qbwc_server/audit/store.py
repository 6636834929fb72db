"""Storing and pruning the audit trail."""

from __future__ import annotations

import time
import zlib
from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from models import AuditEntry, QbwcSession, utcnow

# zlib level 1: ~8 ms per MB of qbXML and 10-12x smaller; higher levels cost 2-3x the CPU for
# a trail that is mostly deleted again (QBWC_AUDIT=errors keeps only sessions with an error).
COMPRESSION_LEVEL = 1
CLEAN_OUTCOMES = frozenset({"completed", "none"})
PURGE_BATCH = 1000  # rows deleted per pass: a pass never holds locks for long
PURGE_INTERVAL_SECONDS = 60.0  # per process


# QBWC_AUDIT=errors: a call answered without an error keeps this much of each qbXML body. A
# sync's pages are up to several MB each; redacting and compressing all of them, only to delete
# them again when the session ends clean, was a quarter of a first sync's CPU. When a session
# does fail, its failing call is kept whole and the clean calls before it say what was asked
# (requests are small) and how QuickBooks answered (the head of the answer holds its status).
CLEAN_KEEP = 16 * 1024


def abridged(text: str, keep: int = CLEAN_KEEP) -> str:
    """The first ``keep`` characters of a qbXML body, cut after the last complete tag (so no
    element's text is kept in part: redaction works on whole elements), with a note of what
    was left out."""
    if len(text) <= keep:
        return text
    head = text[:keep]
    head = head[: head.rfind(">") + 1]
    left = len(text) - len(head)
    return (
        f"{head}\n<!-- qbwc-server: {left:,} more characters not kept (the call had no error; "
        "QBWC_AUDIT=all keeps every byte) -->"
    )


def size_of(text: str | None) -> int:
    """The body's size in UTF-8 bytes (without encoding an ASCII one)."""
    if not text:
        return 0
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def compress(text: str | None) -> tuple[bytes | None, int]:
    if not text:
        return None, 0
    raw = text.encode("utf-8")
    return zlib.compress(raw, COMPRESSION_LEVEL), len(raw)


def decompress(blob: bytes | None) -> str | None:
    return zlib.decompress(blob).decode("utf-8") if blob is not None else None


def has_trail(session: Session, session_id: int) -> bool:
    return bool(session.scalar(select(exists().where(AuditEntry.session_id == session_id))))


def is_clean(session: Session, session_id: int) -> bool:
    """Whether a session went without anything wrong: it completed or had nothing to do, no
    HRESULT came, and no call of its trail saw an error (QBWC_AUDIT=errors keeps no trail
    for it)."""
    row = session.get(QbwcSession, session_id)
    if row is None:
        return False
    if row.outcome not in CLEAN_OUTCOMES or row.hresults:
        return False
    had_error = session.scalar(
        select(exists().where(AuditEntry.session_id == session_id, AuditEntry.error.is_(True)))
    )
    return not had_error


def drop_trail(session: Session, session_id: int) -> None:
    """QBWC_AUDIT=errors, at the end of a session that :func:`is_clean`: its trail goes."""
    session.execute(delete(AuditEntry).where(AuditEntry.session_id == session_id))


def purge_expired(session: Session, retention_days: int) -> int:
    """Delete at most PURGE_BATCH entries older than the retention; returns how many."""
    cutoff = utcnow() - timedelta(days=retention_days)
    ids = list(
        session.scalars(
            select(AuditEntry.id)
            .where(AuditEntry.at < cutoff)
            .order_by(AuditEntry.id)
            .limit(PURGE_BATCH)
        )
    )
    if ids:
        session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids)))
    return len(ids)


class PurgeSchedule:
    """At most one purge pass per interval in this process (any worker may run one)."""

    def __init__(self, interval: float = PURGE_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._last = float("-inf")

    def pending(self) -> bool:
        """Whether :meth:`due` would say yes now (without claiming the pass): a request with
        nothing else to do after its response then leaves the purge to a later one."""
        return time.monotonic() - self._last >= self.interval

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True

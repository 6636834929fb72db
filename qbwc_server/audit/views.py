"""One QBWC session with its events and, when kept, its qbXML exchange: for
``GET /api/companies/{id}/sessions/{session_id}`` and ``qbwc-server session show``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry, QbwcSession, SessionEvent
from qbwc_server.audit.store import decompress
from qbwc_server.config import Settings
from qbwc_server.services.errors import NotFound
from qbwc_server.services.sessions import session_view

MAX_ID = 2**31 - 1


def get_session(session: Session, session_id: Any, company_id: int | None = None) -> QbwcSession:
    try:
        sid = int(session_id)
    except (TypeError, ValueError):
        raise NotFound(f"no session with id {session_id!r}") from None
    row = session.get(QbwcSession, sid) if 1 <= sid <= MAX_ID else None
    if row is None or (company_id is not None and row.company_id != company_id):
        raise NotFound(f"no session {sid}" + (" in this company" if company_id else ""))
    return row


def entry_view(entry: AuditEntry, bodies: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "at": entry.at.isoformat(),
        "method": entry.method,
        "duration_ms": entry.duration_ms,
        "request_id": entry.request_id,
        "hresult": entry.hresult,
        "message": entry.message,
        "result": entry.result,
        "error": entry.error,
        "request_bytes": entry.request_bytes,
        "response_bytes": entry.response_bytes,
    }
    if bodies:
        view["request"] = decompress(entry.request_xml)
        view["response"] = decompress(entry.response_xml)
    return view


def session_detail(
    session: Session, row: QbwcSession, settings: Settings, *, bodies: bool = True
) -> dict[str, Any]:
    """The session, its events, and ``exchange`` (None when no trail was kept, with the reason
    in ``audit``)."""
    view = session_view(row)
    view["company_id"] = row.company_id
    view["events"] = [
        {"at": e.at.isoformat(), "kind": e.kind, "code": e.code, "message": e.message}
        for e in session.scalars(
            select(SessionEvent).where(SessionEvent.session_id == row.id).order_by(SessionEvent.id)
        )
    ]
    entries = list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.session_id == row.id).order_by(AuditEntry.id)
        )
    )
    if entries:
        view["audit"] = {"mode": settings.audit_mode, "kept": True, "reason": None}
        view["exchange"] = [entry_view(e, bodies) for e in entries]
    else:
        reasons = {
            "off": "QBWC_AUDIT=off: no exchange is kept",
            "errors": "QBWC_AUDIT=errors: the exchange of a session without errors is not kept",
            "all": "no exchange kept (older than QBWC_AUDIT_RETENTION_DAYS, or before auditing)",
        }
        view["audit"] = {
            "mode": settings.audit_mode,
            "kept": False,
            "reason": reasons[settings.audit_mode],
        }
        view["exchange"] = None
    return view


def format_session(view: dict[str, Any], with_exchange: bool) -> str:
    lines = [
        f"session:        {view['id']} (company {view['company_id']})",
        f"started/ended:  {view['started_at']} / {view['ended_at'] or '-'}",
        f"outcome:        {view['outcome']}  ({view['calls']} calls, "
        f"{view['requests_sent']} requests, progress {view['progress']})",
        f"web connector:  {view['client_version'] or '?'} from {view['remote_addr'] or '?'}",
        f"company file:   {view['company_file_path'] or '-'}  qbXML {view['qbxml_version'] or '-'}",
        f"last error:     {view['last_error'] or '-'}",
    ]
    for h in view["hresults"]:
        lines.append(f"HRESULT:        {h.get('hresult')} {h.get('message', '')}".rstrip())
    for e in view["events"]:
        lines.append(f"event:          {e['at']} {e['kind']} {e['code'] or ''} {e['message']}")
    audit = view["audit"]
    if view["exchange"] is None:
        lines.append(f"exchange:       not kept — {audit['reason']}")
        return "\n".join(lines)
    lines.append(f"exchange:       {len(view['exchange'])} calls (QBWC_AUDIT={audit['mode']})")
    for n, e in enumerate(view["exchange"], 1):
        flag = " ERROR" if e["error"] else ""
        detail = " ".join(
            part
            for part in (
                f"hresult={e['hresult']}" if e["hresult"] else "",
                f"-> {e['result']}" if e["result"] else "",
                f"sent {e['request_bytes']} B" if e["request_bytes"] else "",
                f"got {e['response_bytes']} B" if e["response_bytes"] else "",
            )
            if part
        )
        lines.append(
            f"  {n:>3}. {e['at'][11:23]} {e['method']:<19} {e['duration_ms']:>6} ms"
            f"{flag} {detail}".rstrip()
        )
        if with_exchange:
            if e["message"]:
                lines.append(f"       message: {e['message']}")
            for label in ("request", "response"):
                if e.get(label):
                    lines.append(f"       --- {label} ---")
                    lines.extend("       " + line for line in e[label].splitlines())
    return "\n".join(lines)

"""Capturing the exchange at the SOAP boundary, without touching the engine.

Spyne's ``method_return_object`` event gives the method, its arguments and its answer; the ids
of the QBWC session come from the request's log context (bound when the ticket was resolved).
The entry is written in its own transaction *after* the response has left (the request's
after-response callbacks, observability/http_logging.py), so compressing a multi-MB page adds
nothing to the Web Connector's wait, and a call whose own transaction failed is still recorded.
authenticate's entry (no qbXML in it), and in errors mode a call's with an error, are
written before the answer: see :meth:`_on_return` (and _DROPPED for a clean entry landing
after its session's end).

Never recorded: credentials (authenticate's arguments) and tickets.

An entry is one INSERT on a connection of its own (no ORM session, no unit of work, no
RETURNING): the trail's write costs a sync call about as much as that statement. On PostgreSQL
it goes to the driver as it is (psycopg binds the values itself): SQLAlchemy's Connection,
transaction and cached-statement lookup cost as much again as the statement, 0.09 ms of CPU
per call. Only the
entries that must look at the session's trail first (QBWC_AUDIT=errors: a follower call, or
the call that ends a session) go through an ORM session.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import TextClause, bindparam, insert, text
from sqlalchemy.dialects import postgresql

from models import AuditEntry, QbwcSession, utcnow
from qbwc_server.audit import store
from qbwc_server.config import Settings
from qbwc_server.db import Database
from qbwc_server.observability import context
from qbwc_server.observability.http_logging import AFTER_RESPONSE_KEY
from qbwc_server.observability.qbxml_errors import status_error_labels
from qbwc_server.observability.redaction import Redactor, redact_qbxml

log = logging.getLogger(__name__)

AUDITED = frozenset(
    {
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
    }
)
MAX_TEXT = 4000  # answers and messages (not qbXML) are short; a runaway one is cut
# Calls that close a session or explain it: in errors mode they are only worth an entry when
# the session already has a trail (or the call itself carries an error). A Web Connector polling
# with nothing to do thus costs no write at all (its authenticate answer is not "work").
FOLLOWERS = frozenset({"closeConnection", "getLastError"})
_INSERT = insert(AuditEntry.__table__)  # type: ignore[arg-type]


# QBWC_AUDIT=errors: a clean call's entry, written after its response, can land after the
# session's closeConnection has dropped a clean trail (the Web Connector goes on at once; the
# entry may wait on the database, e.g. SQLite's one writer, whose busy handler is not first
# come, first served). Such an entry is not written: a session that has ended and has no
# trail left had its trail dropped (a session with work always has authenticate's entry,
# written before the answer, until then). Checked in the INSERT itself, so the check and the
# write see one state: on SQLite, writes are serialized; on PostgreSQL, a stray needs one
# single-row INSERT to run from before closeConnection's commit until after the trim's DELETE.
_DROPPED = (
    "SELECT 1 FROM {sessions} s WHERE s.id = {session_id} AND s.ended_at IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM {entries} a WHERE a.session_id = s.id)"
)


@functools.cache
def _pg_insert(columns: tuple[str, ...], unless_dropped: bool = False) -> str:
    """The same statement for psycopg, for a row with these columns (the values are of the
    types psycopg adapts as the columns need); ``unless_dropped``: not written into a trail
    dropped at its session's end (see _DROPPED)."""
    into = f"INSERT INTO {AuditEntry.__tablename__} ({', '.join(columns)}) "
    if not unless_dropped:
        return into + f"VALUES ({', '.join(f'%({name})s' for name in columns)})"
    table = AuditEntry.__table__
    dialect = postgresql.dialect()
    # A SELECT's values have no column to take their type from: each is cast to its column's.
    values = ", ".join(
        f"CAST(%({name})s AS {table.c[name].type.compile(dialect=dialect)})" for name in columns
    )
    return into + f"SELECT {values} WHERE NOT EXISTS ({_dropped('%(session_id)s')})"


@functools.cache
def _sqlite_insert_unless_dropped(columns: tuple[str, ...]) -> TextClause:
    """The statement of :func:`_pg_insert` with ``unless_dropped``, for SQLite (through
    SQLAlchemy, which stores each value as its column's type does)."""
    table = AuditEntry.__table__
    sql = (
        f"INSERT INTO {AuditEntry.__tablename__} ({', '.join(columns)}) "
        f"SELECT {', '.join(f':{name}' for name in columns)} "
        f"WHERE NOT EXISTS ({_dropped(':session_id')})"
    )
    return text(sql).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))


def _dropped(session_id: str) -> str:
    return _DROPPED.format(
        sessions=QbwcSession.__tablename__,
        entries=AuditEntry.__tablename__,
        session_id=session_id,
    )


def _arg(args: list[Any], index: int) -> str | None:
    value = args[index] if len(args) > index else None
    return None if value is None else str(value)


def _last_clean_answer(method: str, entry: dict[str, Any]) -> bool:
    """receiveResponseXML answered 100 (done: closeConnection comes next) without an error."""
    return method == "receiveResponseXML" and not entry["error"] and entry["result"] == "100"


class AuditRecorder:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.redact_text = Redactor()
        self.purge = store.PurgeSchedule()

    def install(self, spyne_app: Any) -> None:
        spyne_app.event_manager.add_listener("method_return_object", self._on_return)

    # -- capture (in the request, before the answer is serialized) ------------------------------
    def _on_return(self, ctx: Any) -> None:
        method = ctx.method_name or ""
        ids = context.current()
        session_id = ids.get("session_id")
        if self.settings.audit_mode == "off" or method not in AUDITED or session_id is None:
            self._purge_after_response(ctx)
            return
        args = list(ctx.in_object or [])
        out = next(iter(ctx.out_object or [None]))
        if method == "authenticate" and self.settings.audit_mode == "errors":
            answer = list(out or [])
            if len(answer) < 2 or answer[1] != "":
                self._purge_after_response(ctx)
                return  # "none"/"nvu"/busy: no exchange follows, nothing to keep
        entry = self._entry(method, args, out)
        entry.update(
            session_id=int(session_id),
            company_id=ids.get("company_id"),
            request_id=ids.get("request_id"),
            duration_ms=int((time.time() - ctx.call_start) * 1000),
            error=bool(entry["error"] or ids.get("outcome") == "error"),
        )
        if self.settings.audit_mode == "errors" and _last_clean_answer(method, entry):
            # The session's last answer, without error: closeConnection follows at once and,
            # the session clean, drops its trail, so the entry is not written at all (a late
            # one would be refused anyway: _DROPPED). Kept only in mode all.
            self._purge_after_response(ctx)
            return
        ends = method == "closeConnection" or (method == "connectionError" and out == "done")
        if method == "authenticate" or (entry["error"] and self.settings.audit_mode == "errors"):
            # Before the answer: a session's first entry, written after the response, could
            # wait on the database (SQLite's one writer) until the whole session had run and
            # its closeConnection had dropped a clean trail, then land as a trail of one
            # entry. It holds no qbXML to compress: writing it now adds one small INSERT to
            # the answer's wait (only for a session with work: a "none" writes nothing).
            # So is a call with an error in errors mode (rare): it is what keeps the session's
            # trail, and closeConnection, judging whether the session was clean, must see it.
            self._write(entry, ends, purge=False)
            self._purge_after_response(ctx)
            return
        self._after_response(ctx, lambda: self._write(entry, ends))

    def _entry(self, method: str, args: list[Any], out: Any) -> dict[str, Any]:
        request = response = hresult = message = result = None
        if method == "authenticate":
            # Only the status word and postpone: the ticket (out[0]) and the password never.
            answer = list(out or [])
            result = " ".join(str(a) for a in answer[1:3]) or "(work)"
        elif method == "sendRequestXML":
            request = None if out is None else str(out)
            response = _arg(args, 1)  # strHCPResponse: QuickBooks' company file information
        elif method == "receiveResponseXML":
            response, hresult, message = _arg(args, 1), _arg(args, 2), _arg(args, 3)
            result = None if out is None else str(out)
        elif method == "connectionError":
            hresult, message = _arg(args, 1), _arg(args, 2)
            result = None if out is None else str(out)
        else:
            result = None if out is None else str(out)
        error = bool((hresult or "").strip()) or bool(status_error_labels(response))
        if method == "receiveResponseXML" and result is not None and result.lstrip("-").isdigit():
            error = error or int(result) < 0
        return {
            "method": method,
            "request": request,
            "response": response,
            "hresult": (hresult or "").strip()[:40] or None,
            "message": self._text(message),
            "result": self._text(result),
            "error": error,
        }

    def _text(self, value: str | None) -> str | None:
        return self.redact_text(value[:MAX_TEXT]) if value else None

    def _purge_after_response(self, ctx: Any) -> None:
        """The retention pass after the response, only when one is due (once a minute per
        process): the idle poll's calls then have no after-response work at all, and the
        serving worker finishes them on its event loop without a thread hand-off."""
        if self.purge.pending():
            self._after_response(ctx, self._maybe_purge)

    @staticmethod
    def _after_response(ctx: Any, work: Callable[[], None]) -> None:
        environ = getattr(getattr(ctx, "transport", None), "req_env", None) or {}
        callbacks = environ.get(AFTER_RESPONSE_KEY)
        if callbacks is None:
            work()  # no request layer around us (a bare SOAP endpoint): now
        else:
            callbacks.append(work)

    # -- write (after the response) -------------------------------------------------------------
    def _body(self, text: str | None, whole: bool) -> tuple[bytes | None, int]:
        """A qbXML body as stored: redacted and compressed; in errors mode a call without
        an error keeps only its head (store.abridged). The size is always the whole body's."""
        if not text:
            return None, 0
        kept = text if whole else store.abridged(text)
        blob, _ = store.compress(redact_qbxml(kept))
        return blob, store.size_of(text)

    def _write(self, entry: dict[str, Any], session_ends: bool, purge: bool = True) -> None:
        """Store ``entry``; then, with ``purge``, the retention pass when one is due."""
        errors_mode = self.settings.audit_mode == "errors"
        whole = not errors_mode or bool(entry["error"])
        request, request_bytes = self._body(entry.pop("request"), whole)
        response, response_bytes = self._body(entry.pop("response"), whole)
        if not (errors_mode and (session_ends or entry["method"] in FOLLOWERS)):
            # The common case: one statement (a sync's sendRequestXML/receiveResponseXML).
            row = dict(
                entry,
                at=utcnow(),
                request_xml=request,
                response_xml=response,
                request_bytes=request_bytes,
                response_bytes=response_bytes,
            )
            try:
                # A clean entry in errors mode: not into a trail its session's end dropped.
                self._insert(row, unless_dropped=errors_mode and not entry["error"])
            except Exception:
                log.exception("audit trail: could not store the %s call", entry["method"])
            if purge:
                self._maybe_purge()
            return
        try:
            with self.db.transaction() as session:
                session_id = entry["session_id"]
                if (
                    errors_mode
                    and session_ends
                    and not entry["error"]
                    and store.is_clean(session, session_id)
                ):
                    # A clean session's trail goes at its end (errors mode), this call's entry
                    # with it: not written only to be deleted.
                    store.drop_trail(session, session_id)
                elif not (
                    # A session without a trail: nothing to add (errors mode).
                    errors_mode
                    and not entry["error"]
                    and entry["method"] in FOLLOWERS
                    and not store.has_trail(session, session_id)
                ):
                    session.add(
                        AuditEntry(
                            at=utcnow(),
                            request_xml=request,
                            response_xml=response,
                            request_bytes=request_bytes,
                            response_bytes=response_bytes,
                            **entry,
                        )
                    )
        except Exception:
            log.exception("audit trail: could not store the %s call", entry["method"])
        if purge:
            self._maybe_purge()

    def _insert(self, row: dict[str, Any], unless_dropped: bool = False) -> None:
        columns = tuple(row)
        if not self.db.is_postgres:
            with self.db.engine.begin() as conn:
                if unless_dropped:
                    conn.execute(_sqlite_insert_unless_dropped(columns), row)
                else:
                    conn.execute(_INSERT, row)
            return
        connection = self.db.engine.raw_connection()  # pooled, pinged when idle (db.py)
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_pg_insert(columns, unless_dropped), row)
            finally:
                cursor.close()
            connection.commit()
        finally:
            connection.close()  # back to the pool (rolled back there if not committed)

    def _maybe_purge(self) -> None:
        if not self.purge.due():
            return
        try:
            with self.db.transaction() as session:
                deleted = store.purge_expired(session, self.settings.audit_retention_days)
            if deleted:
                log.info(
                    "audit trail: deleted %d entries older than %d days",
                    deleted,
                    self.settings.audit_retention_days,
                )
        except Exception:
            log.exception("audit trail: retention purge failed")

"""The QBWC conversation after authenticate: sendRequestXML, receiveResponseXML, getLastError,
connectionError and closeConnection (protocol doc §2, §3.4-§3.8).

Each function runs inside the one database transaction of its SOAP call and keeps everything it
needs between calls in the ``qbwc_sessions`` row, so any worker of any replica can answer.

The row is written once per call: the call works on a copy of the row's ``state`` (``Call``)
and :meth:`Conversation._write_row` writes it and the counters when the call is done, in one
Core UPDATE (engine/session_row.py). A call that fails writes nothing: its transaction is
rolled back.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, QbwcSession, SessionEvent, Ticket, utcnow
from qbwc_server.config import Settings
from qbwc_server.engine import lease
from qbwc_server.engine.driver import OutboundRequest, SyncContext, SyncDriver
from qbwc_server.engine.hcp import facts_from_hcp
from qbwc_server.engine.hresults import connection_error_reaction, describe_hresult
from qbwc_server.engine.identity import counts_request, identity_of, read_counts
from qbwc_server.engine.session_row import write_row
from qbwc_server.engine.tickets import (
    TicketContext,
    TicketRejected,
    forget_live,
    resolve_ticket,
)
from qbwc_server.engine.verification import CompanyFileFacts, bind, record_facts, verify
from qbwc_server.help import catalog
from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.other_queries import CompanyQuery
from qbwc_server.qbxml.versions import choose_qbxml_version
from qbwc_server.services import binding, connectors, problems
from qbwc_server.services.settings_store import owner_id_in
from qbwc_server.sync.progress import first_sync_finished

log = logging.getLogger(__name__)

DONE = "done"  # connectionError answer: stop (§3.7)
CLOSE_TEXT_MAX = 1000  # closeConnection's text: a help entry's title, detail and steps
IDENTITY = "identity"  # meta["kind"] of the counts request of a file awaiting confirmation
MAX_CONNECTION_RETRIES = 1  # §3.7: never loop; retry with a path at most once


@dataclass
class Call:
    """One SOAP call of a QBWC session: the ticket's rows and the call's working copy of the
    session's state, put on the row by :meth:`Conversation._write_row`."""

    ticket: Ticket
    company: Company
    qbwc_session: QbwcSession
    open_operations: bool  # a write-back was queued or sent when the call began
    state: dict[str, Any]
    requests_sent: int = 0  # requests handed to the Web Connector by this call
    progress: int | None = None  # the percentage this call answered


class Conversation:
    """One SOAP call's view of a QBWC session."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    # -- helpers -------------------------------------------------------------------------
    def _open(self, ticket: str | None) -> Call:
        found: TicketContext = resolve_ticket(self.session, ticket)
        now = utcnow()
        last = found.company.last_contact_at
        if last is None or now - last >= connectors.CONTACT_RESOLUTION:
            # "Connected to Server" and "last call" are true to the minute, as for the idle
            # poll (engine/authenticate.py): the company row is not written on every call.
            found.company.last_contact_at = now
        # A deep copy: the call changes nested values, and the row must keep the loaded
        # document for SQLAlchemy to see the difference when the copy is put back.
        state = copy.deepcopy(found.qbwc_session.state or {})
        return Call(found.ticket, found.company, found.qbwc_session, found.open_operations, state)

    def _write_row(self, ctx: Call) -> None:
        """The call's changes to its session row, in one UPDATE (the JSON state only when it
        changed), after the call's last query."""
        write_row(self.session, ctx.qbwc_session, ctx.state, ctx.requests_sent, ctx.progress)

    def _event(
        self,
        ctx: Call,
        kind: str,
        message: str,
        code: str | None = None,
        request: str | None = None,
    ) -> None:
        self.session.add(
            SessionEvent(
                session_id=ctx.qbwc_session.id,
                company_id=ctx.company.id,
                kind=kind,
                code=code,
                message=message,
                request_summary=request,
            )
        )

    def _fail_session(
        self,
        ctx: Call,
        outcome: str,
        code: str | None,
        *,
        detail: str | None = None,
        profile: str | None = None,
        said: str | None = None,
    ) -> None:
        """End the session for the reason the help catalog entry ``code`` explains; it becomes
        the company's current problem (status.problem). The Web Connector is told the entry's
        words (getLastError, closeConnection) with ``detail``, what this update adds (which file
        to open); the profile and the session history keep ``profile`` (default: ``detail``),
        this company's own specifics. ``code`` is None only for an HRESULT the catalog does not
        know; then ``said`` (QuickBooks' own words) is all there is."""
        now = utcnow()
        message = catalog.web_connector_text(code, detail) if code else (said or outcome)
        kept = profile or detail or (None if code else message)
        ctx.state["error"] = message
        ctx.qbwc_session.outcome = outcome
        ctx.qbwc_session.last_error = kept or message
        ctx.qbwc_session.problem_code = code
        ctx.company.last_session_outcome = outcome
        if code is None:
            ctx.company.last_error = kept
            ctx.company.last_error_at = now
        elif problems.needs_attention(code) or not problems.needs_attention(
            ctx.company.problem_code
        ):
            # A problem the next run resolves by itself never hides one that needs a person.
            problems.set_problem(ctx.company, code, kept, now)

    def _owns_lease(self, ctx: Call) -> bool:
        """Renew our lease; False when another connector took over after ours lapsed.
        resolve_ticket locked the company row, so the renewal is a plain assignment."""
        return lease.renew_locked(ctx.company, ctx.ticket.ticket, self.settings.sync_lease_seconds)

    def _driver(self, ctx: Call) -> SyncDriver:
        version = ctx.qbwc_session.qbxml_version or "13.0"
        return SyncDriver(
            SyncContext(
                session=self.session,
                company=ctx.company,
                qbwc_session=ctx.qbwc_session,
                settings=self.settings,
                qbxml_version=version,
                state=ctx.state,
                open_operations=ctx.open_operations,
            )
        )

    # -- sendRequestXML ----------------------------------------------------------------
    def send_request_xml(
        self,
        ticket: str | None,
        hcp_response: str | None,
        company_file_name: str | None,
        country: str | None,
        major: int | None,
        minor: int | None,
    ) -> str:
        try:
            ctx = self._open(ticket)
        except TicketRejected:
            return ""  # QBWC asks getLastError next, which explains
        answer = self._send(ctx, hcp_response, company_file_name, major, minor)
        self._write_row(ctx)
        return answer

    def _send(
        self,
        ctx: Call,
        hcp_response: str | None,
        company_file_name: str | None,
        major: int | None,
        minor: int | None,
    ) -> str:
        if ctx.state.get("error") or ctx.qbwc_session.ended_at is not None:
            return ""
        if not self._owns_lease(ctx):
            self._fail_session(ctx, "busy", "sync_taken_over")
            return ""

        if not ctx.state.get("verified"):
            outcome = self._verify(ctx, hcp_response or "", company_file_name, major, minor)
            if outcome is not None:
                return outcome

        driver = self._driver(ctx)
        request = driver.next_request()
        if request is None:
            # Nothing to ask (every stream is waiting for a retry time, say). An empty answer
            # would make QBWC call getLastError and show an error; instead ask QuickBooks
            # something harmless so that receiveResponseXML can end the session with 100.
            request = OutboundRequest(
                qbxml=company_ping(ctx.qbwc_session.qbxml_version or "13.0"),
                meta={"kind": "ping"},
            )
        ctx.state["pending"] = request.meta
        ctx.requests_sent += 1
        return request.qbxml

    def _verify(
        self,
        ctx: Call,
        hcp_response: str,
        company_file_name: str | None,
        major: int | None,
        minor: int | None,
    ) -> str | None:
        """Returns "" to stop the session (refused), None to go on, or the request that reads
        the counts of a company file waiting for confirmation (services/binding.py)."""
        if not hcp_response.strip():
            self._fail_session(ctx, "error", "company_file_info_missing")
            return ""
        facts = facts_from_hcp(
            hcp_response, owner_id_in(self.session, self.settings), company_file_name
        )
        if facts is None:
            self._fail_session(ctx, "error", "company_file_info_unreadable")
            return ""
        stamped_by_other = False
        if facts.file_stamp:
            other_id = self.session.scalars(
                select(Company.id).where(Company.file_id == facts.file_stamp.upper())
            ).first()
            stamped_by_other = other_id is not None and other_id != ctx.company.id
        verdict = verify(ctx.company, facts, stamped_by_other)
        ctx.qbwc_session.company_file_path = facts.file_path
        ctx.qbwc_session.connector_id = connectors.note_machine(
            self.session,
            ctx.company.id,
            ctx.qbwc_session.connector_id,
            ctx.qbwc_session.remote_addr,
            facts.machine_name,
            utcnow(),
        )
        if not verdict.accepted:
            assert verdict.code is not None and verdict.detail is not None
            self._event(ctx, "refused", verdict.detail, code=verdict.code)
            self._fail_session(
                ctx, "wrong_file", verdict.code, detail=verdict.expected, profile=verdict.detail
            )
            log.warning("company %s: refused company file %r", ctx.company.id, facts.file_path)
            return ""
        identify = verdict.first_contact and binding.needs_confirmation(ctx.company)
        if verdict.first_contact and not identify:
            bind(ctx.company, facts)
        record_facts(ctx.company, facts)
        version = choose_qbxml_version(facts.supported_versions, major, minor).version
        if version is None:
            highest = max(facts.supported_versions, default="?")
            self._fail_session(
                ctx,
                "error",
                "quickbooks_too_old",
                detail=f"{facts.product or 'This QuickBooks'} supports qbXML up to {highest}.",
            )
            return ""
        ctx.qbwc_session.qbxml_version = version
        if identify:
            return self._identify(ctx, facts, version)
        ctx.state["verified"] = True
        ctx.state["phase"] = "syncing"
        # The right file is open and QuickBooks answered: what kept it from syncing is over.
        problems.clear_problem(ctx.company, except_codes=problems.INFORMATIONAL)
        return None

    def _identify(self, ctx: Call, facts: CompanyFileFacts, version: str) -> str:
        """First contact of a company that confirms its file: keep the file's identity for a
        person to confirm and ask QuickBooks only for the vendor and bill counts."""
        binding.record_pending(ctx.company, identity_of(facts))
        ctx.state["phase"] = "identifying"
        ctx.state["pending"] = {"kind": IDENTITY}
        ctx.requests_sent += 1
        return counts_request(version)

    def _identified(self, ctx: Call, response: str) -> int:
        """The counts came back (or QuickBooks failed them): the session ends without syncing
        and the Web Connector says what to do, in the help catalog's words."""
        pending = dict(ctx.company.pending_binding or {})
        if pending:
            pending.update(read_counts(response))
            ctx.company.pending_binding = pending
        self._fail_session(ctx, "waiting_for_confirmation", binding.WAITING)
        return -1

    # -- receiveResponseXML ----------------------------------------------------------------
    def receive_response_xml(
        self, ticket: str | None, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        try:
            ctx = self._open(ticket)
        except TicketRejected:
            return -1  # QBWC asks getLastError, which explains
        answer = self._receive(ctx, response, hresult, message)
        self._write_row(ctx)
        return answer

    def _receive(
        self, ctx: Call, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        if ctx.state.get("error"):
            return -1
        if not self._owns_lease(ctx):
            self._fail_session(ctx, "busy", "sync_taken_over")
            return -1
        pending = ctx.state.pop("pending", None)
        hresult = (hresult or "").strip()
        if pending is not None and pending.get("kind") == IDENTITY:
            return self._identified(ctx, "" if hresult else response or "")
        driver = self._driver(ctx)
        if hresult:
            text = describe_hresult(hresult, message or "")
            hresults = list(ctx.qbwc_session.hresults or [])
            hresults.append({"hresult": hresult, "message": (message or "")[:500]})
            ctx.qbwc_session.hresults = hresults
            self._event(ctx, "hresult", text, code=hresult, request=_summary(pending))
            if pending is not None:
                driver.handle_hresult(pending, hresult, message or "")
        elif pending is not None:
            driver.handle_response(pending, response or "")
        if pending is not None and pending.get("kind") == "ping":
            # The ping is only sent when nothing was left to ask: the session is over.
            ctx.state["finished"] = True
            ctx.progress = 100
            return 100
        return self._progress(ctx, driver)

    def _progress(self, ctx: Call, driver: SyncDriver) -> int:
        if not driver.has_more():
            ctx.state["finished"] = True
            ctx.progress = 100
            return 100
        # Monotonic within the session and never 100 while work is left (§3.5).
        value = max(int(ctx.qbwc_session.progress or 0), min(99, max(0, driver.progress())))
        ctx.progress = value
        return value

    # -- getLastError ------------------------------------------------------------------------
    def get_last_error(self, ticket: str | None) -> str:
        try:
            ctx = self._open(ticket)
        except TicketRejected as exc:
            return str(exc)
        self._write_row(ctx)
        if ctx.state.get("error"):
            return str(ctx.state["error"])
        if ctx.state.get("finished"):
            return "Sync complete: nothing more to do."
        return "The server has nothing to send right now; it will continue at the next run."

    # -- connectionError ---------------------------------------------------------------------
    def connection_error(self, ticket: str | None, hresult: str | None, message: str | None) -> str:
        try:
            ctx = self._open(ticket)
        except TicketRejected:
            return DONE
        answer = self._connection_error(ctx, hresult, message)
        self._write_row(ctx)
        return answer

    def _connection_error(self, ctx: Call, hresult: str | None, message: str | None) -> str:
        hresult = (hresult or "").strip()
        text = describe_hresult(hresult, message or "")
        hresults = list(ctx.qbwc_session.hresults or [])
        hresults.append({"hresult": hresult, "message": (message or "")[:500]})
        ctx.qbwc_session.hresults = hresults
        self._event(ctx, "hresult", text, code=hresult or None)
        retries = int(ctx.state.get("connection_retries", 0))
        reaction = connection_error_reaction(hresult)
        path = ctx.company.bound_file_path
        if reaction == "retry_with_path" and path and retries < MAX_CONNECTION_RETRIES:
            # QuickBooks is closed or has no file open: name our file once (§3.7, §5).
            ctx.state["connection_retries"] = retries + 1
            return path
        code = problems.problem_code_for_hresult(hresult)
        self._fail_session(ctx, "connection_error", code, profile=text, said=text)
        self._end(ctx)  # QBWC may not call closeConnection after "done" (§3.7)
        return DONE

    # -- closeConnection ---------------------------------------------------------------------
    def close_connection(self, ticket: str | None) -> str:
        try:
            ctx = self._open(ticket)
        except TicketRejected as exc:
            return str(exc)
        message = self._end(ctx)
        self._write_row(ctx)
        if ctx.state.get("error"):
            return str(ctx.state["error"])[:CLOSE_TEXT_MAX]
        return message

    def _end(self, ctx: Call) -> str:
        now = utcnow()
        record = ctx.qbwc_session
        state = ctx.state
        if record.ended_at is None:
            record.ended_at = now
        if record.outcome == "in_progress":
            if state.get("finished"):
                record.outcome = "completed"
            elif state.get("verified"):
                record.outcome = "incomplete"
            else:
                record.outcome = "error" if state.get("error") else "incomplete"
        if record.outcome == "completed":
            ctx.company.last_complete_sync_at = now
            ctx.company.last_error = None
            problems.clear_problem(ctx.company)
            connectors.note_sync(self.session, record.connector_id, now)
            if ctx.company.first_sync_completed_at is None and first_sync_finished(
                self.session, ctx.company.id
            ):
                ctx.company.first_sync_completed_at = now
        elif record.outcome == "incomplete" and not problems.needs_attention(
            ctx.company.problem_code
        ):
            record.problem_code = "session_incomplete"
            problems.set_problem(ctx.company, "session_incomplete", None, now)
        if record.outcome not in ("none",) or ctx.company.last_session_outcome is None:
            ctx.company.last_session_outcome = record.outcome
        lease.release(ctx.company, ctx.ticket.ticket)
        ctx.ticket.closed_at = now
        forget_live(ctx.ticket.ticket)
        if record.outcome == "completed":
            return "Sync complete."
        if record.outcome == "none":
            return "Nothing to do right now."
        if record.problem_code and catalog.lookup(record.problem_code) is not None:
            return catalog.web_connector_text(record.problem_code)  # paused, waiting, ...
        return f"Session ended: {record.outcome}."


def company_ping(version: str) -> str:
    """A CompanyQuery that only asks for the company name: the cheapest real request."""
    query = CompanyQuery(request_id="ping", include_ret_elements=["CompanyName"])
    return build_document([query], version=version, on_error="continueOnError")


def _summary(pending: dict[str, Any] | None) -> str | None:
    if not pending:
        return None
    return ", ".join(f"{k}={v}" for k, v in sorted(pending.items()))[:1000]

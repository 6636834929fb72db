"""A fake Intuit QuickBooks Web Connector: drives any QBWC server over HTTP in the real call order.

One :meth:`WebConnector.run_session` is one QBWC "update" (protocol doc §2)::

    serverVersion -> clientVersion -> authenticate
      -> (nvu/none/busy) closeConnection
      -> open QuickBooks [connectionError -> "done" | path, retried at most twice]
      -> sendRequestXML(HCP on the first call only) -> QuickBooks -> receiveResponseXML ... 100
      -> QuickBooks session closed -> closeConnection

QuickBooks is any object with the methods of ``qbwc_server.sim.quickbooks.FakeQuickBooks``
(see :mod:`qbwc_server.sim.quickbooks_link`, which also reads its answers); its failures are
recognised by the ``hresult``/``message`` attributes of the exception, so this module does not
import it.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from qbwc_server.sim.clock import SimClock
from qbwc_server.sim.quickbooks_link import (
    QuickBooksLike,
    hcp_facts,
    qb_error_fields,
    tally_response,
)
from qbwc_server.sim.report import Outcome, SessionReport
from qbwc_server.sim.soap_client import QbwcCallError, SoapClient, Transport
from qbwc_server.sim.transport_faults import Phase, TransportFault, TransportFaults

if TYPE_CHECKING:
    from qbwc_server.sim.qwc import QwcInfo

DEFAULT_CLIENT_VERSION = "2.3.0.215"  # the last QBWC release, seen in [LOG-62]
NOOP_PAUSE_SECONDS = 5.0  # §3.4: QBWC waits 5 s after getLastError "NoOp"
DEFAULT_MAX_ROUND_TRIPS = 100_000
INTERACTIVE_REJECT_REASON = "Interactive mode is not available: unattended (scheduled) update"


T = TypeVar("T")


ProgressCallback = Callable[[SessionReport, int], None]


class _RunawayError(Exception):
    pass


@dataclass
class _SessionState:
    report: SessionReport
    method_counts: dict[str, int] = field(default_factory=dict)
    attempted: int = 0


class WebConnector:
    """Runs QBWC sessions against one server URL for one .qwc application."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        quickbooks: QuickBooksLike,
        *,
        app_name: str,
        owner_id: str,
        file_id: str,
        client_version: str = DEFAULT_CLIENT_VERSION,
        transport_faults: TransportFaults | None = None,
        clock: SimClock | None = None,
        timeout: float = 300.0,
        max_round_trips: int = DEFAULT_MAX_ROUND_TRIPS,
        max_connection_retries: int = 2,
        keep_requests: bool = False,
        keep_responses: bool = False,
        analyze_responses: bool = True,
        close_after_connection_error: bool = True,
        on_progress: ProgressCallback | None = None,
        client: SoapClient | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.quickbooks = quickbooks
        self.app_name = app_name
        self.owner_id = owner_id
        self.file_id = file_id
        self.client_version = client_version
        self.transport_faults = (
            transport_faults if transport_faults is not None else TransportFaults()
        )
        self.clock = clock if clock is not None else SimClock()
        self.max_round_trips = max_round_trips
        self.max_connection_retries = max_connection_retries
        self.keep_requests = keep_requests
        self.keep_responses = keep_responses
        self.analyze_responses = analyze_responses
        # §3.7: whether QBWC calls closeConnection after connectionError answered "done" is not
        # documented; we call it (a robust server must answer it for a finished ticket anyway).
        self.close_after_connection_error = close_after_connection_error
        self.on_progress = on_progress
        if client is None:
            client = SoapClient(url, timeout=timeout, transport=transport)
        self.client = client
        self.client.fault_hook = self._fault_hook
        self.sessions_run = 0
        self._state: _SessionState | None = None
        self._qb_open = False
        self._qb_sim_mark = 0.0

    @classmethod
    def from_qwc(
        cls,
        qwc: QwcInfo,
        password: str,
        quickbooks: QuickBooksLike,
        *,
        url: str | None = None,
        **options: Any,
    ) -> WebConnector:
        return cls(
            url or qwc.app_url,
            qwc.username,
            password,
            quickbooks,
            app_name=qwc.app_name,
            owner_id=qwc.owner_id,
            file_id=qwc.file_id,
            **options,
        )

    # -- one session ---------------------------------------------------------------------------

    def run_session(self) -> SessionReport:
        self.sessions_run += 1
        report = SessionReport(index=self.sessions_run, started_at=self.clock.now)
        self._state = _SessionState(report)
        rt0, out0, in0, wait0, _, _ = self.client.stats.snapshot()
        self._qb_sim_mark = self._qb_simulated_total()
        try:
            self._conversation(report)
        except QbwcCallError as exc:
            # Like QBWC: the error is shown, the QuickBooks session ends, no further SOAP calls
            # (after an exception QBWC does not call closeConnection - undocumented, inferred
            # from the guide's error list; change here if a real log shows otherwise).
            report.outcome = Outcome.TRANSPORT_ERROR if exc.is_transport else Outcome.CALL_FAILED
            report.errors.append(exc.shown)
        except _RunawayError:
            report.outcome = Outcome.RUNAWAY
            report.errors.append(
                f"runaway session: more than {self.max_round_trips} SOAP calls; session abandoned"
            )
        finally:
            self._close_quickbooks(report)
            rt1, out1, in1, wait1, _, _ = self.client.stats.snapshot()
            report.round_trips = rt1 - rt0
            report.bytes_out = out1 - out0
            report.bytes_in = in1 - in0
            report.server_seconds = wait1 - wait0
            report.ended_at = self.clock.now
            self._state = None
        return report

    def _conversation(self, r: SessionReport) -> None:
        # §3.1: serverVersion first, no argument. QBWC treats it as optional: a fault is logged.
        self._guard("serverVersion")
        try:
            r.server_version = self.client.server_version()
        except QbwcCallError as exc:
            if exc.is_transport:
                raise
            r.warnings.append(exc.shown)

        # §3.2
        self._guard("clientVersion")
        reply = self.client.client_version(self.client_version)
        r.client_version_reply = reply
        if not self._accept_client_version(r, reply):
            return

        # §3.3
        self._guard("authenticate")
        auth = self.client.authenticate(self.username, self.password)
        if len(auth) < 2:
            r.outcome = Outcome.AUTH_FAILED
            r.errors.append(
                f"QBWC1012: authenticate returned {len(auth)} element(s); expected 2 to 4"
            )
            return
        if len(auth) > 4:
            r.warnings.append(f"authenticate returned {len(auth)} elements; only 4 are used")
        ticket, status = auth[0], auth[1]
        r.ticket, r.auth_status = ticket, status
        r.postpone_seconds = self._optional_seconds(r, auth, 2, "postpone")
        r.min_run_seconds = self._optional_seconds(r, auth, 3, "minimum run interval")
        word = status.strip().lower()  # QBWC compares case-insensitively ("NONE" seen in logs)
        if word in ("nvu", "none", "busy"):
            if word == "nvu":
                r.outcome = Outcome.NVU
                r.errors.append("Invalid password for username (authenticate returned nvu)")
            elif word == "none":
                r.outcome = Outcome.NONE
                r.messages.append("No data exchange required")
            else:
                r.outcome = Outcome.BUSY
                r.messages.append("Application busy")
            self._close_connection(r, ticket)  # [PG p.21]
            return

        # §2 step 3: open QuickBooks with "" (the open file) or the returned path.
        if not self._open_quickbooks(r, ticket, status):
            if self.close_after_connection_error:
                self._close_connection(r, ticket)
            return

        self._exchange(r, ticket)
        # §2 step 6 / §6.4: the QuickBooks session (and every iterator) ends BEFORE closeConnection.
        self._close_quickbooks(r)
        self._close_connection(r, ticket)

    def _accept_client_version(self, r: SessionReport, reply: str) -> bool:
        if reply == "":
            return True
        prefix, text = reply[:2].upper(), reply[2:]
        if prefix == "W:":
            # Real QBWC shows a dialog; an unattended run behaves as if the user clicked OK.
            r.warnings.append(f"QBWC1037: clientVersion warning: {text}")
            return True
        r.outcome = Outcome.CLIENT_REJECTED
        if prefix == "E:":
            r.errors.append(f"QBWC1037: clientVersion error: {text}")
        elif prefix == "O:":
            r.errors.append(f"Server requires Web Connector version {text} or newer")
        else:
            r.errors.append(f"QBWC1046: clientVersion returned a malformed value {reply!r}")
        return False

    def _optional_seconds(
        self, r: SessionReport, auth: list[str], index: int, what: str
    ) -> int | None:
        if len(auth) <= index or auth[index].strip() == "":
            return None
        try:
            return int(auth[index].strip())
        except ValueError:
            r.warnings.append(f"authenticate [{index}] ({what}) is not a number: {auth[index]!r}")
            return None

    def _open_quickbooks(self, r: SessionReport, ticket: str, company_path: str) -> bool:
        path = company_path
        retries = 0
        while True:
            try:
                self._qb_call(
                    functools.partial(
                        self.quickbooks.open_session,
                        app_name=self.app_name,
                        owner_id=self.owner_id,
                        file_id=self.file_id,
                        company_path=path,
                    )
                )
            except Exception as exc:
                fields = qb_error_fields(exc)
                if fields is None:
                    raise
            else:
                self._qb_open = True
                r.company_path = self.quickbooks.path
                return True
            hresult, message = fields
            r.connection_errors.append(f"{hresult}: {message}")
            # §3.7: connectionError -> "done" stops; any other string is a path to retry with.
            self._guard("connectionError")
            reply = self.client.connection_error(ticket, hresult, message)
            if reply.strip().lower() == "done":
                r.outcome = Outcome.CONNECTION_FAILED
                r.errors.append(f"QBWC1013: could not connect to QuickBooks: {hresult}: {message}")
                return False
            if retries >= self.max_connection_retries:
                r.outcome = Outcome.CONNECTION_FAILED
                r.errors.append(
                    f"QBWC1013: could not connect to QuickBooks after {retries + 1} attempts "
                    f"(last: {hresult}: {message}); connectionError kept answering a path"
                )
                return False
            retries += 1
            path = reply

    def _exchange(self, r: SessionReport, ticket: str) -> None:
        qb = self.quickbooks
        hcp = self._qb_call(qb.hcp_response)
        major, minor, country = hcp_facts(hcp)
        r.qbxml_version = f"{major}.{minor}"
        first = True
        while True:
            self._guard("sendRequestXML")
            # §3.4: strHCPResponse only on the first call of the session.
            request = self.client.send_request_xml(
                ticket, hcp if first else "", qb.path, country, major, minor
            )
            first = False
            if request == "":
                self._guard("getLastError")
                last = self.client.get_last_error(ticket)
                if last.strip().lower() == "noop":
                    r.noop_waits += 1
                    self.clock.sleep(NOOP_PAUSE_SECONDS)
                    continue
                if last.strip().lower() == "interactive mode":
                    self._interactive(r, ticket)
                    return
                if last == "":
                    # Undocumented (§3.6); QbSync ends sessions this way. No message for the user.
                    r.outcome = Outcome.COMPLETED
                    r.warnings.append("sendRequestXML and getLastError both returned ''")
                    return
                r.outcome = Outcome.SERVER_ERROR
                r.errors.append(last)
                return
            response, hresult, message = self._process(r, request)
            self._guard("receiveResponseXML")
            progress = self.client.receive_response_xml(ticket, response, hresult, message)
            r.progress.append(progress)
            if self.on_progress is not None:
                self.on_progress(r, progress)
            if progress < 0:
                # §3.5: negative -> getLastError, message shown, then closeConnection.
                self._guard("getLastError")
                text = self.client.get_last_error(ticket)
                r.outcome = Outcome.SERVER_ERROR
                r.errors.append(text or f"receiveResponseXML returned {progress}")
                return
            if progress >= 100:
                if progress > 100:
                    r.warnings.append(f"receiveResponseXML returned {progress} (> 100)")
                r.outcome = Outcome.COMPLETED
                return

    def _process(self, r: SessionReport, request: str) -> tuple[str, str, str]:
        if self.keep_requests:
            r.requests.append(request)
        r.requests_processed += 1
        try:
            response = self._qb_call(lambda: self.quickbooks.process(request))
        except Exception as exc:
            fields = qb_error_fields(exc)
            if fields is None:
                raise
            # §3.5: HRESULTs arrive in hresult/message with an empty response.
            r.hresults.append(f"{fields[0]}: {fields[1]}")
            return "", fields[0], fields[1]
        if self.keep_responses:
            r.responses.append(response)
        if self.analyze_responses:
            tally_response(response, r)
        return response, "", ""

    def _interactive(self, r: SessionReport, ticket: str) -> None:
        # §3.9: unattended, so the interactive session is refused right away.
        self._guard("getInteractiveURL")
        url = self.client.get_interactive_url(ticket, str(uuid.uuid4()))
        self._guard("interactiveRejected")
        text = self.client.interactive_rejected(ticket, INTERACTIVE_REJECT_REASON)
        r.outcome = Outcome.INTERACTIVE_REJECTED
        r.errors.append(f"Interactive mode requested ({url!r}) and rejected: {text}")

    def _close_connection(self, r: SessionReport, ticket: str) -> None:
        try:
            self._guard("closeConnection")
            reply = self.client.close_connection(ticket)
        except QbwcCallError as exc:
            # Last call of the session: record it, keep the outcome of the work itself.
            r.errors.append(exc.shown)
            return
        r.close_message = reply
        if reply:
            r.messages.append(reply)

    # -- QuickBooks helpers ----------------------------------------------------------------------

    def _qb_call(self, fn: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return fn()
        finally:
            assert self._state is not None
            self._state.report.qb_real_seconds += time.perf_counter() - started
            self._account_qb_simulated_time(self._state.report)

    def _close_quickbooks(self, r: SessionReport) -> None:
        if not self._qb_open:
            return
        self._qb_open = False
        started = time.perf_counter()
        try:
            self.quickbooks.close_session()
        finally:
            r.qb_real_seconds += time.perf_counter() - started
            self._account_qb_simulated_time(r)

    def _qb_simulated_total(self) -> float:
        return float(getattr(self.quickbooks, "simulated_seconds", 0.0) or 0.0)

    def _account_qb_simulated_time(self, r: SessionReport) -> None:
        # QuickBooks' cost-model time moves the simulated clock: a slow QuickBooks makes the
        # session (and therefore the schedule) longer, as on a real machine.
        total = self._qb_simulated_total()
        delta = total - self._qb_sim_mark
        self._qb_sim_mark = total
        if delta > 0:
            r.qb_simulated_seconds += delta
            self.clock.advance(delta)

    # -- call bookkeeping and fault injection ----------------------------------------------------

    def _guard(self, method: str) -> None:
        state = self._state
        assert state is not None
        if state.attempted >= self.max_round_trips:
            raise _RunawayError
        state.attempted += 1
        state.method_counts[method] = state.method_counts.get(method, 0) + 1
        state.report.calls.append(method)

    def _fault_hook(self, method: str) -> Phase | None:
        state = self._state
        if state is None or not self.transport_faults:
            return None
        phase = self.transport_faults.select(
            state.report.index, method, state.attempted, state.method_counts.get(method, 0)
        )
        if phase is not None:
            fault = TransportFault(
                phase, method, state.method_counts.get(method, 0), state.report.index
            )
            state.report.transport_faults.append(fault.describe())
        return phase

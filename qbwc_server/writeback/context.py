"""One SOAP call's view of the write-back: what sending, settling and reading back share.

The operations' rows hold their state; the session's JSON state (:class:`WriteState`) holds
what this QBWC session has tried and what it still wants to read back. The bookkeeping here
moves an operation between states (``writeback/queue.py`` does the row changes) and stores the
records QuickBooks returns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import Company, Operation, QbwcSession, SessionEvent, utcnow
from qbwc_server.qbxml.parse import (
    ParsedResponse,
    ParsedRs,
    QbxmlParseError,
    Record,
    parse_response,
)
from qbwc_server.records import store, vendor_balances
from qbwc_server.records.types import RecordError
from qbwc_server.writeback import queue
from qbwc_server.writeback.catalog import (
    DONE,
    MAX_RECOVERY_ATTEMPTS,
    NEEDS_ATTENTION,
    QUEUED,
    SENT,
    STEP_RECOVER,
)
from qbwc_server.writeback.kinds import KINDS
from qbwc_server.writeback.kinds.base import ret_text
from qbwc_server.writeback.requests import Unresolved

log = logging.getLogger(__name__)


@dataclass
class WriteState:
    """The write-back's state within one QBWC session (``qbwc_sessions.state["writes"]``)."""

    tried: list[int] = field(default_factory=list)  # operations not to take again this session
    fetch: list[dict[str, str]] = field(default_factory=list)  # records to read back
    done: int = 0  # operations done this session (progress)
    fetch_n: int = 0  # read-backs sent (request ids)

    @classmethod
    def from_json(cls, data: Any) -> WriteState:
        data = data if isinstance(data, Mapping) else {}
        return cls(
            tried=[int(i) for i in data.get("tried") or []],
            fetch=[dict(f) for f in data.get("fetch") or []],
            done=int(data.get("done") or 0),
            fetch_n=int(data.get("fetch_n") or 0),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tried": list(self.tried), "fetch": list(self.fetch)}
        out["done"] = self.done
        if self.fetch_n:
            out["fetch_n"] = self.fetch_n
        return out


class WriteContext:
    def __init__(
        self,
        session: Session,
        company: Company,
        qbwc_session: QbwcSession,
        *,
        version: str,
        lease_seconds: int,
        state: WriteState,
        open_operations: bool = True,
    ) -> None:
        self.session = session
        self.company = company
        self.qbwc_session = qbwc_session
        self.version = version
        self.lease_seconds = lease_seconds
        self.state = state  # mutated in place; the driver saves it
        # Whether the company had an operation queued or sent when the SOAP call began (read
        # with its ticket, engine/tickets.py). Only the API creates operations, so without one
        # the call has nothing to send or settle and need not query the queue; one queued
        # meanwhile goes at the next call.
        self.open_operations = open_operations

    @property
    def holder(self) -> int:
        """The lease holder of the operations this session drives: its qbwc_sessions.id."""
        return self.qbwc_session.id

    # --- references ---------------------------------------------------------------------------
    def resolve(self, ref: Any, key: str) -> str:
        """The QuickBooks id of a resolved reference (``{"list_id"}``, ``{"txn_id"}`` or
        ``{"operation_id"}`` of a done operation); raises Unresolved otherwise."""
        if isinstance(ref, dict):
            if ref.get(key):
                return str(ref[key])
            dep_id = ref.get("operation_id")
            if dep_id is not None:
                dep = self.session.get(Operation, dep_id)
                if dep is not None and dep.state == DONE and dep.result and dep.result.get(key):
                    return str(dep.result[key])
                raise Unresolved(f"operation {dep_id} has no {key} yet")
        raise Unresolved(f"no {key} in reference {ref!r}")

    @staticmethod
    def rs(parsed: ParsedResponse, rid: str | None) -> ParsedRs | None:
        """The ``…Rs`` answering request ``rid`` (the first one when None)."""
        for rs in parsed.responses:
            if rid is None or rs.status.request_id == rid:
                return rs
        return None

    # --- moving operations --------------------------------------------------------------------
    def requeue(self, op: Operation, step: str | None) -> None:
        op.state = QUEUED
        op.step = step
        op.updated_at = utcnow()

    def settle(
        self,
        op: Operation,
        state: str,
        message: str | None,
        code: int | str | None = None,
        step: str | None = None,
    ) -> None:
        queue.finish(self.session, op, state, message=message, code=code, step=step)
        self.state.tried.append(op.id)
        log.info("operation %s (%s): %s: %s", op.id, op.type, state, message)

    def done(
        self, op: Operation, data: dict[str, Any], *, recovered: bool, linked: bool = False
    ) -> None:
        kind = KINDS[op.type]
        result: dict[str, Any] = {kind.result_key: ret_text(data.get(kind.id_key))}
        if data.get("EditSequence") is not None:
            result["edit_sequence"] = ret_text(data.get("EditSequence"))
        for key, element in (("txn_number", "TxnNumber"), ("ref_number", "RefNumber")):
            if data.get(element) is not None:
                result[key] = ret_text(data.get(element))
        result.update(kind.result_details(data))
        if recovered:
            result["recovered"] = True
        if linked:
            result["linked_existing"] = True
        queue.finish(self.session, op, DONE, result=result)
        self.state.done += 1
        kind.after_done(self, op)

    def no_answer(self, op: Operation, meta: dict[str, Any], code: str, text: str) -> None:
        """QuickBooks did not say what became of the request."""
        if meta.get("step") == "send":
            # Outcome unknown: keep it sent; the next request settles it (error recovery).
            op.step = STEP_RECOVER
            queue.set_error(op, f"{text} Checking whether QuickBooks saved it.", code or None)
            return
        op.recovery_attempts += 1
        self.state.tried.append(op.id)
        if op.state == SENT and op.recovery_attempts >= MAX_RECOVERY_ATTEMPTS:
            self.settle(
                op,
                NEEDS_ATTENTION,
                "QuickBooks did not tell whether it saved this record after "
                f"{op.recovery_attempts} tries. Check QuickBooks, then retry (the server "
                f"checks again before sending anything). Last answer: {text}",
                code or None,
                step=op.step,
            )
        elif op.state == QUEUED and op.recovery_attempts >= MAX_RECOVERY_ATTEMPTS:
            self.settle(op, NEEDS_ATTENTION, text, code or None)
        else:
            queue.set_error(op, text, code or None)

    # --- records QuickBooks returned ----------------------------------------------------------
    def want_fetch(self, record_type: str, object_id: str) -> None:
        """Read this record back in this session (write-back/read_back.py)."""
        entry = {"type": record_type, "id": object_id}
        if object_id and entry not in self.state.fetch:
            self.state.fetch.append(entry)

    def drop_fetch(self, meta: dict[str, Any] | None = None) -> None:
        fetches = self.state.fetch
        if not fetches:
            return
        if meta is None:
            fetches.pop(0)
            return
        entry = {"type": meta.get("type"), "id": meta.get("id")}
        if entry in fetches:
            fetches.remove(entry)  # type: ignore[arg-type]

    def upsert(self, record_type: str, records: list[Record]) -> None:
        try:
            with self.session.begin_nested():
                stored = store.upsert_records(self.session, self.company.id, record_type, records)
                # A bill or payment we wrote moved its vendor's Balance: re-read the vendor at
                # the end of the read sync (records/vendor_balances.py).
                vendor_balances.mark(
                    self.session,
                    self.company.id,
                    vendor_balances.changed_vendors(record_type, records, stored),
                )
        except RecordError as exc:
            log.warning("write-back: could not store a %s record: %s", record_type, exc)

    def store(self, record_type: str, response: str, rid: Any) -> None:
        """Store the records of the answer to ``rid``."""
        try:
            parsed = parse_response(response)
        except QbxmlParseError as exc:
            log.warning("write-back read-back could not be parsed: %s", exc)
            return
        rs = self.rs(parsed, rid if isinstance(rid, str) else None)
        if rs is not None and rs.records:
            self.upsert(record_type, rs.records)

    def stray(self, op: Operation, meta: dict[str, Any], response: str = "") -> None:
        """An answer to a send this session no longer drives (its lease was taken over). A
        record in it exists in QuickBooks: store it, and tell someone."""
        if response:
            self.store(KINDS[op.type].record_type, response, meta.get("rid"))
        message = (
            f"An answer for operation {op.id} arrived after another session took it over; "
            "check QuickBooks for a duplicate record."
        )
        log.warning("company %s: %s", self.company.id, message)
        self.session.add(
            SessionEvent(
                session_id=self.qbwc_session.id,
                company_id=self.company.id,
                kind="error",
                code=None,
                message=message,
                request_summary=f"operation={op.id}",
            )
        )

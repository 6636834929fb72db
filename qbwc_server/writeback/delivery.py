"""Delivering queued operations inside QBWC sessions, exactly once (issue 5, parts 2-4).

The session driver (``engine/driver.py``) asks :class:`WriteBack` for the next request and hands it
the answers, inside the one database transaction of each SOAP call. All state lives in the
``operations`` rows and in the session's JSON state, so any worker can answer any call and a
server restart mid-session loses nothing.

Exactly once
------------
An Add whose outcome is unknown is never sent again blindly:

1. Before the request leaves, in the same transaction that returns it to the Web Connector, the
   operation becomes ``sent`` with the message set's random ``newMessageSetID`` and the
   ``requestID``; the record carries the operation's ExternalGUID. If that transaction does not
   commit, nothing was sent.
2. The answer (a Ret, or a status code) settles it. No answer — the session dropped after the
   request left, the response was lost (an HRESULT came back), the server restarted, the
   response could not be read — leaves it ``sent``.
3. A ``sent`` operation is settled before anything else in the next request of the same session
   (after an HRESULT) or first thing in the next session: SDK error recovery (§6.2) asks
   QuickBooks with ``oldMessageSetID`` what became of that message set. QuickBooks keeps the
   outcome of a message set sent with ``newMessageSetID``; it answers the stored status and,
   for an Add that worked, the new ListID/TxnID (ErrorRecovery). That answers it: done (and the
   record is read back and stored), or the Add's error status, handled as if it had come back
   directly.
4. If QuickBooks has no record of the message set (messageSetStatusCode ≠ 0: it never got it,
   or its recovery state is gone), the marker decides: the candidates (the vendor of that name;
   the vendor's bills or payments of that date) are read with their ExternalGUID. Ours there:
   done. Not there: QuickBooks never saved it, and only then is it sent again (a new attempt,
   with a new message set id).

Why it is safe: the record and its marker are written by QuickBooks in one step, and the
Web Connector talks to QuickBooks strictly one request at a time. Once the Web Connector asks
for the recovery request, the earlier request has either been processed (then error recovery
reports it, and the marker is on the record) or it never reached QuickBooks (then neither
exists). Checks are never skipped: no new write goes out while any operation's outcome is
unknown, so the message set QuickBooks remembers is always the one asked about, even on a
QuickBooks that keeps only the latest. A status check's own answer can be lost too: it repeats
``newMessageSetID`` so QuickBooks keeps the record, and asking again is harmless. A vendor.update
(a Mod) is idempotent: with no record of its message set it is re-read and applied again.

The window that stays open: a Web Connector that goes silent for longer than the sync lease
*while QuickBooks is still processing its Add*, while another Web Connector on another PC with
the same company file takes over and checks first. QuickBooks serialises requests per company
file, so this needs a multi-user file and an Add slower than the lease (120 s by default).

Where writes go in a session
----------------------------
- Settling ``sent`` operations comes first, before the read sync: it is one small request and
  every other write waits for it.
- New writes go right after the read sync's *list* streams (accounts, terms, vendors, items,
  customers, ...) have had their pass in this session, and before the transaction streams. The
  references are then as fresh as the sync can make them, and writes never wait behind a long
  historical (transaction) sync: operations queued while it runs go out between its pages.
- A session whose read sync has nothing left carries on with the remaining writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Company, Operation, QbwcSession, SessionEvent, utcnow
from models.records import QbVendor
from qbwc_server.qbxml.parse import (
    ParsedResponse,
    ParsedRs,
    QbxmlParseError,
    Record,
    parse_response,
)
from qbwc_server.qbxml.status import StatusPolicy, bookkeeper_message, classify
from qbwc_server.records import store
from qbwc_server.records import vendor_balances as balances
from qbwc_server.records.types import RecordError
from qbwc_server.writeback import queue, requests
from qbwc_server.writeback.catalog import (
    DONE,
    FAILED,
    KINDS,
    MAX_CONFLICT_RETRIES,
    MAX_RECOVERY_ATTEMPTS,
    MAX_SEND_ATTEMPTS,
    NEEDS_ATTENTION,
    QUEUED,
    SENT,
    STEP_LOOKUP,
    STEP_MATCH,
    STEP_RECOVER,
    STEP_REREAD,
    retry_delay,
)
from qbwc_server.writeback.matching import differences, is_same_vendor, same_guid

log = logging.getLogger(__name__)

PARSE_ERROR = "0x80040400"  # §5: QuickBooks could not parse the request: nothing was processed
_LOCK_FREE_STATES = (SENT, QUEUED)


@dataclass(frozen=True)
class Action:
    step: str  # send | recover | lookup | reread | match | fetch
    op: Operation | None = None
    fetch: dict[str, str] | None = None


class WriteBack:
    """One SOAP call's view of the company's write-back queue."""

    def __init__(
        self,
        session: Session,
        company: Company,
        qbwc_session: QbwcSession,
        *,
        version: str,
        lease_seconds: int,
        state: dict[str, Any],
    ) -> None:
        self.session = session
        self.company = company
        self.qbwc_session = qbwc_session
        self.version = version
        self.lease_seconds = lease_seconds
        self.state = state  # the session's "writes" state, mutated in place
        self.state.setdefault("tried", [])
        self.state.setdefault("fetch", [])
        self.state.setdefault("done", 0)
        self.blocked: list[Operation] = []

    # ------------------------------------------------------------------ choosing
    @property
    def holder(self) -> int:
        return self.qbwc_session.id

    def _tried(self) -> list[int]:
        tried: list[int] = self.state["tried"]
        return tried

    def _next_action(self, allow_sends: bool) -> Action | None:
        """What to do next; no side effects (has_more() asks the same question). Queued
        operations whose dependency failed are noted in ``self.blocked``."""
        now = utcnow()
        self.blocked = []
        unresolved = False
        # Not SKIP LOCKED here: a sent operation must never be overlooked (a retry/cancel
        # request may hold its row for a moment); the lease decides who settles it.
        for op in queue.sent_operations(self.session, self.company.id):
            if not queue.lease_free(self.session, op, self.holder, now):
                return None  # another live session is settling it: no writes from us now
            if op.id in self._tried():
                unresolved = True
                continue
            return Action(op.step if op.step in (STEP_RECOVER, STEP_LOOKUP) else STEP_RECOVER, op)
        fetches: list[dict[str, str]] = self.state["fetch"]
        if fetches:
            return Action("fetch", fetch=fetches[0])
        if unresolved or not allow_sends:
            # §6.2: while an outcome is unknown no other message set may replace QuickBooks'
            # record of it.
            return None
        tried = set(self._tried())
        for op in queue.due_queued(self.session, self.company.id, now, lock=True):
            if op.id in tried:
                continue
            if not queue.dependencies_done(self.session, op):
                if op.step is None and queue.blocked_by(self.session, op) is not None:
                    self.blocked.append(op)
                continue
            if not queue.lease_free(self.session, op, self.holder, now):
                continue
            if op.step in (STEP_REREAD, STEP_MATCH):
                return Action(op.step, op)
            return Action("send", op)
        return None

    def has_more(self) -> bool:
        return self._next_action(allow_sends=True) is not None

    def remaining(self) -> int:
        left = queue.count_open(self.session, self.company.id, exclude=self._tried())
        return left + len(self.state["fetch"])

    def progress(self) -> int:
        done = int(self.state.get("done", 0))
        left = self.remaining()
        if left <= 0:
            return 100
        return min(99, int(100 * done / (done + left)))

    # ------------------------------------------------------------------ requests
    def next_request(self, allow_sends: bool) -> tuple[str, dict[str, Any]] | None:
        for _ in range(1000):  # each round settles one operation; bounded for safety
            action = self._next_action(allow_sends)
            for op in self.blocked:
                # Its dependency failed after it was queued (a race with validation).
                dep = queue.blocked_by(self.session, op)
                if dep is not None:
                    queue.fail_dependents(self.session, dep)
            if action is None:
                return None
            try:
                with self.session.begin_nested():
                    built = self._build(action)
            except (requests.Unresolved, ValueError) as exc:
                # A builder refused a value (the payload was validated, so this is our bug or
                # data that changed since): never send something QuickBooks would reject.
                if action.op is None:
                    self._drop_fetch()
                    continue
                log.warning("operation %s: cannot build request: %s", action.op.id, exc)
                op = action.op
                # A sent operation keeps its step: its outcome is still to be found out.
                keep = op.step if op.state == SENT else None
                self._settle(op, NEEDS_ATTENTION, f"Could not build the request: {exc}", step=keep)
                continue
            if built is not None:
                return built
        return None

    def _lease(self, op: Operation) -> bool:
        return queue.take_lease(self.session, op, self.holder, self.lease_seconds)

    def _build(self, action: Action) -> tuple[str, dict[str, Any]] | None:
        if action.step == "fetch":
            assert action.fetch is not None
            n = int(self.state.get("fetch_n", 0)) + 1
            self.state["fetch_n"] = n
            rid = f"wf{n}"
            doc = requests.read_back(self.version, rid, action.fetch["type"], action.fetch["id"])
            return doc, {"kind": "write", "step": "fetch", "rid": rid, **action.fetch}
        op = action.op
        assert op is not None
        if not self._lease(op):
            self._tried().append(op.id)  # taken by someone else meanwhile
            return None
        meta: dict[str, Any] = {"kind": "write", "step": action.step, "op": op.id}
        if action.step == STEP_RECOVER:
            if not op.message_set_id:
                op.step = STEP_LOOKUP
                return None
            meta["msid"] = op.message_set_id
            return requests.recovery_document(self.version, op.message_set_id), meta
        kind = KINDS[op.type]
        if action.step == STEP_LOOKUP:
            if not kind.is_add:
                self._requeue(op, STEP_REREAD)
                return None
            rid = f"wl{op.id}-{op.recovery_attempts + 1}"
            meta["rid"] = rid
            doc = requests.marker_lookup(
                op.type, op.resolved, version=self.version, request_id=rid, resolve=self._resolve
            )
            return doc, meta
        if action.step == STEP_REREAD:
            rid = f"wr{op.id}-{op.conflict_retries}"
            meta["rid"] = rid
            list_id = self._resolve(op.resolved["vendor"], "list_id")
            return requests.vendor_by_id(self.version, rid, list_id), meta
        if action.step == STEP_MATCH:
            rid = f"wm{op.id}"
            meta["rid"] = rid
            return requests.vendor_by_name(self.version, rid, op.resolved["name"]), meta
        return self._send(op, meta)

    def _send(self, op: Operation, meta: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        if op.attempts >= MAX_SEND_ATTEMPTS:
            self._settle(
                op,
                NEEDS_ATTENTION,
                f"Not sent again: QuickBooks refused it {op.attempts} times. "
                + (op.error_message or ""),
                op.error_code,
            )
            return None
        edit_sequence = None
        if op.type == "vendor.update":
            edit_sequence = self._vendor_edit_sequence(op)
            if edit_sequence is None:
                self._requeue(op, STEP_REREAD)
                return None
        rid = f"wb{op.id}-{op.attempts + 1}"
        msid = requests.new_message_set_id()
        builder = requests.write_request(
            op.type,
            op.resolved,
            request_id=rid,
            external_guid=op.external_guid,
            resolve=self._resolve,
            edit_sequence=edit_sequence,
        )
        doc = requests.send_document(builder, version=self.version, message_set_id=msid)
        # Committed with the answer to sendRequestXML: from here on the outcome must be
        # settled before this operation (or any other) is sent again.
        now = utcnow()
        op.state = SENT
        op.step = STEP_RECOVER
        op.attempts += 1
        op.message_set_id = msid
        op.request_id = rid
        op.sent_at = now
        op.updated_at = now
        op.not_before = None
        meta.update({"msid": msid, "rid": rid})
        return doc, meta

    def _resolve(self, ref: Any, key: str) -> str:
        if isinstance(ref, dict):
            if ref.get(key):
                return str(ref[key])
            dep_id = ref.get("operation_id")
            if dep_id is not None:
                dep = self.session.get(Operation, dep_id)
                if dep is not None and dep.state == DONE and dep.result and dep.result.get(key):
                    return str(dep.result[key])
                raise requests.Unresolved(f"operation {dep_id} has no {key} yet")
        raise requests.Unresolved(f"no {key} in reference {ref!r}")

    def _vendor_edit_sequence(self, op: Operation) -> str | None:
        list_id = self._resolve(op.resolved["vendor"], "list_id")
        row = self.session.scalars(
            select(QbVendor).where(
                QbVendor.company_id == self.company.id, QbVendor.list_id == list_id
            )
        ).first()
        if row is not None and row.edit_sequence:
            return row.edit_sequence
        dep_id = op.resolved["vendor"].get("operation_id")
        dep = self.session.get(Operation, dep_id) if dep_id else None
        if dep is not None and dep.result and dep.result.get("edit_sequence"):
            return str(dep.result["edit_sequence"])
        return None

    # ------------------------------------------------------------------ answers
    def handle_response(self, meta: dict[str, Any], response: str) -> None:
        step = meta.get("step")
        if step == "fetch":
            self._drop_fetch(meta)
            self._store(meta.get("type", ""), response, meta.get("rid"))
            return
        op = self._op(meta, response)
        if op is None:
            return
        try:
            parsed = parse_response(response)
        except QbxmlParseError as exc:
            self._no_answer(op, meta, "", f"QuickBooks sent an answer we could not read: {exc}")
            return
        if step == "send":
            self._on_send(op, meta, parsed)
        elif step == STEP_RECOVER:
            self._on_recover(op, meta, parsed)
        elif step == STEP_LOOKUP:
            self._on_lookup(op, meta, parsed)
        elif step == STEP_REREAD:
            self._on_reread(op, meta, parsed)
        elif step == STEP_MATCH:
            self._on_match(op, meta, parsed)

    def handle_hresult(self, meta: dict[str, Any], hresult: str, message: str) -> None:
        """The request processor threw instead of answering (§3.5, §5)."""
        step = meta.get("step")
        if step == "fetch":
            self._drop_fetch(meta)
            return
        op = self._op(meta)
        if op is None:
            return
        text = f"QuickBooks did not answer ({hresult}): {message}".strip()
        if step == "send" and hresult.strip().lower() == PARSE_ERROR:
            # §5: the document was refused before anything in it ran; resending it unchanged
            # would only loop (qbwc/qbwc#53).
            self._settle(
                op,
                NEEDS_ATTENTION,
                "QuickBooks could not read the request (a problem on our side, not in your "
                f"data); it was not saved. ({hresult}: {message})",
                hresult,
            )
            return
        self._no_answer(op, meta, hresult, text)

    def _op(self, meta: dict[str, Any], response: str = "") -> Operation | None:
        op = self.session.get(Operation, meta.get("op"))
        if op is None or op.company_id != self.company.id:
            return None
        current = (
            op.state in _LOCK_FREE_STATES
            and op.leased_by == self.holder
            and (meta.get("msid") is None or meta.get("msid") == op.message_set_id)
        )
        if current:
            return op
        if meta.get("step") == "send":
            self._stray(op, meta, response)
        return None

    def _no_answer(self, op: Operation, meta: dict[str, Any], code: str, text: str) -> None:
        step = meta.get("step")
        if step == "send":
            # Outcome unknown: keep it sent; the next request settles it (error recovery).
            op.step = STEP_RECOVER
            queue.set_error(op, f"{text} Checking whether QuickBooks saved it.", code or None)
            return
        op.recovery_attempts += 1
        self._tried().append(op.id)
        if op.state == SENT and op.recovery_attempts >= MAX_RECOVERY_ATTEMPTS:
            self._settle(
                op,
                NEEDS_ATTENTION,
                "QuickBooks did not tell whether it saved this record after "
                f"{op.recovery_attempts} tries. Check QuickBooks, then retry (the server "
                f"checks again before sending anything). Last answer: {text}",
                code or None,
                step=op.step,
            )
        elif op.state == QUEUED and op.recovery_attempts >= MAX_RECOVERY_ATTEMPTS:
            self._settle(op, NEEDS_ATTENTION, text, code or None)
        else:
            queue.set_error(op, text, code or None)

    def _rs(self, parsed: ParsedResponse, rid: str | None) -> ParsedRs | None:
        for rs in parsed.responses:
            if rid is None or rs.status.request_id == rid:
                return rs
        return None

    # -- send ------------------------------------------------------------------------------
    def _on_send(self, op: Operation, meta: dict[str, Any], parsed: ParsedResponse) -> None:
        rs = self._rs(parsed, meta.get("rid"))
        if rs is None:
            self._no_answer(op, meta, "", "QuickBooks answered another request than ours.")
            return
        self._apply_status(op, rs, recovered=False)

    def _apply_status(self, op: Operation, rs: ParsedRs, *, recovered: bool) -> None:
        status = rs.status
        kind = KINDS[op.type]
        policy = classify(status.status_code, status.status_severity, status.status_message)
        text = bookkeeper_message(status.status_code, status.status_severity, status.status_message)
        code = status.status_code
        if policy in (StatusPolicy.SUCCESS, StatusPolicy.WARNING):
            record = rs.records[0] if rs.records else None
            if record is not None:
                self._done(op, record.data, recovered=recovered)
                self._upsert(kind.record_type, [record])
            elif rs.error_recovery and rs.error_recovery.get(kind.id_key):
                self._done(op, rs.error_recovery, recovered=True)
                self._want_fetch(kind.record_type, str(rs.error_recovery[kind.id_key]))
            else:
                self._settle(op, NEEDS_ATTENTION, f"QuickBooks said OK but sent no record. {text}")
            return
        if "closing date" in status.status_message.lower() or policy == StatusPolicy.CLOSED_PERIOD:
            self._settle(
                op,
                FAILED,
                "The date is on or before the company's closing date in QuickBooks (a closed "
                "period). Change the date, or ask the person with the closing-date password. "
                f"(QuickBooks {code}: {status.status_message})",
                code,
            )
            return
        if policy in (StatusPolicy.RETRY_LATER, StatusPolicy.NOT_PROCESSED):
            self._retry_later(op, text, code)
            return
        if policy == StatusPolicy.STALE and op.type == "vendor.update":
            if op.conflict_retries < MAX_CONFLICT_RETRIES:
                op.conflict_retries += 1
                queue.set_error(op, text, code)
                self._requeue(op, STEP_REREAD)
                return
            self._settle(
                op,
                NEEDS_ATTENTION,
                "The vendor kept changing in QuickBooks while we tried to update it (re-read "
                f"and re-applied once). Retry when nobody is editing it. {text}",
                code,
            )
            return
        if policy == StatusPolicy.DUPLICATE_NAME and op.type == "vendor.create":
            queue.set_error(op, text, code)
            self._requeue(op, STEP_MATCH)
            return
        if policy in (StatusPolicy.NEEDS_ATTENTION, StatusPolicy.ITERATOR_INVALID):
            self._settle(op, NEEDS_ATTENTION, text, code)
            return
        self._settle(op, FAILED, _failure_words(op.type, policy, text), code)

    def _retry_later(self, op: Operation, text: str, code: int | str | None) -> None:
        if op.attempts >= MAX_SEND_ATTEMPTS:
            self._settle(
                op,
                NEEDS_ATTENTION,
                f"QuickBooks was still busy after {op.attempts} tries; retry when the record "
                f"is free. {text}",
                code,
            )
            return
        now = utcnow()
        op.state = QUEUED
        op.step = None
        op.not_before = now + retry_delay(op.attempts)
        op.leased_by = None
        op.lease_expires_at = None
        op.updated_at = now
        queue.set_error(op, f"Will try again later: {text}", code)
        self._tried().append(op.id)  # not again in this session

    # -- recovery --------------------------------------------------------------------------
    def _on_recover(self, op: Operation, meta: dict[str, Any], parsed: ParsedResponse) -> None:
        if op.state != SENT:
            return
        remembered = None
        if parsed.message_set_status_code in (0, None):
            remembered = self._rs(parsed, op.request_id)
        if remembered is None or parsed.message_set_status_code not in (0, None):
            # QuickBooks has no record of that message set: look for the marker.
            kind = KINDS[op.type]
            if kind.is_add:
                op.step = STEP_LOOKUP
            else:
                # A Mod is idempotent: read the current EditSequence and apply it again.
                self._requeue(op, STEP_REREAD)
            return
        self._apply_status(op, remembered, recovered=True)

    def _on_lookup(self, op: Operation, meta: dict[str, Any], parsed: ParsedResponse) -> None:
        if op.state != SENT:
            return
        rs = self._rs(parsed, meta.get("rid"))
        if rs is None:
            self._no_answer(op, meta, "", "QuickBooks answered another request than ours.")
            return
        policy = classify(
            rs.status.status_code, rs.status.status_severity, rs.status.status_message
        )
        if policy not in (StatusPolicy.SUCCESS, StatusPolicy.WARNING, StatusPolicy.EMPTY_SUCCESS):
            text = bookkeeper_message(
                rs.status.status_code, rs.status.status_severity, rs.status.status_message
            )
            self._no_answer(op, meta, str(rs.status.status_code), text)
            return
        kind = KINDS[op.type]
        for record in rs.records:
            if same_guid(record.data.get("ExternalGUID"), op.external_guid):
                self._done(op, record.data, recovered=True)
                if kind.qb_object == "Vendor":
                    self._upsert(kind.record_type, [record])
                else:
                    self._want_fetch(kind.record_type, str(record.data.get(kind.id_key)))
                return
        # Not in QuickBooks: the earlier request never got there. Only now send it again.
        self._requeue(op, None)

    # -- vendor.update 3200 / vendor.create 3100 --------------------------------------------
    def _on_reread(self, op: Operation, meta: dict[str, Any], parsed: ParsedResponse) -> None:
        rs = self._rs(parsed, meta.get("rid"))
        if rs is None or not rs.records:
            code = rs.status.status_code if rs is not None else None
            if rs is not None and classify(code or 0, rs.status.status_severity) in (
                StatusPolicy.NOT_FOUND,
                StatusPolicy.EMPTY_SUCCESS,
            ):
                self._settle(
                    op,
                    FAILED,
                    "The vendor no longer exists in QuickBooks (it was probably deleted).",
                    code,
                )
                return
            self._no_answer(op, meta, str(code or ""), "QuickBooks did not return the vendor.")
            return
        self._upsert("vendors", rs.records)
        op.step = None  # the next action sends the VendorMod with the fresh EditSequence

    def _on_match(self, op: Operation, meta: dict[str, Any], parsed: ParsedResponse) -> None:
        rs = self._rs(parsed, meta.get("rid"))
        name = op.resolved.get("name", "")
        if rs is None:
            self._no_answer(op, meta, "", "QuickBooks did not answer the vendor lookup.")
            return
        if not rs.records:
            self._settle(
                op,
                FAILED,
                f'The name "{name}" is already used in QuickBooks by a customer, employee or '
                "other name (names must be unique across those lists). Choose another vendor "
                "name.",
                3100,
            )
            return
        existing = rs.records[0]
        if is_same_vendor(op.resolved, existing.data, op.external_guid):
            self._upsert("vendors", [existing])
            self._done(op, existing.data, recovered=False, linked=True)
            return
        diff = ", ".join(differences(op.resolved, existing.data))
        self._settle(
            op,
            FAILED,
            f'A different vendor named "{name}" already exists in QuickBooks (its {diff} '
            "differ). Use another name, or update that vendor instead.",
            3100,
        )

    # -- bookkeeping -----------------------------------------------------------------------
    def _requeue(self, op: Operation, step: str | None) -> None:
        op.state = QUEUED
        op.step = step
        op.updated_at = utcnow()

    def _settle(
        self,
        op: Operation,
        state: str,
        message: str | None,
        code: int | str | None = None,
        step: str | None = None,
    ) -> None:
        queue.finish(self.session, op, state, message=message, code=code, step=step)
        self._tried().append(op.id)
        log.info("operation %s (%s): %s: %s", op.id, op.type, state, message)

    def _done(
        self, op: Operation, data: dict[str, Any], *, recovered: bool, linked: bool = False
    ) -> None:
        kind = KINDS[op.type]
        result: dict[str, Any] = {kind.result_key: _text(data.get(kind.id_key))}
        if data.get("EditSequence") is not None:
            result["edit_sequence"] = _text(data.get("EditSequence"))
        for key, element in (("txn_number", "TxnNumber"), ("ref_number", "RefNumber")):
            if data.get(element) is not None:
                result[key] = _text(data.get(element))
        if kind.qb_object == "Vendor" and data.get("Name") is not None:
            result["name"] = _text(data.get("Name"))
        if recovered:
            result["recovered"] = True
        if linked:
            result["linked_existing"] = True
        queue.finish(self.session, op, DONE, result=result)
        self.state["done"] = int(self.state.get("done", 0)) + 1
        if op.type.startswith("bill_payment."):
            # Paying a bill changes it (IsPaid, open amount): read those bills back now.
            for entry in op.resolved.get("applied_to", []):
                try:
                    self._want_fetch("bills", self._resolve(entry["bill"], "txn_id"))
                except requests.Unresolved:
                    continue

    def _want_fetch(self, record_type: str, object_id: str) -> None:
        fetches: list[dict[str, str]] = self.state["fetch"]
        entry = {"type": record_type, "id": object_id}
        if object_id and entry not in fetches:
            fetches.append(entry)

    def _drop_fetch(self, meta: dict[str, Any] | None = None) -> None:
        fetches: list[dict[str, str]] = self.state["fetch"]
        if not fetches:
            return
        if meta is None:
            fetches.pop(0)
            return
        entry = {"type": meta.get("type"), "id": meta.get("id")}
        if entry in fetches:
            fetches.remove(entry)  # type: ignore[arg-type]

    def _store(self, record_type: str, response: str, rid: Any) -> None:
        try:
            parsed = parse_response(response)
        except QbxmlParseError as exc:
            log.warning("write-back read-back could not be parsed: %s", exc)
            return
        rs = self._rs(parsed, rid if isinstance(rid, str) else None)
        if rs is not None and rs.records:
            self._upsert(record_type, rs.records)

    def _upsert(self, record_type: str, records: list[Record]) -> None:
        try:
            with self.session.begin_nested():
                stored = store.upsert_records(self.session, self.company.id, record_type, records)
                # A bill or payment we wrote moved its vendor's Balance: re-read the vendor at
                # the end of the read sync (records/vendor_balances.py).
                balances.mark(
                    self.session,
                    self.company.id,
                    balances.changed_vendors(record_type, records, stored.changed_ids),
                )
        except RecordError as exc:
            log.warning("write-back: could not store a %s record: %s", record_type, exc)

    def _stray(self, op: Operation, meta: dict[str, Any], response: str = "") -> None:
        """An answer to a send this session no longer drives (its lease was taken over). A
        record in it exists in QuickBooks: store it, and tell someone."""
        if response:
            self._store(KINDS[op.type].record_type, response, meta.get("rid"))
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


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("#text")
    return None if value is None else str(value)


def _failure_words(op_type: str, policy: StatusPolicy, text: str) -> str:
    """A sentence a bookkeeper can act on, with QuickBooks' own words and code appended."""
    what = {
        "vendor.create": "The vendor was not created",
        "vendor.update": "The vendor was not changed",
        "bill.create": "The bill was not entered",
        "bill_payment.check.create": "The bill payment (check) was not entered",
        "bill_payment.credit_card.create": "The bill payment (credit card) was not entered",
    }.get(op_type, "Not saved")
    advice = {
        StatusPolicy.BAD_REFERENCE: "Something it refers to (vendor, account, item, class, "
        "customer or terms) does not exist in QuickBooks any more; fix it there or change the "
        "operation, then retry.",
        StatusPolicy.NOT_FOUND: "The record it refers to no longer exists in QuickBooks.",
        StatusPolicy.FEATURE_OFF: "The QuickBooks feature it needs is turned off (for example "
        "class tracking); turn it on in QuickBooks preferences or leave that field out.",
        StatusPolicy.PERMISSION: "The QuickBooks admin must allow this application to do it "
        "(Edit > Preferences > Integrated Applications).",
        StatusPolicy.DUPLICATE_NAME: "The name is already in use in QuickBooks.",
    }.get(policy, "QuickBooks refused it.")
    return f"{what}. {advice} {text}"

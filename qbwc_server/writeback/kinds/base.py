"""What an operation kind is: everything the write-back needs to know about one ``type``.

A kind validates a payload into its resolved form, builds the Add/Mod request, says how to
look for its marker when QuickBooks has no record of the message set (§6.2), and words its
failures for a bookkeeper. The delivery (``writeback/delivery.py`` and the modules it uses) is
generic over kinds; a kind with statuses of its own (a stale EditSequence, a name in use)
handles them in :meth:`OperationKind.on_refused`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from models import Company, Operation
from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.queries import TxnQuery
from qbwc_server.qbxml.query_parts import ListSelector
from qbwc_server.qbxml.status import StatusPolicy
from qbwc_server.writeback.checks import Checker
from qbwc_server.writeback.requests import Resolve

IdKey = Literal["ListID", "TxnID"]

# What a marker lookup asks for (small: the lookup only needs to recognise the marker).
LOOKUP_ELEMENTS = ("TxnID", "EditSequence", "ExternalGUID", "TxnDate", "RefNumber", "TxnNumber")

ADVICE: dict[StatusPolicy, str] = {
    StatusPolicy.BAD_REFERENCE: "Something it refers to (vendor, account, item, class, "
    "customer or terms) does not exist in QuickBooks any more; fix it there or change the "
    "operation, then retry.",
    StatusPolicy.NOT_FOUND: "The record it refers to no longer exists in QuickBooks.",
    StatusPolicy.FEATURE_OFF: "The QuickBooks feature it needs is turned off (for example "
    "class tracking); turn it on in QuickBooks preferences or leave that field out.",
    StatusPolicy.PERMISSION: "The QuickBooks admin must allow this application to do it "
    "(Edit > Preferences > Integrated Applications).",
    StatusPolicy.DUPLICATE_NAME: "The name is already in use in QuickBooks.",
}


class Bookkeeping(Protocol):
    """What a kind may do with its operation (``writeback/context.py`` WriteContext does it)."""

    session: Session
    company: Company

    def resolve(self, ref: Any, key: str) -> str: ...

    def requeue(self, op: Operation, step: str | None) -> None: ...

    def settle(
        self,
        op: Operation,
        state: str,
        message: str | None,
        code: int | str | None = None,
        step: str | None = None,
    ) -> None: ...

    def want_fetch(self, record_type: str, object_id: str) -> None: ...


@dataclass(frozen=True)
class WriteArgs:
    """What an Add/Mod request carries besides the payload."""

    request_id: str
    external_guid: str  # the marker QuickBooks stores with the record (§6.2)
    resolve: Resolve  # reference -> QuickBooks id
    edit_sequence: str | None = None  # a Mod's version of the record


class OperationKind(ABC):
    name: str  # the API's "type", e.g. "bill.create"
    qb_object: str  # QuickBooks object type: Vendor, Bill, BillPaymentCheck, ...
    request: str  # the qbXML request: VendorAdd, VendorMod, BillAdd, ... (MAX_LENGTHS key)
    record_type: str  # the synced record type its result is stored as (records/types.py)
    is_add: bool
    not_saved: str  # the first words of a failure, e.g. "The bill was not entered"

    @property
    def is_list(self) -> bool:
        return self.qb_object == "Vendor"

    @property
    def id_key(self) -> IdKey:
        return "ListID" if self.is_list else "TxnID"

    @property
    def result_key(self) -> str:
        return "list_id" if self.is_list else "txn_id"

    # --- before queueing ----------------------------------------------------------------------
    @abstractmethod
    def validate(self, c: Checker, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The resolved payload; problems go to ``c.errors``."""

    # --- sending ------------------------------------------------------------------------------
    @abstractmethod
    def write_request(self, r: Mapping[str, Any], w: WriteArgs) -> Any:
        """The builder object (``qbxml/writes.py``) of the Add/Mod request."""

    def edit_sequence(self, ctx: Bookkeeping, op: Operation) -> str | None:
        """A Mod's current EditSequence of the record (None: re-read it first)."""
        return None

    # --- settling an unknown outcome ----------------------------------------------------------
    def marker_lookup(
        self, r: Mapping[str, Any], *, version: str, request_id: str, resolve: Resolve
    ) -> str:
        """Candidates that may carry our ExternalGUID. There is no query filter on
        ExternalGUID, so ask for the vendor's records (of the transaction date, when the
        payload fixes it) and only the few elements needed to recognise the marker
        (IncludeRetElement, §6.6)."""
        txn_date = r.get("txn_date")
        query = TxnQuery(
            kind=self.qb_object,
            request_id=request_id,
            entity_filter=ListSelector(list_ids=[resolve(r["vendor"], "list_id")]),
            txn_date_from=txn_date,
            txn_date_to=txn_date,
            include_ret_elements=LOOKUP_ELEMENTS,
        )
        return build_document([query], version=version, on_error="continueOnError")

    # The marker lookup answers the whole record (a vendor by name): store it at once; else
    # read the record back by id.
    lookup_has_whole_record = False

    # --- answers ------------------------------------------------------------------------------
    def on_refused(
        self,
        ctx: Bookkeeping,
        op: Operation,
        policy: StatusPolicy,
        text: str,
        code: int,
    ) -> bool:
        """A status of this kind's own (True: handled); the generic ones are not."""
        return False

    def result_details(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """What the operation's ``result`` shows besides the id and EditSequence."""
        return {}

    def after_done(self, ctx: Bookkeeping, op: Operation) -> None:  # noqa: B027
        """Records the write changed besides its own, to read back now (none by default)."""

    def failure_words(self, policy: StatusPolicy, text: str) -> str:
        """A sentence a bookkeeper can act on, with QuickBooks' own words and code."""
        return f"{self.not_saved}. {ADVICE.get(policy, 'QuickBooks refused it.')} {text}"


def ret_text(value: Any) -> str | None:
    """A Ret value as text (a leaf with attributes is ``{"#text": ...}``)."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("#text")
    return None if value is None else str(value)

"""The fake QuickBooks Desktop + qbXML request processor that a fake Web Connector drives.

What QBWC does with QuickBooks, per update session (§2): OpenConnection + BeginSession
(:meth:`FakeQuickBooks.open_session`), the Host/Company/Preferences queries for
``strHCPResponse`` (:meth:`hcp_response`), one ``ProcessRequest`` per ``sendRequestXML``
(:meth:`process`), then EndSession/CloseConnection (:meth:`close_session`).
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from lxml import etree

from . import status as st
from .answers import Outcome, status_only
from .catalog import INVENTORY, LINE_ELEMENTS, MULTICURRENCY, QUERY_SPECS, QuerySpec, ret_name
from .company import CompanyError, CompanyFile, StoredResponse
from .deleted_queries import deleted_records
from .errors import PARSE_ERROR, UNSUPPORTED_VERSION, QBConnectionError, QBRequestError
from .faults import CostModel, FaultPlan
from .hcp import ALL_QBXML_VERSIONS, host_ret, preferences_ret
from .message_sets import recovery_response
from .queries import Iterator, QueryArgs, QueryEngine, next_page, parse_query
from .status import Status
from .store import Record
from .validation import request_is_valid
from .writes import WRITE_HANDLERS, element_value
from .xmlout import aggregate_xml, escape_attr, response_document, status_attrs

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_XML_DECL = re.compile(r"^\s*<\?xml[^?]*\?>")
_QBXML_PI = re.compile(r"""<\?qbxml\s+version\s*=\s*["']([^"']+)["']\s*\?>""")
_HCP_MAJOR = 13  # QBWC's own Host/Company/Preferences queries: written at the 13.0 level


@dataclass
class Session:
    app_name: str
    owner_id: str
    file_id: str
    iterators: dict[str, Iterator] = field(default_factory=dict)


class FakeQuickBooks:
    """QuickBooks Desktop with one company file open, answering qbXML like the real one."""

    def __init__(
        self,
        company: CompanyFile,
        *,
        product_name: str = "QuickBooks Enterprise Solutions 24.0",
        major_version: str = "34",
        minor_version: str = "0",
        supported_versions: tuple[str, ...] = ALL_QBXML_VERSIONS,
        country: str = "US",
        file_mode: str = "SingleUser",
        faults: FaultPlan | None = None,
        cost: CostModel | None = None,
        machine_name: str = "QBHOST",
        validate: bool = True,
        advance_clock_with_cost: bool = False,
        seed: int = 0,
    ) -> None:
        self.company = company
        self.product_name = product_name
        self.major_version = major_version
        self.minor_version = minor_version
        self.supported_versions = tuple(supported_versions)
        self.country = country
        self.file_mode = file_mode
        self.faults = faults if faults is not None else FaultPlan()
        self.cost = cost if cost is not None else CostModel()
        self.machine_name = machine_name
        self.validate = validate
        self.advance_clock_with_cost = advance_clock_with_cost
        self.session: Session | None = None
        self._rng = random.Random(f"fakeqb:{seed}")
        # bookkeeping for reports
        self.requests_processed = 0
        self.process_calls = 0
        self.sessions_opened = 0
        self.records_returned: dict[str, int] = {}
        self.simulated_seconds = 0.0

    @property
    def path(self) -> str:
        return self.company.path

    # --- session -----------------------------------------------------------------------------
    def open_session(
        self, *, app_name: str, owner_id: str, file_id: str, company_path: str = ""
    ) -> None:
        """OpenConnection + BeginSession; stamps FileID on first access, takes the AppLock."""
        hresult = self.faults.connection_hresult()
        if hresult is not None:
            raise QBConnectionError(hresult)
        if company_path and company_path.strip().lower() != self.path.lower():
            raise QBConnectionError("0x8004040A")
        if self.session is not None:
            self.close_session()
        # §4.3: the FileID stamp is written once per OwnerID; a second FileID for the same
        # OwnerID is refused by QBWC (QBWC1039), so an existing stamp is kept.
        if self._data_ext(owner_id, "FileID") is None:
            self._set_data_ext(owner_id, "FileID", file_id)
        ticks = self.company.clock.dotnet_ticks(self.company.clock.now)
        self._set_data_ext(owner_id, "AppLock", f"LOCKED:{self.machine_name}:{ticks}")
        self.session = Session(app_name=app_name, owner_id=owner_id, file_id=file_id)
        self.sessions_opened += 1

    def close_session(self) -> None:
        """EndSession + CloseConnection: iterators die (§6.4), the AppLock is removed."""
        if self.session is None:
            return
        owner = self.session.owner_id
        self.company.data_ext = [
            d
            for d in self.company.data_ext
            if not (d["OwnerID"] == owner and d["DataExtName"] == "AppLock")
        ]
        self.session.iterators.clear()
        self.session = None

    def _data_ext(self, owner_id: str, name: str) -> dict[str, str] | None:
        for entry in self.company.data_ext:
            if entry["OwnerID"].lower() == owner_id.lower() and entry["DataExtName"] == name:
                return entry
        return None

    def _set_data_ext(self, owner_id: str, name: str, value: str) -> None:
        entry = self._data_ext(owner_id, name)
        if entry is None:
            self.company.data_ext.append(
                {
                    "OwnerID": owner_id,
                    "DataExtName": name,
                    "DataExtType": "STR255TYPE",
                    "DataExtValue": value,
                }
            )
        else:
            entry["DataExtValue"] = value

    # --- Host / Company / Preferences ---------------------------------------------------------
    def host_record(self) -> Record:
        return host_ret(
            product_name=self.product_name,
            major_version=self.major_version,
            minor_version=self.minor_version,
            country=self.country,
            supported_versions=self.supported_versions,
            file_mode=self.file_mode,
        )

    def company_record(self, owner_ids: list[str]) -> Record:
        record = dict(self.company.info)
        wanted = {o.lower() for o in owner_ids}
        ext = [d for d in self.company.data_ext if d["OwnerID"].lower() in wanted]
        if ext:
            record["DataExtRet"] = ext
        return record

    def hcp_response(self) -> str:
        """The strHCPResponse QBWC sends on the first sendRequestXML of a session (§3.4)."""
        owner = [self.session.owner_id] if self.session else []
        parts = [
            self._single("HostQueryRs", "0", "HostRet", self.host_record(), _HCP_MAJOR),
            self._single(
                "CompanyQueryRs", "1", "CompanyRet", self.company_record(owner), _HCP_MAJOR
            ),
            self._single(
                "PreferencesQueryRs",
                "2",
                "PreferencesRet",
                preferences_ret(self.company),
                _HCP_MAJOR,
            ),
        ]
        return response_document(parts)

    def _single(
        self,
        rs: str,
        request_id: str | None,
        ret: str,
        record: Record,
        major: int,
        include: list[str] | None = None,
    ) -> str:
        ok = st.ok()
        body = aggregate_xml(ret, record, major, include)
        attrs = status_attrs(request_id, ok.code, ok.severity, ok.message)
        return f"<{rs}{attrs}>\n{body}</{rs}>\n"

    # --- request processing ------------------------------------------------------------------
    def process(self, request_xml: str) -> str:
        """ProcessRequest: one qbXML request document in, one response document out."""
        self.process_calls += 1
        call = self.process_calls
        if self.session is None:
            raise QBRequestError("0x8004040D")
        injected = self.faults.processor_errors.get(call)
        if injected is not None:
            raise QBRequestError(injected)
        document, major = self._parse(request_xml)
        msgs = document.find("QBXMLMsgsRq")
        if msgs is None:
            raise QBRequestError(PARSE_ERROR)
        response = self._message_set(msgs, major)
        if call in self.faults.lost_responses:
            raise QBRequestError("0x80040402")
        return response

    def _parse(self, request_xml: str) -> tuple[etree._Element, int]:
        text = _XML_DECL.sub("", request_xml, count=1)
        match = _QBXML_PI.search(text)
        if match is None:
            raise QBRequestError(PARSE_ERROR)
        version = match.group(1).strip()
        try:
            root = etree.fromstring(text.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise QBRequestError(PARSE_ERROR) from exc
        if version not in self.supported_versions:
            raise QBRequestError(UNSUPPORTED_VERSION)
        try:
            major = int(version.split(".")[0])
        except ValueError as exc:
            raise QBRequestError(UNSUPPORTED_VERSION) from exc
        if root.tag != "QBXML":
            raise QBRequestError(PARSE_ERROR)
        if self.validate and not request_is_valid(root, major):
            raise QBRequestError(PARSE_ERROR)
        return root, major

    def _message_set(self, msgs: etree._Element, major: int) -> str:
        company = self.company
        on_error = msgs.get("onError", "stopOnError")
        new_id = msgs.get("newMessageSetID")
        old_id = msgs.get("oldMessageSetID")
        include_none = msgs.get("responseData") == "includeNone"
        requests = [rq for rq in msgs if isinstance(rq.tag, str)]
        if old_id:
            return recovery_response(self.company, requests, old_id, new_id)
        parts: list[str] = []
        stored: list[StoredResponse] = []
        stopped = False
        for rq in requests:
            rs_name = rq.tag[:-2] + "Rs"
            request_id = rq.get("requestID")
            if stopped:
                outcome = Outcome(
                    status_only(rs_name, request_id, st.not_processed()), st.not_processed()
                )
            else:
                outcome = self._request(rq, rs_name, request_id, major)
                self.requests_processed += 1
                self._account(outcome)
                if outcome.status.is_error and on_error == "stopOnError":
                    stopped = True
            if include_none and not outcome.status.is_error:
                parts.append(status_only(rs_name, request_id, outcome.status))
            else:
                parts.append(outcome.xml)
            stored.append(StoredResponse(rs_name, request_id, outcome.status, outcome.recovery))
        attrs = ""
        if new_id:
            company.message_sets[new_id] = stored
            attrs = f' newMessageSetID="{escape_attr(new_id)}" messageSetStatusCode="0"'
        return response_document(parts, attrs)

    def _account(self, outcome: Outcome) -> None:
        if outcome.object_type and outcome.records:
            self.records_returned[outcome.object_type] = (
                self.records_returned.get(outcome.object_type, 0) + outcome.records
            )
        seconds = self.cost.charge(
            requests=1, records=outcome.records, lines=outcome.lines, writes=outcome.writes
        )
        self.simulated_seconds += seconds
        if self.advance_clock_with_cost and seconds > 0:
            self.company.clock.advance(timedelta(seconds=round(seconds)))

    def _request(
        self, rq: etree._Element, rs_name: str, request_id: str | None, major: int
    ) -> Outcome:
        lock = self.faults.lock_errors.get(self.requests_processed + 1)
        if lock is not None:
            status = st.lock_error(lock, rq.tag[:-2])
            return Outcome(status_only(rs_name, request_id, status), status)
        spec = QUERY_SPECS.get(rq.tag)
        if spec is not None:
            return self._query(rq, rs_name, request_id, spec, major)
        handler = WRITE_HANDLERS.get(rq.tag)
        if handler is not None:
            return self._write(rq, rs_name, request_id, handler, major)
        if rq.tag.endswith("QueryRq"):
            # Not modelled (e.g. InvoiceQuery in an AP-only fake company): nothing matches.
            status = st.no_match()
        else:
            status = Status(1030, "This request is not supported by this implementation.")
        return Outcome(status_only(rs_name, request_id, status), status)

    # --- writes ------------------------------------------------------------------------------
    def _write(
        self,
        rq: etree._Element,
        rs_name: str,
        request_id: str | None,
        handler: tuple[str, str, Any],
        major: int,
    ) -> Outcome:
        aggregate_name, object_type, function = handler
        aggregate = rq.find(aggregate_name)
        fields = element_value(aggregate) if aggregate is not None else {}
        try:
            record = function(self.company, fields if isinstance(fields, dict) else {})
        except CompanyError as exc:
            return Outcome(status_only(rs_name, request_id, exc.status), exc.status)
        include = [(e.text or "").strip() for e in rq.iterchildren("IncludeRetElement")] or None
        ok = st.ok()
        body = aggregate_xml(
            ret_name(object_type), record, major, include, self.company.display_name
        )
        attrs = status_attrs(request_id, ok.code, ok.severity, ok.message)
        xml = f"<{rs_name}{attrs}>\n{body}</{rs_name}>\n"
        id_field = "TxnID" if "TxnID" in record else "ListID"
        recovery = {id_field: str(record[id_field]), "EditSequence": str(record["EditSequence"])}
        if "TxnNumber" in record:
            recovery["TxnNumber"] = str(record["TxnNumber"])
        return Outcome(xml, ok, records=1, writes=1, object_type=object_type, recovery=recovery)

    # --- queries -----------------------------------------------------------------------------
    def _query(
        self, rq: etree._Element, rs_name: str, request_id: str | None, spec: QuerySpec, major: int
    ) -> Outcome:
        company = self.company
        prefs = company.preferences
        if (spec.feature == INVENTORY and not prefs.inventory) or (
            spec.feature == MULTICURRENCY and not prefs.multicurrency
        ):
            status = st.feature_not_enabled(
                "Inventory" if spec.feature == INVENTORY else "Multicurrency"
            )
            return Outcome(status_only(rs_name, request_id, status), status)
        include = [(e.text or "").strip() for e in rq.iterchildren("IncludeRetElement")] or None
        if spec.kind == "host":
            return Outcome(
                self._single(rs_name, request_id, "HostRet", self.host_record(), major, include),
                st.ok(),
            )
        if spec.kind == "company":
            owners = [(e.text or "").strip() for e in rq.iterchildren("OwnerID")]
            return Outcome(
                self._single(
                    rs_name, request_id, "CompanyRet", self.company_record(owners), major, include
                ),
                st.ok(),
            )
        if spec.kind == "prefs":
            return Outcome(
                self._single(
                    rs_name, request_id, "PreferencesRet", preferences_ret(company), major, include
                ),
                st.ok(),
            )
        args = parse_query(rq, company)
        if spec.kind in ("list_deleted", "txn_deleted"):
            return deleted_records(
                self.company, rq, rs_name, request_id, spec.kind == "txn_deleted", major, args
            )
        return self._list_or_txn(rs_name, request_id, spec, args, major)

    def _list_or_txn(
        self, rs_name: str, request_id: str | None, spec: QuerySpec, args: QueryArgs, major: int
    ) -> Outcome:
        engine = QueryEngine(self.company)
        iterator_attrs = ""
        session = self.session
        assert session is not None
        status: Status
        if spec.iterator and args.iterator in ("Continue", "Stop"):
            iterator_id = args.iterator_id or ""
            iterator = session.iterators.get(iterator_id)
            if iterator is None or iterator.object_types != spec.object_types:
                status = st.invalid_iterator(iterator_id)
                return Outcome(status_only(rs_name, request_id, status), status)
            if args.iterator == "Stop":
                del session.iterators[iterator_id]
                status = st.ok()
                attrs = status_attrs(request_id, status.code, status.severity, status.message)
                quoted = escape_attr(iterator_id)
                xml = f'<{rs_name}{attrs} iteratorRemainingCount="0" iteratorID="{quoted}" />\n'
                return Outcome(xml, status)
            page, remaining = next_page(iterator, args.max_returned)
            status = st.ok()
            iterator_attrs = (
                f' iteratorRemainingCount="{remaining}" iteratorID="{escape_attr(iterator_id)}"'
            )
            args = iterator.args or args
        else:
            matched, status = engine.matches(spec, args)
            if status.is_error:
                return Outcome(status_only(rs_name, request_id, status), status)
            if args.meta_data == "MetaDataOnly":
                code = status if matched else st.no_match()
                attrs = status_attrs(request_id, code.code, code.severity, code.message)
                return Outcome(f'<{rs_name}{attrs} retCount="{len(matched)}" />\n', code)
            if spec.iterator and args.iterator == "Start":
                iterator_id = "{" + str(uuid.UUID(int=self._rng.getrandbits(128), version=4)) + "}"
                iterator = Iterator(spec.object_types, matched, args=args)
                session.iterators[iterator_id] = iterator
                page, remaining = next_page(iterator, args.max_returned)
                iterator_attrs = (
                    f' iteratorRemainingCount="{remaining}" iteratorID="{escape_attr(iterator_id)}"'
                )
            else:
                page = matched if args.max_returned is None else matched[: args.max_returned]
        body: list[str] = []
        lines = 0
        owner_of = self.company.owner_of
        for object_id in page:
            found_type = owner_of.get(object_id)
            if found_type is None:
                continue  # deleted since the iterator started
            record = self.company.tables[found_type].get(object_id)
            if record is None:
                continue
            shaped = engine.shape(record, args)
            if args.include_lines:
                lines += sum(len(shaped.get(k, [])) for k in LINE_ELEMENTS)
            body.append(
                aggregate_xml(
                    ret_name(found_type),
                    shaped,
                    major,
                    args.include_ret,
                    self.company.display_name,
                )
            )
        if not body and status.code == st.OK:
            status = st.no_match()
        attrs = status_attrs(request_id, status.code, status.severity, status.message)
        if args.meta_data == "MetaDataAndResponseData":
            attrs += f' retCount="{len(body)}"'
        xml = f"<{rs_name}{attrs}{iterator_attrs}>\n" + "".join(body) + f"</{rs_name}>\n"
        object_type = spec.object_types[0] if len(spec.object_types) == 1 else "Item"
        return Outcome(xml, status, records=len(body), lines=lines, object_type=object_type)

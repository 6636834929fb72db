"""Issue 12 item 7: several replicas, one database. Two server processes (``qbwc-server serve``,
each its own gunicorn) share one database; a Web Connector whose calls alternate between them
runs full sessions — the initial sync and a write-back of a vendor, a bill and a payment — and
the stored result equals the same run against a single server."""

from __future__ import annotations

import http.client
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from tests.ops.served import ServedProcess
from tests.sync.expected import ALL_STREAMS, TXN_STREAMS
from tests.sync.helpers import SMALL_PAGES, Api, Rig, generate_current, make_rig, qb_local_now

pytestmark = pytest.mark.slow

# Server-side bookkeeping that differs between any two runs (and says nothing about the data),
# and the random marker each write-back operation puts on its record (ExternalGUID).
VOLATILE = {
    "synced_at",
    "created_at",
    "updated_at",
    "sent_at",
    "completed_at",
    "company_id",
    "id",
    "idempotency_key",
    "external_guid",
    "ExternalGUID",
    "next_attempt_at",
    "depends_on",
}


class Alternating:
    """A Web Connector transport that sends each SOAP call to the next server in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.calls: Counter[int] = Counter()
        self._next = 0

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        port = self.ports[self._next % len(self.ports)]
        self._next += 1
        self.calls[port] += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()


def _run(
    api: Api, transport: Alternating, name: str, now: Any, schema: Any
) -> tuple[Rig, list[Any]]:
    qb = FakeQuickBooks(generate_current("tiny", seed=11, now=now))
    rig = make_rig(
        app=None,  # type: ignore[arg-type]
        api=api,
        qb=qb,
        schema=schema,
        name=name,
        qbwc_url="http://localhost/qbwc",
        transport=transport,
    )
    rig.run_session()  # the initial sync
    vendor = _queue(api, rig, "vendor.create", {"name": "Replica Vendor", "tax_id": "12-3456789"})
    bill = _queue(
        api,
        rig,
        "bill.create",
        {
            "vendor": {"operation_id": vendor["id"]},
            "txn_date": "2024-06-10",
            "ref_number": "RPL-1",
            "expense_lines": [{"account": {"full_name": "Office Supplies"}, "amount": "120.50"}],
        },
    )
    _queue(
        api,
        rig,
        "bill_payment.check.create",
        {
            "vendor": {"operation_id": vendor["id"]},
            "bank_account": {"full_name": "Checking"},
            "txn_date": "2024-06-11",
            "ref_number": "1001",
            "applied_to": [{"bill": {"operation_id": bill["id"]}, "amount": "100.00"}],
        },
    )
    for _ in range(4):  # write-back sessions until nothing is left to send
        rig.run_session(expect=None)
        _, ops = api.request("GET", f"/api/companies/{rig.company_id}/operations")
        if all(op["state"] not in ("queued", "sent") for op in ops["data"]):
            break
    return rig, ops["data"]


def _queue(api: Api, rig: Rig, op_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, body = api.request(
        "POST",
        f"/api/companies/{rig.company_id}/operations",
        {"type": op_type, "idempotency_key": f"{op_type}-{rig.company_id}", "payload": payload},
    )
    assert status == 201, body
    return dict(body)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _operations(ops: list[dict[str, Any]]) -> Any:
    """The operations in creation order, references to other operations by that order."""
    ordered = sorted(ops, key=lambda op: op["id"])
    position = {op["id"]: n for n, op in enumerate(ordered)}

    def renumber(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: position[v] if k == "operation_id" else renumber(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [renumber(v) for v in value]
        return value

    return [renumber(_strip(op)) for op in ordered]


def _stored(rig: Rig) -> dict[str, Any]:
    """Everything the server stored for the company, as the read API returns it."""
    out: dict[str, Any] = {}
    for stream in ALL_STREAMS:
        key = "txn_id" if stream in TXN_STREAMS else "list_id"
        records = rig.records(stream, include_deleted=True, limit=500)
        out[stream] = sorted((_strip(r) for r in records), key=lambda r: str(r.get(key)))
    return out


def _sessions(rig: Rig) -> list[tuple[Any, ...]]:
    _, body = rig.api.request("GET", f"/api/companies/{rig.company_id}/sessions")
    return [(s["outcome"], s["calls"], s["requests_sent"]) for s in body["data"]]


def test_two_replicas_give_the_result_of_one(
    db: Any, database_url: str, tmp_path: Path, qbxml_schema: Any
) -> None:
    # Small pages: many calls to alternate (a first sync's opening looks share one message).
    pages = {name: str(size) for name, size in SMALL_PAGES.items()}
    first = ServedProcess(database_url, tmp_path / "a.log", workers=1, env=pages)
    second = ServedProcess(database_url, tmp_path / "b.log", workers=1, env=pages)
    try:
        now = qb_local_now()  # both fake company files at the same time: the same ids
        both = Alternating([first.port, second.port])
        replicated, replicated_ops = _run(
            Api(base_url=second.url), both, "Replicated Co", now, qbxml_schema
        )
        single = Alternating([first.port])
        alone, alone_ops = _run(Api(base_url=first.url), single, "Single Co", now, qbxml_schema)
        stored, expected = _stored(replicated), _stored(alone)
        sessions, expected_sessions = _sessions(replicated), _sessions(alone)
    finally:
        first.stop()
        second.stop()
    # Every other call of the same sessions went to the other server.
    assert min(both.calls.values()) >= 50
    assert abs(both.calls[first.port] - both.calls[second.port]) <= 1
    assert replicated.reports[0].outcome == Outcome.COMPLETED  # the initial sync
    assert [op["state"] for op in replicated_ops] == ["done", "done", "done"]
    assert _operations(replicated_ops) == _operations(alone_ops)
    assert sum(len(v) for v in stored.values()) > 300
    for stream in ALL_STREAMS:
        assert stored[stream] == expected[stream], (
            stream,
            _differences(stored[stream], expected[stream]),
        )
    assert sessions == expected_sessions  # same sessions, outcomes, calls and requests
    for server in (first, second):  # neither replica hit an internal error
        assert '"level": "ERROR"' not in server.output() and " ERROR " not in server.output()


def _differences(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[Any]:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            diff = {k: (x.get(k), y.get(k)) for k in set(x) | set(y) if x.get(k) != y.get(k)}
            if "qb" in diff:
                qa, qb = diff.pop("qb")
                qa, qb = qa or {}, qb or {}  # a record's JSON on one side only
                diff.update(
                    {
                        f"qb.{k}": (qa.get(k), qb.get(k))
                        for k in set(qa) | set(qb)
                        if qa.get(k) != qb.get(k)
                    }
                )
            out.append(diff)
    return out[:3] + ([len(a), len(b)] if len(a) != len(b) else [])

"""Through the API, an id, cursor or key of one company never reaches another company's data."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.isolation.conftest import World
from tests.sync.helpers import Api, read_changes

VENDOR_BILL = {"type": "bill.create", "idempotency_key": "x-ref"}


def ids(records: list[dict[str, Any]], key: str = "list_id") -> set[str]:
    return {r[key] for r in records}


def cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, parts)).encode()).decode().rstrip("=")


def test_same_ids_in_two_files_stay_two_companies_records(world: World) -> None:
    a_vendors, b_vendors = world.alpha.records("vendors"), world.beta.records("vendors")
    # Both files carry the very same ListIDs (one template) ...
    assert ids(a_vendors) == ids(b_vendors) and len(a_vendors) > 10
    # ... and each company holds its own version of every one of them.
    assert all(v["name"].startswith("B-") for v in b_vendors)
    assert not any(v["name"].startswith("B-") for v in a_vendors)
    a_bills, b_bills = world.alpha.records("bills"), world.beta.records("bills")
    assert ids(a_bills, "txn_id") == ids(b_bills, "txn_id") and a_bills
    assert {b["memo"] for b in b_bills} == {"BETA bill"}
    assert "BETA bill" not in {b["memo"] for b in a_bills}
    # vendor_name is resolved from the same company's vendors, never the other's.
    assert all(b["vendor_name"].startswith("B-") for b in b_bills if b["vendor_name"])
    assert not any((b["vendor_name"] or "").startswith("B-") for b in a_bills)
    # A company that never connected sees nothing of either.
    gamma = world.gamma["id"]
    for type_name in ("vendors", "bills", "accounts", "items"):
        page = world.api.get(f"/api/companies/{gamma}/records/{type_name}")
        assert page["data"] == [], type_name


def test_the_vendor_filter_finds_only_this_companys_bills(world: World) -> None:
    vendor_id = next(iter(ids(world.alpha.records("bills"), "vendor_list_id") - {None}))
    a = world.api.get(f"/api/companies/{world.alpha.company_id}/records/bills", vendor=vendor_id)
    b = world.api.get(f"/api/companies/{world.beta.company_id}/records/bills", vendor=vendor_id)
    assert a["data"] and b["data"]
    assert {x["memo"] for x in b["data"]} == {"BETA bill"}
    assert "BETA bill" not in {x["memo"] for x in a["data"]}


def _status(api: Api, path: str) -> tuple[int, Any]:
    return api.request("GET", path)


def test_cursors_do_not_jump_companies(world: World) -> None:
    api, a, b = world.api, world.alpha.company_id, world.beta.company_id
    page = api.get(f"/api/companies/{a}/records/vendors", limit=3)
    assert page["next_cursor"]
    # A's cursor on B's listing, and cursors crafted to point there, are refused.
    crafted = [
        page["next_cursor"],
        cursor("r2", f"{a}/vendors", page["data"][-1]["list_id"]),
        cursor("r1", "vendors", page["data"][-1]["list_id"]),  # the old form had no company
        cursor("r2", f"{b}/bills", page["data"][-1]["list_id"]),  # B's, but another type
    ]
    for value in crafted:
        status, body = _status(api, f"/api/companies/{b}/records/vendors?cursor={value}")
        assert status == 400 and body["error"]["field"] == "cursor", (value, body)
    # B's own cursor works on B.
    own = api.get(f"/api/companies/{b}/records/vendors", limit=3)
    status, body = _status(api, f"/api/companies/{b}/records/vendors?cursor={own['next_cursor']}")
    assert status == 200 and all(v["name"].startswith("B-") for v in body["data"])

    # The change feed: A's position on B, or a crafted one naming A, is refused.
    head = api.get(f"/api/companies/{a}/changes", since="latest")["next_cursor"]
    for value in (head, cursor("c1", a, 1), cursor("c1", f"{b}x", 1), cursor("c1", "", 1)):
        status, body = _status(api, f"/api/companies/{b}/changes?since={value}")
        assert status == 400 and body["error"]["field"] == "since", (value, body)


def test_the_change_feed_of_a_company_holds_its_own_changes(world: World) -> None:
    a_feed, _ = read_changes(world.api, world.alpha.company_id)
    b_feed, _ = read_changes(world.api, world.beta.company_id)
    assert a_feed and b_feed
    b_versions = {v["list_id"]: v["edit_sequence"] for v in world.beta.records("vendors")}
    a_versions = {v["list_id"]: v["edit_sequence"] for v in world.alpha.records("vendors")}
    b_vendor_changes = [c for c in b_feed if c["type"] == "vendors"]
    assert b_vendor_changes
    for change in b_vendor_changes:  # each names B's version of the record, not A's
        assert change["edit_sequence"] == b_versions[change["id"]]
        assert change["edit_sequence"] != a_versions[change["id"]]
    assert [c["seq"] for c in b_feed] == list(range(1, len(b_feed) + 1))  # B's own numbering


def test_operation_ids_do_not_cross_companies(world: World) -> None:
    api = world.api
    a_op, b_op = world.alpha_op, world.beta_op
    b, gamma = world.beta.company_id, world.gamma["id"]
    for company in (b, gamma):
        for method, suffix in (("GET", ""), ("POST", "/retry"), ("POST", "/cancel")):
            path = f"/api/companies/{company}/operations/{a_op['id']}{suffix}"
            status, body = api.request(method, path)
            assert status == 404 and body["error"]["field"] == "op_id", (path, body)
    listing = api.get(f"/api/companies/{b}/operations")["data"]
    assert [op["id"] for op in listing] == [b_op["id"]]
    # A's operation is untouched by all of it.
    after = api.get(f"/api/companies/{world.alpha.company_id}/operations/{a_op['id']}")
    assert after["state"] == "queued" and after["updated_at"] == a_op["updated_at"]


def test_idempotency_keys_are_per_company(world: World) -> None:
    a_op, b_op = world.alpha_op, world.beta_op
    assert a_op["idempotency_key"] == b_op["idempotency_key"] == "same-key"
    assert a_op["id"] != b_op["id"]
    assert a_op["company_id"] == world.alpha.company_id
    assert b_op["company_id"] == world.beta.company_id
    # B repeating the key with A's payload gets a conflict about B's own operation, never A's.
    status, body = world.api.request(
        "POST",
        f"/api/companies/{world.beta.company_id}/operations",
        {"type": "vendor.create", "idempotency_key": "same-key", "payload": a_op["payload"]},
    )
    assert status == 409, body
    assert str(a_op["id"]) not in json.dumps(body)


def test_payloads_cannot_reference_another_companys_operations_or_records(
    world: World,
) -> None:
    api, b, gamma = world.api, world.beta.company_id, world.gamma["id"]
    payload: dict[str, Any] = {
        "vendor": {"operation_id": world.alpha_op["id"]},
        "expense_lines": [],
    }
    status, body = api.request(
        "POST", f"/api/companies/{b}/operations", {**VENDOR_BILL, "payload": payload}
    )
    assert status == 422 and body["error"]["field"] == "payload.vendor.operation_id", body
    assert "no operation" in body["error"]["message"]
    # A vendor synced for A (and B) does not exist for Gamma.
    vendor = world.alpha.records("vendors")[0]
    account = world.alpha.records("accounts")[0]
    payload = {
        "vendor": {"list_id": vendor["list_id"]},
        "expense_lines": [{"account": {"list_id": account["list_id"]}, "amount": "1.00"}],
    }
    status, body = api.request(
        "POST", f"/api/companies/{gamma}/operations", {**VENDOR_BILL, "payload": payload}
    )
    assert status == 422, body
    fields = {e["field"] for e in body["error"]["errors"]}
    assert "payload.vendor" in fields, body


def test_company_views_and_qwc_hold_only_their_own(world: World) -> None:
    a_id, b_id = world.alpha.company_id, world.beta.company_id
    a_view = world.api.get(f"/api/companies/{a_id}")
    b_view = world.api.get(f"/api/companies/{b_id}")
    b_text = json.dumps(b_view)
    for foreign in (a_view["name"], a_view["username"], a_view["file_id"], a_view["app_name"]):
        assert foreign not in b_text
    a_sessions = {s["id"] for s in world.api.get(f"/api/companies/{a_id}/sessions")["data"]}
    b_sessions = {s["id"] for s in world.api.get(f"/api/companies/{b_id}/sessions")["data"]}
    assert a_sessions and b_sessions and not (a_sessions & b_sessions)
    status, qwc = world.api.request("GET", f"/api/companies/{b_id}/qwc")
    assert status == 200
    for foreign in (a_view["username"], a_view["file_id"], a_view["app_name"]):
        assert foreign not in qwc

"""The read API and the change feed over HTTP against the real server."""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Any

from qbwc_server.records.deletions import mark_deleted
from qbwc_server.records.store import upsert_records
from tests.foundation.helpers import api
from tests.storage.helpers import bill, bill_payment, in_tx, new_company, vendor


def store(db: Any, company_id: int, type_name: str, records: list[Any]) -> None:
    in_tx(db, lambda s: upsert_records(s, company_id, type_name, records))


def get(server: Any, path: str, **params: Any) -> tuple[int, Any]:
    query = urllib.parse.urlencode(params)
    status, body, _ = api(server.url, "GET", path + (f"?{query}" if query else ""))
    return status, body


def walk(server: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a listing, following next_cursor."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        extra: dict[str, str] = {"cursor": cursor} if cursor else {}
        status, body = get(server, path, **params, **extra)
        assert status == 200, body
        out.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


def test_auth_unknown_type_and_company(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    status, body, _ = api(
        live_server.url, "GET", f"/api/companies/{cid}/records/vendors", token=None
    )
    assert status == 401
    status, body, _ = api(live_server.url, "GET", f"/api/companies/{cid}/changes", token="wrong")
    assert status == 401
    status, body = get(live_server, f"/api/companies/{cid}/records/invoices")
    assert status == 404 and "invoices" in body["error"]["message"]
    assert "vendors" in body["error"]["message"]  # names the known types
    status, body = get(live_server, "/api/companies/999/records/vendors")
    assert status == 404
    status, body = get(live_server, "/api/companies/999/changes")
    assert status == 404


BAD_PARAMETERS: list[tuple[str, dict[str, str], str]] = [
    ("vendors", {"limit": "0"}, "limit"),
    ("vendors", {"limit": "1001"}, "limit"),
    ("vendors", {"limit": "ten"}, "limit"),
    ("vendors", {"cursor": "not-a-cursor"}, "cursor"),
    ("vendors", {"modified_since": "yesterday"}, "modified_since"),
    ("vendors", {"active": "maybe"}, "active"),
    ("vendors", {"include_deleted": "perhaps"}, "include_deleted"),
    ("vendors", {"vendor": "80000001-1"}, "vendor"),
    ("vendors", {"from": "2024-01-01"}, "from"),
    ("vendors", {"modifiedSince": "2024-01-01"}, "modifiedSince"),
    ("bills", {"active": "true"}, "active"),
    ("bills", {"from": "2024-13-01"}, "from"),
    ("bills", {"to": "soon"}, "to"),
    ("bills", {"from": "2024-03-02", "to": "2024-03-01"}, "from"),
]


def test_bad_parameters_are_400_naming_them(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    for type_name, params, field in BAD_PARAMETERS:
        status, body = get(live_server, f"/api/companies/{cid}/records/{type_name}", **params)
        assert status == 400, (params, body)
        assert body["error"]["field"] == field, params
        assert field in body["error"]["message"]
    # The same parameters given correctly are fine.
    assert (
        get(live_server, f"/api/companies/{cid}/records/bills", **{"from": "2024-03-01"})[0] == 200
    )


def test_cursors_are_scoped(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    other = new_company(db, "Other")
    store(db, cid, "vendors", [vendor(n) for n in range(3)])
    status, body = get(live_server, f"/api/companies/{cid}/records/vendors", limit=1)
    vendors_cursor = body["next_cursor"]
    status, body = get(live_server, f"/api/companies/{cid}/records/bills", cursor=vendors_cursor)
    assert status == 400 and body["error"]["field"] == "cursor"
    status, body = get(live_server, f"/api/companies/{cid}/changes")
    feed_cursor = body["next_cursor"]
    status, body = get(live_server, f"/api/companies/{other}/changes", since=feed_cursor)
    assert status == 400 and body["error"]["field"] == "since"
    status, body = get(live_server, f"/api/companies/{cid}/changes", since="garbage!")
    assert status == 400 and body["error"]["field"] == "since"
    status, body = get(live_server, f"/api/companies/{cid}/changes", limit=5000)
    assert status == 400 and body["error"]["field"] == "limit"


def test_pagination_returns_everything_once(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    store(db, cid, "vendors", [vendor(n) for n in range(25)])
    status, body = get(live_server, f"/api/companies/{cid}/records/vendors")
    assert status == 200 and len(body["data"]) == 25 and body["next_cursor"] is None
    status, body = get(live_server, f"/api/companies/{cid}/records/vendors", limit=10)
    assert len(body["data"]) == 10 and body["next_cursor"]
    pages = walk(live_server, f"/api/companies/{cid}/records/vendors", limit=10)
    assert [v["list_id"] for v in pages] == [vendor(n)["ListID"] for n in range(25)]
    # Exactly a page boundary: no empty trailing page is promised.
    assert len(walk(live_server, f"/api/companies/{cid}/records/vendors", limit=5)) == 25


def test_list_record_shape_and_filters(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    store(
        db,
        cid,
        "vendors",
        [
            vendor(1, modified="2024-02-01T10:00:00-08:00"),
            vendor(2, modified="2024-03-01T10:00:00-08:00", active=False),
            vendor(3, modified="2024-04-01T10:00:00-08:00"),
        ],
    )
    in_tx(db, lambda s: mark_deleted(s, cid, "vendors", [vendor(3)["ListID"]]))
    base = f"/api/companies/{cid}/records/vendors"

    def ids(**params: Any) -> list[str]:
        return [r["name"] for r in walk(live_server, base, **params)]

    assert ids() == ["Vendor 1", "Vendor 2"]
    assert ids(include_deleted="true") == ["Vendor 1", "Vendor 2", "Vendor 3"]
    assert ids(active="true") == ["Vendor 1"]
    assert ids(active="false") == ["Vendor 2"]
    assert ids(active="all") == ["Vendor 1", "Vendor 2"]
    # 2024-03-01T10:00-08:00 is 18:00 UTC.
    assert ids(modified_since="2024-03-01T18:00:00Z", include_deleted="true") == [
        "Vendor 2",
        "Vendor 3",
    ]
    assert ids(modified_since="2024-03-01T18:00:01+00:00", include_deleted="true") == ["Vendor 3"]
    assert ids(modified_since="2024-03-01T10:00:00-08:00") == ["Vendor 2"]
    assert ids(modified_since="2024-03-01") == ["Vendor 2"]

    record = walk(live_server, base, active="true")[0]
    assert record["list_id"] == vendor(1)["ListID"]
    assert record["edit_sequence"] == "1700000000"
    assert record["time_created"] == "2024-01-05T09:00:00-08:00"
    assert record["time_modified"] == "2024-02-01T10:00:00-08:00"
    assert record["is_active"] is True and record["is_deleted"] is False
    assert record["full_name"] == "Vendor 1"
    assert record["balance"] == "10.50"
    assert record["terms_list_id"] == "80000011-1700000000"
    assert record["qb"] == vendor(1, modified="2024-02-01T10:00:00-08:00")
    deleted = walk(live_server, base, include_deleted="true")[2]
    assert deleted["is_deleted"] is True and deleted["deleted_at"]


def test_transaction_shape_and_filters(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    bills = [
        bill(1, vendor_n=1, txn_date="2024-03-01"),
        bill(2, vendor_n=2, txn_date="2024-03-15"),
        bill(3, vendor_n=1, txn_date="2024-04-01"),
    ]
    store(db, cid, "bills", bills)
    store(db, cid, "bill_payment_checks", [bill_payment(1, [bills[0]["TxnID"]])])
    base = f"/api/companies/{cid}/records/bills"

    def refs(**params: Any) -> list[str]:
        return [r["ref_number"] for r in walk(live_server, base, **params)]

    assert refs() == ["INV-1", "INV-2", "INV-3"]
    assert refs(vendor=vendor(1)["ListID"]) == ["INV-1", "INV-3"]
    assert refs(**{"from": "2024-03-15"}) == ["INV-2", "INV-3"]
    assert refs(to="2024-03-15") == ["INV-1", "INV-2"]
    assert refs(**{"from": "2024-03-02", "to": "2024-03-31"}) == ["INV-2"]
    assert refs(vendor=vendor(2)["ListID"], to="2024-03-01") == []
    assert refs(vendor="no-such-vendor") == []

    first = walk(live_server, base, limit=1)[0]
    assert first["txn_id"] == bills[0]["TxnID"]
    assert first["txn_number"] == 1
    assert first["txn_date"] == "2024-03-01"
    assert first["due_date"] == "2024-04-09"
    assert first["vendor_list_id"] == vendor(1)["ListID"]
    assert first["amount"] == first["amount_due"] == first["open_amount"] == "261.50"
    assert first["is_paid"] is False
    assert first["ap_account_list_id"] == "80000004-1700000000"
    assert first["qb"] == bills[0]
    assert [ln["txn_line_id"] for ln in first["lines"]] == ["L1-0-0", "L1-0-1", "I1-0"]
    line = first["lines"][0]
    assert line["account_list_id"] == "80000020-1700000000"
    assert line["amount"] == "100.25" and line["memo"] == "line 0"
    assert line["class_list_id"] == "80000030-1700000000"
    assert line["customer_list_id"] == "80000050-1700000000"
    assert first["lines"][2]["item_list_id"] == "80000070-1700000000"
    assert first["lines"][2]["quantity"] == "3" and first["lines"][2]["cost"] == "20"
    assert first["linked_txns"] == [
        {
            "txn_id": bills[0]["LinkedTxn"][0]["TxnID"],
            "txn_type": "PurchaseOrder",
            "txn_date": "2024-03-01",
            "ref_number": "PO-1",
            "link_type": "QUANTYPE",
            "amount": "-60.00",
        }
    ]
    assert "applied_to" not in first

    _, body = get(live_server, f"/api/companies/{cid}/records/bill_payment_checks")
    payment = body["data"][0]
    assert payment["amount"] == "150.00"
    assert payment["bank_account_list_id"] == "80000001-1700000000"
    assert payment["applied_to"] == [
        {
            "txn_id": bills[0]["TxnID"],
            "txn_type": "Bill",
            "txn_date": "2024-03-10",
            "ref_number": "INV",
            "amount": "75.00",
            "balance_remaining": "0.00",
            "discount_amount": "1.50",
            "discount_account_list_id": "80000040-1700000000",
        }
    ]
    assert payment["lines"] == []


def test_pagination_is_stable_while_syncing(live_server: Any, db: Any) -> None:
    """Pages walked while a sync inserts and updates: every record that existed when the walk
    began comes exactly once; records inserted meanwhile come at most once."""
    cid = new_company(db)
    store(db, cid, "vendors", [vendor(n) for n in range(60)])
    stop = threading.Event()
    inserted: list[str] = []
    errors: list[BaseException] = []

    def sync() -> None:
        # Paced like a sync (one page per SOAP call): SQLite queues every transaction behind
        # the writer, so an unpaced loop would starve the reader there.
        n, edit = 1000, 1
        try:
            while not stop.is_set() and edit < 200:
                batch = [vendor(n + k) for k in range(3)]
                batch += [vendor(k, edit=edit) for k in range(0, 60, 7)]  # updates
                store(db, cid, "vendors", batch)
                inserted.extend(v["ListID"] for v in batch[:3])
                n, edit = n + 3, edit + 1
                time.sleep(0.01)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writer = threading.Thread(target=sync)
    writer.start()
    try:
        seen = walk(live_server, f"/api/companies/{cid}/records/vendors", limit=7)
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert inserted, "the writer never ran during the walk"
    ids = [r["list_id"] for r in seen]
    assert len(ids) == len(set(ids)), "a record came twice"
    originals = {vendor(n)["ListID"] for n in range(60)}
    assert originals <= set(ids), "a record that existed all along was skipped"
    assert set(ids) - originals <= set(inserted)


def test_change_feed_follows_inserts_updates_and_deletes(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    feed = f"/api/companies/{cid}/changes"
    status, body = get(live_server, feed)
    assert status == 200 and body["data"] == [] and body["has_more"] is False
    start = body["next_cursor"]

    store(db, cid, "vendors", [vendor(1), vendor(2)])
    store(db, cid, "bills", [bill(1)])
    status, body = get(live_server, feed, since=start)
    assert [(c["type"], c["id"], c["op"]) for c in body["data"]] == [
        ("vendors", vendor(1)["ListID"], "upsert"),
        ("vendors", vendor(2)["ListID"], "upsert"),
        ("bills", bill(1)["TxnID"], "upsert"),
    ]
    assert body["data"][2]["edit_sequence"] == "1710000000"
    assert all(c["at"] for c in body["data"])
    cursor = body["next_cursor"]

    status, body = get(live_server, feed, since=cursor)  # nothing new: same cursor back
    assert body["data"] == [] and body["next_cursor"] == cursor

    store(db, cid, "vendors", [vendor(1), vendor(2, edit=1)])  # one replay, one update
    in_tx(db, lambda s: mark_deleted(s, cid, "bills", [bill(1)["TxnID"]]))
    status, body = get(live_server, feed, since=cursor)
    assert [(c["id"], c["op"], c["edit_sequence"]) for c in body["data"]] == [
        (vendor(2)["ListID"], "upsert", "1700000001"),
        (bill(1)["TxnID"], "delete", "1710000000"),
    ]
    latest = get(live_server, feed, since="latest")[1]
    assert latest["data"] == [] and latest["next_cursor"] == body["next_cursor"]

    # Small pages: has_more until the end, and no entry twice or missing.
    collected: list[int] = []
    cursor = start
    while True:
        status, body = get(live_server, feed, since=cursor, limit=2)
        collected.extend(c["seq"] for c in body["data"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert collected == [1, 2, 3, 4, 5]


def test_change_feed_has_no_gaps_under_concurrent_writers(live_server: Any, db: Any) -> None:
    """Two writers for one company (as if a lease expired under a slow call) and a reader
    following the feed: the reader sees every change once, in order, with no gap."""
    cid = new_company(db)
    feed = f"/api/companies/{cid}/changes"
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for round_ in range(6):
                base = offset + round_ * 5
                store(db, cid, "vendors", [vendor(base + k) for k in range(5)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(o,)) for o in (0, 10_000)]
    for w in writers:
        w.start()
    seen: list[int] = []
    cursor = ""
    while True:
        finished = not any(w.is_alive() for w in writers)
        status, body = get(live_server, feed, since=cursor, limit=7)
        assert status == 200
        seen.extend(c["seq"] for c in body["data"])
        cursor = body["next_cursor"]
        if finished and not body["has_more"] and not body["data"]:
            break
    for w in writers:
        w.join()
    assert not errors
    assert seen == list(range(1, 61))


def test_company_status_shows_record_counts(live_server: Any, db: Any) -> None:
    cid = new_company(db)
    store(db, cid, "vendors", [vendor(n) for n in range(4)])
    status, body, _ = api(live_server.url, "GET", f"/api/companies/{cid}")
    assert status == 200
    assert body["record_counts"]["vendors"] == 4
    assert body["record_counts"]["bills"] == 0

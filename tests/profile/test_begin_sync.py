"""Begin Sync (issue 11 item 3): a company created with ``confirm_binding`` (the default) does not
bind on first contact. That session reads the open file's identity (name, path, product, vendor
and bill counts), ends without syncing and says so to the Web Connector in the help catalog's
words; a person confirms (``POST .../binding/confirm``: the next run syncs) or rejects it
(``DELETE .../binding``: forgotten). Driven by the simulator through the real app."""

from __future__ import annotations

from typing import Any

from qbwc_server.help import catalog
from qbwc_server.sim.quickbooks import FakeQuickBooks
from qbwc_server.sim.report import Outcome
from tests.profile.helpers import status_of
from tests.profile.test_progress import run_cli
from tests.sync.expected import fake_records
from tests.sync.helpers import Rig, compare_all, first_txn_date, generate_current, make_rig

WAITING_WORDS = catalog.web_connector_text("waiting_for_confirmation")


def _rig(inproc_app: Any, request_schema: Any, seed: int = 5, **extra: Any) -> Rig:
    app, api = inproc_app()
    company = generate_current("tiny", seed=seed)
    return make_rig(
        app=app,
        api=api,
        qb=FakeQuickBooks(company, product_name="QuickBooks Premier 2024"),
        schema=request_schema,
        history_start=first_txn_date(company),
        confirm_binding=True,
        **extra,
    )


def _company(rig: Rig) -> dict[str, Any]:
    return dict(rig.api.get(f"/api/companies/{rig.company_id}"))


def test_new_companies_confirm_their_file_unless_told_otherwise(inproc_app: Any) -> None:
    _, api = inproc_app()
    status, created = api.request("POST", "/api/companies", {"name": "Default Co"})
    assert status == 201 and created["binding"]["confirm_binding"] is True
    status, auto = api.request(
        "POST", "/api/companies", {"name": "Auto Co", "confirm_binding": False}
    )
    assert status == 201 and auto["binding"]["confirm_binding"] is False
    status, body = api.request(
        "POST", "/api/companies", {"name": "Bad Co", "confirm_binding": "yes"}
    )
    assert status == 422 and body["error"]["field"] == "confirm_binding"
    status, patched = api.request(
        "PATCH", f"/api/companies/{auto['id']}", {"confirm_binding": True}
    )
    assert status == 200 and patched["binding"]["confirm_binding"] is True


def test_begin_sync_full_flow(inproc_app: Any, request_schema: Any) -> None:
    rig = _rig(inproc_app, request_schema)
    company = rig.company

    # First contact: the file's identity, no data, and the Web Connector is told in words.
    report = rig.run_session(expect=Outcome.SERVER_ERROR)
    assert report.errors and report.errors[0] == WAITING_WORDS, report.errors
    assert "Company Profile" in WAITING_WORDS and "Begin Sync" in WAITING_WORDS
    assert len(report.requests) == 1 and "MetaDataOnly" in report.requests[0]
    assert report.records_by_type == {}, "no record may be read before the file is confirmed"

    view = _company(rig)
    shown = view["status"]
    assert shown["state"] == "Waiting for confirmation"
    assert shown["problem"]["code"] == "waiting_for_confirmation"
    entry = catalog.lookup("waiting_for_confirmation")
    assert entry is not None
    assert shown["problem"]["steps"] == list(entry.steps)
    pending = view["binding"]["pending"]
    assert view["binding"]["bound"] is False
    assert pending["company_name"] == company.info["CompanyName"]
    assert pending["file_path"] == report.company_path and pending["file_path"]
    assert pending["product"] == "QuickBooks Premier 2024" and pending["version"]
    assert pending["vendor_count"] == len(fake_records(company, "vendors")) > 0
    assert pending["bill_count"] == len(fake_records(company, "bills")) > 0
    assert pending["seen_at"]
    assert view["streams"] == [] or all(s["records"] in (0, None) for s in view["streams"])

    # Until someone decides, the Web Connector is told there is nothing to do, and why.
    waiting = rig.run_session(expect=Outcome.NONE)
    assert waiting.auth_status == "none" and not waiting.requests
    assert waiting.postpone_seconds is not None and waiting.postpone_seconds >= 60
    assert status_of(rig)["state"] == "Waiting for confirmation"

    # Begin Sync.
    status, confirmed = rig.api.request("POST", f"/api/companies/{rig.company_id}/binding/confirm")
    assert status == 200, confirmed
    bound = confirmed["binding"]
    assert bound["bound"] is True and bound["pending"] is None
    assert bound["company_name"] == company.info["CompanyName"]
    assert bound["file_path"] == pending["file_path"]
    assert confirmed["status"]["problem"] is None
    status, again = rig.api.request("POST", f"/api/companies/{rig.company_id}/binding/confirm")
    assert status == 409 and again["error"]["field"] == "binding"

    for _ in range(5):
        rig.run_session()
        if status_of(rig)["state"] == "Connected to Server":
            break
    assert status_of(rig)["state"] == "Connected to Server"
    compare_all(rig).assert_equal()


def test_rejecting_the_file_forgets_it_and_the_next_run_reads_the_open_file_again(
    inproc_app: Any, request_schema: Any
) -> None:
    rig = _rig(inproc_app, request_schema, seed=6)
    rig.run_session(expect=Outcome.SERVER_ERROR)
    status, rejected = rig.api.request("DELETE", f"/api/companies/{rig.company_id}/binding")
    assert status == 200, rejected
    assert rejected["binding"]["pending"] is None and rejected["binding"]["bound"] is False
    assert rejected["status"]["state"] != "Waiting for confirmation"
    assert rejected["status"]["problem"] is None
    status, body = rig.api.request("POST", f"/api/companies/{rig.company_id}/binding/confirm")
    assert status == 409, body

    # The next run reads the open file again and waits again; nothing synced meanwhile.
    report = rig.run_session(expect=Outcome.SERVER_ERROR)
    assert report.records_by_type == {}
    assert status_of(rig)["state"] == "Waiting for confirmation"

    # Reset binding of a bound company: the next first contact waits for a person again.
    assert rig.api.request("POST", f"/api/companies/{rig.company_id}/binding/confirm")[0] == 200
    rig.run_session()
    assert _company(rig)["binding"]["bound"] is True
    assert rig.api.request("DELETE", f"/api/companies/{rig.company_id}/binding")[0] == 200
    rig.run_session(expect=Outcome.SERVER_ERROR)
    assert status_of(rig)["state"] == "Waiting for confirmation"


def test_a_company_without_confirmation_binds_at_first_contact(
    inproc_app: Any, request_schema: Any
) -> None:
    app, api = inproc_app()
    company = generate_current("tiny", seed=7)
    rig = make_rig(
        app=app, api=api, qb=FakeQuickBooks(company), schema=request_schema,
        history_start=first_txn_date(company), confirm_binding=False,
    )  # fmt: skip
    rig.run_session()
    view = _company(rig)
    assert view["binding"]["bound"] is True and view["binding"]["pending"] is None
    assert view["binding"]["product"] == "QuickBooks Enterprise Solutions 24.0"


def test_unknown_company_and_bad_ids_on_the_binding_routes(inproc_app: Any) -> None:
    _, api = inproc_app()
    for method, path in (
        ("POST", "/api/companies/999999/binding/confirm"),
        ("DELETE", "/api/companies/999999/binding"),
        ("POST", "/api/companies/x/binding/confirm"),
    ):
        status, body = api.request(method, path)
        assert status == 404 and body["error"]["field"] == "company_id", (path, body)


def test_company_show_prints_the_file_waiting_for_confirmation_and_confirms_it(
    inproc_app: Any, request_schema: Any, database_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    rig = _rig(inproc_app, request_schema, seed=8)
    rig.run_session(expect=Outcome.SERVER_ERROR)
    pending = _company(rig)["binding"]["pending"]
    text = run_cli(["company", "show", str(rig.company_id)])
    assert "status:          Waiting for confirmation" in text
    assert f"waiting for confirmation: {pending['company_name']} ({pending['file_path']})" in text
    assert f"{pending['vendor_count']} vendors, {pending['bill_count']} bills" in text
    assert "problem:         Waiting for confirmation of the company file" in text
    assert "sync window:     any time" in text

    done = run_cli(["company", "confirm-binding", str(rig.company_id)])
    assert "the next Web Connector run syncs" in done
    view = _company(rig)
    assert view["binding"]["bound"] is True
    text = run_cli(["company", "show", str(rig.company_id)])
    assert f"company file:    {pending['company_name']} ({pending['file_path']})" in text

"""End to end over HTTP: company via the API, its .qwc, and QBWC-shaped sessions."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from models import Company, QbwcSession, Ticket, utcnow
from qbwc_server.help import catalog
from tests.foundation.helpers import (
    QbwcSessionDriver,
    api,
    create_company,
    make_hcp,
    qwc_fields,
    run_to_end,
)


def _owner_id(server: Any) -> str:
    status, text, _ = api(server.url, "GET", "/api/companies/1/qwc")
    assert status == 200
    return text.split("<OwnerID>")[1].split("</OwnerID>")[0]


def test_full_session_binds_company_file_and_ends_cleanly(live_server: Any) -> None:
    company = create_company(live_server.url, "Acme Supplies")
    qwc = qwc_fields(live_server.url, company["id"])
    assert qwc["AppURL"] == live_server.qbwc_url
    assert qwc["UserName"] == company["username"]
    assert company["connector_key"] not in "".join(qwc.values())

    wc = QbwcSessionDriver(qwc["AppURL"])
    assert wc.server_version()
    assert wc.client_version("2.3.0.215") == ""
    answer = wc.authenticate(qwc["UserName"], company["connector_key"])
    assert len(answer[0]) >= 32 and answer[1] == ""
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"], company_name="Acme Supplies")
    progress = run_to_end(wc, hcp)
    assert progress and progress[-1] == 100
    assert progress == sorted(progress)
    assert wc.close() == "Sync complete."

    status, view, _ = api(live_server.url, "GET", f"/api/companies/{company['id']}")
    assert status == 200
    assert view["binding"]["bound"] is True
    assert view["binding"]["company_name"] == "Acme Supplies"
    assert view["binding"]["file_path"] == r"C:\QB\Acme.QBW"
    assert view["status"]["connected"] is True
    assert view["status"]["state"] == "Connected to Server"
    assert view["status"]["last_session_outcome"] == "completed"
    assert view["quickbooks"]["product"] == "QuickBooks Pro 2014"
    assert view["recent_sessions"][0]["client_version"] == "2.3.0.215"

    # Right after a complete sync there is nothing to do: "none" with a postpone.
    wc2 = QbwcSessionDriver(qwc["AppURL"])
    answer = wc2.authenticate(qwc["UserName"], company["connector_key"])
    assert answer[1] == "none"
    assert int(answer[2]) >= 60
    assert wc2.close()


def test_another_companys_file_is_refused_with_a_readable_reason(live_server: Any) -> None:
    acme = create_company(live_server.url, "Acme Supplies")
    other = create_company(live_server.url, "Globex Holdings")
    acme_qwc = qwc_fields(live_server.url, acme["id"])
    other_qwc = qwc_fields(live_server.url, other["id"])

    # First bind Acme to its own file.
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(acme["username"], acme["connector_key"])
    run_to_end(wc, make_hcp(owner_id=acme_qwc["OwnerID"], file_id=acme_qwc["FileID"]))
    wc.close()
    api(live_server.url, "PATCH", f"/api/companies/{acme['id']}", {"sync_interval_minutes": 0})

    # Now Globex's file is open in QuickBooks while Acme's connector runs.
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(acme["username"], acme["connector_key"])[1] == ""
    hcp = make_hcp(
        owner_id=other_qwc["OwnerID"], file_id=other_qwc["FileID"], company_name="Globex Holdings"
    )
    assert wc.send_request(hcp, path=r"C:\QB\Globex.QBW") == ""
    reason = wc.last_error()
    wrong_file = catalog.lookup("wrong_company_file")
    assert wrong_file is not None and reason.startswith(wrong_file.sentence)
    assert "Acme Supplies" in reason and "Globex" not in reason  # never another company's name
    assert reason.endswith(wrong_file.advice)
    assert wc.close() == reason

    status, view, _ = api(live_server.url, "GET", f"/api/companies/{acme['id']}")
    assert view["status"]["last_session_outcome"] == "wrong_file"
    assert "another company on this server" in view["status"]["last_error"]
    assert "Globex Holdings" not in view["status"]["last_error"]
    assert view["binding"]["company_name"] == "Acme Supplies"  # binding unchanged

    # An operator resets the binding; the next session binds whatever file is open.
    status, _, _ = api(live_server.url, "DELETE", f"/api/companies/{acme['id']}/binding")
    assert status == 200
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(acme["username"], acme["connector_key"])
    unstamped = make_hcp(owner_id=None, file_id=None, company_name="Acme Restored")
    assert run_to_end(wc, unstamped)[-1] == 100
    wc.close()


def test_wrong_key_gets_nvu_and_is_throttled(server_factory: Any) -> None:
    server = server_factory(QBWC_LOGIN_FAILURE_LIMIT=3)
    company = create_company(server.url)
    for _ in range(3):
        wc = QbwcSessionDriver(server.qbwc_url)
        assert wc.authenticate(company["username"], "QBWC-WRONG")[1] == "nvu"
        wc.close()  # QBWC calls closeConnection even after nvu; it must not fault
    # Throttled now for this user name from this address (never the company's connector's):
    # even the right key is not looked at (tests/security/test_login_throttle.py has the rest).
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == "nvu"
    unknown = QbwcSessionDriver(server.qbwc_url)
    assert unknown.authenticate("no-such-user", company["connector_key"])[1] == "nvu"


def test_key_is_accepted_with_spaces_and_lower_case(live_server: Any) -> None:
    company = create_company(live_server.url)
    sloppy = "  " + company["connector_key"].lower().replace("-", " ") + " "
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(company["username"], sloppy)[1] == ""


def test_rotated_key_invalidates_old_key_and_live_tickets(live_server: Any) -> None:
    company = create_company(live_server.url)
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""

    status, rotated, _ = api(
        live_server.url, "POST", f"/api/companies/{company['id']}/connector-key"
    )
    assert status == 200 and rotated["connector_key"] != company["connector_key"]

    # The live ticket of the old key stops working at once.
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"])
    assert wc.send_request(hcp) == ""
    assert "Connector Key" in wc.last_error()
    assert wc.receive("<QBXML/>") == -1

    old = QbwcSessionDriver(live_server.qbwc_url)
    assert old.authenticate(company["username"], company["connector_key"])[1] == "nvu"
    new = QbwcSessionDriver(live_server.qbwc_url)
    assert new.authenticate(company["username"], rotated["connector_key"])[1] == ""
    assert run_to_end(new, hcp)[-1] == 100


def test_expired_and_unknown_tickets_are_answered_gracefully(live_server: Any, db: Any) -> None:
    company = create_company(live_server.url)
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    with db.transaction() as s:
        s.execute(update(Ticket).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert wc.send_request(make_hcp(owner_id=None, file_id=None)) == ""
    assert "expired" in wc.last_error()
    assert wc.receive("") == -1
    assert wc.connection_error("0x80040408", "Could not start QuickBooks.") == "done"
    assert wc.close()

    stranger = QbwcSessionDriver(live_server.qbwc_url)
    stranger.ticket = "not-a-ticket"
    assert stranger.send_request("") == ""
    assert "does not know this Web Connector session" in stranger.last_error()
    assert stranger.close()


def test_two_connectors_at_once_only_one_syncs(server_factory: Any, db: Any) -> None:
    server = server_factory(QBWC_SYNC_LEASE_SECONDS=30)
    company = create_company(server.url, sync_interval_minutes=0)
    qwc = qwc_fields(server.url, company["id"])
    answers: list[list[str]] = []
    lock = threading.Lock()

    def connect() -> None:
        wc = QbwcSessionDriver(server.qbwc_url)
        a = wc.authenticate(company["username"], company["connector_key"])
        with lock:
            answers.append(a)

    threads = [threading.Thread(target=connect) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a[1] for a in answers)
    assert statuses == ["", "none", "none", "none"], answers
    assert all(int(a[2]) >= 1 for a in answers if a[1] == "none")

    # The winner's lease lapses without calls (crashed PC): another connector takes over.
    with db.transaction() as s:
        s.execute(update(Company).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    wc = QbwcSessionDriver(server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"])
    assert run_to_end(wc, hcp)[-1] == 100
    wc.close()
    with db.transaction() as s:
        outcomes = [r.outcome for r in s.scalars(select(QbwcSession))]
    assert outcomes.count("completed") == 1


def test_connection_error_retries_with_known_path_once_then_done(live_server: Any) -> None:
    company = create_company(live_server.url, sync_interval_minutes=0)
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    run_to_end(wc, make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"]))
    wc.close()

    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    msg = "QuickBooks is not running and no company file was specified."
    assert wc.connection_error("0x80040416", msg) == r"C:\QB\Acme.QBW"
    assert wc.connection_error("0x80040416", msg) == "done"
    _, view, _ = api(live_server.url, "GET", f"/api/companies/{company['id']}")
    assert "not running" in view["status"]["last_error"]
    assert view["status"]["last_session_outcome"] == "connection_error"
    assert view["recent_sessions"][0]["hresults"][0]["hresult"] == "0x80040416"

    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(company["username"], company["connector_key"])
    assert wc.connection_error("0x80040418", "first access") == "done"
    assert wc.close()

"""The pieces of admission under overload (``soap/admission.py``, ``services/outages.py``),
on the suite's backend; ``test_overload.py`` runs them together on a real server."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import QueuePool

from models import Company
from qbwc_server.services import outages
from qbwc_server.services.companies import create_company
from qbwc_server.services.problems import needs_attention
from qbwc_server.soap import admission


def _request(action: str | None) -> bytes:
    head = b"POST /qbwc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n"
    if action is not None:
        head += f"SOAPAction: {action}\r\n".encode()
    return head + b"Content-Length: 10\r\n\r\n<x/>"


def test_the_soap_action_names_the_method() -> None:
    assert admission.soap_action(_request('"http://developer.intuit.com/authenticate"')) == (
        b"authenticate"
    )
    assert admission.soap_action(_request("http://developer.intuit.com/serverVersion")) == (
        b"serverversion"
    )
    assert admission.soap_action(_request(None)) is None
    assert admission.soap_action(b"POST /qbwc HTTP/1.1\r\nSOAPAc") is None  # head not all there
    opener = admission.soap_action(_request('"http://developer.intuit.com/sendRequestXML"'))
    assert opener not in admission.SESSION_OPENERS


def test_the_shed_lane_takes_openers_and_the_close_of_a_shed_none_only() -> None:
    def close(body: bytes) -> bytes:
        return _request('"http://developer.intuit.com/closeConnection"').replace(b"<x/>", body)

    assert admission.sheddable(_request('"http://developer.intuit.com/authenticate"'))
    assert admission.sheddable(close(b'<closeConnection xmlns="t"><ticket></ticket>'))
    assert admission.sheddable(close(b"<tns:closeConnection><tns:ticket />"))
    assert not admission.sheddable(close(b"<closeConnection><ticket>abc123</ticket>"))
    assert not admission.sheddable(_request('"http://developer.intuit.com/sendRequestXML"'))
    assert not admission.sheddable(_request(None))


def test_busy_answer_is_none_with_a_spread_postpone() -> None:
    answers = [admission.busy_answer() for _ in range(200)]
    assert {a[1] for a in answers} == {"none"}
    postpones = {int(a[2]) for a in answers}
    low, high = admission.SHED_POSTPONE_SECONDS
    assert min(postpones) >= low and max(postpones) <= high and len(postpones) > 10


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _error(message: str, sqlstate: str | None, cls: Any = sa_exc.OperationalError) -> Exception:
    return cls("SELECT 1", {}, _Orig(message, sqlstate))  # type: ignore[no-any-return]


def test_failures_are_told_apart() -> None:
    assert admission.failure_kind(_error("canceling statement due to lock timeout", "55P03")) == (
        "busy"
    )
    assert admission.failure_kind(_error("statement timeout", "57014")) == "busy"
    assert admission.failure_kind(_error("database is locked", None)) == "busy"  # SQLite
    assert admission.failure_kind(sa_exc.TimeoutError("QueuePool limit")) == "busy"
    assert admission.failure_kind(_error("connection failed: refused", None)) == "unavailable"
    assert admission.failure_kind(_error("terminating connection", "57P01")) == "unavailable"
    assert admission.failure_kind(_error("server closed the connection", "08006")) == (
        "unavailable"
    )
    assert admission.failure_kind(_error("duplicate key", "23505", sa_exc.IntegrityError)) == (
        "error"
    )
    assert admission.failure_kind(ValueError("a bug")) == "error"


def test_an_unreachable_database_is_noted_a_saturated_one_is_not() -> None:
    outages.take()
    answer = admission.failed_answer(_error("connection failed", None), "someone")
    assert answer[:2] == ["", "none"] and int(answer[2]) > 0
    assert outages.pending()
    outages.take()
    admission.failed_answer(_error("lock timeout", "55P03"), "someone")
    assert not outages.pending()


def test_pool_saturated_when_every_connection_is_checked_out(tmp_path: Any) -> None:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pool.db'}", poolclass=QueuePool, pool_size=1, max_overflow=1
    )
    try:
        assert not admission.pool_saturated(engine)
        first = engine.connect()
        assert not admission.pool_saturated(engine)
        second = engine.connect()
        assert admission.pool_saturated(engine)
        second.close()
        assert not admission.pool_saturated(engine)
        first.close()
    finally:
        engine.dispose()


def test_an_outage_is_written_onto_the_companies_that_polled(db: Any) -> None:
    with db.transaction() as session:
        polled = create_company(session, "Polled Co").company
        quiet = create_company(session, "Quiet Co").company
        session.flush()
        polled_id, quiet_id, username = polled.id, quiet.id, polled.username
    outages.take()
    outages.note_unavailable(username)
    outages.note_unavailable(username)
    outages.note_unavailable("nobody-by-this-name")
    outages.flush(db, now=True)
    assert not outages.pending()
    with db.transaction() as session:
        polled_row = session.get(Company, polled_id)
        quiet_row = session.get(Company, quiet_id)
        assert polled_row is not None and quiet_row is not None
        assert polled_row.problem_code == outages.PROBLEM
        assert "2 Web Connector polls were told to come back later" in (polled_row.last_error or "")
        assert quiet_row.problem_code is None
    assert not needs_attention(outages.PROBLEM)  # the next run resolves it


def test_flush_keeps_the_notes_while_the_database_is_away(tmp_path: Any) -> None:
    from qbwc_server.db import Database

    gone = Database(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    outages.take()
    outages.note_unavailable("someone")
    outages.flush(gone, now=True)
    assert outages.pending()
    assert "someone" in outages.take()


def test_bound_waits_sets_local_timeouts_on_postgresql_only(db: Any) -> None:
    postgres = db.engine.dialect.name == "postgresql"
    with db.transaction() as session:
        admission.bound_waits(session)  # SQLite: nothing to set (busy_timeout per connection)
        if postgres:
            assert session.execute(text("SHOW lock_timeout")).scalar() == admission.LOCK_WAIT
            wait = session.execute(text("SHOW statement_timeout")).scalar()
            assert wait == admission.STATEMENT_WAIT
    if postgres:  # SET LOCAL: gone with the transaction
        with db.transaction() as session:
            assert session.execute(text("SHOW lock_timeout")).scalar() == "0"


def _spyne_answer(db: Any, database_url: str, method: str, params: list[Any]) -> bytes:
    """What spyne writes for ``method`` in-process (the normal path, not shedding)."""
    from qbwc_server.app import create_app
    from qbwc_server.sim.wsgi_transport import WsgiTransport
    from tests.conftest import make_settings
    from tests.soap_util import envelope

    transport = WsgiTransport(create_app(make_settings(database_url, 8000), db))
    headers = {"SOAPAction": f'"http://developer.intuit.com/{method}"'}
    status, _, body = transport("/qbwc", envelope(method, params), headers)
    assert status == 200
    return body


def test_the_shed_answers_are_what_spyne_writes(db: Any, database_url: str) -> None:
    server = _spyne_answer(db, database_url, "serverVersion", [])
    assert admission.shed_response('"http://developer.intuit.com/serverVersion"') == server
    client = _spyne_answer(db, database_url, "clientVersion", [("strVersion", "2.3.0.215")])
    assert admission.shed_response("http://developer.intuit.com/clientVersion") == client
    # spyne's authenticate answer for a wrong key, ["", "nvu"]; ours is ["", "none", "120"].
    nvu = _spyne_answer(
        db, database_url, "authenticate", [("strUserName", "x"), ("strPassword", "y")]
    )
    shed = admission.shed_response('"http://developer.intuit.com/authenticate"', postpone=120)
    none = b"<tns:string>none</tns:string><tns:string>120</tns:string>"
    assert shed == nvu.replace(b"<tns:string>nvu</tns:string>", none)
    assert admission.shed_response('"http://developer.intuit.com/sendRequestXML"') is None


def test_the_simulated_web_connector_reads_a_shed_answer() -> None:
    from qbwc_server.sim.soap_client import SoapClient

    def shed_transport(path: str, body: bytes, headers: dict[str, str]) -> Any:
        answer = admission.shed_response(headers["SOAPAction"])
        assert answer is not None
        return 200, "text/xml; charset=utf-8", answer

    client = SoapClient("http://x/qbwc", transport=shed_transport)
    ticket, word, postpone = client.authenticate("someone", "key")
    assert (ticket, word) == ("", "none") and 60 <= int(postpone) <= 180
    assert client.client_version("2.3.0.215") == ""
    assert client.server_version().startswith("qbwc-server ")
    assert client.close_connection("") == admission.SHED_CLOSE

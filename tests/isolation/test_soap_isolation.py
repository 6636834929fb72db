"""Through SOAP, a key or ticket of one company never reaches another company's data; tickets
are unguessable, expire, and die with a rotated key or a closed session."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from models import QbwcSession, RecordChange, StreamCursor, Ticket, utcnow
from qbwc_server.help import catalog
from tests.foundation.helpers import QbwcSessionDriver, empty_answer
from tests.isolation.conftest import SecretsWatch, World
from tests.soap_util import call, make_hcp
from tests.sync.expected import fake_records

# What the Web Connector is told and the profile shows: the help catalog's words.
WRONG_FILE = catalog.lookup("wrong_company_file").title  # type: ignore[union-attr]


def hcp_for(world: World, rig: Any) -> str:
    """What QuickBooks answers about the open file when ``rig``'s company file is open."""
    return make_hcp(
        owner_id=rig.qwc.owner_id, file_id=rig.qwc.file_id, company_name=rig.company.company_name
    )


class Connectors:
    """Opens Web Connector sessions and closes every one of them at the end of the test, so a
    failing test does not leave a company's sync lease held for the next."""

    def __init__(self, world: World, watch: SecretsWatch) -> None:
        self.world, self.watch = world, watch
        self.opened: list[QbwcSessionDriver] = []

    def open(self, rig: Any) -> QbwcSessionDriver:
        driver = QbwcSessionDriver(self.world.server.qbwc_url)
        answer = driver.authenticate(rig.qwc.username, rig.connector_key)
        self.watch.add(driver.ticket)
        self.opened.append(driver)
        assert answer[1] not in ("nvu", "none", "busy"), answer
        return driver

    def open_new(self, name: str) -> tuple[QbwcSessionDriver, dict[str, Any]]:
        """A session of a company of its own (for tests that leave its ticket unusable, which
        keeps the company's sync lease until it lapses)."""
        status, company = self.world.api.request(
            "POST", "/api/companies", {"name": name, "confirm_binding": False}
        )
        assert status == 201, company
        self.watch.add(company["connector_key"])
        driver = QbwcSessionDriver(self.world.server.qbwc_url)
        answer = driver.authenticate(company["username"], company["connector_key"])
        self.watch.add(driver.ticket)
        self.opened.append(driver)
        assert answer[1] not in ("nvu", "none", "busy"), answer
        return driver, dict(company)

    def close_all(self) -> None:
        for driver in self.opened:
            if driver.ticket:
                call(driver.url, "closeConnection", [("ticket", driver.ticket)])


@pytest.fixture
def connectors(world: World, secrets_watch: SecretsWatch) -> Iterator[Connectors]:
    opened = Connectors(world, secrets_watch)
    yield opened
    opened.close_all()


def company_state(db: Any, company_id: int) -> tuple[Any, ...]:
    """What a SOAP call could change of a company's synced data."""
    with db.transaction() as s:
        changes = s.scalar(
            select(func.count())
            .select_from(RecordChange)
            .where(RecordChange.company_id == company_id)
        )
        cursors = sorted(
            (c.stream, str(c.watermark), c.phase, c.records_seen, c.pages)
            for c in s.scalars(select(StreamCursor).where(StreamCursor.company_id == company_id))
        )
        sessions = s.scalar(
            select(func.count())
            .select_from(QbwcSession)
            .where(QbwcSession.company_id == company_id)
        )
    return changes, tuple(cursors), sessions


def test_a_key_opens_only_its_own_company(world: World, secrets_watch: SecretsWatch) -> None:
    a, b = world.alpha, world.beta
    gamma_user = world.gamma["username"]
    db = world.server.app.rt.db
    with db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(Ticket))
    for user, key in (
        (b.qwc.username, a.connector_key),  # A's key with B's user name
        (a.qwc.username, b.connector_key),
        (gamma_user, a.connector_key),
        (a.qwc.username, world.gamma["connector_key"]),
    ):
        driver = QbwcSessionDriver(world.server.qbwc_url)
        assert driver.authenticate(user, key)[1] == "nvu", user
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == before


def test_a_ticket_only_ever_touches_its_own_company(world: World, connectors: Connectors) -> None:
    a, b = world.alpha, world.beta
    db = world.server.app.rt.db
    alpha = connectors.open(a)
    beta = connectors.open(b)
    assert alpha.ticket != beta.ticket
    # B's session asks its first question.
    b_request = beta.send_request(hcp_for(world, b))
    assert b_request
    b_before = company_state(db, b.company_id)
    # A's connector, holding A's ticket, answers B's question with B's file open: refused as
    # the wrong file, and A's ticket reaches nothing of B.
    assert alpha.send_request(hcp_for(world, b)) == ""
    assert alpha.last_error().startswith(WRONG_FILE)
    alpha.receive(empty_answer(b_request))  # an answer to B's request, on A's ticket
    alpha.close()
    assert company_state(db, b.company_id) == b_before
    # B's session goes on undisturbed to its end.
    progress = beta.receive(empty_answer(b_request))
    for _ in range(500):
        if progress >= 100 or progress < 0:
            break
        request = beta.send_request("")
        if not request:
            break
        progress = beta.receive(empty_answer(request))
    assert progress == 100
    beta.close()
    assert all(v["name"].startswith("B-") for v in b.records("vendors"))


def test_the_refusal_does_not_name_the_other_company(world: World, connectors: Connectors) -> None:
    """A's connector opened on B's file: the person at that PC sees B's file anyway; what our
    platform calls B, B's user name and B's data are not theirs to learn."""
    a, b = world.alpha, world.beta
    alpha = connectors.open(a)
    assert alpha.send_request(hcp_for(world, b)) == ""
    beta_view = world.api.get(f"/api/companies/{b.company_id}")
    texts = [alpha.last_error(), json.dumps(world.api.get(f"/api/companies/{a.company_id}"))]
    for text in texts:
        assert WRONG_FILE in text
        for foreign in (beta_view["name"], beta_view["username"], beta_view["file_id"]):
            assert foreign not in text, foreign


def test_tickets_are_unguessable(world: World, connectors: Connectors) -> None:
    tickets = []
    for rig in itertools.islice(itertools.cycle((world.alpha, world.beta)), 24):
        driver = connectors.open(rig)
        tickets.append(driver.ticket)
        driver.close()
    assert len(set(tickets)) == len(tickets)
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for ticket in tickets:
        assert len(ticket) >= 43 and set(ticket) <= alphabet, ticket  # >= 256 bits of base64url
        for hint in (world.alpha.qwc.username, world.beta.qwc.username, "Alpha", "Beta"):
            assert hint.lower() not in ticket.lower()
    # Observed entropy: the characters are spread evenly over the alphabet (6 bits each) ...
    counts = Counter("".join(tickets))
    total = sum(counts.values())
    per_char = -sum(n / total * math.log2(n / total) for n in counts.values())
    assert per_char > 5.5, per_char
    # ... and nothing is shared between tickets issued one after another (no counter, no clock).
    for first, second in itertools.pairwise(tickets):
        assert first[:4] != second[:4] or first[-4:] != second[-4:]
        assert sum(x == y for x, y in zip(first, second, strict=False)) < 10


def test_tickets_expire(world: World, connectors: Connectors) -> None:
    db = world.server.app.rt.db
    driver, _company = connectors.open_new("Expiring Epsilon")
    with db.transaction() as s:
        row = s.get(Ticket, driver.ticket)
        assert row is not None
        lifetime = row.expires_at - row.created_at
        assert lifetime == timedelta(seconds=world.server.settings.ticket_ttl_seconds)
        s.execute(
            update(Ticket)
            .where(Ticket.ticket == driver.ticket)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert driver.send_request("") == ""
    assert "expired" in driver.last_error()
    assert driver.receive(empty_answer('<?xml version="1.0"?><QBXML><QBXMLMsgsRq/></QBXML>')) < 0


def test_a_rotated_key_or_a_closed_session_kills_the_ticket(
    world: World, connectors: Connectors, secrets_watch: SecretsWatch
) -> None:
    closed = connectors.open(world.beta)
    closed.close()
    assert closed.send_request(hcp_for(world, world.beta)) == ""
    assert "closed" in closed.last_error()

    driver, delta = connectors.open_new("Rotating Delta")
    status, rotated = world.api.request("POST", f"/api/companies/{delta['id']}/connector-key")
    assert status == 200
    secrets_watch.add(rotated["connector_key"])
    assert driver.send_request("") == ""
    assert "Connector Key" in driver.last_error()


def test_a_companys_session_writes_only_its_own_operations(world: World) -> None:
    """A's Web Connector session carries A's queued write into A's file, never B's."""
    a, b = world.alpha, world.beta
    db = world.server.app.rt.db
    b_op_before = world.api.get(f"/api/companies/{b.company_id}/operations/{world.beta_op['id']}")
    a.run_session()
    a_op = world.api.get(f"/api/companies/{a.company_id}/operations/{world.alpha_op['id']}")
    assert a_op["state"] == "done", a_op
    names_in = {
        rig.company_id: {v["Name"] for _t, v in fake_records(rig.company, "vendors")}
        for rig in (a, b)
    }
    assert "Alpha Op Vendor" in names_in[a.company_id]
    assert "Alpha Op Vendor" not in names_in[b.company_id]
    assert "Beta Op Vendor" not in names_in[a.company_id]
    # B's operation was not touched by A's session, and B's data did not gain A's vendor.
    b_op_after = world.api.get(f"/api/companies/{b.company_id}/operations/{world.beta_op['id']}")
    assert b_op_after == b_op_before
    assert "Alpha Op Vendor" in {v["name"] for v in a.records("vendors")}
    assert "Alpha Op Vendor" not in {v["name"] for v in b.records("vendors")}
    with db.transaction() as s:
        sent = s.scalars(select(Ticket).where(Ticket.company_id == b.company_id)).all()
        assert all(t.company_id == b.company_id for t in sent)

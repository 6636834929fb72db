"""Two synced companies on one server, and a watch on every log line the suite produces.

``world``: companies Alpha and Beta, each synced completely over HTTP by the simulator's Web
Connector from its own fake QuickBooks file. Both files come from the same seed — the same
ListIDs and TxnIDs in both, as two companies restored from one template would have — and Beta's
vendors are renamed ``B-…`` (and its bills' memos say so), so any record of one company seen
through the other's route is recognisable. Each company has a queued operation. A third company,
Gamma, was never connected. Built once for the suite (a sync takes seconds); tests may run
sessions and queue operations, but never count on what another test did.

``secrets_watch``: every log record of the whole isolation suite (all loggers, DEBUG and up) is
kept; at the end none may contain a Connector Key, ticket, admin token or session cookie seen by
any test (tests register them with ``secrets_watch.add``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from qbwc_server.sim.quickbooks import FakeQuickBooks
from tests.conftest import ADMIN_TOKEN, LiveServer, _clean
from tests.sync.expected import fake_records
from tests.sync.helpers import Api, Rig, generate_current, make_rig

SEED = 21


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))  # message, args and any traceback
        except Exception as exc:  # a record that cannot even be formatted is still kept
            self.lines.append(f"{record.name} unformattable {record.msg!r} {record.args!r} {exc}")


@dataclass
class SecretsWatch:
    handler: _Keep
    secrets: set[str] = field(default_factory=set)

    def add(self, *values: str | None) -> None:
        """Watch for these values, also as they may be written normalised (a Connector Key is
        accepted whatever its case and dashes)."""
        for value in values:
            if value and len(value) >= 8:
                bare = value.replace("-", "")
                self.secrets.update({value, value.lower(), bare, bare.lower()})

    def leaks(self) -> list[tuple[str, str]]:
        found = []
        for line in self.handler.lines:
            lowered = line.lower()
            for secret in self.secrets:
                if secret.lower() in lowered:
                    masked = re.sub(re.escape(secret), "<SECRET>", line, flags=re.IGNORECASE)
                    found.append((secret[:6] + "…", masked[:300]))
        return found


@pytest.fixture(scope="package", autouse=True)
def secrets_watch() -> Iterator[SecretsWatch]:
    handler = _Keep()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    watch = SecretsWatch(handler)
    watch.add(ADMIN_TOKEN)
    try:
        yield watch
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert len(handler.lines) > 50, "the watch saw (almost) no logging: not a real check"
    leaks = watch.leaks()
    assert not leaks, f"secrets in the log: {leaks[:5]}"


@dataclass
class World:
    server: LiveServer
    api: Api
    alpha: Rig
    beta: Rig
    gamma: dict[str, Any]
    alpha_op: dict[str, Any]
    beta_op: dict[str, Any]


def _queue(api: Api, company_id: int, key: str, name: str) -> dict[str, Any]:
    status, op = api.request(
        "POST",
        f"/api/companies/{company_id}/operations",
        {"type": "vendor.create", "idempotency_key": key, "payload": {"name": name}},
    )
    assert status == 201, op
    return dict(op)


@pytest.fixture(scope="package")
def world(
    migrated_db: Any, database_url: str, secrets_watch: SecretsWatch, qbxml_schema: Any
) -> Iterator[World]:
    _clean(migrated_db)
    server = LiveServer(migrated_db, database_url)
    api = Api(base_url=server.url)
    alpha_file = generate_current("tiny", seed=SEED, company_name="Alpha QB File Ltd")
    beta_file = generate_current("tiny", seed=SEED, company_name="Beta QB File LLC")
    for _type, vendor in fake_records(beta_file, "vendors"):
        beta_file.edit("Vendor", vendor["ListID"], {"Name": ("B-" + vendor["Name"])[:41]})
    for _type, bill in fake_records(beta_file, "bills"):
        beta_file.edit("Bill", bill["TxnID"], {"Memo": "BETA bill"})
    rigs = []
    for name, file in (("Alpha Supplies", alpha_file), ("Beta Trading", beta_file)):
        rig = make_rig(
            app=server.app,
            api=api,
            qb=FakeQuickBooks(file),
            schema=qbxml_schema,
            qbwc_url=server.qbwc_url,
            name=name,
        )
        rig.run_session()
        secrets_watch.add(rig.connector_key)
        rigs.append(rig)
    status, gamma = api.request("POST", "/api/companies", {"name": "Gamma Never Connected"})
    assert status == 201
    secrets_watch.add(gamma["connector_key"])
    alpha, beta = rigs
    yield World(
        server=server,
        api=api,
        alpha=alpha,
        beta=beta,
        gamma=dict(gamma),
        alpha_op=_queue(api, alpha.company_id, "same-key", "Alpha Op Vendor"),
        beta_op=_queue(api, beta.company_id, "same-key", "Beta Op Vendor"),
    )
    server.close()

"""Issue 4, acceptance 1, 6, 7: a complete first sync equals QuickBooks, record for record."""

from __future__ import annotations

import time
from typing import Any

import pytest

from qbwc_server.sim.quickbooks.hcp import ALL_QBXML_VERSIONS
from qbwc_server.sim.report import Outcome
from tests.sync.expected import (
    ALL_STREAMS,
    TXN_STREAMS,
    fake_records,
)
from tests.sync.helpers import (
    SMALL_PAGES,
    compare_all,
    data_records_held,
    declared_version,
    first_txn_date,
    generate_current,
)


def test_history_all_syncs_every_record_of_every_type_over_http(
    http_rig: Any, request_schema: Any
) -> None:
    company = generate_current("tiny", seed=3)
    rig, _server = http_rig(company, "all", **SMALL_PAGES)
    started = time.perf_counter()
    report = rig.run_session()
    elapsed = time.perf_counter() - started

    result = compare_all(rig)
    result.assert_equal()
    # Not vacuous: every data type the generator makes is there, inactive records included.
    assert sum(result.compared.values()) == data_records_held(company) > 300
    generated = ("accounts", "vendors", "items", "customers", "bills", "bill_payment_checks",
                 "vendor_credits", "checks", "purchase_orders", "item_receipts")  # fmt: skip
    for stream in generated:
        assert result.compared[stream] > 0, stream
    inactive = [r for r in rig.records("vendors") if r["is_active"] is False]
    assert inactive and len(inactive) == sum(
        1 for _t, r in fake_records(company, "vendors") if not r.get("IsActive", True)
    )
    paid = [b for b in rig.records("bills") if b["linked_txns"]]
    assert paid, "bills paid by bill payments carry their LinkedTxn"
    assert all(p["applied_to"] for p in rig.records("bill_payment_checks"))

    streams = rig.streams()
    assert streams["currencies"]["mode"] == "skipped"
    assert "IsMultiCurrencyOn" in streams["currencies"]["skipped_reason"]
    for name in ALL_STREAMS:
        if name != "currencies":
            assert streams[name]["mode"] == "incremental", streams[name]
            assert streams[name]["last_error"] is None, streams[name]

    # Acceptance 6 and 7 hold for this session (checked by the rig) and were not vacuous.
    assert report.outcome == Outcome.COMPLETED
    assert len(report.progress) >= 50 and report.progress[-1] == 100
    assert len(set(report.progress)) > 10, report.progress
    if request_schema is not None:
        assert rig.validated_requests == report.requests_processed > 50
    print(
        f"\nfull sync over HTTP: {data_records_held(company)} records, "
        f"{report.round_trips} SOAP calls, {elapsed:.1f} s"
    )


def test_quickbooks_2014_gets_qbxml_13_requests_and_syncs_completely(inproc_rig: Any) -> None:
    """QuickBooks 2014 (qbXML 13.0 at most): every request declares and validates as 13.0."""
    company = generate_current("tiny", seed=43)
    versions = tuple(v for v in ALL_QBXML_VERSIONS if float(v) <= 13.0)
    rig = inproc_rig(
        company,
        first_txn_date(company),
        quickbooks={"supported_versions": versions, "product_name": "QuickBooks Pro 2014"},
    )
    report = rig.run_session()
    assert report.qbxml_version == "13.0"
    assert {declared_version(r) for r in report.requests} == {"13.0"}
    compare_all(rig).assert_equal()


@pytest.mark.parametrize(
    "options",
    [{"multicurrency": True}, {"inventory": False}],
    ids=["multicurrency", "no-inventory"],
)
def test_company_preferences_decide_which_streams_sync(
    inproc_rig: Any, options: dict[str, bool]
) -> None:
    company = generate_current(
        "tiny",
        seed=5,
        multicurrency=options.get("multicurrency", False),
        inventory=options.get("inventory", True),
    )
    rig = inproc_rig(company, "all")
    rig.run_session()
    compare_all(rig).assert_equal()

    streams = rig.streams()
    if options.get("multicurrency"):
        currencies = rig.records("currencies")
        assert len(currencies) == len(company.records("Currency")) > 1
        foreign = [
            t
            for name in TXN_STREAMS
            for t in rig.records(name)
            if t["currency_list_id"] is not None
        ]
        assert foreign, "transactions of foreign-currency vendors carry their currency"
        assert streams["currencies"]["mode"] == "incremental"
        assert streams["currencies"]["skipped_reason"] is None
    else:
        assert rig.records("purchase_orders") == [] and rig.records("item_receipts") == []
        for name in ("purchase_orders", "item_receipts"):
            assert streams[name]["mode"] == "skipped", streams[name]
            assert "IsUsingInventory" in streams[name]["skipped_reason"], streams[name]
        assert streams["bills"]["mode"] == "incremental"
        # Without multicurrency no record carries a currency.
        assert all(b["currency_list_id"] is None for b in rig.records("bills"))

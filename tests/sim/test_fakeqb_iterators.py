"""Iterators (protocol doc §6.4): Start/Continue/Stop, remaining counts, death with the session."""

from __future__ import annotations

import pytest

from qbwc_server.sim.quickbooks import CompanyFile, QBRequestError

from .fakeqb_support import FILE_ID, OWNER_ID, ask_one, ids, open_fake, status


def _continue(iterator_id: str, size: int = 7) -> str:
    return (
        f'<BillQueryRq requestID="c" iterator="Continue" iteratorID="{iterator_id}">'
        f"<MaxReturned>{size}</MaxReturned></BillQueryRq>"
    )


@pytest.mark.parametrize("page_size", [1, 7, 1000])
def test_iterate_to_exhaustion_with_correct_remaining_counts(page_size: int) -> None:
    company = CompanyFile.generate(seed=5, profile="tiny")
    total = len(company.records("Bill"))
    fake = open_fake(company)
    rs = ask_one(
        fake,
        f'<BillQueryRq requestID="s" iterator="Start"><MaxReturned>{page_size}</MaxReturned>'
        "</BillQueryRq>",
    )
    iterator_id = rs.get("iteratorID", "")
    assert iterator_id.startswith("{") and iterator_id.endswith("}")
    seen = ids(rs)
    assert int(rs.get("iteratorRemainingCount", "-1")) == total - len(seen)
    while int(rs.get("iteratorRemainingCount", "0")) > 0:
        rs = ask_one(fake, _continue(iterator_id, page_size))
        assert status(rs) == 0 and rs.get("iteratorID") == iterator_id
        seen += ids(rs)
        assert int(rs.get("iteratorRemainingCount", "-1")) == total - len(seen)
    assert sorted(seen) == sorted(b["TxnID"] for b in company.records("Bill"))
    assert len(set(seen)) == len(seen)


def test_iterator_dies_with_the_quickbooks_session() -> None:
    fake = open_fake()
    rs = ask_one(
        fake,
        '<VendorQueryRq requestID="1" iterator="Start"><MaxReturned>2</MaxReturned>'
        "</VendorQueryRq>",
    )
    iterator_id = rs.get("iteratorID")
    fake.close_session()
    fake.open_session(app_name="AP Sync", owner_id=OWNER_ID, file_id=FILE_ID)
    rs = ask_one(
        fake,
        f'<VendorQueryRq requestID="2" iterator="Continue" iteratorID="{iterator_id}">'
        "<MaxReturned>2</MaxReturned></VendorQueryRq>",
    )
    assert status(rs) == 3391 and rs.get("statusSeverity") == "Error"
    assert str(iterator_id) in rs.get("statusMessage", "")


def test_unknown_iterator_and_stop() -> None:
    fake = open_fake()
    rs = ask_one(fake, _continue("{00000000-0000-4000-8000-000000000000}"))
    assert status(rs) == 3391
    rs = ask_one(
        fake,
        '<BillQueryRq requestID="1" iterator="Start"><MaxReturned>2</MaxReturned></BillQueryRq>',
    )
    iterator_id = rs.get("iteratorID", "")
    stop = ask_one(
        fake,
        f'<BillQueryRq requestID="2" iterator="Stop" iteratorID="{iterator_id}"></BillQueryRq>',
    )
    assert status(stop) == 0
    assert status(ask_one(fake, _continue(iterator_id))) == 3391


def test_process_after_close_session_is_refused() -> None:
    fake = open_fake()
    fake.close_session()
    with pytest.raises(QBRequestError):
        ask_one(fake, '<BillQueryRq requestID="1"/>')


def test_iterator_attribute_where_the_schema_has_none_is_a_parse_error() -> None:
    fake = open_fake()
    with pytest.raises(QBRequestError) as caught:
        ask_one(
            fake,
            '<AccountQueryRq requestID="1" iterator="Start"><MaxReturned>5</MaxReturned>'
            "</AccountQueryRq>",
        )
    assert caught.value.hresult == "0x80040400"

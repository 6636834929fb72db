"""Benchmark of the fake QuickBooks: company generation and page answering, per profile.

Plain script (not a test): ``python bench/bench_generator.py [--profiles tiny small large]``.
Prints, per profile, the seconds to generate the company, record counts, and the real seconds
the fake needs to answer pages of 100 bills with line items (first iterator page, a later
Continue page, and a modified-date window), so a server benchmark can check that the fake is not
its bottleneck.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.quickbooks.catalog import LIST_TYPES, TXN_TYPES
from qbwc_server.sim.quickbooks.qbxml_text import request_document, responses

OWNER = "{57F3B9B1-86F1-4FCC-B1EE-566DE1813D20}"


def _timed_page(fake: FakeQuickBooks, body: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    text = fake.process(request_document(body, version="13.0"))
    elapsed = time.perf_counter() - started
    (rs,) = responses(text)
    return elapsed, len(rs), rs.get("iteratorID", "")


def bench(profile: str, seed: int) -> None:
    started = time.perf_counter()
    company = CompanyFile.generate(seed=seed, profile=profile)
    generated = time.perf_counter() - started
    lists = sum(len(company.tables[t]) for t in LIST_TYPES)
    txns = sum(len(company.tables[t]) for t in TXN_TYPES)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"profile={profile} seed={seed}")
    print(f"  generate_seconds      {generated:8.2f}")
    print(f"  list_records          {lists:8d}   (vendors {len(company.tables['Vendor'])})")
    print(f"  ap_transactions       {txns:8d}   (bills {len(company.tables['Bill'])})")
    print(f"  records_per_second    {(lists + txns) / max(generated, 1e-9):8.0f}")
    print(f"  max_rss_mb            {rss_mb:8.0f}")

    fake = FakeQuickBooks(company)
    fake.open_session(app_name="bench", owner_id=OWNER, file_id="{bench}")
    fake.process(request_document('<HostQueryRq requestID="0"/>'))  # load the XSD once
    page = "<MaxReturned>100</MaxReturned>"
    lines = "<IncludeLineItems>true</IncludeLineItems><IncludeLinkedTxns>true</IncludeLinkedTxns>"
    first, count, iterator_id = _timed_page(
        fake, f'<BillQueryRq requestID="1" iterator="Start">{page}{lines}</BillQueryRq>'
    )
    print(f"  bill_page_start_s     {first:8.4f}   ({count} bills, iterator over all bills)")
    for _ in range(3):
        _timed_page(
            fake,
            f'<BillQueryRq requestID="2" iterator="Continue" iteratorID="{iterator_id}">'
            f"{page}{lines}</BillQueryRq>",
        )
    later, count, _ = _timed_page(
        fake,
        f'<BillQueryRq requestID="3" iterator="Continue" iteratorID="{iterator_id}">'
        f"{page}{lines}</BillQueryRq>",
    )
    print(f"  bill_page_continue_s  {later:8.4f}   ({count} bills)")
    year = company.clock.now.year - 1
    window, count, _ = _timed_page(
        fake,
        f'<BillQueryRq requestID="4">{page}<ModifiedDateRangeFilter>'
        f"<FromModifiedDate>{year}-03-01T00:00:00</FromModifiedDate>"
        f"<ToModifiedDate>{year}-03-31T23:59:59</ToModifiedDate></ModifiedDateRangeFilter>"
        f"{lines}</BillQueryRq>",
    )
    print(f"  bill_page_modified_s  {window:8.4f}   ({count} bills, one month window)")
    vendors, count, _ = _timed_page(
        fake, f'<VendorQueryRq requestID="5" iterator="Start">{page}</VendorQueryRq>'
    )
    print(f"  vendor_page_s         {vendors:8.4f}   ({count} vendors)")
    print(f"  simulated_qb_seconds  {fake.simulated_seconds:8.2f}   (cost model, 7 requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", nargs="+", default=["tiny", "small", "large"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for profile in args.profiles:
        bench(profile, args.seed)


if __name__ == "__main__":
    main()

"""Ingest benchmark (issue 4): records per second and memory of receiveResponseXML on PostgreSQL.

    python bench/bench_ingest.py [--pg URL] [--page-sizes 1000 500 100] [--bills N] [--vendors N]
                                 [--memory-page N] [--memory-pages 10 100] [--json]

Measured as *SOAP body in -> rows committed*: the time of each receiveResponseXML call made by
the simulated Web Connector to the real WSGI app (in-process ``WsgiTransport``; the SOAP envelope
is parsed by spyne, the page by the streaming qbXML parser, the rows upserted and the cursor
moved in the call's one transaction). The pages are built by the fake QuickBooks from a
generated company file: VendorQuery and BillQuery (IncludeLineItems, IncludeLinkedTxns) pages of
the configured size (``QBWC_LIST_PAGE_SIZE`` / ``QBWC_TXN_PAGE_SIZE``; ``QBWC_WINDOW_TARGET`` is
raised so one date window is paged through whole). The fake's own time is not counted.

Each run uses a fresh PostgreSQL database (created and dropped):

1. throughput, one run per page size: vendors/s and bills-with-lines/s (wall clock), also per
   CPU second of the server thread and of the PostgreSQL backends (robust to other load);
2. memory, two runs (RSS without tracemalloc, whose own tables would show in RSS, then
   tracemalloc): RSS sampled every 2 ms during each bills page and read after it (following a
   gc.collect()), and Python allocations (peak, retained), for ``--memory-pages`` pages of
   ``--memory-page`` bills: the peak while ingesting the largest page, and the figures after
   the 10th and the 100th page (memory must not grow with the number of pages). tracemalloc
   runs from the first page to the last; "retained" after page n is how much the traced total
   grew from before the first bills page to after page n (each read after a gc.collect()).
   Not a sum of what each call allocated and left alive: a cache of one entry that each call
   replaces (the last long answer, observability/qbxml_errors.py, about a page of text) would
   count a page per call although the process keeps only one.

The simulator's company file lives in this process too; it is frozen out of the garbage
collector (``gc.freeze``) so that the server's collections do not walk it.

Targets on this 2-core machine: >= 3,000 bills-with-lines/s and >= 10,000 vendors/s.
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    DEFAULT_PG,
    CallSample,
    MeasuredTransport,
    database_backends,
    emit,
    fresh_database,
    load_average,
    make_app,
    make_company,
    mib,
    process_cpu_seconds,
)
from machine_speed import describe, reference_ms

from qbwc_server.config import DEFAULT_TUNING
from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.quickbooks.generator import Profile
from qbwc_server.sim.report import SessionReport
from qbwc_server.sim.webconnector import WebConnector
from qbwc_server.sim.wsgi_transport import WsgiTransport

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"bills": 3000.0, "vendors": 10000.0}
# The server's own page sizes (QBWC_LIST_PAGE_SIZE, QBWC_TXN_PAGE_SIZE): marked * in the output.
DEFAULT_PAGE_SIZES = {
    "vendors": DEFAULT_TUNING.list_page_size,
    "bills": DEFAULT_TUNING.txn_page_size,
}
_RID = re.compile(r'requestID="([^":]+):')
_QUERY = re.compile(r"<(\w+)QueryRq\b")
_LINE_TAGS = ("<ExpenseLineRet>", "<ItemLineRet>", "<ItemGroupLineRet>")


@dataclass
class Page:
    stream: str
    records: int
    lines: int
    sample: CallSample


class CountingQuickBooks(FakeQuickBooks):
    """The fake QuickBooks, remembering what the last answer held."""

    last: tuple[str, int, int] = ("", 0, 0)

    def process(self, request_xml: str) -> str:
        response = super().process(request_xml)
        rid = _RID.search(request_xml)
        query = _QUERY.search(request_xml)
        stream = rid.group(1) if rid else ""
        records = response.count(f"<{query.group(1)}Ret>") if query else 0
        lines = sum(response.count(tag) for tag in _LINE_TAGS)
        self.last = (stream, records, lines)
        return response


# Run in a child process (a clean heap): RSS growth while parsing one page, whole or streamed.
_PARSE_RSS_SCRIPT = """
import gc, os, sys
from qbwc_server.qbxml.parse import iter_response

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

text = open(sys.argv[1], encoding="utf-8").read()
gc.collect()
before = peak = rss()
for n, _ in enumerate(iter_response(text, whole_document_max_chars=int(sys.argv[2]))):
    if n % 25 == 0:
        peak = max(peak, rss())
print(max(peak, rss()) - before)
"""


def parse_rss(company: CompanyFile, bills: int) -> dict[str, float]:
    """RSS growth (MiB) while parsing one BillQuery page of ``bills`` bills with lines: parsed
    whole (pages up to WHOLE_DOCUMENT_MAX_CHARS) and streamed (larger pages)."""
    fake = FakeQuickBooks(company)
    fake.open_session(app_name="bench", owner_id="{0}", file_id="{1}")
    text = fake.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f'<BillQueryRq requestID="1" iterator="Start"><MaxReturned>{bills}</MaxReturned>'
        "<IncludeLineItems>true</IncludeLineItems><IncludeLinkedTxns>true</IncludeLinkedTxns>"
        "</BillQueryRq></QBXMLMsgsRq></QBXML>"
    )
    out: dict[str, float] = {"page_text_mib": mib(len(text))}
    with tempfile.NamedTemporaryFile("w", suffix=".xml", encoding="utf-8") as page:
        page.write(text)
        page.flush()
        for mode, limit in (("whole", len(text)), ("streamed", 0)):
            grown = subprocess.run(
                [sys.executable, "-c", _PARSE_RSS_SCRIPT, page.name, str(limit)],
                capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
            ).stdout  # fmt: skip
            out[f"{mode}_rss_mib"] = mib(int(grown))
    return out


class Enough(Exception):
    pass


def company_file(vendors: int, bills: int, seed: int) -> CompanyFile:
    profile = Profile("ingest", 3, vendors, 20, 3, bills, 0, 0, 0, 0, 0, 0, 5)
    company = CompanyFile.generate(seed=seed, profile=profile)
    # Build the lazily generated records now, so the fake does not grow while we measure.
    for object_type in ("Vendor", "Bill"):
        company.records(object_type)
    # The server runs in this process: keep the simulator's heap out of its garbage collections
    # (a server process holds no company file).
    gc.collect()
    gc.freeze()
    return company


class BackendCpu:
    """CPU seconds of the PostgreSQL backends of one database (PIDs re-read now and then)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pids: list[int] = []
        self.calls = 0

    def __call__(self) -> float:
        if self.calls % 50 == 0:
            self.pids = database_backends(self.url)
        self.calls += 1
        return sum(process_cpu_seconds(pid) for pid in self.pids)


def ingest(
    company: CompanyFile,
    pg_url: str,
    page_size: int,
    *,
    max_bills: int,
    memory: bool = False,
    trace: bool = False,
) -> list[Page]:
    """Sync vendors then bills page by page (stopping after ``max_bills`` bills); return the
    measured receiveResponseXML calls of the vendors and bills streams."""
    fake = CountingQuickBooks(company)
    pages: list[Page] = []
    with fresh_database("postgresql", pg_url) as url:
        app = make_app(
            url,
            QBWC_LIST_PAGE_SIZE=str(page_size),
            QBWC_TXN_PAGE_SIZE=str(page_size),
            QBWC_WINDOW_TARGET=str(10_000_000),
        )
        bench_company = make_company(app)
        measured = MeasuredTransport(
            WsgiTransport(app),
            memory_methods=frozenset({"receiveResponseXML"}) if memory else frozenset(),
            trace=trace,
            other_cpu=BackendCpu(url),
        )
        bills = 0

        def on_progress(_report: SessionReport, _progress: int) -> None:
            nonlocal bills
            stream, records, lines = fake.last
            sample = measured.samples[-1]
            if stream in ("vendors", "bills") and records:
                pages.append(Page(stream, records, lines, sample))
                if stream == "bills":
                    bills += records
            if bills >= max_bills or (stream not in ("", "vendors", "bills") and bills):
                raise Enough

        wc = WebConnector.from_qwc(
            bench_company.qwc,
            bench_company.connector_key,
            fake,
            url="http://localhost/qbwc",
            transport=measured,
            analyze_responses=False,
            on_progress=on_progress,
        )
        try:
            wc.run_session()
        except Enough:
            pass
        finally:
            measured.gc_timer.remove()
            tracemalloc.stop()  # the first measured call started it (trace); else a no-op
            app.rt.db.dispose()
    return pages


def throughput(pages: list[Page], stream: str) -> dict[str, Any]:
    chosen = [p for p in pages if p.stream == stream]
    records = sum(p.records for p in chosen)
    seconds = sum(p.sample.seconds for p in chosen)
    cpu = sum(p.sample.cpu for p in chosen)
    db_cpu = sum(p.sample.other_cpu for p in chosen)
    per_page = [1000 * p.sample.seconds for p in chosen]
    return {
        "pages": len(chosen),
        "records": records,
        "lines": sum(p.lines for p in chosen),
        "soap_bytes": sum(p.sample.bytes_in for p in chosen),
        "seconds": round(seconds, 3),
        "records_per_second": round(records / seconds) if seconds else None,
        "server_cpu_seconds": round(cpu, 3),
        "db_cpu_seconds": round(db_cpu, 3),
        "records_per_cpu_second": round(records / (cpu + db_cpu)) if cpu + db_cpu else None,
        "median_page_ms": round(statistics.median(per_page), 1) if per_page else None,
        "target_per_second": TARGETS[stream],
        "meets_target": bool(seconds) and records / seconds >= TARGETS[stream],
    }


def memory_figures(
    rss_run: list[Page], traced_run: list[Page], checkpoints: list[int]
) -> dict[str, Any]:
    """RSS figures from a run without tracemalloc (its tables would show up in RSS), Python
    allocation figures from a run with it."""
    bills = [p for p in rss_run if p.stream == "bills"]
    traced = [p for p in traced_run if p.stream == "bills"]
    if not bills or not traced:
        return {}
    largest = max(bills, key=lambda p: p.sample.bytes_in)
    largest_traced = max(traced, key=lambda p: p.sample.bytes_in)
    out: dict[str, Any] = {
        "bill_pages": len(bills),
        "largest_page": {
            "bills": largest.records,
            "lines": largest.lines,
            "soap_body_mib": mib(largest.sample.bytes_in),
            "rss_peak_delta_mib": mib(largest.sample.rss_peak - largest.sample.rss_before),
            "tracemalloc_peak_mib": mib(largest_traced.sample.traced_peak),
        },
        "max_rss_peak_delta_mib": mib(max(p.sample.rss_peak - p.sample.rss_before for p in bills)),
        "max_tracemalloc_peak_mib": mib(max(p.sample.traced_peak for p in traced)),
        "after_pages": {},
    }
    # What the process kept: growth of the traced total since before the first bills page.
    base = traced[0].sample.traced_before
    retained = [0, *(page.sample.traced_after - base for page in traced)]
    for n in checkpoints:
        if n <= min(len(bills), len(traced)):
            out["after_pages"][n] = {
                "rss_mib": mib(bills[n - 1].sample.rss_after),
                "rss_peak_delta_mib": mib(
                    bills[n - 1].sample.rss_peak - bills[n - 1].sample.rss_before
                ),
                "tracemalloc_peak_mib": mib(traced[n - 1].sample.traced_peak),
                "tracemalloc_retained_total_mib": mib(retained[n]),
            }
    marks = list(out["after_pages"])
    if len(marks) >= 2:
        first, last = out["after_pages"][marks[0]], out["after_pages"][marks[-1]]
        growth = round(last["rss_mib"] - first["rss_mib"], 1)
        kept = round(
            last["tracemalloc_retained_total_mib"] - first["tracemalloc_retained_total_mib"], 1
        )
        out["growth_between"] = {
            "pages": [marks[0], marks[-1]],
            "rss_mib": growth,
            "retained_mib": kept,
        }
        # Flat: over 90 more pages the process grows by less than one page's worth.
        page_worth = max(8.0, out["largest_page"]["tracemalloc_peak_mib"])
        out["flat"] = growth <= max(16.0, page_worth) and kept <= page_worth
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--page-sizes", type=int, nargs="*", default=[1000, 500, 100])
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--bills", type=int, default=20_000, help="bills per throughput run")
    parser.add_argument("--memory-page", type=int, default=500, help="bills per memory page")
    parser.add_argument("--memory-pages", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--skip-memory", action="store_true", help="throughput only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    memory_bills = 0 if args.skip_memory else args.memory_page * max(args.memory_pages)
    load_before = load_average()
    reference_before = reference_ms()
    started = time.perf_counter()
    company = company_file(args.vendors, max(args.bills, memory_bills), args.seed)
    results: dict[str, Any] = {
        "benchmark": "ingest",
        "database": "postgresql",
        "generate_seconds": round(time.perf_counter() - started, 1),
        "throughput": [],
    }
    lines = [
        f"ingest on PostgreSQL: company file of {args.vendors} vendors and "
        f"{len(company.tables['Bill'])} bills (generated in {results['generate_seconds']} s)"
    ]
    for size in args.page_sizes:
        pages = ingest(company, args.pg, size, max_bills=args.bills)
        entry = {
            "page_size": size,
            "vendors": throughput(pages, "vendors"),
            "bills": throughput(pages, "bills"),
        }
        results["throughput"].append(entry)
        for stream in ("vendors", "bills"):
            t = entry[stream]
            t["default_page_size"] = size == DEFAULT_PAGE_SIZES[stream]
            lines.append(
                f"  page {size:5d}{'*' if t['default_page_size'] else ' '}{stream:8} "
                f"{t['records']:7d} records in {t['pages']:4d} pages "
                f"{t['seconds']:7.2f} s  {t['records_per_second'] or 0:8,} records/s "
                f"(target {t['target_per_second']:,.0f}: "
                f"{'MET' if t['meets_target'] else 'NOT MET'})  "
                f"median page {t['median_page_ms']} ms; per CPU s (server "
                f"{t['server_cpu_seconds']:.2f} + db {t['db_cpu_seconds']:.2f}): "
                f"{t['records_per_cpu_second'] or 0:,}"
            )
    lines.append(
        "  (* = the server's default page size for that stream: QBWC_LIST_PAGE_SIZE="
        f"{DEFAULT_PAGE_SIZES['vendors']}, QBWC_TXN_PAGE_SIZE={DEFAULT_PAGE_SIZES['bills']})"
    )
    mem: dict[str, Any] = {}
    if memory_bills:
        rss_run = ingest(company, args.pg, args.memory_page, max_bills=memory_bills, memory=True)
        traced_run = ingest(
            company, args.pg, args.memory_page, max_bills=memory_bills, memory=True, trace=True
        )
        mem = memory_figures(rss_run, traced_run, sorted(args.memory_pages))
        for size in sorted({args.memory_page, 1000}):
            mem[f"parse_rss_{size}_bills"] = parse_rss(company, size)
        results["memory"] = {"page_size": args.memory_page, **mem}
    results["load_average_before_after"] = [load_before, load_average()]
    results["machine_reference_ms"] = [reference_before, reference_ms()]
    if mem:
        big = mem["largest_page"]
        lines.append(
            f"  memory: largest page {big['bills']} bills / {big['lines']} lines / "
            f"{big['soap_body_mib']} MiB SOAP body: RSS peak +{big['rss_peak_delta_mib']} MiB, "
            f"tracemalloc peak {big['tracemalloc_peak_mib']} MiB"
        )
        for n, fig in mem["after_pages"].items():
            lines.append(
                f"  memory after {n:4d} pages of {args.memory_page}: RSS {fig['rss_mib']} MiB, "
                f"this page RSS peak +{fig['rss_peak_delta_mib']} MiB, tracemalloc peak "
                f"{fig['tracemalloc_peak_mib']} MiB, retained by all calls so far "
                f"{fig['tracemalloc_retained_total_mib']} MiB"
            )
        for key, fig in mem.items():
            if key.startswith("parse_rss_"):
                lines.append(
                    f"  memory of parsing one page of {key.split('_')[2]} bills "
                    f"({fig['page_text_mib']} MiB of qbXML) in a fresh process: parsed whole "
                    f"+{fig['whole_rss_mib']} MiB RSS, streamed +{fig['streamed_rss_mib']} MiB "
                    "(pages over 4 Mi characters are streamed)"
                )
        if "flat" in mem:
            grown = mem["growth_between"]
            a, b = grown["pages"]
            lines.append(
                f"  memory flat in the number of pages: {'YES' if mem['flat'] else 'NO'} "
                f"(from page {a} to page {b}: RSS {grown['rss_mib']:+.1f} MiB, Python "
                f"allocations retained {grown['retained_mib']:+.1f} MiB)"
            )
    lines.append(
        f"  load average {results['load_average_before_after'][0]:.1f} -> "
        f"{results['load_average_before_after'][1]:.1f}"
    )
    lines.append("  " + describe(*results["machine_reference_ms"]))
    emit(results, args.json, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

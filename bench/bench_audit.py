"""Cost of the qbXML audit trail (QBWC_AUDIT): one entry written as the recorder writes it —
redaction, zlib compression, one insert and commit — for a small call and a large page.

    python bench/bench_audit.py [--pg URL] [--sqlite] [--page-kib 1200] [--rounds 20]

The page is synthetic qbXML shaped like a BillQueryRs page (bills with expense lines and a
vendor tax id to redact). Prints the median milliseconds of redact+compress and of the whole
write, and the stored size. A fresh database is created and dropped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import DEFAULT_PG, fresh_database

from models import AuditEntry, QbwcSession, utcnow
from qbwc_server.audit import store
from qbwc_server.db import Database, upgrade
from qbwc_server.observability.redaction import redact_qbxml

SMALL = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="16.0"?><QBXML>'
    '<QBXMLMsgsRq onError="continueOnError"><BillQueryRq requestID="7" iterator="Continue" '
    'iteratorID="{A5E1}"><MaxReturned>100</MaxReturned></BillQueryRq></QBXMLMsgsRq></QBXML>'
)


def bill(n: int) -> str:
    lines = "".join(
        f"<ExpenseLineRet><TxnLineID>{n}-{k}</TxnLineID><AccountRef><ListID>80000{k:03}-1</ListID>"
        f"<FullName>Office Supplies</FullName></AccountRef><Amount>{n % 997}.{k:02}</Amount>"
        f"<Memo>Line {k} of bill {n}</Memo></ExpenseLineRet>"
        for k in range(4)
    )
    return (
        f"<BillRet><TxnID>{n:X}-1700000000</TxnID><TimeCreated>2024-06-10T09:30:00-08:00"
        f"</TimeCreated><EditSequence>1700000000</EditSequence><TxnNumber>{n}</TxnNumber>"
        f"<VendorRef><ListID>8000{n % 50:04}-1</ListID><FullName>Vendor {n % 50}</FullName>"
        f"</VendorRef><TxnDate>2024-06-10</TxnDate><RefNumber>INV-{n}</RefNumber>"
        f"<AmountDue>{n % 997}.00</AmountDue><IsPaid>false</IsPaid>{lines}</BillRet>"
    )


def page(kib: int) -> str:
    parts = [
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><BillQueryRs requestID="7" '
        'statusCode="0" statusSeverity="Info" statusMessage="Status OK">',
        "<VendorRet><VendorTaxIdent>12-3456789</VendorTaxIdent></VendorRet>",
    ]
    n, size = 0, 0
    while size < kib * 1024:
        text = bill(n)
        parts.append(text)
        size += len(text)
        n += 1
    parts.append("</BillQueryRs></QBXMLMsgsRs></QBXML>")
    return "".join(parts)


def measure(db: Database, session_id: int, text: str, rounds: int) -> tuple[float, float, int]:
    compress_ms, total_ms = [], []
    stored = 0
    for _ in range(rounds):
        started = time.perf_counter()
        blob, size = store.compress(redact_qbxml(text))
        compressed = time.perf_counter()
        with db.transaction() as s:
            s.add(
                AuditEntry(
                    session_id=session_id,
                    method="receiveResponseXML",
                    at=utcnow(),
                    response_xml=blob,
                    response_bytes=size,
                )
            )
        compress_ms.append((compressed - started) * 1000)
        total_ms.append((time.perf_counter() - started) * 1000)
        stored = len(blob or b"")
    return statistics.median(compress_ms), statistics.median(total_ms), stored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--page-kib", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    large = page(args.page_kib)
    with fresh_database("sqlite" if args.sqlite else "postgresql", args.pg) as url:
        db = Database(url)
        upgrade(db)
        with db.transaction() as s:
            row = QbwcSession(username="bench", state={}, hresults=[])
            s.add(row)
            s.flush()
            session_id = row.id
        for name, text in (("small call", SMALL), (f"{args.page_kib} KiB page", large)):
            comp, total, stored = measure(db, session_id, text, args.rounds)
            print(
                f"{name:>16}: redact+compress {comp:6.1f} ms, whole write {total:6.1f} ms "
                f"(median of {args.rounds}); stored {stored / 1024:.1f} KiB "
                f"of {len(text.encode()) / 1024:.1f} KiB"
            )
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

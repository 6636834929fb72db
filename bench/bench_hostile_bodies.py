"""What one hostile SOAP body costs the server: memory (peak RSS growth), time, log bytes.

Each case runs in a fresh Python process: the real WSGI app on a throw-away SQLite database,
the body built first, then one POST /qbwc through the app; the figures are the growth of the
process's peak RSS during that call (Linux VmHWM, reset before the call), the call's wall
time, how many bytes it logged and whether the Connector Key in the body reached the log.

    .venv/bin/python bench/bench_hostile_bodies.py            # every case, a table
    .venv/bin/python bench/bench_hostile_bodies.py --one attr20 --json

``BENCH_PROJECT_ROOT=/path/to/other/checkout`` measures another copy (a before/after).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("BENCH_PROJECT_ROOT") or Path(__file__).resolve().parents[1]).resolve()
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
TNS = "http://developer.intuit.com/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
KEY = "FAKE-CONNECTOR-KEY-FOR-BENCH"


def _envelope(call: str, inner: bytes, attrs: bytes = b"") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
        f'<{call} xmlns="{TNS}"'.encode()
        + attrs
        + b">"
        + inner
        + f"</{call}></soap:Body></soap:Envelope>".encode()
    )


def _auth(password: bytes, attrs: bytes = b"") -> bytes:
    return _envelope(
        "authenticate",
        b"<strUserName>someone</strUserName><strPassword>" + password + b"</strPassword>",
        attrs,
    )


def _page(ticket: str, size: int) -> bytes:
    record = b"&lt;AccountRet&gt;&lt;Name&gt;x&lt;/Name&gt;&lt;/AccountRet&gt;"
    text = record * (size // len(record))
    return _envelope(
        "receiveResponseXML",
        f"<ticket>{ticket}</ticket><response>".encode()
        + text
        + b"</response><hresult></hresult><message></message>",
    )


CASES: dict[str, tuple[str, Callable[[str], bytes]]] = {
    "attr20": (
        "20 MB attribute on the call",
        lambda t: _auth(b"k", b' a="' + b"k" * 20 * MIB + b'"'),
    ),
    "elements20": ("20 MB of <b/> elements", lambda t: _auth(b"<b/>" * (5 * MIB))),
    "attrs8": (
        "8 MB of attributes on one element",
        lambda t: _auth(b"k", b"".join(b' a%d=""' % i for i in range(8 * MIB // 12))),
    ),
    "junk60": (
        "60 MB unauthenticated, key in a broken body",
        lambda t: _auth(KEY.encode() + b"A" * 60 * MIB)[:-20],
    ),
    "page15_stranger": ("15 MB page, unknown ticket", lambda t: _page("not-a-ticket", 15 * MIB)),
    "page15_session": ("15 MB page, live session", lambda t: _page(t, 15 * MIB)),
}


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bytes = 0
        self.key_seen = False

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.bytes += len(text) + 1
        self.key_seen = self.key_seen or KEY in text


def _status_kib(field: str) -> int:
    """VmRSS / VmHWM (peak) of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS, so the
    # peak of the call is not hidden by the peak of building the body.
    Path("/proc/self/clear_refs").write_text("5")


def _call(app: Any, body: bytes) -> tuple[str, bytes]:
    out: dict[str, str] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        out["status"] = status

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/qbwc",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_SOAPACTION": f'"{TNS}x"',
    }
    data = b"".join(app(environ, start_response))
    return out.get("status", "?"), data


def run_one(case: str) -> dict[str, Any]:
    from qbwc_server.app import create_app
    from qbwc_server.config import load_settings
    from qbwc_server.db import Database, upgrade
    from qbwc_server.services.companies import create_company

    counter = _Count()
    logging.basicConfig(level=logging.DEBUG, handlers=[counter])
    tmp = tempfile.mkdtemp(prefix="qbwc-hostile-")
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp}/b.db"})
    db = Database(settings.database_url)
    upgrade(db)
    app = create_app(settings, db)
    with db.transaction() as s:
        created = create_company(s, "Bench Co", confirm_binding=False)
        username, key = created.company.username, created.connector_key
    auth = _envelope(
        "authenticate",
        f"<strUserName>{username}</strUserName><strPassword>{key}</strPassword>".encode(),
    )
    _status, answer = _call(app, auth)
    ticket = answer.split(b"<tns:string>", 1)[1].split(b"<", 1)[0].decode()
    _call(app, _envelope("serverVersion", b""))  # warm up: every import done
    body = CASES[case][1](ticket)
    counter.bytes = 0
    gc.collect()
    _reset_peak()
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    status, data = _call(app, body)
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    return {
        "case": case,
        "body_mib": round(len(body) / MIB, 1),
        "status": status,
        "rss_growth_mib": round((peak - before) / 1024, 1),
        "seconds": round(seconds, 2),
        "log_bytes": counter.bytes,
        "key_in_log": counter.key_seen,
        "answer": data[:160].decode(errors="replace"),
    }


def measure(case: str) -> dict[str, Any]:
    """Run one case in a fresh process (peak RSS is per process)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--one", case, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if not k.startswith("QBWC_")},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{case} failed: {proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=sorted(CASES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.one:
        result = run_one(args.one)
        print(json.dumps(result))
        return 0
    print(f"project: {ROOT}")
    print(
        f"{'case':<16} {'what':<44} {'body MiB':>8} {'RSS +MiB':>9} {'s':>6} {'log B':>9}  status"
    )
    for case, (what, _) in CASES.items():
        r = measure(case)
        print(
            f"{case:<16} {what:<44} {r['body_mib']:>8} {r['rss_growth_mib']:>9} "
            f"{r['seconds']:>6} {r['log_bytes']:>9} {r['key_in_log']!s:>10}  {r['status']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

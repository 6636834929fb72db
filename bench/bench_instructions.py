"""The idle poll and the first sync counted in instructions, ours beside the peer's (issue 13).

bench_idle.py measures CPU time, and on this shared 2-core machine either side's time moves by
up to a fifth from one run to the next: a change of a few percent cannot be seen there. Here
both servers run under valgrind's callgrind, which counts the instructions each executes in
user space. The count moves by about 1 % from run to run (how a body's bytes arrive and the
threads interleave still vary), whatever else the machine is doing.

* ours: ``qbwc-server serve --workers 1`` (gunicorn: the arbiter and its worker, all threads)
  on a fresh PostgreSQL database; the peer: qbwc-kit under uvicorn (bench/peer.py, in a
  throw-away venv). Both run with ``PYTHONHASHSEED=0``.
* Counting starts after the warm-up (``callgrind_control -i on``) and each figure is a dump
  (``callgrind_control -d``) of what the processes ran since: the warm-up, the start-up and
  the imports are not counted.
* Figures: instructions per empty session (serverVersion, clientVersion, authenticate ->
  none, closeConnection, one keep-alive connection) and per record of the first sync of a
  vendor-only company file, and the ratio peer/ours (above 1.0: ours runs fewer).

What it does not count: the kernel's work (system calls, the network stack), PostgreSQL's
(our database, which the peer does not have), and what instructions cost (cache misses, the
interpreter's branches): a proxy for CPU time that can be compared run to run, not a
replacement for bench_idle.py's seconds. Under valgrind everything runs 20 to 50 times slower
(about 5 minutes with the defaults).

    .venv/bin/python bench/bench_instructions.py [--sessions 300] [--vendors 20000]
    BENCH_PROJECT_ROOT=<another checkout> .venv/bin/python bench/bench_instructions.py --ours-only
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import DEFAULT_PG, bench_main, fresh_database, make_app, process_tree, served
from companies import (
    PAGE_SIZE,
    PEER_FILE,
    PEER_OWNER,
    Login,
    connector,
    first_sync_done,
    keep_alive,
    our_company,
    run_first_sync,
    vendor_file,
)
from peer import PEER_PASSWORD, PEER_USER, add_peer_arguments, peer_venv, serve_peer

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks
from qbwc_server.sim.report import Outcome
from qbwc_server.sim.webconnector import WebConnector

WARMUP_SESSIONS = 30
START_SECONDS = 600  # a server starting under valgrind
HASHSEED = "0"  # the same dict and set orders in every run


@dataclass(frozen=True)
class Counted:
    """Instructions the server's processes ran between two dumps, and for how many units."""

    instructions: int
    units: int

    @property
    def per_unit(self) -> float:
        return self.instructions / self.units if self.units else 0.0


class Callgrind:
    """The callgrind command line for a server, and counting over its processes."""

    def __init__(self, folder: Path, name: str) -> None:
        self.prefix = folder / name

    def wrapper(self) -> list[str]:
        return [
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",  # gunicorn's worker is a fork of its arbiter
            "--instr-atstart=no",  # nothing counted until counting() starts
            "--dump-instr=no",
            f"--callgrind-out-file={self.prefix}.%p",
        ]

    @contextlib.contextmanager
    def counting(
        self, pids: list[int], label: str, units: Callable[[], int]
    ) -> Iterator[list[Counted]]:
        """Count what ``pids`` run inside the block; the result is appended to the list
        yielded, ``units()`` read at the end."""
        result: list[Counted] = []
        for pid in pids:
            _control("-z", pid)  # zero what an earlier block left
            _control("-i", pid, "on")
        yield result
        total = 0
        for pid in pids:
            _control("-d", pid, label)
            _control("-i", pid, "off")
            total += _dumped(self.prefix, pid, label)
        result.append(Counted(total, units()))


def _control(option: str, pid: int, value: str | None = None) -> None:
    args = ["callgrind_control", option] if value is None else ["callgrind_control", option, value]
    subprocess.run([*args, str(pid)], check=True, capture_output=True, timeout=120)


def _dumped(prefix: Path, pid: int, label: str) -> int:
    """The instruction total of ``pid``'s dump named ``label`` (callgrind numbers its dumps)."""
    for path in sorted(glob.glob(f"{prefix}.{pid}.*")):
        text = Path(path).read_text(errors="replace")
        if f"\ndesc: Trigger: dump {label}\n" not in text:
            continue
        found = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if found:
            Path(path).unlink()  # read once: a later block with the same label is another
            return int(found.group(1))
    raise RuntimeError(f"no callgrind dump {label!r} for process {pid} under {prefix}")


def _idle(wc: WebConnector, sessions: int) -> int:
    for _ in range(sessions):
        report = wc.run_session()
        if report.outcome != Outcome.NONE or report.errors:
            raise RuntimeError(f"an idle poll ended {report.outcome}: {report.errors[:2]}")
    return sessions


def _returned(fake: FakeQuickBooks) -> int:
    return sum(
        v for k, v in fake.records_returned.items() if k not in ("ListDeleted", "TxnDeleted")
    )


@dataclass
class Side:
    idle: Counted
    sync: Counted


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("bench_instructions.py needs valgrind (Debian: apt-get install valgrind)")
    folder = Path(tempfile.mkdtemp(prefix="qbwc-callgrind-"))
    tiny = CompanyFile.generate(seed=args.seed, profile="tiny")
    vendors = vendor_file(args.vendors, args.seed)
    sides: dict[str, Side] = {}
    try:
        with (
            peer_venv(args.peer_version, args.peer_venv) as penv,
            fresh_database("postgresql", args.pg) as url,
        ):
            app = make_app(url)
            idle_id, idle_login = our_company(app, "Idle Co", interval=24 * 60, history_start="all")
            sync_id, sync_login = our_company(app, "Vendors Co", interval=0, history_start="all")
            app.rt.db.dispose()

            grind = Callgrind(folder, "ours")
            with served(
                url,
                workers=1,
                wrapper=grind.wrapper(),
                start_seconds=START_SECONDS,
                QBWC_TRUSTED_PROXIES="127.0.0.1",
                PYTHONHASHSEED=HASHSEED,
            ) as (ours_url, pid):
                base = ours_url.rsplit("/qbwc", 1)[0]
                pids = process_tree(pid)
                wc = connector(idle_login, FakeQuickBooks(tiny), ours_url, keep_alive(ours_url))
                run_first_sync(wc, lambda: first_sync_done(base, idle_id))
                _idle(wc, WARMUP_SESSIONS)
                with grind.counting(pids, "idle", lambda: args.sessions) as idle:
                    _idle(wc, args.sessions)
                fake = FakeQuickBooks(vendors)
                sync_wc = connector(sync_login, fake, ours_url, keep_alive(ours_url))
                with grind.counting(pids, "sync", lambda: _returned(fake)) as sync:
                    run_first_sync(sync_wc, lambda: True)  # its status read outside the count
                if not first_sync_done(base, sync_id):
                    raise RuntimeError("our first sync took more than one session")
                sides["ours"] = Side(idle[0], sync[0])

            if not args.ours_only:
                sides["peer"] = _count_peer(penv, Callgrind(folder, "peer"), tiny, vendors, args)
            versions = penv.describe()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _report(sides, args, versions)


def _count_peer(
    penv: Any, grind: Callgrind, tiny: CompanyFile, vendors: CompanyFile, args: argparse.Namespace
) -> Side:
    """The peer's idle sessions and its first sync, each on a server of its own mode."""
    login = Login(PEER_USER, PEER_PASSWORD, "Peer", PEER_OWNER, PEER_FILE)
    hashseed = {"PYTHONHASHSEED": HASHSEED}
    wrapper = grind.wrapper()
    with serve_peer(
        penv, "idle", PAGE_SIZE, wrapper=wrapper, start_seconds=START_SECONDS, extra_env=hashseed
    ) as (url, pid):
        pids = process_tree(pid)
        wc = connector(login, FakeQuickBooks(tiny), url, keep_alive(url))
        _idle(wc, WARMUP_SESSIONS)
        with grind.counting(pids, "idle", lambda: args.sessions) as idle:
            _idle(wc, args.sessions)
    with serve_peer(
        penv, "vendors", PAGE_SIZE, wrapper=wrapper, start_seconds=START_SECONDS, extra_env=hashseed
    ) as (url, pid):
        pids = process_tree(pid)
        fake = FakeQuickBooks(vendors)
        sync_wc = connector(login, fake, url, keep_alive(url))
        with grind.counting(pids, "sync", lambda: _returned(fake)) as sync:
            run_first_sync(sync_wc, lambda: True)
    return Side(idle[0], sync[0])


def _report(
    sides: dict[str, Side], args: argparse.Namespace, versions: str
) -> tuple[dict[str, Any], list[str]]:
    ours, peer = sides["ours"], sides.get("peer")
    if peer is None:  # --ours-only
        out = {
            "benchmark": "instructions_ours",
            "idle": {"sessions": args.sessions, "ours_per_session": ours.idle.per_unit},
            "sync": {
                "vendors": args.vendors,
                "ours_records": ours.sync.units,
                "ours_per_record": ours.sync.per_unit,
            },
        }
        return out, [
            f"ours (user-space instructions, callgrind): {ours.idle.per_unit / 1e6:.3f} M per "
            f"empty session ({args.sessions}), {ours.sync.per_unit / 1e3:.2f} k per record of "
            f"the first sync ({ours.sync.units:,} records)"
        ]
    idle_ratio = peer.idle.per_unit / ours.idle.per_unit
    sync_ratio = peer.sync.per_unit / ours.sync.per_unit
    out = {
        "benchmark": "instructions_vs_peer",
        "peer": versions,
        "idle": {
            "sessions": args.sessions,
            "ours_per_session": ours.idle.per_unit,
            "peer_per_session": peer.idle.per_unit,
            "peer_over_ours": idle_ratio,
        },
        "sync": {
            "vendors": args.vendors,
            "ours_records": ours.sync.units,
            "peer_records": peer.sync.units,
            "ours_per_record": ours.sync.per_unit,
            "peer_per_record": peer.sync.per_unit,
            "peer_over_ours": sync_ratio,
        },
    }
    lines = [
        f"user-space instructions counted by callgrind (ours: gunicorn, 1 worker, PostgreSQL; "
        f"peer: {versions}, uvicorn); ratio peer/ours, above 1.0: ours runs fewer",
        f"  empty session:    ours {ours.idle.per_unit / 1e6:6.2f} M, "
        f"peer {peer.idle.per_unit / 1e6:6.2f} M per session ({args.sessions} sessions); "
        f"ratio {idle_ratio:.2f}x",
        f"  first sync:       ours {ours.sync.per_unit / 1e3:6.1f} k, "
        f"peer {peer.sync.per_unit / 1e3:6.1f} k per record ({ours.sync.units:,} and "
        f"{peer.sync.units:,} records of a {args.vendors:,}-vendor file); ratio {sync_ratio:.2f}x",
        "  (not counted: the kernel's work, PostgreSQL's, and what each instruction costs)",
    ]
    return out, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300, help="empty sessions counted")
    parser.add_argument("--vendors", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    add_peer_arguments(parser)
    parser.add_argument(
        "--ours-only",
        action="store_true",
        help="count ours alone (to compare two checkouts: BENCH_PROJECT_ROOT=<other checkout>)",
    )
    return bench_main(parser, run, argv)


if __name__ == "__main__":
    sys.exit(main())

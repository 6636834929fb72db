"""``qbwc-server simulate``: run the fake Web Connector + fake QuickBooks against a QBWC server.

:func:`add_simulate_arguments` and :func:`run_simulate` plug into any argparse command.
Exit codes: 0 every session ended without error, 1 at least one did not, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any, TextIO

from qbwc_server.sim.clock import SimClock
from qbwc_server.sim.progress import ProgressLine
from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks, FaultPlan
from qbwc_server.sim.quickbooks_link import QuickBooksLike
from qbwc_server.sim.qwc import QwcError, QwcInfo, read_qwc
from qbwc_server.sim.report import SessionReport
from qbwc_server.sim.scheduler import Scheduler
from qbwc_server.sim.transport_faults import TransportFault, TransportFaults
from qbwc_server.sim.webconnector import DEFAULT_CLIENT_VERSION, WebConnector

DESCRIPTION = (
    "Simulate the QuickBooks Web Connector and a QuickBooks company against a QBWC server. "
    "Exit code 0 when every session ended without error, 1 otherwise, 2 for bad input."
)
DEFAULT_INTERVAL_SECONDS = 15 * 60  # used when the .qwc has no <Scheduler>
PROFILES = ("tiny", "small", "large")

FAULT_HELP = """\
fault SPEC (repeatable):
  transport:   drop-before:METHOD[:N][@S]  drop-after:METHOD[:N][@S]
               METHOD is a QBWC method or * (then N is the call ordinal); N defaults to 1;
               S is the 1-based session (default 1) or * for every session
  QuickBooks:  qb-not-running  wrong-file  access-denied  first-access  not-permitted
               open-error:HRESULT  lock:N[:CODE]  qb-error:N[:HRESULT]  lost-response:N
               (N counts qbXML requests / ProcessRequest calls over the whole run)
"""


QB_ACCESS_FAULTS = {
    "access-denied": "denied",
    "first-access": "first_time",
    "not-permitted": "not_permitted",
}


class CliInputError(Exception):
    pass


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--qwc", required=True, metavar="FILE", help=".qwc file of the application")
    parser.add_argument(
        "--password", required=True, metavar="KEY", help="password typed into QBWC (Connector Key)"
    )
    parser.add_argument("--url", help="server URL (default: the .qwc's AppURL)")
    parser.add_argument("--profile", choices=PROFILES, default="tiny", help="company size")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated company")
    parser.add_argument("--sessions", type=int, default=1, metavar="N", help="sessions to run")
    parser.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="simulated gap between session starts (default: the .qwc's Scheduler, else 900)",
    )
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="inject a fault (see below)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep the fake company between runs in this pickle file (trusted files only)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="HTTP timeout per call (s)")
    parser.add_argument(
        "--max-round-trips", type=int, default=100_000, metavar="N", help="runaway guard/session"
    )
    parser.add_argument("--client-version", default=DEFAULT_CLIENT_VERSION)
    parser.add_argument(
        "--stop-on-error", action="store_true", help="stop after the first failed session"
    )
    parser.add_argument(
        "--real-noop-wait",
        action="store_true",
        help="really wait 5 s on NoOp (default: simulated time only)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output on stderr")
    parser.description = parser.description or DESCRIPTION
    parser.epilog = FAULT_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def split_faults(specs: list[str]) -> tuple[list[TransportFault], list[str]]:
    transport: list[TransportFault] = []
    quickbooks: list[str] = []
    for spec in specs:
        if spec.startswith("drop-"):
            try:
                transport.append(TransportFault.parse(spec))
            except ValueError as exc:
                raise CliInputError(str(exc)) from exc
        else:
            quickbooks.append(spec)
    return transport, quickbooks


def quickbooks_fault_plan(specs: list[str]) -> FaultPlan:
    """Map CLI specs onto the fake QuickBooks' FaultPlan.

    ``qb-not-running`` (0x80040408), ``wrong-file`` (0x8004040A), ``access-denied``
    (0x80040420), ``first-access`` (0x80040418), ``not-permitted`` (0x8004041A),
    ``open-error:HRESULT`` (next open only), ``lock:N[:CODE]`` (N-th qbXML request answered with
    lock status CODE, default 3175), ``qb-error:N[:HRESULT]`` (N-th ProcessRequest throws,
    default 0x80040400), ``lost-response:N`` (N-th ProcessRequest commits, then throws).
    """
    plan = FaultPlan()
    for spec in specs:
        name, _, rest = spec.partition(":")
        args = rest.split(":") if rest else []
        try:
            if name == "qb-not-running" and not args:
                plan.qb_not_running = True
            elif name == "wrong-file" and not args:
                plan.different_file_open = True
            elif name in QB_ACCESS_FAULTS and not args:
                plan.access = QB_ACCESS_FAULTS[name]
            elif name == "open-error" and len(args) == 1:
                plan.open_errors.append(args[0])
            elif name == "lock" and 1 <= len(args) <= 2:
                plan.lock_errors[_ordinal(args[0])] = int(args[1]) if len(args) > 1 else 3175
            elif name == "qb-error" and 1 <= len(args) <= 2:
                plan.processor_errors[_ordinal(args[0])] = (
                    args[1] if len(args) > 1 else "0x80040400"
                )
            elif name == "lost-response" and len(args) == 1:
                plan.lost_responses.add(_ordinal(args[0]))
            else:
                raise CliInputError(f"unknown --fault {spec!r}")
        except ValueError as exc:
            raise CliInputError(f"--fault {spec!r}: {exc}") from exc
    return plan


def _ordinal(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("N must be >= 1")
    return value


def build_quickbooks(args: argparse.Namespace, qb_faults: list[str]) -> FakeQuickBooks:
    company: CompanyFile | None = None
    state = Path(args.state) if args.state else None
    if state is not None and state.exists():
        try:
            with state.open("rb") as fh:
                company = pickle.load(fh)  # the user's own state file (documented as trusted)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
            raise CliInputError(f"{state}: cannot load state: {exc}") from exc
        if not isinstance(company, CompanyFile):
            raise CliInputError(f"{state}: not a saved fake company")
    if company is None:
        company = CompanyFile.generate(seed=args.seed, profile=args.profile)
    return FakeQuickBooks(company, faults=quickbooks_fault_plan(qb_faults))


def save_state(qb: QuickBooksLike, path: str) -> None:
    """Pickle the fake's company file (atomically); raises CliInputError when it cannot."""
    company = getattr(qb, "company", None)
    if company is None:
        raise CliInputError(f"{path}: this QuickBooks has no company to save")
    target = Path(path)
    tmp = target.with_suffix(target.suffix + ".tmp")
    try:
        with tmp.open("wb") as fh:
            pickle.dump(company, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(target)
    except (OSError, pickle.PicklingError, AttributeError, TypeError) as exc:
        tmp.unlink(missing_ok=True)
        raise CliInputError(f"{path}: cannot save state: {exc}") from exc


def run_simulate(
    args: argparse.Namespace,
    *,
    quickbooks: QuickBooksLike | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the simulation described by ``args``; ``quickbooks`` replaces the generated fake."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        qwc = read_qwc(args.qwc)
        transport_faults, qb_faults = split_faults(list(args.fault))
        if args.sessions < 1:
            raise CliInputError("--sessions must be at least 1")
        if quickbooks is None:
            quickbooks = build_quickbooks(args, qb_faults)
    except (QwcError, CliInputError) as exc:
        err.write(f"simulate: {exc}\n")
        return 2

    url = args.url or qwc.app_url
    progress = None if args.quiet else ProgressLine(err, args.sessions)
    clock = SimClock(real_sleep_factor=1.0 if args.real_noop_wait else 0.0)
    connector = WebConnector.from_qwc(
        qwc,
        args.password,
        quickbooks,
        url=url,
        client_version=args.client_version,
        transport_faults=TransportFaults(transport_faults),
        clock=clock,
        timeout=args.timeout,
        max_round_trips=args.max_round_trips,
        on_progress=progress.on_progress if progress else None,
    )
    interval = args.interval or qwc.run_every_seconds or DEFAULT_INTERVAL_SECONDS

    def after_session(_: Scheduler, report: SessionReport) -> None:
        if progress is not None:
            progress.session_done(report)

    scheduler = Scheduler(connector, interval, between_sessions=after_session)
    if not args.quiet:
        err.write(f"simulate: {args.sessions} session(s) against {url} as {qwc.username!r}\n")
    try:
        summary = scheduler.run(sessions=args.sessions, stop_on_error=args.stop_on_error)
    except KeyboardInterrupt:
        err.write("\nsimulate: interrupted\n")
        return 1
    finally:
        state_error = _save_state_if_asked(quickbooks, args.state, err)

    if args.json:
        data = summary.to_dict()
        data["url"] = url
        data["qwc"] = _qwc_summary(qwc)
        out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        out.write(summary.format_text() + "\n")
    return 0 if summary.ok and not state_error else 1


def _save_state_if_asked(qb: QuickBooksLike, path: str | None, err: TextIO) -> bool:
    """Save the company when --state was given; True when saving failed (already reported)."""
    if not path:
        return False
    try:
        save_state(qb, path)
    except CliInputError as exc:
        err.write(f"simulate: {exc}\n")
        return True
    return False


def _qwc_summary(qwc: QwcInfo) -> dict[str, Any]:
    return {
        "path": qwc.path,
        "app_name": qwc.app_name,
        "app_url": qwc.app_url,
        "username": qwc.username,
        "owner_id": qwc.owner_id,
        "file_id": qwc.file_id,
        "run_every_seconds": qwc.run_every_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m qbwc_server.sim.cli``)."""
    parser = argparse.ArgumentParser(prog="qbwc-sim", description=DESCRIPTION)
    add_simulate_arguments(parser)
    return run_simulate(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

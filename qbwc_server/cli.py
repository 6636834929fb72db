"""The ``qbwc-server`` command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from qbwc_server.config import ConfigError, Settings, load_settings
from qbwc_server.db import Database, migrations_current, upgrade
from qbwc_server.services import companies as svc
from qbwc_server.services.errors import ServiceError
from qbwc_server.services.qwc import qwc_filename, render_qwc
from qbwc_server.services.settings_store import owner_id


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _db(settings: Settings, migrate: bool = True) -> Database:
    db = Database(settings.database_url)
    if migrate:
        upgrade(db)
    return db


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from qbwc_server import serving
    from qbwc_server.db import MigrationsNeedDirectConnection

    try:
        db = _db(settings, migrate=not args.no_migrate)
    except MigrationsNeedDirectConnection as exc:
        print(f"qbwc-server: {exc}", file=sys.stderr)
        return 1
    try:
        if migrations_current(db):
            owner_id(db, settings)
    except Exception as exc:  # database down: serve anyway, /readyz answers 503
        logging.getLogger("qbwc.serve").error("database not ready: %s", exc)
    db.dispose()
    options = serving.gunicorn_options(
        settings,
        host=args.host,
        port=args.port,
        workers=args.workers or settings.workers,
        threads=args.threads,
        timeout=args.timeout or settings.timeout_seconds,
    )
    serving.run(settings, options)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    db = _db(settings)
    owner_id(db, settings)
    print("database is at the latest schema")
    return 0


def cmd_company(args: argparse.Namespace, settings: Settings) -> int:
    db = _db(settings)
    action = args.company_command
    with db.transaction() as s:
        if action == "create":
            created = svc.create_company(
                s,
                args.name,
                sync_interval_minutes=args.sync_interval_minutes,
                history_start=args.history_start,
                confirm_binding=args.confirm_binding,
            )
            view = svc.company_view(created.company, settings)
            view["connector_key"] = created.connector_key
            if args.json:
                _print_json(view)
            else:
                print(f"id:            {view['id']}")
                print(f"user name:     {view['username']}")
                print(f"Connector Key: {created.connector_key}")
                print(
                    "(the key is shown only now; type it into the Web Connector's Password column)"
                )
            return 0
        if action == "list":
            views = [svc.company_view(c, settings) for c in svc.list_companies(s)]
            if args.json:
                _print_json(views)
            else:
                for v in views:
                    print(
                        f"{v['id']:>5}  {v['status']['state']:<20}  "
                        f"{v['username']:<16}  {v['name']}"
                    )
            return 0
        if action == "confirm-binding":
            from qbwc_server.services.binding import confirm_binding

            company = confirm_binding(s, args.id)
            print(
                f"company {company.id}: bound to {company.bound_company_name} "
                f"({company.bound_file_path}); the next Web Connector run syncs"
            )
            return 0
        if action == "restore":
            from qbwc_server.services.restore import record_restore

            company = record_restore(s, args.id, args.restored_on)
            print(
                f"company {company.id}: restored on {company.restored_on}; the next Web "
                "Connector run compares every id with QuickBooks"
            )
            return 0
        company = svc.get_company(s, args.id, for_update=action != "show")
        if action == "show":
            from qbwc_server.runtime import Runtime
            from qbwc_server.status.text import format_company

            view = Runtime(settings, db).status_view(s, company)
            _print_json(view) if args.json else print(format_company(view))
            return 0
        if action == "rotate-key":
            key = svc.rotate_key(s, company)
            view = svc.company_view(company, settings)
            view["connector_key"] = key
            if args.json:
                _print_json(view)
            else:
                print(f"New Connector Key: {key}")
                print(
                    "The old key and its sessions stopped working. "
                    "Enter the new key in the Web Connector."
                )
            return 0
        if action == "reconcile":
            from qbwc_server.sync.reconcile import request_reconcile

            streams = request_reconcile(s, company.id)
            company.last_complete_sync_at = None
            print(
                f"company {company.id}: {streams} streams will compare every id with "
                "QuickBooks at the next Web Connector run (use after restoring a backup)"
            )
            return 0
        if action == "reset-binding":
            from qbwc_server.services.binding import forget_binding

            forget_binding(company)
            print(
                f"company {company.id}: binding reset; the next session reads the open file"
                + (" and waits for confirmation" if company.confirm_binding else " and binds it")
            )
            return 0
    raise AssertionError(action)


def _operation_line(view: dict[str, Any]) -> str:
    if view["state"] == "done" and view.get("result"):
        result = view["result"]
        note = "QuickBooks " + " ".join(
            f"{k}={result[k]}" for k in ("list_id", "txn_id", "ref_number") if result.get(k)
        )
    elif view.get("error"):
        error = view["error"]
        note = (error.get("message") or "").replace("\n", " ")
    else:
        note = ""
    return (
        f"{view['id']:>6}  {view['type']:<32} {view['state']:<16} {view['attempts']:>3}  "
        f"{(view['created_at'] or '')[:19]:<19}  {note}"
    ).rstrip()


def cmd_operations(args: argparse.Namespace, settings: Settings) -> int:
    from qbwc_server.writeback import service as ops

    db = _db(settings)
    action = args.operations_command
    with db.transaction() as s:
        if action == "list":
            company = svc.get_company(s, args.id)
            views = [
                ops.operation_view(op)
                for op in ops.list_operations(
                    s, company.id, state=args.state, op_type=args.type, limit=args.limit
                )
            ]
            if args.json:
                _print_json(views)
            elif not views:
                print(
                    f"company {company.id}: no operations"
                    + (f" in state {args.state}" if args.state else "")
                )
            else:
                print(f"{'id':>6}  {'type':<32} {'state':<16} {'try':>3}  {'created':<19}  note")
                for view in views:
                    print(_operation_line(view))
            return 0
        if action == "retry":
            op = ops.retry_operation(s, args.op_id)
            print(
                f"operation {op.id}: {op.state} again; it goes out with the next Web Connector run"
            )
            return 0
        if action == "cancel":
            op = ops.cancel_operation(s, args.op_id)
            print(f"operation {op.id}: cancelled")
            return 0
    raise AssertionError(action)


def cmd_qwc(args: argparse.Namespace, settings: Settings) -> int:
    db = _db(settings)
    oid = owner_id(db, settings)
    with db.transaction() as s:
        company = svc.get_company(s, args.id)
        text = render_qwc(company, settings, oid)
        default_name = qwc_filename(company)
    if args.output == "-" or (args.output is None and not sys.stdout.isatty()):
        sys.stdout.write(text)
        return 0
    path = Path(args.output or default_name)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_help(args: argparse.Namespace, settings: Settings) -> int:
    from qbwc_server.help import catalog
    from qbwc_server.help.text import format_entry, format_list

    if args.code is None:
        found = catalog.entries(kind=args.kind, query=args.search)
        if args.json:
            _print_json([item.as_dict() for item in found])
        else:
            print(format_list(found) if found else "no help entry matches")
        return 0 if found else 1
    item = catalog.lookup(args.code)
    if item is None:
        print(
            f"qbwc-server: no help entry for {args.code!r}; 'qbwc-server help' lists them "
            "(QBWC1012, 0x80040408, 3100, wrong_company_file)",
            file=sys.stderr,
        )
        return 1
    _print_json(item.as_dict()) if args.json else print(format_entry(item))
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings | None) -> int:
    from qbwc_server.diagnostics.doctor import report, run_checks

    text, status = report(run_checks(http_timeout=args.timeout))
    print(text)
    return status


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from qbwc_server.diagnostics.status_lines import company_statuses, format_lines

    db = _db(settings, migrate=False)
    with db.transaction() as s:
        rows = company_statuses(s, settings)
    _print_json(rows) if args.json else print(format_lines(rows))
    return 0


def cmd_session(args: argparse.Namespace, settings: Settings) -> int:
    from qbwc_server.audit.views import format_session, get_session, session_detail

    db = _db(settings, migrate=False)
    with db.transaction() as s:
        view = session_detail(s, get_session(s, args.session_id), settings, bodies=args.exchange)
    _print_json(view) if args.json else print(format_session(view, args.exchange))
    return 0


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from qbwc_server.sim.cli import run_simulate

    return run_simulate(args)


def build_parser(with_simulator: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qbwc-server", description="QuickBooks Web Connector server for the AP platform"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the HTTP server (applies pending migrations first)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 8000), help="default: $PORT, 8000"
    )
    p.add_argument("--workers", type=int, default=None, help="default: QBWC_WORKERS (2)")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument(
        "--timeout", type=int, default=None, help="worker timeout, s (QBWC_TIMEOUT_SECONDS, 300)"
    )
    p.add_argument("--no-migrate", action="store_true", help="do not apply migrations on start")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("company", help="manage companies")
    csub = p.add_subparsers(dest="company_command", required=True)
    c = csub.add_parser("create", help="create a company and print its Connector Key")
    c.add_argument("name")
    c.add_argument("--sync-interval-minutes", type=int, default=15)
    c.add_argument("--history-start", default=None, help='a date (YYYY-MM-DD) or "all"')
    c.add_argument(
        "--no-confirm-binding",
        dest="confirm_binding",
        action="store_false",
        help="bind the company file open at first contact (default: wait for confirm-binding)",
    )
    c.add_argument("--json", action="store_true")
    c = csub.add_parser("list", help="list companies")
    c.add_argument("--json", action="store_true")
    c = csub.add_parser("show", help="settings and status of a company")
    c.add_argument("id")
    c.add_argument("--json", action="store_true")
    c = csub.add_parser("rotate-key", help="issue a new Connector Key (the old one stops working)")
    c.add_argument("id")
    c.add_argument("--json", action="store_true")
    c = csub.add_parser(
        "reset-binding",
        help="reject the company file waiting for confirmation, or forget the bound one",
    )
    c.add_argument("id")
    c = csub.add_parser(
        "confirm-binding", help="Begin Sync: bind the company file waiting for confirmation"
    )
    c.add_argument("id")
    c = csub.add_parser(
        "restore", help="the company file was restored from a backup: reconcile at the next run"
    )
    c.add_argument("id")
    c.add_argument("restored_on", help="the restore date, YYYY-MM-DD")
    c = csub.add_parser(
        "reconcile", help="compare every id with QuickBooks at the next run (after a restore)"
    )
    c.add_argument("id")
    p.set_defaults(func=cmd_company)

    p = sub.add_parser("operations", help="list, retry or cancel write-back operations")
    osub = p.add_subparsers(dest="operations_command", required=True)
    o = osub.add_parser("list", help="a company's operations, newest first")
    o.add_argument("id", help="company id")
    o.add_argument(
        "--state", choices=("queued", "sent", "done", "failed", "needs_attention", "cancelled")
    )
    o.add_argument("--type", default=None, help="e.g. bill.create")
    o.add_argument("--limit", type=int, default=100)
    o.add_argument("--json", action="store_true")
    o = osub.add_parser("retry", help="send a failed or needs_attention operation again")
    o.add_argument("op_id")
    o = osub.add_parser("cancel", help="cancel an operation that has not reached QuickBooks")
    o.add_argument("op_id")
    p.set_defaults(func=cmd_operations)

    p = sub.add_parser(
        "doctor", help="check settings, database, migrations, public URL, clock, volume"
    )
    p.add_argument("--timeout", type=float, default=5.0, help="HTTP timeout of the URL checks")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("status", help="one line per company: state, last contact, problem")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("session", help="a QBWC session and its qbXML exchange (audit trail)")
    ssub = p.add_subparsers(dest="session_command", required=True)
    c = ssub.add_parser("show", help="outcome, errors, calls; --exchange: the qbXML too")
    c.add_argument("session_id")
    c.add_argument("--exchange", action="store_true", help="print each request and response")
    c.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_session)

    p = sub.add_parser("qwc", help="write the company's .qwc file")
    p.add_argument("id")
    p.add_argument("-o", "--output", help="file to write (default NAME-ID.qwc; - for stdout)")
    p.set_defaults(func=cmd_qwc)

    p = sub.add_parser("help", help="what an error code means and what to do about it")
    p.add_argument("code", nargs="?", help="QBWC1012, 0x80040408, 3100, wrong_company_file, ...")
    p.add_argument("--kind", choices=("qbwc", "hresult", "qbxml_status", "server"))
    p.add_argument("--search", metavar="WORDS", help="only entries containing these words")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_help)

    p = sub.add_parser(
        "simulate", help="drive a QBWC server with the simulated Web Connector and QuickBooks"
    )
    if with_simulator:  # importing the simulator costs ~0.5 s: only when it is used
        from qbwc_server.sim.cli import add_simulate_arguments

        add_simulate_arguments(p)
    p.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(with_simulator="simulate" in argv[:1] or "-h" in argv or "--help" in argv)
    args = parser.parse_args(argv)
    if args.func is cmd_doctor:
        return cmd_doctor(args, None)  # reports a broken setting as a failed check
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"qbwc-server: configuration error: {exc}", file=sys.stderr)
        return 2
    from qbwc_server.observability.logs import configure_logging

    if not logging.getLogger().handlers:  # a host that set up logging (a test runner) keeps it
        configure_logging(settings)
    try:
        return int(args.func(args, settings))
    except ServiceError as exc:
        print(f"qbwc-server: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

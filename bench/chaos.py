"""The chaos run (issue 13 item 5): faults while companies sync and write back; at the end every
company's data equals its QuickBooks, nothing was written twice, nothing is stuck.

    python bench/chaos.py [--seed N] [--companies N] [--rounds N] [--workers N]
                          [--kill-every A B] [--restart-every A B] [--drop-probability P]
                          [--time-limit S]

Starts its own PostgreSQL cluster (initdb + pg_ctl in a temporary directory, on a free port;
never the machine's shared server) and ``qbwc-server serve`` on it; SIGKILLs gunicorn workers,
restarts the database (fast and crash-like "immediate"), drops connections before and after
random SOAP calls. Prints the faults injected by kind and the discrepancies (must be 0); exits
1 when there is any. The engine is ``tests/chaos/run.py`` (the test suite runs a short form of
it: ``tests/chaos/test_chaos.py``). The seed fixes every random choice; rerun with the printed
seed to replay the same plan (thread and process timing is the machine's).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.chaos.bookkeeper import EDIT_ACTIONS
from tests.chaos.plan import ChaosConfig
from tests.chaos.run import run_chaos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock, printed")
    parser.add_argument("--companies", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=10, help="chaotic sessions per company")
    parser.add_argument("--profile", default="tiny", choices=["tiny", "small"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--kill-every", type=float, nargs=2, default=[3.0, 9.0], metavar=("A", "B"))
    parser.add_argument(
        "--restart-every", type=float, nargs=2, default=[12.0, 25.0], metavar=("A", "B")
    )
    parser.add_argument("--drop-probability", type=float, default=0.3)
    parser.add_argument("--time-limit", type=float, default=1800.0)
    parser.add_argument(
        "--edit-actions",
        nargs="+",
        default=list(EDIT_ACTIONS),
        choices=EDIT_ACTIONS,
        help="what the bookkeeper does in QuickBooks between sessions (default: all)",
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time()) % 100_000
    config = ChaosConfig(
        seed=seed,
        companies=args.companies,
        rounds=args.rounds,
        profile=args.profile,
        workers=args.workers,
        threads=args.threads,
        kill_every=(args.kill_every[0], args.kill_every[1]),
        restart_every=(args.restart_every[0], args.restart_every[1]),
        drop_probability=args.drop_probability,
        time_limit=args.time_limit,
        edit_actions=tuple(args.edit_actions),
    )
    print(f"seed {seed}", flush=True)
    result = run_chaos(config, log=lambda line: print(line, flush=True))
    print("\n".join(result.lines()))
    return 1 if result.discrepancies else 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env bash
# Run every benchmark in bench/ and print their figures (about 25 minutes on the 2-core machine
# when it is otherwise idle; other load makes wall-clock figures worse, CPU figures much less).
#
#   bench/run_all.sh           # text figures
#   bench/run_all.sh --json    # bench_sync / bench_ingest print JSON (the others print text)
#
# Needs PostgreSQL at postgresql://postgres@127.0.0.1/postgres (override with QBWC_BENCH_PG);
# each benchmark creates its own database and drops it. Plain scripts, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PG=${QBWC_BENCH_PG:-postgresql://postgres@127.0.0.1/postgres}
JSON=()
if [ "${1:-}" = "--json" ]; then
  JSON=(--json)
fi

run() {
  echo "== $*"
  local start=$SECONDS
  "$PY" "$@"
  echo "-- $((SECONDS - start)) s"
  echo
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# The fake QuickBooks: company generation and page answering (so it is not the bottleneck).
run bench/bench_generator.py --profiles tiny small large
# Storage layer alone: bulk upserts on PostgreSQL and SQLite.
run bench/bench_storage.py --pg "$PG"
# Full initial sync, small profile: in-process and over real HTTP (gunicorn in its own process).
run bench/bench_sync.py --profile small --transport inproc http --pg "$PG" "${JSON[@]}"
# Large profile: thousands of round trips; cut after 150 s of sessions (figures cover that part).
run bench/bench_sync.py --profile large --transport inproc --time-budget 150 --pg "$PG" "${JSON[@]}"
# SOAP body in -> rows committed: vendors/s and bills-with-lines/s, memory per page.
run bench/bench_ingest.py --pg "$PG" "${JSON[@]}"
# The idle poll and a 20,000-vendor sync, ours vs the peer qbwc-kit (throw-away venv from PyPI).
run bench/bench_idle.py --pg "$PG" "${JSON[@]}"
# The same two in instructions (callgrind: repeatable run to run); needs valgrind.
if command -v valgrind >/dev/null; then
  run bench/bench_instructions.py --pg "$PG" "${JSON[@]}"
else
  echo "== bench/bench_instructions.py skipped: valgrind is not installed"
fi
# 5,000 Web Connectors on a 15-minute schedule compressed 10x, then a ramp to the p99 knee.
run bench/bench_load.py --pg "$PG" "${JSON[@]}"
# Faults while companies sync and write back (its own PostgreSQL cluster); exits 1 on a discrepancy.
run bench/chaos.py
# What authenticate answers when saturated or the database is down (exits 1 when a check fails).
run bench/overload.py
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

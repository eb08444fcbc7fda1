#!/usr/bin/env bash
# load.sh -- data in (issue 21): occam's CSV reader against numpy.loadtxt on the same file,
# and the peak resident memory of `occam linear path` against the size of X.
#
#   bash bench/load.sh [--reps N] [--big] [--no-rss] [--scaling]   (repo root, after cargo build --release)
#   OCCAM=/path/to/occam bash bench/load.sh ...           (another binary)
#
# --big also runs a ~1 GB file (5,000 x 10,000; generated once under bench/data/, ~2 minutes).
# --scaling instead times 200 rows by 2,500 .. 40,000 columns (linear in the column count?).
# Needs python3 with numpy: bench/.venv if it exists (bench/linear.sh makes it), else the
# project's target/python-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=bench/.venv/bin/python
[ -x "$PY" ] || PY=target/python-venv/bin/python
[ -x "$PY" ] || { echo "no python with numpy: run bench/linear.sh or scripts/python-tests.sh first" >&2; exit 2; }
exec "$PY" bench/load_bench.py "$@"

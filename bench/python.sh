#!/usr/bin/env bash
# python.sh -- occam's Python estimators against scikit-learn and glum, side by side in one
# run: CV over the same lambda grid and folds on diabetes, pima, colon and a p >> n design,
# checked at equal objective; occam's MLPClassifier against scikit-learn's on digits; the
# Python call overhead of a fit on 100 rows. See bench/python_bench.py for the protocol.
#
#   bash bench/python.sh [--reps N] [--quick] [--epochs E]     (run from the repo root)
#
# --quick   diabetes, pima (without saga) and colon only, about a minute
# The full run takes about 10 minutes on a 2-core machine.
#
# Needs python3 and a Rust toolchain (the package is built from ./python into the venv).
# numpy, pandas, scikit-learn and glum go into bench/.venv-python (pinned below; created on
# first use).
set -euo pipefail

NUMPY_VERSION=2.4.6
PANDAS_VERSION=3.1.1
SKLEARN_VERSION=1.9.1
GLUM_VERSION=3.4.1

cd "$(dirname "$0")/.."
VENV=bench/.venv-python
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "numpy==$NUMPY_VERSION" "pandas==$PANDAS_VERSION" \
    "scikit-learn==$SKLEARN_VERSION" "glum==$GLUM_VERSION"
fi
# The package from this checkout, rebuilt every run (cargo reuses target/).
"$VENV/bin/pip" install --quiet ./python
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date: $(date -u +%Y-%m-%d)"
exec "$VENV/bin/python" bench/python_bench.py "$@"

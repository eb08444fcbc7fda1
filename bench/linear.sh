#!/usr/bin/env bash
# linear.sh -- lasso / elastic-net path timing: occam vs glmnet (R) vs scikit-learn.
#
#   bash bench/linear.sh [--quick] [--reps N]      (run from the repo root)
#
# --quick   fewer designs (smoke run)
# --reps N  timed repetitions per solver and model, median reported (default 3)
# --designs A,B  only these designs (e.g. N200_p10000_rho0.7,colon)
# Two tables: the defaults table (glmnet with every default against occam with its default
# stopping rule and with --gap-tol 1e-6, on glmnet's default lambda sequence) and the
# equal-gap table (every solver tightened until the certified gap is <= 1e-6).
# Other options of bench/linear_bench.py are passed through (time limits, --no-sklearn; see
# bench/.venv/bin/python bench/linear_bench.py --help). The full grid takes about 35 minutes on
# a 2-core machine (the N=5000, p=1000 designs are most of it); --quick takes about 1 minute.
#
# Needs: target/release/occam (this script builds nothing), Rscript with glmnet, python3.
# numpy and scikit-learn go into bench/.venv (pinned below; created on first use).
# Data go to bench/data/, raw results to bench/out/ (both ignored by git).
set -euo pipefail

NUMPY_VERSION=2.4.6
SKLEARN_VERSION=1.9.1

cd "$(dirname "$0")/.."

if [ ! -x target/release/occam ]; then
  echo "target/release/occam not found: run cargo build --release first" >&2
  exit 2
fi

if ! command -v Rscript >/dev/null 2>&1; then
  echo "Rscript not found. Install R and glmnet, e.g. with" >&2
  echo "  bash crates/occam-linear/tests/fixtures/glmnet/install_r.sh" >&2
  exit 1
fi
if ! Rscript -e 'suppressPackageStartupMessages(library(glmnet))' >/dev/null 2>&1; then
  echo "the R package glmnet is not installed. Install it, e.g. with" >&2
  echo "  bash crates/occam-linear/tests/fixtures/glmnet/install_r.sh" >&2
  exit 1
fi

VENV=bench/.venv
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "
import numpy, sklearn, sys
sys.exit(0 if (numpy.__version__, sklearn.__version__) == ('$NUMPY_VERSION', '$SKLEARN_VERSION') else 1)
" >/dev/null 2>&1; then
  echo "installing numpy==$NUMPY_VERSION scikit-learn==$SKLEARN_VERSION into $VENV"
  "$VENV/bin/pip" install --quiet "numpy==$NUMPY_VERSION" "scikit-learn==$SKLEARN_VERSION"
fi

echo "numpy $("$VENV/bin/python" -c 'import numpy; print(numpy.__version__)')," \
  "scikit-learn $("$VENV/bin/python" -c 'import sklearn; print(sklearn.__version__)')," \
  "scipy $("$VENV/bin/python" -c 'import scipy; print(scipy.__version__)')," \
  "$(Rscript -e 'cat("R", R.version$major, ".", R.version$minor, " glmnet ", as.character(packageVersion("glmnet")), sep="")')," \
  "$(target/release/occam --version 2>/dev/null || echo occam)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"

# Single-threaded everywhere: glmnet and occam's path fit use one thread; keep BLAS (used by
# scikit-learn's Gram matrix and by the gap checks) on one thread too.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

exec "$VENV/bin/python" bench/linear_bench.py "$@"

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
# Sparse designs (20,000 x 100,000 at 0.1% density, the movie-review bag of words; glmnet's
# sparse input and skglm beside occam) are in bench/linear_sparse.sh.
#
# Needs: target/release/occam (this script builds nothing), Rscript with glmnet, python3.
# numpy and scikit-learn go into bench/.venv (pinned in bench/linear_setup.sh; created on first use).
# Data go to bench/data/, raw results to bench/out/ (both ignored by git).
set -euo pipefail

cd "$(dirname "$0")/.."
# the occam binary, R with glmnet, bench/.venv with the pinned numpy and scikit-learn
source bench/linear_setup.sh

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

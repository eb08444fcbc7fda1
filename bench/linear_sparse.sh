#!/usr/bin/env bash
# linear_sparse.sh -- sparse lasso / elastic-net paths at scale: occam vs glmnet (sparse input)
# vs skglm, on a generated 20,000 x 100,000 design at 0.1% density and the movie-review bag of
# words (bench/linear_sparse.py has the designs and the protocol).
#
#   bash bench/linear_sparse.sh [--quick] [--reps N] [--designs A,B] [--models M1,M2] [--no-skglm]
#
# --quick   the movie-review design only (about 5 minutes)
# The full run takes about 23 minutes on a 2-core machine (glmnet's thresh search and skglm on the
# generated design are most of it).
#
# Needs: target/release/occam (this script builds nothing), Rscript with glmnet, python3.
# numpy, scikit-learn and skglm go into bench/.venv (pinned in bench/linear_setup.sh and here).
# Data go to bench/data/sparse/, raw results to bench/out/sparse/ (both ignored by git).
set -euo pipefail

cd "$(dirname "$0")/.."
# the occam binary, R with glmnet, bench/.venv with the pinned numpy, scikit-learn and skglm
LINEAR_EXTRA="skglm==0.5"
source bench/linear_setup.sh
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"

# Single-threaded everywhere (glmnet and occam's path fit use one thread; so do numba's loops).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1

exec "$VENV/bin/python" bench/linear_sparse.py "$@"

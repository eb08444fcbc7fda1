# linear_setup.sh -- what bench/linear.sh and bench/linear_sparse.sh share; sourced from the
# repo root, not run. Checks target/release/occam and Rscript with glmnet (exit 2 / 1 with a
# message), and makes bench/.venv with the pinned numpy and scikit-learn plus the packages
# that LINEAR_EXTRA names (e.g. "skglm==0.5"), installing only when a version differs.
NUMPY_VERSION=2.4.6
SKLEARN_VERSION=1.9.1

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
# shellcheck disable=SC2206  # LINEAR_EXTRA is a space-separated list of pins
want=("numpy==$NUMPY_VERSION" "scikit-learn==$SKLEARN_VERSION" ${LINEAR_EXTRA:-})
if ! "$VENV/bin/python" - "${want[@]}" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version
sys.exit(0 if all(version(w.split("==")[0]) == w.split("==")[1] for w in sys.argv[1:]) else 1)
PY
then
  echo "installing ${want[*]} into $VENV"
  "$VENV/bin/pip" install --quiet "${want[@]}"
fi

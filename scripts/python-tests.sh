#!/usr/bin/env bash
# Builds the Python package (python/, maturin + PyO3 over the facade crate) into a venv of its
# own (target/python-venv), installs what its tests need from PyPI, and runs them with pytest.
# The tests also call the `occam` binary (target/release/occam), which they build if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --upgrade pip
# flwr[simulation] (Flower and Ray): the Flower interop's test runs its simulation engine
"$venv/bin/pip" install -q "maturin>=1.5,<2" numpy scikit-learn pytest pandas "dask[distributed]" \
    "flwr[simulation]>=1.20,<2"
"$venv/bin/pip" install -q ./python
"$venv/bin/python" -m pytest -q python/tests "$@"

#!/usr/bin/env bash
# rnn.sh -- LSTM and GRU training steps per second, occam against PyTorch on CPU (issue 21):
# the same one-layer network, initial weights and data, same threads, alternating runs.
#
#   bash bench/rnn.sh [--reps N] [--threads N] [--quick]   (repo root, after cargo build --release)
#   OCCAM=/path/to/occam bash bench/rnn.sh ...
#
# Rows: cell lstm|gru x sequence length 24|128 x hidden 32|256 x batch 32|256 (8 features).
# Needs bench/.venv-torch (crates/occam-nn/tests/fixtures/torch/install_torch.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=bench/.venv-torch/bin/python
[ -x "$PY" ] || { echo "no bench/.venv-torch: run crates/occam-nn/tests/fixtures/torch/install_torch.sh" >&2; exit 2; }
exec "$PY" bench/rnn_bench.py "$@"

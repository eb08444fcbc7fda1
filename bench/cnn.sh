#!/usr/bin/env bash
# cnn.sh -- one training epoch of the same small CNN on Fashion-MNIST: occam vs PyTorch CPU,
# 2 threads each, side by side, with the ratio of epoch times (torch / occam, > 1 = occam faster).
#
#   bash bench/cnn.sh [RUNS]     (run from the repo root, after cargo build --release)
#
# RUNS (default 5) alternating runs, occam then torch; each run's times, then the medians and
# the median of the per-run ratios (what the issue's table takes).
#
# Architecture: conv 32 3x3 same -> ReLU -> maxpool 2 -> conv 64 3x3 same -> ReLU -> maxpool 2
# -> dense 128 -> ReLU -> dense 10; Adam lr 2e-3, batch 64, 54,000 training images (occam holds
# 6,000 out for validation, torch the same count). occam's time is its first epoch's
# `seconds` in metrics.csv (training steps and the validation pass); torch's the same (the
# steps, then a pass over its 6,000 held-out images).
set -euo pipefail
cd "$(dirname "$0")/.."
F=../shared/data/fashion-mnist
bash crates/occam-nn/tests/fixtures/torch/install_torch.sh >/dev/null
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295
RUNS=${1:-5}
OUT=bench/out/cnn
mkdir -p bench/out
ratios=(); occs=(); tors=()
for r in $(seq 1 "$RUNS"); do
  rm -rf "$OUT"
  target/release/occam train $F/train-images-idx3-ubyte.gz --labels $F/train-labels-idx1-ubyte.gz \
    --test-images $F/t10k-images-idx3-ubyte.gz --test-labels $F/t10k-labels-idx1-ubyte.gz \
    --model cnn --conv 32:3:2,64:3:2 --hidden 128 --epochs 1 --val-fraction 0.1 --batch-size 64 \
    --lr 2e-3 --threads 2 --no-standardize --no-report --out "$OUT" > bench/out/cnn_occam.log
  occ=$(awk -F, 'NR==2 {print $NF}' "$OUT/metrics.csv")
  acc=$(python3 -c "import json; print(json.load(open('$OUT/summary.json'))['test_metrics']['accuracy'])")
  echo "RESULT run=$r engine=occam epoch_seconds=$occ test_accuracy_after_1_epoch=$acc"
  line=$(bench/.venv-torch/bin/python bench/cnn_torch.py "$F" | grep RESULT)
  echo "${line/RESULT/RESULT run=$r}"
  tor=$(echo "$line" | sed 's/.*epoch_seconds=\([0-9.]*\).*/\1/')
  ratios+=("$(echo "$tor / $occ" | bc -l)"); occs+=("$occ"); tors+=("$tor")
  echo "run $r ratio torch/occam epoch time: $(echo "$tor / $occ" | bc -l | cut -c1-5)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
echo "median of $RUNS: occam $(median "${occs[@]}") s, torch $(median "${tors[@]}") s, ratio torch/occam $(median "${ratios[@]}")"

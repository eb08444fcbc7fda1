#!/usr/bin/env bash
# cnn.sh -- one training epoch of the same small CNN on Fashion-MNIST: occam vs PyTorch CPU,
# 2 threads each, side by side, with the ratio of epoch times (torch / occam, > 1 = occam faster).
#
#   bash bench/cnn.sh            (run from the repo root, after cargo build --release)
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
OUT=bench/out/cnn
rm -rf "$OUT" && mkdir -p bench/out
target/release/occam train $F/train-images-idx3-ubyte.gz --labels $F/train-labels-idx1-ubyte.gz \
  --test-images $F/t10k-images-idx3-ubyte.gz --test-labels $F/t10k-labels-idx1-ubyte.gz \
  --model cnn --conv 32:3:2,64:3:2 --hidden 128 --epochs 1 --val-fraction 0.1 --batch-size 64 \
  --lr 2e-3 --threads 2 --no-standardize --no-report --out "$OUT" > bench/out/cnn_occam.log
occ=$(awk -F, 'NR==2 {print $NF}' "$OUT/metrics.csv")
acc=$(python3 -c "import json; print(json.load(open('$OUT/summary.json'))['test_metrics']['accuracy'])")
echo "RESULT engine=occam epoch_seconds=$occ test_accuracy_after_1_epoch=$acc"
line=$(bench/.venv-torch/bin/python bench/cnn_torch.py "$F" | grep RESULT)
echo "$line"
tor=$(echo "$line" | sed 's/.*epoch_seconds=\([0-9.]*\).*/\1/')
echo "ratio torch/occam epoch time: $(echo "$tor / $occ" | bc -l | cut -c1-5)"

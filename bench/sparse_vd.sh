#!/usr/bin/env bash
# sparse_vd.sh -- sparse variational dropout (Molchanov et al. 2017) against L1 by proximal step
# and the unpenalized network, on the full Fashion-MNIST (54,000 training images, 6,000 held out
# for validation, the 10,000 test images), side by side. ARCH=lenet (default): LeNet-300-100
# (784-300-100-10, ReLU), batch 100, lr 1e-3. ARCH=cnn: the small CNN of bench/cnn.sh (conv
# 32 3x3 + maxpool 2, conv 64 3x3 + maxpool 2, dense 128, dense 10), batch 64, lr 2e-3; sparse
# VD then covers the kernels too, L1 every dense layer (--penalty-layers all) and, per weight,
# the kernels.
#
#   bash bench/sparse_vd.sh [EPOCHS] [L1 values...]     (repo root, after cargo build --release)
#   KL_WEIGHTS="1 0.5" ARCH=cnn bash bench/sparse_vd.sh ...   (one sparse VD run per KL weight)
#   OCCAM=/path/to/occam bash bench/sparse_vd.sh ...    (another binary than target/release/occam)
#
# Every run: Adam with a cosine decay of the learning rate to 0, EPOCHS epochs (default 30),
# 2 threads, pixels in [0, 1] (no standardization), the last epoch's weights (no early
# stopping, so every method gets the same budget). Sparse VD: --variational sparse with the KL
# weight (--kl-weight, default 1: the ELBO) warmed up over the first third of the epochs;
# weights with log alpha > 3 end exactly zero. L1: --l1 LAMBDA --penalty-layers all (every
# dense layer, by the proximal step in Adam's metric), one run per LAMBDA (default 1e-4 3e-4
# 1e-3 2e-3), to put L1 runs on both sides of VD's sparsity. Printed: one RESULT line per run (test accuracy, exact zeros over all dense
# weights) and a table.
set -euo pipefail
cd "$(dirname "$0")/.."
F=../shared/data/fashion-mnist
EPOCHS=${1:-30}
shift || true
L1S=${*:-1e-4 3e-4 1e-3 2e-3}
KL_WEIGHTS=${KL_WEIGHTS:-1}
ARCH=${ARCH:-lenet}
OCCAM=${OCCAM:-target/release/occam}
case $ARCH in
  lenet) NET=(--hidden 300,100 --batch-size 100 --lr 1e-3) ;;
  cnn) NET=(--model cnn --conv 32:3:2,64:3:2 --hidden 128 --batch-size 64 --lr 2e-3) ;;
  *) echo "ARCH is lenet or cnn" >&2; exit 2 ;;
esac
OUT=bench/out/sparse_vd_$ARCH
rm -rf "$OUT" && mkdir -p "$OUT"
run() {
  local name=$1
  shift
  "$OCCAM" train $F/train-images-idx3-ubyte.gz --labels $F/train-labels-idx1-ubyte.gz \
    --test-images $F/t10k-images-idx3-ubyte.gz --test-labels $F/t10k-labels-idx1-ubyte.gz \
    "${NET[@]}" --epochs "$EPOCHS" --val-fraction 0.1 \
    --schedule cosine --no-restore-best --threads 2 --no-standardize --no-report \
    --out "$OUT/$name" "$@" \
    > "$OUT/$name.log"
  python3 - "$OUT/$name" "$name" <<'PY'
import array, json, struct, sys
# exact zeros over every weight matrix and kernel of model.safetensors (biases and variational
# parameters excluded), read with the standard library
raw = open(sys.argv[1] + "/model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
z = t = 0
for name, info in head.items():
    if name == "__metadata__" or not name.endswith(".weight"):
        continue
    a, b = info["data_offsets"]
    v = array.array("f", raw[8 + n + a:8 + n + b])
    z += sum(1 for x in v if x == 0.0)
    t += len(v)
s = json.load(open(sys.argv[1] + "/summary.json"))
acc = s["test_metrics"]["accuracy"]
print(f"RESULT run={sys.argv[2]} test_accuracy={acc:.4f} zeros={z} weights={t} "
      f"sparsity={100 * z / t:.2f}% seconds={s['fit_seconds']:.0f}")
PY
}
{
  run plain
  for w in $KL_WEIGHTS; do
    run "sparse_vd_kl$w" --variational sparse --kl-warmup $((EPOCHS / 3)) --kl-weight "$w"
  done
  for l in $L1S; do run "l1_$l" --l1 "$l" --penalty-layers all; done
} | tee "$OUT/results.txt"
echo
echo "run            test acc   sparsity"
awk '{split($2,a,"="); split($3,b,"="); split($6,c,"="); printf "%-14s %8s %10s\n", a[2], b[2], c[2]}' "$OUT/results.txt"

#!/usr/bin/env bash
# dp.sh -- DP-SGD on Fashion-MNIST at epsilon 3, delta 1e-5: occam vs Opacus (PyTorch CPU),
# same network, same hyperparameters, 2 threads each, alternating runs over seeds, side by
# side: test accuracy and training steps per second, then the medians and their ratio.
#
#   bash bench/dp.sh [mlp|cnn] [EPOCHS] [SEEDS]     (repo root, after cargo build --release)
#
# ACCOUNTANT=pld: occam's noise from its PLD accountant (default rdp, as Opacus's side);
# OPACUS=0: occam alone (for comparing occam's accountants).
#
# Both sides: all 60,000 training images (pixels / 255, no standardization: a fixed public
# scale), Poisson batches at rate 1 / ceil(60000 / 256), per-example clipping to norm 1,
# the noise multiplier for epsilon 3 after all epochs (each side's RDP accountant), SGD with
# momentum 0.9, lr 0.1 (mlp) / 0.2 (cnn), the 10,000 test images at the end. mlp: 784-128-10;
# cnn: conv 16 3x3 -> pool 2 -> conv 32 3x3 -> pool 2 -> dense 64 -> dense 10, ReLU.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-mlp}
EPOCHS=${2:-10}
SEEDS=${3:-3}
F=../shared/data/fashion-mnist
OCCAM=${OCCAM:-target/release/occam}
bash crates/occam-nn/tests/fixtures/torch/install_torch.sh >/dev/null
bench/.venv-torch/bin/python -c 'import opacus' 2>/dev/null ||
  bench/.venv-torch/bin/python -m pip install --quiet opacus
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295
BATCH=256 MOM=0.9 CLIP=1.0 EPS=3
case "$MODEL" in
  mlp) LR=0.1; ARCH=(--hidden 128) ;;
  cnn) LR=0.2; ARCH=(--model cnn --conv 16:3:2,32:3:2 --hidden 64) ;;
  *) echo "model: mlp or cnn" >&2; exit 2 ;;
esac
OUT=bench/out/dp
mkdir -p "$OUT"
LOG="$OUT/results_$MODEL.txt"
: > "$LOG"
echo "opacus $(bench/.venv-torch/bin/python -c 'import opacus, torch; print(opacus.__version__, "torch", torch.__version__)')" | tee -a "$LOG"
for seed in $(seq 0 $((SEEDS - 1))); do
  run="$OUT/occam_${MODEL}_$seed"
  rm -rf "$run"
  "$OCCAM" train $F/train-images-idx3-ubyte.gz --labels $F/train-labels-idx1-ubyte.gz \
    --test-images $F/t10k-images-idx3-ubyte.gz --test-labels $F/t10k-labels-idx1-ubyte.gz \
    "${ARCH[@]}" --epochs "$EPOCHS" --val-fraction 0 --batch-size $BATCH --optimizer sgd \
    --momentum $MOM --lr $LR --dp-epsilon $EPS --dp-max-grad-norm $CLIP --threads 2 \
    --dp-accountant "${ACCOUNTANT:-rdp}" \
    --no-standardize --no-report --seed "$seed" --out "$run" > "$run.log"
  python3 - "$run" "$seed" "$MODEL" <<'EOF' | tee -a "$LOG"
import csv, json, sys
run, seed, model = sys.argv[1:4]
s = json.load(open(f"{run}/summary.json"))
secs = sum(float(r["seconds"]) for r in csv.DictReader(open(f"{run}/metrics.csv")))
p = s["privacy"]
print(f"RESULT engine=occam model={model} seed={seed} test_accuracy={s['test_metrics']['accuracy']:.4f} "
      f"steps={p['steps']} train_seconds={secs:.2f} steps_per_second={p['steps'] / secs:.2f} "
      f"sigma={p['noise_multiplier']:.4f} epsilon={p['epsilon']:.4f}")
EOF
  if [ "${OPACUS:-1}" != 0 ]; then
    bench/.venv-torch/bin/python bench/dp_opacus.py $F "$MODEL" "$EPOCHS" $BATCH $LR $MOM $CLIP $EPS "$seed" \
      | grep RESULT | tee -a "$LOG"
  fi
done
python3 - "$LOG" <<'EOF'
import re, statistics, sys
rows = [dict(kv.split("=") for kv in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT")]
med = lambda e, k: statistics.median(float(r[k]) for r in rows if r["engine"] == e)
if not any(r["engine"] == "opacus" for r in rows):
    print(f"median test accuracy: occam {med('occam', 'test_accuracy'):.4f}; "
          f"median steps/s: occam {med('occam', 'steps_per_second'):.1f}")
    sys.exit(0)
acc_o, acc_p = med("occam", "test_accuracy"), med("opacus", "test_accuracy")
sps_o, sps_p = med("occam", "steps_per_second"), med("opacus", "steps_per_second")
print(f"median test accuracy: occam {acc_o:.4f}, opacus {acc_p:.4f}, difference {100 * (acc_o - acc_p):+.2f} points")
print(f"median steps/s: occam {sps_o:.1f}, opacus {sps_p:.1f}, ratio occam/opacus {sps_o / sps_p:.2f}")
EOF

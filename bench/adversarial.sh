#!/usr/bin/env bash
# adversarial.sh -- adversarial training against plain training, same network and seed:
# clean and robust accuracy under PGD-20 (L-infinity) on the held-out rows.
#
#   bash bench/adversarial.sh [EPOCHS]      (repo root, after cargo build --release)
#   MODES="pgd_mix" bash bench/adversarial.sh   (some of plain, pgd, pgd_mix, pgd_mix_005)
#
# Fashion-MNIST: a small CNN (conv 16 3x3 -> pool 2 -> conv 32 3x3 -> pool 2 -> dense 64 ->
# dense 10, ReLU; Adam lr 2e-3, batch 128), all 60,000 training images (pixels / 255, no
# standardization: the attack's radius is in pixel units), the 10,000 test images attacked
# at eps 0.05 and 0.1; adversarial training by PGD-7 at eps 0.1 (Madry et al. 2018) on the
# adversarial rows alone (pgd) or mixed evenly with the clean rows (pgd_mix, --adv-weight 0.5),
# or at eps 0.05 mixed evenly (pgd_mix_005).
# Pima: an MLP (16 hidden, Adam lr 1e-2, 40 epochs), a quarter of the rows held out for
# test, eps in standardized units, PGD-5 at eps 0.3.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-5}
F=../shared/data/fashion-mnist
OCCAM=${OCCAM:-target/release/occam}
OUT=bench/out/adversarial
mkdir -p "$OUT"
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295
summary() { # run-folder label
  python3 - "$1" "$2" <<'EOF'
import json, sys
s = json.load(open(f"{sys.argv[1]}/summary.json"))
r = s["robustness"]
pts = ", ".join(f"eps {p['epsilon']}: clean {p['clean_accuracy']:.4f} robust {p['robust_accuracy']:.4f}"
                for p in r["points"])
print(f"RESULT {sys.argv[2]}: {r['attack']} {r['norm']} on {r['rows']} {r['split']} rows; {pts}; "
      f"fit {s['fit_seconds']:.1f} s")
EOF
}
MODES=${MODES:-plain pgd pgd_mix pgd_mix_005}
for mode in $MODES; do
  extra=()
  [ "$mode" = pgd ] && extra=(--adversarial pgd --adv-epsilon 0.1 --adv-steps 7)
  [ "$mode" = pgd_mix ] && extra=(--adversarial pgd --adv-epsilon 0.1 --adv-steps 7 --adv-weight 0.5)
  [ "$mode" = pgd_mix_005 ] && extra=(--adversarial pgd --adv-epsilon 0.05 --adv-steps 7 --adv-weight 0.5)
  run="$OUT/fmnist_$mode"
  rm -rf "$run"
  "$OCCAM" train $F/train-images-idx3-ubyte.gz --labels $F/train-labels-idx1-ubyte.gz \
    --test-images $F/t10k-images-idx3-ubyte.gz --test-labels $F/t10k-labels-idx1-ubyte.gz \
    --model cnn --conv 16:3:2,32:3:2 --hidden 64 --epochs "$EPOCHS" --val-fraction 0 \
    --batch-size 128 --lr 2e-3 --threads 2 --no-standardize --no-report --seed 0 \
    --robust-eval 0.05,0.1 "${extra[@]}" --out "$run" > "$run.log"
  summary "$run" "fashion-mnist cnn $mode"
done
for mode in $MODES; do
  [ "${mode#pgd_mix}" != "$mode" ] && continue
  extra=()
  [ "$mode" = pgd ] && extra=(--adversarial pgd --adv-epsilon 0.3 --adv-steps 5)
  run="$OUT/pima_$mode"
  rm -rf "$run"
  "$OCCAM" train builtin:pima --target diabetes --hidden 16 --epochs 40 --lr 0.01 \
    --test-fraction 0.25 --robust-eval 0.1,0.3 --robust-restarts 5 --seed 0 --no-report \
    "${extra[@]}" --out "$run" > "$run.log"
  summary "$run" "pima mlp $mode"
done

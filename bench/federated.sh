#!/usr/bin/env bash
# federated.sh -- FedAvg and FedProx against centralized training on Fashion-MNIST: the test
# accuracy of the same network trained on all rows at once, federated over IID clients, and
# federated over highly non-IID clients (Dirichlet label skew) with and without FedProx.
#
#   bash bench/federated.sh [ROUNDS] [LOCAL_EPOCHS]     (repo root, after cargo build --release)
#   MUS="0.1 1" ALPHAS=0.1 RUNS="noniid" bash bench/federated.sh 10 10
#   MUS="0.01" RUNS="stragglers" bash bench/federated.sh 10 10    (90% stragglers)
#
# MLP 784-128-10 (ReLU), SGD lr 0.05 without momentum, batch 64, pixels / 255, all 60,000
# training images, the 10,000 test images; 10 clients; ROUNDS (20) rounds of LOCAL_EPOCHS
# (2) local epochs; centralized training runs ROUNDS x LOCAL_EPOCHS epochs (the same passes
# over the data). Seed 0 everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
LOCAL=${2:-2}
F=../shared/data/fashion-mnist
OCCAM=${OCCAM:-target/release/occam}
OUT=bench/out/federated
mkdir -p "$OUT"
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295
common=(--labels $F/train-labels-idx1-ubyte.gz --test-images $F/t10k-images-idx3-ubyte.gz
  --test-labels $F/t10k-labels-idx1-ubyte.gz --hidden 128 --val-fraction 0 --batch-size 64
  --optimizer sgd --momentum 0 --lr 0.05 --threads 2 --no-standardize --no-report --seed 0)
run() { # name, extra flags...
  local name=$1
  shift
  rm -rf "$OUT/$name"
  "$OCCAM" train $F/train-images-idx3-ubyte.gz "${common[@]}" "$@" --out "$OUT/$name" > "$OUT/$name.log"
  python3 - "$OUT/$name" "$name" <<'EOF'
import json, sys
s = json.load(open(f"{sys.argv[1]}/summary.json"))
f = s.get("federated")
rows = "" if f is None else f" client rows {min(f['client_rows'])}..{max(f['client_rows'])}"
print(f"RESULT {sys.argv[2]}: test accuracy {s['test_metrics']['accuracy']:.4f}, "
      f"fit {s['fit_seconds']:.0f} s{rows}")
EOF
}
RUNS=${RUNS:-central iid noniid stragglers}
case " $RUNS " in *" central "*) run centralized --epochs $((ROUNDS * LOCAL)) ;; esac
case " $RUNS " in *" iid "*) run fedavg_iid --federated 10 --fed-rounds "$ROUNDS" --fed-local-epochs "$LOCAL" ;; esac
if [[ " $RUNS " == *" stragglers "* ]]; then
  # Li et al.'s systems heterogeneity: 90% of the clients finish 1 to E-1 local epochs per
  # round; FedAvg drops their work, FedProx keeps it (with mu 0 and with mu > 0)
  for alpha in ${ALPHAS:-0.1}; do
    s=(--federated 10 --fed-rounds "$ROUNDS" --fed-local-epochs "$LOCAL" --fed-split "dirichlet:$alpha" --fed-stragglers 0.9)
    run "fedavg_drop_stragglers_dirichlet_$alpha" "${s[@]}" --fed-drop-stragglers
    for mu in 0 ${MUS:-0.01 0.1}; do
      run "fedprox_${mu}_stragglers_dirichlet_$alpha" "${s[@]}" --fed-mu "$mu"
    done
  done
fi
case " $RUNS " in *" noniid "*) ;; *) exit 0 ;; esac
for alpha in ${ALPHAS:-0.1}; do
  run "fedavg_dirichlet_$alpha" --federated 10 --fed-rounds "$ROUNDS" --fed-local-epochs "$LOCAL" \
    --fed-split "dirichlet:$alpha"
  for mu in ${MUS:-0.01 0.1}; do
    run "fedprox_${mu}_dirichlet_$alpha" --federated 10 --fed-rounds "$ROUNDS" \
      --fed-local-epochs "$LOCAL" --fed-split "dirichlet:$alpha" --fed-mu "$mu"
  done
done

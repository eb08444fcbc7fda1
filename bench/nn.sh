#!/usr/bin/env bash
# nn.sh -- MLP training speed: occam vs PyTorch CPU on the bench/nn-anchor workloads.
#
#   bash bench/nn.sh [--reps N]          (run from the repo root)
#
# For each workload (w1, w2, w3) and prox step (0: none, 1: L1 soft-threshold on layer 0 after
# every Adam step), runs PyTorch's bench_torch.py and `occam bench mlp` on the same data and
# initial weights, 2 threads each, alternating, N times (default 3), and prints the median
# steps/s of each and the ratio occam/torch. Also prints both engines' GEMM GFLOP/s.
#
# PyTorch runs "at its best" as the anchor README asks (GLIBC_TUNABLES keeps freed blocks, the
# script flushes denormals). The anchor scripts are copied to bench/out/nn-anchor and run
# there, so that the repository's copy stays clean; data go to bench/out/nn-anchor/data.
# Needs: target/release/occam (built without target-cpu=native; this script builds nothing),
# python3. numpy and torch go into bench/.venv-torch (install_torch.sh, first use).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ANCHOR=bench/nn-anchor
if [ ! -x target/release/occam ]; then
  echo "target/release/occam not found: run cargo build --release first" >&2
  exit 2
fi
bash crates/occam-nn/tests/fixtures/torch/install_torch.sh >/dev/null
PY=bench/.venv-torch/bin/python
OUT=bench/out/nn-anchor
mkdir -p "$OUT"
cp "$ANCHOR/gen_data.py" "$ANCHOR/bench_torch.py" "$OUT/"
if [ ! -f "$OUT/data/w3/meta.txt" ]; then
  (cd "$OUT" && ../../../"$PY" gen_data.py)
fi
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "gemm (512x512x512 f32, 2 threads):"
target/release/occam bench gemm --size 512 --threads 2
"$PY" - <<'PYEOF'
import time, torch
torch.set_num_threads(2)
n = 512
a, b = torch.randn(n, n), torch.randn(n, n)
for _ in range(5): a @ b
reps = 50
t = time.perf_counter()
for _ in range(reps): a @ b
dt = time.perf_counter() - t
print(f"GEMM engine=torch n={n} threads=2 gflops={2*n**3*reps/dt/1e9:.1f}")
PYEOF

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2==1) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "\n%-4s %-5s %14s %14s %8s %s\n" wl prox torch_steps/s occam_steps/s ratio "zeros torch/occam"
for wl in w1 w2 w3; do
  for prox in 0 1; do
    : > "$OUT/t.txt"; : > "$OUT/o.txt"
    for _ in $(seq "$REPS"); do
      (cd "$OUT" && ../../../"$PY" bench_torch.py "$wl" "$prox") | tee -a "$OUT/results.log" | grep RESULT >> "$OUT/t.txt"
      target/release/occam bench mlp "$OUT/data/$wl" --prox "$prox" --threads 2 | tee -a "$OUT/results.log" | grep RESULT >> "$OUT/o.txt"
    done
    t=$(sed -n 's/.*steps_per_s=\([0-9.]*\).*/\1/p' "$OUT/t.txt" | median)
    o=$(sed -n 's/.*steps_per_s=\([0-9.]*\).*/\1/p' "$OUT/o.txt" | median)
    zt=$(sed -n 's/.*w0_zeros=\([0-9/]*\).*/\1/p' "$OUT/t.txt" | tail -1)
    zo=$(sed -n 's/.*w0_zeros=\([0-9/]*\).*/\1/p' "$OUT/o.txt" | tail -1)
    printf "%-4s %-5s %14.1f %14.1f %8.2f %s\n" "$wl" "$prox" "$t" "$o" "$(echo "$o / $t" | bc -l)" "$zt / $zo"
  done
done

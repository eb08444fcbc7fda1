#!/bin/sh
# Fuzzes every reader of occam (tests/fuzz.rs in crates/occam: csv, libsvm, idx, gzip, space,
# config, model, weights)
# for SECONDS per target (default 600) and keeps any input that made a reader panic as a
# regression input under crates/occam/tests/fuzz_regressions/<target>/, which every test run
# replays. Prints the inputs tried per target; exits 1 when something panicked.
#
#   scripts/fuzz.sh            # 10 minutes per target
#   scripts/fuzz.sh 60 idx     # one minute, the idx reader only
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-600}"
targets="${2:-csv libsvm idx gzip parquet space config model weights}"
crashes=target/fuzz-crashes
rm -rf "$crashes"
status=0
for t in $targets; do
    if ! FUZZ_SECONDS="$seconds" FUZZ_TARGETS="$t" cargo test --release -q -p occam --test fuzz \
        every_reader_survives_mutated_inputs -- --nocapture 2>&1 | grep -E '^fuzz |panicked'; then
        status=1
    fi
    for f in "$crashes/$t"-*.bin; do
        [ -e "$f" ] || continue
        mkdir -p "crates/occam/tests/fuzz_regressions/$t"
        cp "$f" "crates/occam/tests/fuzz_regressions/$t/"
        echo "kept $f as a regression input"
        status=1
    done
done
exit $status

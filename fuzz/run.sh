#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 20): seeds the corpora with real inputs, then runs
# libFuzzer through cargo-fuzz on nightly. Exit 1 if any target crashed, hung (-timeout) or went
# over its memory (-rss_limit_mb); the input that did is left in fuzz/artifacts/<target>/.
#     fuzz/run.sh [SECONDS] [TARGET...]
# The long run (docs/FUZZING.md) is the same command with 3600.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(pdf_verify pdf_seal ses_der text_extract case_number dsn smpp_receipt)
fi
# libFuzzer's instrumentation needs nightly Rust (this machine kind carries it; rustup cannot fetch it here).
rustup toolchain list | grep -q '^nightly' || { echo "fuzz: no nightly toolchain (rustup toolchain list)" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
bash ./seed.sh
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${HOME}/.cache/ecenter-fuzz-target}"
for t in "${targets[@]}"; do
    cargo +nightly fuzz build --release --debug-assertions "$t"
done
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "fuzz: $t for ${seconds}s (corpus $(ls "corpus/$t" | wc -l) inputs)"
    if ! cargo +nightly fuzz run --release --debug-assertions "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=262144 \
        -print_final_stats=1 >"artifacts/$t.log" 2>&1; then
        echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t/, the log in fuzz/artifacts/$t.log"
        tail -30 "artifacts/$t.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "artifacts/$t.log" | tr '\n' ' '
        echo "corpus now $(ls "corpus/$t" | wc -l) inputs"
    fi
done
exit $status

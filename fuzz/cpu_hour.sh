#!/usr/bin/env bash
# Fuzzes one target until libFuzzer has used CPU_SECONDS of processor time (default 3600: one
# CPU-hour), not wall time, so the figure holds when the run shares the machine at a low priority.
# Runs in chunks of 300 s wall time, measuring each chunk's user+system time, and keeps the corpus
# between chunks. Prints executions, CPU seconds and peak RSS summed over the chunks; exit 1 on a
# crash, hang or overrun (the input is left in fuzz/artifacts/<target>/). Run fuzz/run.sh once
# first (it seeds the corpus and builds the targets).
#     nice -n 19 fuzz/cpu_hour.sh TARGET [CPU_SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: fuzz/cpu_hour.sh TARGET [CPU_SECONDS]}"
budget="${2:-3600}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${HOME}/.cache/ecenter-fuzz-target}"
cargo +nightly fuzz build --release --debug-assertions "$target"
mkdir -p "corpus/$target" "artifacts/$target"
before=$(ls "corpus/$target" | wc -l)
used=0 execs=0 rss=0 chunks=0 start=$(date +%s)
while [ "$used" -lt "$budget" ]; do
    log="artifacts/$target.log"
    if ! /usr/bin/time -f '%U %S' -o "artifacts/$target.cpu" \
        cargo +nightly fuzz run --release --debug-assertions "$target" "corpus/$target" -- \
        -max_total_time=300 -timeout=10 -rss_limit_mb=1024 -max_len=262144 \
        -print_final_stats=1 >"$log" 2>&1; then
        echo "fuzz: $target FAILED after ${used} CPU s; input in fuzz/artifacts/$target/, log $log"
        tail -30 "$log"
        exit 1
    fi
    cpu=$(awk '{printf "%d", $1 + $2}' "artifacts/$target.cpu")
    n=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    r=$(awk '/stat::peak_rss_mb/ {print $2}' "$log")
    used=$((used + cpu)) execs=$((execs + n)) chunks=$((chunks + 1))
    [ "$r" -gt "$rss" ] && rss=$r
    echo "fuzz: $target chunk $chunks: ${cpu} CPU s, $n executions (total ${used} CPU s)"
done
echo "fuzz: $target done: $execs executions in $used CPU s over $(( $(date +%s) - start )) s wall," \
    "$chunks chunks, corpus $before -> $(ls "corpus/$target" | wc -l), peak RSS ${rss} MB, no crash"

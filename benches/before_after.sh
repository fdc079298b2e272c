#!/usr/bin/env bash
# Same-run comparison of a benchmark before and after a change: builds BENCH at REV (in a git
# worktree) and at the working tree, then runs them alternately, before/after ROUNDS times, PAUSE seconds apart, each from
# its own checkout. Extra environment (ECENTER_BENCH_*) passes through.
#     benches/before_after.sh REV BENCH [ROUNDS] [PAUSE]
#     benches/before_after.sh b659a39 intake 2 20
set -euo pipefail
rev="$1" bench="$2" rounds="${3:-2}" pause="${4:-20}"
here="$(cd "$(dirname "$0")/.." && pwd)"
before="$(mktemp -d /tmp/ecenter-before.XXXXXX)"
trap 'git -C "$here" worktree remove --force "$before" >/dev/null 2>&1 || true' EXIT
git -C "$here" worktree add --detach --force "$before" "$rev" >/dev/null
binary() { # the bench executable cargo built in $1
    # Both checkouts share one target directory (the dependencies build once) and cargo names a
    # workspace crate's artefacts by its path inside the workspace: touching the sources makes
    # each build recompile them from its own checkout instead of taking the other's.
    find "$1/crates" "$1/src" "$1/benches" "$1/tests" -name '*.rs' -exec touch {} +
    (cd "$1" && cargo bench --bench "$bench" --no-run --message-format=json 2>/dev/null) |
        python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["kind"]==["bench"]:
        print(m["executable"])' | tail -1
}
echo "== building $bench at $rev and at the working tree"
old="$(binary "$before")"
cp "$old" "$before/bench-before" && old="$before/bench-before"
new="$(binary "$here")"
for round in $(seq 1 "$rounds"); do
    for side in before after; do
        if [ "$side" = before ]; then dir="$before" exe="$old"; else dir="$here" exe="$new"; fi
        echo "=== $bench $side ($([ $side = before ] && echo "$rev" || echo working tree)) round $round $(date -u +%H:%M:%S)"
        (cd "$dir" && CARGO_MANIFEST_DIR="$dir" "$exe" --bench)
        sleep "$pause"
    done
done

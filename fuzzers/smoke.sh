#!/usr/bin/env bash
# fuzzers/smoke.sh TARGET... - `make fuzz-smoke`: each libFuzzer target for a short
# fixed time (FUZZ_SECONDS, default 10) on its committed corpus, with its dictionary.
#
# CI's guard against a target that crashes, leaks, hangs or trips UBSan within seconds
# of new code - not a search for deep bugs (that is the nightly run, README.md).
# corpus/<target>/ is only read; what the run finds goes to a scratch directory, and
# a crashing input is kept as build/fuzz-artifacts/<target>-crash-<sha1> to reproduce
# with build/fuzz-replay/<target>_fuzzer FILE. Prints one line per target (executions,
# exec/s, coverage) and exits non-zero if any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${FUZZ_BIN:-build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-10}
ART=build/fuzz-artifacts
mkdir -p "$ART"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-smoke.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "$@"; do
    fuzzer=$BIN/${t}_fuzzer
    [ -x "$fuzzer" ] || { echo "smoke: $fuzzer missing: run make fuzz" >&2; exit 2; }
    mkdir -p "$scratch/$t"
    dirs=("$scratch/$t")
    [ -d "corpus/$t" ] && dirs+=("corpus/$t")
    dict=()
    [ -f "fuzzers/$t.dict" ] && dict=(-dict="fuzzers/$t.dict")
    log=$scratch/$t.log
    # -timeout: a run over 10 s is a hang; -rss_limit_mb: memory is bounded by design
    nice -n 10 "$fuzzer" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$ART/$t-" "${dict[@]}" "${dirs[@]}" \
        >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    if [ $rc = 0 ]; then
        printf 'smoke: %-20s ok   %9s runs %7s exec/s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$cov"
    else
        failed+=("$t")
        printf 'smoke: %-20s FAIL (exit %d)\n' "$t" "$rc"
        grep -E -A25 'ERROR|invariant broken|runtime error|Test unit written' "$log" | head -60 |
            sed 's/^/    | /'
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "smoke: failed: ${failed[*]} (inputs in $ART/)"
    exit 1
fi

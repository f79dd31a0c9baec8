#!/usr/bin/env bash
# fuzzers/throughput.sh [TARGET] [RUNS] - `make fuzz-throughput`: a target's exec/s
# against an empty target (LLVMFuzzerTestOneInput returning 0) on the same corpus.
#
# The empty target is built here with exactly the flags of `make fuzz` (same compiler,
# sanitizers, coverage, engine), so the difference is the work the target does. Both
# fuzz RUNS executions (default 3,000,000) starting from corpus/TARGET with the same
# seed; -keep_seed=1 keeps every seed in the empty target's corpus although it gives no
# new coverage, so both mutate the same inputs (otherwise the empty target would shrink
# its corpus to one 1-byte input and measure nothing). Three rounds, interleaved, so a
# busy machine slows both alike; exec/s is executions over wall time, and the median of
# the three is reported with the ratio. Target of issue 5: frame >= 0.5 of empty.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-frame}
runs=${2:-3000000}
BIN=${FUZZ_BIN:-build/fuzz}
CC_FUZZ=${FUZZ_CC:-clang}
[ -x "$BIN/${t}_fuzzer" ] || { echo "throughput: $BIN/${t}_fuzzer missing: run make fuzz" >&2; exit 2; }
[ -d "corpus/$t" ] || { echo "throughput: corpus/$t missing" >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-throughput.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)\n{\n    (void)d;\n    (void)n;\n    return 0;\n}\n' \
    >"$scratch/empty_fuzzer.c"
# the flags of `make fuzz` (Makefile defaults unless given in the environment)
san=${FUZZ_SAN--fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer}
# shellcheck disable=SC2086
"$CC_FUZZ" ${CFLAGS:--O2 -g} $san ${FUZZ_INSTR--fsanitize=fuzzer-no-link} -c -o "$scratch/empty.o" \
    "$scratch/empty_fuzzer.c"
# shellcheck disable=SC2086
"$CC_FUZZ" ${CFLAGS:--O2 -g} $san -o "$scratch/empty_fuzzer" "$scratch/empty.o" \
    ${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}

measure() { # binary -> exec/s over wall time
    local out=$scratch/out.$RANDOM
    mkdir -p "$out"
    local t0 t1
    t0=$(date +%s.%N)
    nice -n 10 "$1" -runs="$runs" -seed=1 -keep_seed=1 -reduce_inputs=0 -max_len=4096 \
        -rss_limit_mb=2048 "$out" "corpus/$t" >"$out.log" 2>&1 ||
        { echo "throughput: $1 failed" >&2; tail -20 "$out.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    rm -rf "$out" "$out.log"
    awk -v n="$runs" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", n / (b - a) }'
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
e=() f=()
for round in 1 2 3; do
    e+=("$(measure "$scratch/empty_fuzzer")")
    f+=("$(measure "$BIN/${t}_fuzzer")")
    echo "throughput: round $round: empty ${e[-1]} exec/s, $t ${f[-1]} exec/s"
done
me=$(median "${e[@]}")
mf=$(median "${f[@]}")
awk -v e="$me" -v f="$mf" -v t="$t" \
    'BEGIN { printf "throughput: median: empty %d exec/s, %s %d exec/s, ratio %.2f\n", e, t, f, f / e }'

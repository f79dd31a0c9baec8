#!/usr/bin/env bash
# fuzzers/throughput.sh [TARGET] [RUNS] - `make fuzz-throughput`: a target's exec/s
# against an empty target (LLVMFuzzerTestOneInput returning 0) on the same corpus.
#
# The empty target is built here with exactly the flags of `make fuzz` (same compiler,
# sanitizers, coverage, engine), so the difference is the work the target does. Two
# measurements, three interleaved rounds each (a busy machine slows both alike),
# exec/s = executions over wall time, median reported with the ratio:
#   replay   every input of corpus/TARGET run REPLAY_RUNS (500) times in libFuzzer's
#            file mode: exactly the same inputs for both, so the figure is stable and
#            says what one input costs (libFuzzer reads the file for every run, for
#            both targets alike);
#   fuzzing  RUNS (default 2,000,000) executions of fuzzing from corpus/TARGET with the
#            same seed; -keep_seed=1 keeps every seed in the empty target's corpus
#            (otherwise it shrinks it to one 1-byte input and measures nothing). The
#            real fuzzing rate, but noisy: what the target's coverage makes it add to
#            its corpus changes what it runs next.
# Goal of issue 5: the frame target at >= 0.5 of the empty target (fuzzers/README.md,
# "Throughput", has the figures and what they mean).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-frame}
runs=${2:-2000000}
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

fuzz_rate() { # binary -> exec/s of fuzzing
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
replay_rate() { # binary -> exec/s running each corpus input REPLAY_RUNS times
    local reps=${REPLAY_RUNS:-500} files t0 t1
    files=$(find "corpus/$t" -type f | wc -l)
    t0=$(date +%s.%N)
    find "corpus/$t" -type f -print0 |
        xargs -0 nice -n 10 "$1" -runs="$reps" -rss_limit_mb=2048 >/dev/null 2>&1 ||
        { echo "throughput: $1 failed on the corpus" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v n="$((files * reps))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", n / (b - a) }'
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
report() { # label, empty rates..., then target rates... (3 each)
    local label=$1 me mf
    me=$(median "$2" "$3" "$4")
    mf=$(median "$5" "$6" "$7")
    awk -v l="$label" -v e="$me" -v f="$mf" -v t="$t" \
        'BEGIN { printf "throughput: %-8s empty %8d exec/s, %s %8d exec/s, ratio %.2f\n", l, e, t, f, f / e }'
}
re=() rf=() fe=() ff=()
for round in 1 2 3; do
    re+=("$(replay_rate "$scratch/empty_fuzzer")")
    rf+=("$(replay_rate "$BIN/${t}_fuzzer")")
    fe+=("$(fuzz_rate "$scratch/empty_fuzzer")")
    ff+=("$(fuzz_rate "$BIN/${t}_fuzzer")")
    echo "throughput: round $round: replay ${re[-1]} / ${rf[-1]}, fuzzing ${fe[-1]} / ${ff[-1]} exec/s (empty / $t)"
done
report replay "${re[@]}" "${rf[@]}"
report fuzzing "${fe[@]}" "${ff[@]}"

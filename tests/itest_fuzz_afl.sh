#!/usr/bin/env bash
# itest_fuzz_afl.sh - every fuzz target builds with AFL++ and runs under it.
#
# `make fuzz-afl` (afl-clang-fast, persistent mode through AFL++'s LLVMFuzzerTestOneInput
# driver, plus the CmpLog builds); then each AFL++ and CmpLog binary runs its whole
# corpus through the driver's file mode (an invariant broken is an abort, so a non-zero
# exit); then fuzzers/nightly.sh with AFL++ alone, briefly: a clean target must give its
# summary line with a non-zero exec/s and exit 0, and a target that crashes on inputs
# starting with 'x' must be reported with the crashing input and exit 1. Skipped
# (exit 77) when afl-clang-fast or afl-fuzz is missing (`apt-get install afl++`; .ci/deps
# installs it when root). Adds about half a minute to `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
for tool in afl-clang-fast afl-fuzz; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "skip: $tool not found (apt-get install afl++)"
        exit 77
    fi
done
probe=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-aflprobe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
# tests/run is not started through $(MAKE): drop the outer make's flags (jobserver).
if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -s -j2 fuzz-afl \
    >"$probe/build.log" 2>&1; then
    echo "FAIL: make fuzz-afl"
    grep -v '^Running\|^Hooking\|^\[' "$probe/build.log" | tail -20
    exit 1
fi
fail=0 n=0
for src in fuzzers/*_fuzzer.c; do
    t=$(basename "$src" _fuzzer.c)
    for bin in build/fuzz-afl/${t}_fuzzer build/fuzz-afl-cmplog/${t}_fuzzer; do
        if [ ! -x "$bin" ]; then
            echo "FAIL: $bin was not built"
            fail=1
            continue
        fi
        # the driver runs the files named on its command line one after the other; an
        # empty or missing corpus would run nothing, so it fails
        if [ -z "$(find "corpus/$t" -type f -print -quit 2>/dev/null)" ]; then
            echo "FAIL: corpus/$t is missing or empty: $bin ran nothing"
            fail=1
        elif ! find "corpus/$t" -type f -print0 | xargs -0 "$bin" >"$probe/run.log" 2>&1; then
            echo "FAIL: $bin on corpus/$t:"
            grep -v '^Reading\|^Execution successful' "$probe/run.log" | tail -10 | sed 's/^/    | /'
            fail=1
        fi
        n=$((n + 1))
    done
done
[ $fail = 0 ] || exit 1
echo "$n AFL++ builds (plain and CmpLog) ran their corpora"

# fuzzers/nightly.sh, briefly, with AFL++ alone
. tests/lib-fuzz-nightly.sh
nightly_probe afl afl-clang-fast FUZZ_AFL_BIN build/fuzz-afl \
    '^nightly: close +AFL\+\+ +[1-9][0-9]* exec/s edges +[1-9][0-9]*, 0 finds' \
    'crash, leak or hang: .*/crashes/id:' "$probe" || exit 1

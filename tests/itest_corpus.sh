#!/usr/bin/env bash
# itest_corpus.sh - every fuzz target replays its whole committed corpus clean.
#
# build/fuzz-replay/<target>_fuzzer is the target with fuzzers/replay_main.c instead of a
# fuzzing engine, built by `make test` with $(CC) under ASan+UBSan, so this runs
# wherever the unit tests run (no clang needed). For every fuzzers/<target>_fuzzer.c:
# the replay binary exists, corpus/<target>/ is there and not empty, every file in it
# is named by the SHA-1 of its content (the corpus is content-addressed: a file edited
# in place or copied in under another name fails here), every input runs without a
# crash, leak, sanitizer report or broken invariant, and every input listed in
# fuzzers/regressions.txt (inputs that found bugs) is still there.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0 total=0
for src in fuzzers/*_fuzzer.c; do
    t=$(basename "$src" _fuzzer.c)
    bin=build/fuzz-replay/${t}_fuzzer
    dir=corpus/$t
    if [ ! -x "$bin" ]; then
        echo "FAIL $t: $bin missing (make fuzz-replay)"
        fail=1
        continue
    fi
    n=$(find "$dir" -maxdepth 1 -type f 2>/dev/null | wc -l)
    if [ "$n" -eq 0 ]; then
        echo "FAIL $t: $dir is missing or empty (make corpus-seed corpus-merge)"
        fail=1
        continue
    fi
    # (sha1sum fails on what is not a readable file: a subdirectory does not belong)
    if ! misnamed=$(cd "$dir" && sha1sum -- * | awk '$1 != $2 {print $2}'); then
        echo "FAIL $t: $dir holds something that is not a readable file"
        fail=1
    elif [ -n "$misnamed" ]; then
        echo "FAIL $t: not named by their SHA-1: $(echo $misnamed | head -c 300)"
        fail=1
    fi
    if out=$("$bin" "$dir" 2>&1); then
        echo "ok   $t: $n inputs"
        total=$((total + n))
    else
        echo "FAIL $t: replay of $dir:"
        printf '%s\n' "$out" | tail -40 | sed 's/^/    | /'
        fail=1
    fi
done
# the inputs that found bugs must stay (fuzzers/regressions.txt; corpus-merge keeps them);
# a list that is gone or empty checks nothing, so it fails
if ! regressions=$(grep -v -e '^#' -e '^ *$' fuzzers/regressions.txt); then
    echo "FAIL fuzzers/regressions.txt is missing or lists no input"
    fail=1
    regressions=
fi
nreg=0
while read -r path _; do
    [ -n "$path" ] || continue
    nreg=$((nreg + 1))
    if [ ! -f "$path" ]; then
        echo "FAIL regression input $path is missing from the corpus"
        fail=1
    fi
done <<<"$regressions"
echo "$total corpus inputs replayed; $nreg regression inputs in place"
exit $fail

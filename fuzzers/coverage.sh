#!/usr/bin/env bash
# fuzzers/coverage.sh TARGET... - `make fuzz-coverage`: how much of the code under test
# the committed corpus reaches, in source terms (lines, branches, functions).
#
# Each target is built with clang's source-based coverage (-fprofile-instr-generate
# -fcoverage-mapping) and fuzzers/replay_main.c instead of an engine, runs its whole
# corpus/<target>/ (plus CORPUS_EXTRA/<target>/ when given: a nightly run's finds), and
# llvm-cov reports on the file(s) that target exists for. Then one table for every file
# under test with all targets' runs together. Lines llvm-cov lists as never run are where
# the fuzzers do not reach: `llvm-cov show` with the printed arguments shows them.
#
# Environment: FUZZ_COV_BIN (default build/fuzz-cov), CORPUS_EXTRA, LLVM_COV and
# LLVM_PROFDATA (default: the tools of clang's own LLVM version - llvm-cov-NN,
# /usr/lib/llvm-NN/bin/llvm-cov - else an unversioned llvm-cov). The profile format
# changes between LLVM versions, so the tools must match the clang that built the
# targets; Debian's llvm-NN package has them (clang alone, without its Recommends, does
# not; .ci/deps installs it).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${FUZZ_COV_BIN:-build/fuzz-cov}
OUT=${FUZZ_COV_OUT:-$BIN/profiles}
CLANG_MAJOR=$(${FUZZ_CC:-clang} --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
tool() { # name -> the llvm tool's command
    local v=$CLANG_MAJOR
    if [ -n "$v" ]; then
        command -v "$1-$v" >/dev/null 2>&1 && { echo "$1-$v"; return; }
        [ -x "/usr/lib/llvm-$v/bin/$1" ] && { echo "/usr/lib/llvm-$v/bin/$1"; return; }
    fi
    command -v "$1" >/dev/null 2>&1 && { echo "$1"; return; }
    echo "coverage: $1 not found (apt-get install llvm-${v:-NN}, the LLVM of clang ${v:-?})" >&2
    exit 2
}
COV=${LLVM_COV:-$(tool llvm-cov)} || exit 2
PROF=${LLVM_PROFDATA:-$(tool llvm-profdata)} || exit 2

under_test() { # target -> the source files it is there to exercise
    case $1 in
    frame | frame_roundtrip) echo reference/ws_frame.c ;;
    utf8) echo reference/ws_utf8.c ;;
    close) echo reference/ws_close.c ;;
    handshake_request | handshake_response) echo reference/ws_handshake.c ;;
    ext) echo reference/ws_ext.c ;;
    pmd) echo reference/ws_pmd.c ;;
    inflate) echo reference/ws_deflate.c ;;
    conn) echo reference/ws_conn.c ;;
    case_parse) echo harness/case_parse.c ;;
    config) echo harness/config.c ;;
    baseline) echo harness/baseline.c ;;
    serve_url) echo harness/serve_url.c ;;
    script) echo harness/script.c harness/script_recv.c harness/script_steps.c harness/sendq.c ;;
    script_server) echo harness/script_server.c harness/script.c harness/script_recv.c harness/script_steps.c harness/sendq.c ;;
    *) echo "coverage: no file under test known for target $1 (fuzzers/coverage.sh)" >&2; return 1 ;;
    esac
}
# llvm-cov report's TOTAL row: regions, missed, cover, functions, missed, executed,
# lines, missed, cover, branches, missed, cover
total() { awk '$1 == "TOTAL" { printf "lines %6s of %5d, branches %6s of %4d, functions %s\n", $10, $8, $13, $11, $7 }'; }

rm -rf "$OUT"
mkdir -p "$OUT"
objs=() files=() fail=0
for t in "$@"; do
    bin=$BIN/${t}_fuzzer
    [ -x "$bin" ] || { echo "coverage: $bin missing: run make fuzz-coverage" >&2; exit 2; }
    f=$(under_test "$t") || exit 2
    dirs=("corpus/$t")
    [ -n "${CORPUS_EXTRA:-}" ] && [ -d "$CORPUS_EXTRA/$t" ] && dirs+=("$CORPUS_EXTRA/$t")
    if ! LLVM_PROFILE_FILE="$OUT/$t.profraw" "$bin" "${dirs[@]}" >"$OUT/$t.log" 2>&1; then
        echo "coverage: $t: the corpus did not replay cleanly:" >&2
        tail -5 "$OUT/$t.log" >&2
        fail=1
        continue
    fi
    "$PROF" merge -sparse -o "$OUT/$t.profdata" "$OUT/$t.profraw" || exit 1
    n=$(find "${dirs[@]}" -type f | wc -l)
    # a report that fails or has no TOTAL row is a failure, not a line without figures
    # shellcheck disable=SC2086
    if ! sum=$("$COV" report "$bin" -instr-profile="$OUT/$t.profdata" $f | total) || [ -z "$sum" ]; then
        echo "coverage: $t: $COV report gave no figures" >&2
        fail=1
        continue
    fi
    printf 'coverage: %-20s %5d inputs, %-26s %s\n' "$t" "$n" "$f" "$sum"
    objs+=(-object "$bin")
    for x in $f; do
        case " ${files[*]} " in *" $x "*) ;; *) files+=("$x") ;; esac
    done
done
[ ${#objs[@]} -gt 0 ] || exit $((fail ? 1 : 2))
"$PROF" merge -sparse -o "$OUT/all.profdata" "$OUT"/*.profraw || exit 1
echo "coverage: all targets together, per file under test:"
# the first -object is the positional binary, the rest are extra objects
if ! "$COV" report "${objs[1]}" "${objs[@]:2}" -instr-profile="$OUT/all.profdata" "${files[@]}" \
    >"$OUT/all.txt" || ! grep -q '^TOTAL ' "$OUT/all.txt"; then
    echo "coverage: $COV report of all targets gave no figures" >&2
    exit 1
fi
awk 'NR == 1 || $1 ~ /^(TOTAL|reference|harness)/ || /\.c / { print "    " $0 }' "$OUT/all.txt" |
    cut -c1-200
echo "coverage: the lines never run: $COV show ${objs[1]} ${objs[*]:2} -instr-profile=$OUT/all.profdata FILE"
exit $fail

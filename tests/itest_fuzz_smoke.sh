#!/usr/bin/env bash
# itest_fuzz_smoke.sh - `make fuzz fuzz-smoke`: every target built with libFuzzer (clang,
# ASan+UBSan) and run for FUZZ_SECONDS (default 10) on its corpus. Skipped (exit 77)
# when clang or its libFuzzer runtime is missing - the corpus replay (itest_corpus.sh)
# still runs every input with gcc then. Then fuzzers/nightly.sh, briefly: it must pass a
# clean target and go red on a crashing one. Then `make fuzz-coverage`: every target
# reports, and the corpus still reaches what it reached when this was written (floors
# below: a parser change the corpus does not follow fails here). Adds about 2 to 3
# minutes to `make test`; about 4.5 on a 2-core CI machine building 16 targets, hence
# the bound below (tests/run).
# time-bound: 600
set -uo pipefail
cd "$(dirname "$0")/.."
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "skip: $cc not found (install clang for the fuzz smoke run)"
    exit 77
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-fuzzprobe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
    >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >"$probe/log" 2>&1; then
    echo "skip: $cc cannot link -fsanitize=fuzzer (no libFuzzer runtime): $(head -1 "$probe/log")"
    exit 77
fi
# tests/run is not started through $(MAKE): drop the outer make's flags (jobserver).
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -s -j2 FUZZ_CC="$cc" fuzz ||
    exit 1
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -s FUZZ_CC="$cc" \
    FUZZ_SECONDS="${FUZZ_SECONDS:-10}" fuzz-smoke || exit 1

# fuzzers/nightly.sh (`make fuzz-nightly`), briefly, with libFuzzer alone
. tests/lib-fuzz-nightly.sh
nightly_probe libfuzzer "$cc" FUZZ_BIN build/fuzz \
    '^nightly: close +libFuzzer +[1-9][0-9]* exec/s cov +[1-9][0-9]* .* 0 finds' \
    'crash, leak or hang: .*crash-' "$probe" || exit 1

# `make fuzz-coverage`: a line per target, then the per-file table; line coverage of
# the whole corpus no lower than these floors (a few points under what it was)
if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -s -j2 FUZZ_CC="$cc" \
    fuzz-coverage >"$probe/cov.log" 2>&1; then
    echo "FAIL: make fuzz-coverage"
    tail -20 "$probe/cov.log"
    exit 1
fi
n=$(grep -Ec '^coverage: [a-z0-9_]+ +[0-9]+ inputs, ' "$probe/cov.log")
want=$(ls fuzzers/*_fuzzer.c | wc -l)
if [ "$n" != "$want" ]; then
    echo "FAIL: make fuzz-coverage reported $n targets, not $want"
    cat "$probe/cov.log"
    exit 1
fi
# permessage-deflate: conn_fuzzer negotiates it (byte 2 bit 7 and two knob bytes) and
# script_fuzzer's synthesized 101 accepts a case's offer ([3] bit 7), with seeds for
# compressed, fragmented and refused messages, RSV1 where it is forbidden, bombs and the
# echoes of sections 12, 13 and 18: ws_conn.c 93.5%, script_steps.c 91.5%,
# ws_deflate.c 90%, ws_pmd.c 94.4% when raised (floors two points under). sendq.c
# (79.3%) misses raw-byte units and gaps, which no compression seed is about.
# The script's server role (wsspec serve against a client: section 19 and the shared
# cases) is script_server_fuzzer's, with seeds for each section 19 kind and shared cases
# (echo, pong, close, a bad request, no request, deflate and subprotocol offers); with
# them and two script seeds for 17.2.1's paced write: script.c 96.3%, script_server.c
# 91.0%, sendq.c 91.7% (were 90.8%, 3.4% and 79.3%).
# ws_conn.c 92.1% with conn_fuzzer's keep_buffers/ws_conn_trim and the owed-Pong seed.
low=0
while read -r file floor; do
    # llvm-cov's columns: ... Lines, Missed Lines, Cover (the 10th)
    got=$(awk -v f="$file" '$1 == f { sub("%", "", $10); print $10 }' "$probe/cov.log")
    if [ -z "$got" ] || awk -v g="$got" -v m="$floor" 'BEGIN { exit !(g < m) }'; then
        echo "FAIL: $file: lines covered by the corpus ${got:-?}%, floor $floor%"
        low=1
    fi
done <<'FLOORS'
reference/ws_frame.c 97
reference/ws_utf8.c 97
reference/ws_close.c 97
reference/ws_ext.c 95
reference/ws_pmd.c 92
reference/ws_deflate.c 88
reference/ws_conn.c 91
reference/ws_handshake.c 90
harness/config.c 87
harness/case_parse.c 80
harness/baseline.c 60
harness/serve_url.c 95
harness/script.c 92
harness/script_server.c 89
harness/script_recv.c 94
harness/script_steps.c 89
harness/sendq.c 89
FLOORS
[ $low = 0 ] || { cat "$probe/cov.log"; exit 1; }
grep -E '^ +TOTAL ' "$probe/cov.log" |
    awk '{ print "fuzz-coverage: all files under test, lines " $10 ", branches " $13 }' ||
    { cat "$probe/cov.log"; echo "FAIL: make fuzz-coverage printed no TOTAL row"; exit 1; }

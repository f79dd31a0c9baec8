#!/usr/bin/env bash
# itest_fuzz_coverage.sh - `wsspec fuzz --coverage` (harness/fuzz_cov.c) against servers
# built with AFL++'s afl-clang-fast (`make afl-targets`): build/afl/fuzz_planted (the
# echo endpoint of tests/fuzz_planted.c) and build/afl/wspp_echo (a WebSocket++ echo
# server, tests/interop/wspp_echo.cpp). Short runs bounded by --runs, no timing:
#   - coverage-guided against the instrumented echo: exit 0, "coverage-guided" said,
#     summary.json's coverage has edges > 0, a non-empty queue, and edges over time that
#     never go down and end at the total
#   - --coverage auto finds the instrumentation itself, and findings still work: the
#     planted protocol bug is found, minimised and saved, and on the findings page
#   - --coverage watch: the map read, nothing queued
#   - the WebSocket++ server: its edges are reached (its protocol code is instrumented)
#   - a target without instrumentation: --coverage afl is exit 2 with one line, auto
#     fuzzes it black-box (no coverage in the summary)
#   - no shared memory segment wsspec made is left (ipcs -m, by creator pid), also
#     after wsspec is stopped by SIGTERM mid-run
# Skipped (exit 77) when afl-clang-fast(++) or WebSocket++'s headers are missing
# (.ci/deps installs afl++ and libwebsocketpp-dev when root).
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PLANTED=${PLANTED:-$PWD/build/fuzz_planted}
fail() { echo "FAIL: $*"; exit 1; }
for tool in afl-clang-fast afl-clang-fast++ ipcs; do
    command -v $tool >/dev/null 2>&1 || { echo "skip: $tool not found (apt-get install afl++)"; exit 77; }
done
[ -f /usr/include/websocketpp/server.hpp ] ||
    { echo "skip: WebSocket++ not found (apt-get install libwebsocketpp-dev)"; exit 77; }
[ -x "$WSSPEC" ] || fail "$WSSPEC is not built (make build/san/wsspec)"
[ -x "$PLANTED" ] || fail "$PLANTED is not built (make itest)"
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-fuzzcov.XXXXXX")
SPID= FPID=
cleanup() {
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
    [ -n "$FPID" ] && kill -KILL "$FPID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
# tests/run is not started through $(MAKE): drop the outer make's flags (jobserver).
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -s -j2 afl-targets \
    >"$T/build.log" 2>&1 || fail "make afl-targets: $(tail -20 "$T/build.log")"
AFL_PLANTED=$PWD/build/afl/fuzz_planted
WSPP=$PWD/build/afl/wspp_echo

# free_port: a port the kernel handed out a moment ago, free again (sets PORT)
free_port() {
    local fifo=$T/server.out line= fd
    rm -f "$fifo"
    mkfifo "$fifo"
    "$PLANTED" --listen 127.0.0.1:0 >"$fifo" 2>/dev/null &
    SPID=$!
    exec {fd}<"$fifo"
    IFS= read -r -t 10 line <&"$fd" || fail "the planted server did not start"
    exec {fd}<&-
    kill -TERM "$SPID"
    wait "$SPID" 2>/dev/null
    SPID=
    line=${line%/}
    PORT=${line##*:}
}

# no_segments_of PID: no shared memory segment created by PID is left
no_segments_of() {
    local left
    left=$(ipcs -m -p | awk -v p="$1" '$3 == p' | wc -l)
    [ "$left" = 0 ] || fail "$left shared memory segment(s) of wsspec ($1) left: $(ipcs -m -p)"
}

# fuzz DIR PLANTS CMD ARGS...: wsspec fuzz with --cmd (CMD gets the port as $PORT); sets RC
fuzz() {
    local dir=$1 plants=$2 cmd=$3
    shift 3
    free_port
    cmd=${cmd//@PORT@/$PORT}
    WSSPEC_PLANT=$plants "$WSSPEC" fuzz "ws://127.0.0.1:$PORT/" --cmd "$cmd" \
        --findings "$T/$dir" -q "$@" >"$T/$dir.out" 2>"$T/$dir.err" &
    FPID=$!
    wait $FPID
    RC=$?
    no_segments_of $FPID
    FPID=
}

cov() { # DIR EXPR: a figure of summary.json's coverage
    /usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1])).get("coverage"); print(eval(sys.argv[2]))' \
        "$T/$1/summary.json" "$2"
}

# --- coverage-guided against the instrumented echo endpoint ------------------------------
fuzz plain none "$AFL_PLANTED --listen 127.0.0.1:@PORT@" --coverage afl --seed 2 --runs 80
[ $RC = 0 ] || fail "plain: exit $RC: $(cat "$T/plain.out" "$T/plain.err")"
grep -q 'coverage-guided (AFL++ map)' "$T/plain.out" || fail "plain: mode not said: $(cat "$T/plain.out")"
[ "$(cov plain 'c["edges"] > 0 and c["queue"] > 0 and c["mode"] == "afl"')" = True ] ||
    fail "plain: no edges or an empty queue: $(cat "$T/plain/summary.json")"
[ "$(cov plain 'all(a["edges"] <= b["edges"] for a, b in zip(c["edgesOverTime"], c["edgesOverTime"][1:])) and c["edgesOverTime"][-1]["edges"] == c["edges"] and c["edgesOverTime"][-1]["conversations"] == 80')" = True ] ||
    fail "plain: edges over time inconsistent: $(cat "$T/plain/summary.json")"
grep -qE '^coverage: [1-9][0-9]* edges reached, [1-9][0-9]* conversations queued' "$T/plain.out" ||
    fail "plain: no coverage line: $(cat "$T/plain.out")"

# --- auto finds the instrumentation; a planted bug is still found and minimised ------------
fuzz proto protocol "$AFL_PLANTED --listen 127.0.0.1:@PORT@" --cases '2.*' --seed 1 --runs 60 \
    --max-findings 1
[ $RC = 1 ] || fail "protocol: exit $RC: $(cat "$T/proto.out" "$T/proto.err")"
grep -q 'coverage-guided' "$T/proto.out" || fail "protocol: auto did not turn coverage on"
[ -f "$T/proto/finding-1-protocol.wsc" ] && grep -q MASK_UNEXPECTED "$T/proto/finding-1-protocol.wsc" ||
    fail "protocol: no minimised finding: $(ls "$T/proto"; cat "$T/proto.out")"
grep -q '<a href="finding-1-protocol.wsc">' "$T/proto/index.html" &&
    grep -q 'edges reached' "$T/proto/index.html" ||
    fail "protocol: the findings page lacks the finding or the coverage: $(cat "$T/proto/index.html")"

# --- watch: coverage of black-box mutants, nothing queued ----------------------------------
fuzz watch none "$AFL_PLANTED --listen 127.0.0.1:@PORT@" --coverage watch --seed 2 --runs 20
[ $RC = 0 ] || fail "watch: exit $RC: $(cat "$T/watch.out" "$T/watch.err")"
[ "$(cov watch 'c["edges"] > 0 and c["queue"] == 0 and c["mode"] == "watch"')" = True ] ||
    fail "watch: $(cat "$T/watch/summary.json")"

# --- a real C++ server: WebSocket++ (findings there are its own: exit 0 or 1) --------------
fuzz wspp none "$WSPP 127.0.0.1 @PORT@" --coverage afl --seed 1 --runs 30 --minimize 0
[ $RC = 0 ] || [ $RC = 1 ] || fail "wspp: exit $RC: $(cat "$T/wspp.out" "$T/wspp.err")"
[ "$(cov wspp 'c["edges"] > 100')" = True ] ||
    fail "wspp: WebSocket++'s edges not reached: $(cat "$T/wspp/summary.json")"

# --- without instrumentation ------------------------------------------------------------
fuzz noinst none "$PLANTED --listen 127.0.0.1:@PORT@" --coverage afl --runs 5
[ $RC = 2 ] || fail "no instrumentation, --coverage afl: exit $RC, not 2"
[ "$(wc -l <"$T/noinst.err")" = 1 ] && grep -q '^wsspec fuzz: --coverage afl: .*no AFL++ instrumentation' "$T/noinst.err" ||
    fail "no instrumentation: not one clear line: $(cat "$T/noinst.err")"
[ ! -s "$T/noinst.out" ] || fail "no instrumentation: stdout not empty: $(cat "$T/noinst.out")"
fuzz blackbox none "$PLANTED --listen 127.0.0.1:@PORT@" --seed 2 --runs 5
[ $RC = 0 ] && grep -q ', black-box$' "$T/blackbox.out" && ! grep -q '"coverage"' "$T/blackbox/summary.json" ||
    fail "auto without instrumentation: exit $RC: $(cat "$T/blackbox.out" "$T/blackbox.err")"

# --- stopped by SIGTERM mid-run: still no segment left -------------------------------------
free_port
mkfifo "$T/term.fifo"
"$WSSPEC" fuzz "ws://127.0.0.1:$PORT/" --cmd "$AFL_PLANTED --listen 127.0.0.1:$PORT" \
    --coverage afl --seed 3 --runs 100000 --findings "$T/term" -q >"$T/term.fifo" 2>"$T/term.err" &
FPID=$!
exec {fd}<"$T/term.fifo"
IFS= read -r -t 60 line <&"$fd" || fail "SIGTERM: wsspec fuzz did not start: $(cat "$T/term.err")"
[[ $line == *coverage-guided* ]] || fail "SIGTERM: $line"
kill -TERM $FPID
cat <&"$fd" >/dev/null
exec {fd}<&-
wait $FPID
RC=$?
[ $RC = 2 ] && grep -q interrupted "$T/term.err" || fail "SIGTERM: exit $RC: $(cat "$T/term.err")"
no_segments_of $FPID
FPID=
echo "PASS: coverage-guided fuzzing of AFL++-instrumented servers (echo endpoint, WebSocket++)"

#!/usr/bin/env bash
# itest_fuzz.sh - `wsspec fuzz` (harness/fuzz_cmd.c) finds each bug planted in
# build/fuzz_planted (tests/fuzz_planted.c: the echo endpoint with bugs switched on by
# WSSPEC_PLANT), each oracle against a target that misbehaves its way, in short runs
# bounded by --runs and a fixed --seed (the same seed draws the same mutants, so each
# run finds its bug at the same conversation every time):
#   - crash     (Origin + Sec-WebSocket-Protocol in one request: SIGSEGV), from the 16.x
#               seeds: exit 1, finding-1-crash.wsc with the signal, minimised to a
#               request of at most three edits and no step; `wsspec run --cases-dir`
#               replays it: FAILED against the planted target, passed against `wsspec echo`
#   - hang      (a ping then a pong: the process pauses forever), from 2.x: the case is
#               the two frames, and its replay FAILED
#   - protocol  (a masked ping answers an empty ping), from 2.x: MASK_UNEXPECTED, replay
#               FAILED by the RFC verdict for that rule
#   - --corpus corpus/frame against `wsspec echo` (strict and correct): exit 0, no
#               finding, the corpus seeds counted in the banner and summary.json
# (the other oracles: tests/itest_fuzz_oracles.sh)
#   - usage and wsspec's own trouble: exit 2 with one line
# Ports: --cmd restarts its target on the URL's port, so each run takes a port the
# kernel just handed out (bound by a planted server with port 0, then freed).
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PLANTED=${PLANTED:-$PWD/build/fuzz_planted}
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "$WSSPEC is not built (make build/san/wsspec)"
[ -x "$PLANTED" ] || fail "$PLANTED is not built (make itest)"
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-fuzz.XXXXXX")
SPID= EPID=
cleanup() {
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
    [ -n "$EPID" ] && kill -KILL "$EPID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# start PLANTS: a planted server on a fresh port; sets PORT and SPID
start() {
    local fifo=$T/server.out line= fd
    rm -f "$fifo"
    mkfifo "$fifo"
    WSSPEC_PLANT=$1 "$PLANTED" --listen 127.0.0.1:"${2:-0}" >"$fifo" 2>"$T/server.err" &
    SPID=$!
    exec {fd}<"$fifo"
    IFS= read -r -t 10 line <&"$fd" || fail "the planted server did not start: $(cat "$T/server.err")"
    exec {fd}<&-
    line=${line%/}
    PORT=${line##*:}
}

stop() {
    kill -TERM "$SPID" 2>/dev/null
    timeout 10 tail --pid="$SPID" -f /dev/null || kill -KILL "$SPID"
    wait "$SPID" 2>/dev/null
    SPID=
}

# free_port: a port the kernel handed out a moment ago, free again
free_port() {
    start none
    stop
}

# fuzz PLANTS DIR ARGS...: wsspec fuzz with --cmd on the planted server; sets RC
fuzz() {
    local plants=$1 dir=$2
    shift 2
    free_port
    WSSPEC_PLANT=$plants timeout 280 "$WSSPEC" fuzz "ws://127.0.0.1:$PORT/" \
        --cmd "$PLANTED --listen 127.0.0.1:$PORT" --findings "$T/$dir" -q "$@" \
        >"$T/$dir.out" 2>&1
    RC=$?
}

# replay PLANTS DIR: the finding 90.1 of DIR through `wsspec run` against a planted
# server; sets RC, output in $T/replay.out
replay() {
    start "$1"
    timeout 60 "$WSSPEC" run "ws://127.0.0.1:$PORT/" --cases-dir "$T/$2" --cases 90.1 -j 1 \
        --report-dir "$T/report" >"$T/replay.out" 2>&1
    RC=$?
    stop
}

found() { # DIR KIND: exactly one finding, of KIND, in the summary and as a file
    local dir=$1 kind=$2
    [ -f "$T/$dir/finding-1-$kind.wsc" ] ||
        fail "$dir: no finding-1-$kind.wsc: $(ls "$T/$dir"; cat "$T/$dir.out")"
    grep -q "\"kind\": \"$kind\"" "$T/$dir/summary.json" || fail "$dir: summary lacks $kind"
    grep -q '"finished": true' "$T/$dir/summary.json" || fail "$dir: summary not finished"
    grep -q "^finding 90.1 ($kind)" "$T/$dir.out" || fail "$dir: no finding line: $(cat "$T/$dir.out")"
}

steps() { grep -cE '^  (send|wait|roundtrip) ' "$1"; }
edits() { grep -cE '^  (header-|request-)' "$1"; }

# --- crash on a header combination ----------------------------------------------------
fuzz crash crash --cases '16.*' --seed 1 --runs 120
[ $RC = 1 ] || fail "crash: exit $RC, not 1: $(cat "$T/crash.out")"
found crash crash
F=$T/crash/finding-1-crash.wsc
grep -q 'signal 11' "$F" || fail "crash: the finding does not name the signal"
[ "$(steps "$F")" = 0 ] || fail "crash: not minimised to no step: $(cat "$F")"
[ "$(edits "$F")" -le 3 ] || fail "crash: more than three request edits: $(cat "$F")"
grep -qi 'origin' "$F" || fail "crash: the minimised request lost its Origin: $(cat "$F")"
replay crash crash
[ $RC = 1 ] || fail "crash: replay exit $RC, not 1: $(cat "$T/replay.out")"
grep -q '^FAIL 90.1' "$T/replay.out" || fail "crash: replay did not fail 90.1"
"$WSSPEC" echo --listen 127.0.0.1:0 >"$T/echo.out" 2>&1 &
EPID=$!
for _ in $(seq 100); do grep -q listening "$T/echo.out" && break; timeout 0.1 tail -f /dev/null; done
EPORT=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/echo.out")
timeout 60 "$WSSPEC" run "ws://127.0.0.1:$EPORT/" --cases-dir "$T/crash" --cases 90.1 -j 1 \
    --report-dir "$T/report" >"$T/replay.out" 2>&1 ||
    fail "crash: the finding fails against wsspec echo too: $(cat "$T/replay.out")"
kill -TERM "$EPID"
wait "$EPID" 2>/dev/null
EPID=

# --- hang after a frame sequence -------------------------------------------------------
fuzz hang hang --cases '2.*' --seed 1 --runs 60 --timeout-scale 0.4
[ $RC = 1 ] || fail "hang: exit $RC: $(cat "$T/hang.out")"
found hang hang
F=$T/hang/finding-1-hang.wsc
grep -q 'send frame ping' "$F" && grep -q 'send frame pong' "$F" ||
    fail "hang: the case lost its ping and pong: $(cat "$F")"
[ "$(steps "$F")" -le 3 ] || fail "hang: not minimised: $(cat "$F")"
replay hang hang
[ $RC = 1 ] && grep -q '^FAIL 90.1' "$T/replay.out" ||
    fail "hang: replay exit $RC: $(cat "$T/replay.out")"

# --- protocol: the strict core -----------------------------------------------------------
fuzz protocol protocol --cases '2.*' --seed 1 --runs 60
[ $RC = 1 ] || fail "protocol: exit $RC: $(cat "$T/protocol.out")"
found protocol protocol
F=$T/protocol/finding-1-protocol.wsc
grep -q MASK_UNEXPECTED "$F" || fail "protocol: the rule broken is not named: $(cat "$F")"
[ "$(steps "$F")" = 1 ] || fail "protocol: not minimised to one step: $(cat "$F")"
replay protocol protocol
[ $RC = 1 ] && grep -q 'RFC 6455     behavior FAILED' "$T/replay.out" &&
    grep -q 'server-to-client frame is masked' "$T/replay.out" ||
    fail "protocol: replay exit $RC: $(cat "$T/replay.out")"

# --- seeds from the frame corpus, against the strict echo: nothing found ---------------------
# wsspec echo is strict and correct, so the corpus's streams and their mutants
# (compressed ones among them) find nothing; the banner and summary count the seeds
free_port
timeout 280 "$WSSPEC" fuzz "ws://127.0.0.1:$PORT/" --cmd "$WSSPEC echo --listen 127.0.0.1:$PORT" \
    --corpus corpus/frame --runs 50 --seed 1 --coverage off --findings "$T/corpus" -q \
    >"$T/corpus.out" 2>&1
RC=$?
[ $RC = 0 ] || fail "corpus: exit $RC against wsspec echo: $(cat "$T/corpus.out")"
grep -qE '\(([1-9][0-9]*) from --corpus\)' "$T/corpus.out" ||
    fail "corpus: the banner does not count corpus seeds: $(cat "$T/corpus.out")"
grep -qE '"corpusSeeds": [1-9]' "$T/corpus/summary.json" || fail "corpus: summary lacks corpusSeeds"
grep -q '"finished": true' "$T/corpus/summary.json" || fail "corpus: summary not finished"
grep -q ', 0 finding(s)' "$T/corpus.out" || fail "corpus: findings against echo: $(cat "$T/corpus.out")"

# --- usage and wsspec's own trouble: exit 2, one line --------------------------------------------
expect2() { # what, args...
    local what=$1
    shift
    timeout 30 "$WSSPEC" fuzz "$@" >"$T/u.out" 2>&1
    local rc=$?
    [ $rc = 2 ] || fail "$what: exit $rc, not 2: $(cat "$T/u.out")"
    grep -q '^wsspec fuzz: ' "$T/u.out" || fail "$what: no 'wsspec fuzz:' line: $(cat "$T/u.out")"
}
expect2 "no URL" --runs 1
expect2 "--max-rss without --cmd" ws://127.0.0.1:1/ --max-rss 4
expect2 "unknown option" ws://127.0.0.1:1/ --frobnicate
expect2 "bad --runs" ws://127.0.0.1:1/ --runs 0
free_port
expect2 "a --cmd that exits" "ws://127.0.0.1:$PORT/" --cmd "sh -c 'exit 3'" --runs 1 --findings "$T/x"
grep -q 'exit status 3' "$T/u.out" || fail "the --cmd's exit status is not said: $(cat "$T/u.out")"
expect2 "a missing --corpus" ws://127.0.0.1:1/ --runs 1 --corpus "$T/no-such-dir"
mkdir "$T/empty"
expect2 "a --corpus without frame inputs" ws://127.0.0.1:1/ --runs 1 --corpus "$T/empty"
grep -q 'no input a server receives' "$T/u.out" || fail "an empty --corpus is not said: $(cat "$T/u.out")"
touch "$T/file"
expect2 "unwritable findings" "ws://127.0.0.1:$PORT/" --runs 1 --findings "$T/file/sub"
# grep without -q reads the whole text: an early exit would end the writer by SIGPIPE
"$WSSPEC" fuzz --help | grep -- '--max-rss MIB' >/dev/null || fail "--help lacks --max-rss"
"$WSSPEC" fuzz --help | grep -- '--corpus DIR' >/dev/null || fail "--help lacks --corpus"
echo "PASS: fuzz finds a crash, a hang and a protocol violation; findings replay; corpus seeds"

#!/usr/bin/env bash
# itest_fuzz_oracles.sh - `wsspec fuzz` (harness/fuzz_cmd.c) finds each bug planted in
# build/fuzz_planted (tests/fuzz_planted.c: the echo endpoint with bugs switched on by
# WSSPEC_PLANT), each oracle against a target that misbehaves its way, in short runs
# bounded by --runs and a fixed --seed (the same seed draws the same mutants, so each
# run finds its bug at the same conversation every time):
# (crash, hang, protocol and usage: tests/itest_fuzz.sh)
#   - rss       (4 MiB leaked per connection that sends a pong) with --max-rss 8: found,
#               the case is one pong
#   - sanitizer (UBSan's "runtime error" on a binary frame of 7+ bytes): found, the
#               payload minimised to at most 16 bytes
#   - gone      (exit on Close 3000), without --cmd: found, the run stops (the target is
#               down), and the replay against a fresh one FAILED
#   - `wsspec echo` itself with --cmd, -j 4: no finding, exit 0, summary.json finished
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
SPID=
cleanup() {
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
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

# --- rss: a leak per connection ----------------------------------------------------------
fuzz leak rss --cases '2.*' --seed 1 --runs 60 --max-rss 8
[ $RC = 1 ] || fail "rss: exit $RC: $(cat "$T/rss.out")"
found rss rss
F=$T/rss/finding-1-rss.wsc
[ "$(steps "$F")" = 1 ] && grep -q 'send frame pong' "$F" ||
    fail "rss: not minimised to one pong: $(cat "$F")"

# --- sanitizer report on stderr ----------------------------------------------------------
fuzz ubsan ubsan --cases '1.2.*' --seed 1 --runs 60
[ $RC = 1 ] || fail "sanitizer: exit $RC: $(cat "$T/ubsan.out")"
found ubsan sanitizer
F=$T/ubsan/finding-1-sanitizer.wsc
grep -q 'runtime error' "$F" || fail "sanitizer: the report line is not in the finding"
L=$(sed -n 's/.*send frame binary .*repeat(\([0-9]*\),.*/\1/p; s/.*send frame binary 0x\([0-9a-f]*\)$/\1/p' "$F")
[ -n "$L" ] || fail "sanitizer: no binary frame left: $(cat "$F")"
[ "${#L}" -le 32 ] && { [ "${#L}" -gt 5 ] || [ "$L" -le 16 ]; } ||
    fail "sanitizer: the payload was not minimised: $(cat "$F")"

# --- gone: the target exits, no --cmd to restart it ------------------------------------------
start gone
timeout 120 "$WSSPEC" fuzz "ws://127.0.0.1:$PORT/" --cases '7.*' --seed 1 --runs 200 \
    --findings "$T/gone" -q >"$T/gone.out" 2>&1
RC=$?
wait "$SPID" 2>/dev/null
SPID=
[ $RC = 1 ] || fail "gone: exit $RC: $(cat "$T/gone.out")"
found gone gone
grep -q 'no --cmd to restart it' "$T/gone.out" || fail "gone: the stop is not explained"
replay gone gone
[ $RC = 1 ] && grep -q '^FAIL 90.1' "$T/replay.out" ||
    fail "gone: replay exit $RC: $(cat "$T/replay.out")"

# --- the real echo endpoint: nothing to find ----------------------------------------------------
free_port
timeout 200 "$WSSPEC" fuzz "ws://127.0.0.1:$PORT/" --cmd "$WSSPEC echo --listen 127.0.0.1:$PORT" \
    --seed 3 --runs 80 -j 4 --findings "$T/clean" -q >"$T/clean.out" 2>&1
RC=$?
[ $RC = 0 ] || fail "wsspec echo: exit $RC: $(cat "$T/clean.out"; cat "$T"/clean/*.wsc 2>/dev/null)"
grep -q '"findings": \[\]' "$T/clean/summary.json" || fail "wsspec echo: findings listed"
grep -q '"conversations": 80' "$T/clean/summary.json" || fail "wsspec echo: not 80 conversations"

echo "PASS: fuzz finds a leak (rss), a sanitizer report and a target that went away; wsspec echo is clean"

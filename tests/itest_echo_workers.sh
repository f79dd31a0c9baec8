#!/usr/bin/env bash
# tests/itest_echo_workers.sh - `wsspec echo --workers 3` (sanitized build): three
# worker processes listening on one port (SO_REUSEPORT), the "listening on" line printed
# once; closed-loop echoes on 16 connections checked byte for byte (build/echo_load
# --shape); SIGTERM passed on to the workers, exit 0, no
# sanitizer report; and --workers 0 / 65 refused with exit 2.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
LOAD=$PWD/build/echo_load
. tests/lib-echo-server.sh
trap echo_cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

for f in "$WSSPEC" "$LOAD"; do
    [ -x "$f" ] || fail "missing $f: run 'make all build/san/wsspec itest' first"
done
for bad in 0 65 x; do
    "$WSSPEC" echo --workers "$bad" >/dev/null 2>&1
    rc=$?
    [ $rc = 2 ] || fail "--workers $bad: exit $rc, want 2"
done
echo_start "$WSSPEC" --listen 127.0.0.1:0 --workers 3 || fail "wsspec echo --workers 3 did not start"
kids=$(wc -w <"/proc/$ECHO_PID/task/$ECHO_PID/children")
[ "$kids" = 3 ] || fail "$kids worker processes, want 3"
out=$("$LOAD" "$ECHO_URL" --pid "$ECHO_PID" --shape 16 2048 --seconds 1) || fail "echo_load: $out"
echo "$out"
grep -q "^bench echo shape 16x2048: .* messages/s" <<<"$out" || fail "no figures: $out"
echo_stop || fail "exit status $ECHO_RC after SIGTERM (want 0)"
if echo_sanitizer_report; then fail "sanitizer report"; fi
echo "PASS: 3 workers on one port, echoes checked, clean stop"

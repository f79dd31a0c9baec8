#!/usr/bin/env bash
# tests/itest_echo_memory.sh - what an idle connection costs the echo endpoint: 2,000
# WebSocket connections opened to `wsspec echo` and held idle (build/echo_load
# --idle-only), the server's VmRSS growth per connection at most MAX_IDLE_BYTES (4096:
# the goal of issue 18; measured about 1,500 - the struct, no buffer), a sample of 100
# of them still echoing byte for byte, all closed cleanly, and the server exiting 0.
#
# Memory, not time: the figure is deterministic enough to assert with a margin. It runs
# the optimised build (build/wsspec, WSSPEC_PLAIN), as sanitizers multiply what every
# allocation costs; tests/itest_echo.sh and itest_hostile.sh run the sanitized one.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${WSSPEC_PLAIN:-$PWD/build/wsspec}
LOAD=$PWD/build/echo_load
CONNS=2000
MAX_IDLE_BYTES=4096
. tests/lib-echo-server.sh
trap echo_cleanup EXIT

for f in "$BIN" "$LOAD"; do
    [ -x "$f" ] || { echo "FAIL: missing $f: run 'make all itest' first"; exit 1; }
done
echo_start "$BIN" --listen 127.0.0.1:0 || { echo "FAIL: wsspec echo did not start"; exit 1; }
out=$("$LOAD" "$ECHO_URL" --pid "$ECHO_PID" --conns "$CONNS" --idle-only \
    --max-idle-bytes "$MAX_IDLE_BYTES")
rc=$?
printf '%s\n' "$out"
[ $rc = 0 ] || { echo "FAIL: echo_load exit $rc"; exit 1; }
# the checks echo_load made, read back so that a change there cannot pass silently
grep -q "^bench echo: $CONNS/$CONNS connections opened" <<<"$out" || { echo "FAIL: not all opened"; exit 1; }
grep -q "still echo: 100/100$" <<<"$out" || { echo "FAIL: the sample did not echo"; exit 1; }
grep -q "^bench echo: $CONNS/$CONNS connections closed cleanly" <<<"$out" ||
    { echo "FAIL: not all closed cleanly"; exit 1; }
per=$(sed -n 's/.* \([0-9]*\) bytes per idle connection.*/\1/p' <<<"$out")
[ -n "$per" ] && [ "$per" -gt 0 ] && [ "$per" -le "$MAX_IDLE_BYTES" ] ||
    { echo "FAIL: '$per' bytes per idle connection, want 1..$MAX_IDLE_BYTES"; exit 1; }
echo_stop || { echo "FAIL: wsspec echo exit status $ECHO_RC after SIGTERM (want 0)"; exit 1; }
echo "PASS: $CONNS idle connections, $per bytes each (at most $MAX_IDLE_BYTES)"

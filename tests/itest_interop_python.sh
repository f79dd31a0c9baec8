#!/usr/bin/env bash
# tests/itest_interop_python.sh - a stock client against `wsspec echo`: Debian's
# python3-websockets (10.4) under /usr/bin/python3 (the python3 first on PATH may be
# another interpreter without it). Skips (77) when that package is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
. tests/lib-echo-server.sh
trap echo_cleanup EXIT

if [ ! -x "$PY" ] || ! "$PY" -c 'import websockets' 2>/dev/null; then
    echo "skip: $PY with the websockets package is not available (apt-get install python3-websockets)"
    exit 77
fi
if [ ! -x "$WSSPEC" ]; then
    echo "missing $WSSPEC: run 'make all build/san/wsspec' first"
    exit 1
fi

echo_start "$WSSPEC" --listen 127.0.0.1:0 --verbose || exit 1
echo "server: $ECHO_URL"
ok=1
"$PY" tests/interop_websockets.py "$ECHO_URL" || ok=0
echo_stop || { echo "FAIL server exit status $ECHO_RC after SIGTERM (want 0)"; ok=0; }
if echo_sanitizer_report >/dev/null; then
    echo "FAIL sanitizer report from the server:"
    echo_sanitizer_report
    ok=0
fi
if [ $ok = 0 ]; then
    echo "-- server stderr:"
    sed 's/^/    /' "$ECHO_ERR" | tail -40
    exit 1
fi

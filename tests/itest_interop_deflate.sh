#!/usr/bin/env bash
# itest_interop_deflate.sh - permessage-deflate (RFC 7692) against real third-party
# servers, each served as its own project serves it to Autobahn|Testsuite:
#
#   python3-websockets 10.4 (Debian)  compression on (its default), max_size 2**25,
#                                     max_queue 1 (tests/interop/websockets_server.py)
#   ws 8 (npm)                        perMessageDeflate on (tests/interop/node_ws_server.js)
#   websocket 1.0.x (npm)             WebSocket-Node, no permessage-deflate at all
#                                     (tests/interop/node_websocket_server.js)
#
# The npm packages come from tests/interop/node_modules (`npm ci` there, from the
# committed package-lock.json; .ci/deps does it). Each server's verdicts in sections 12,
# 13 (Autobahn's) and 18 (wsspec's own) must be those of its expect file,
# tests/interop/deflate-NAME-VERSION.expect (check_verdicts.py), which explains every
# difference from what the project publishes; the run's exit status must be 1 exactly
# when that file expects a FAILED case.
#
# By default (`make test`, sanitized binary) a subset that keeps every payload of section
# 12 and every offer of section 13 but only three of the eighteen sizes of each (see
# selection), and all of section 18; `--full` (`make interop`, release binary) all 216
# cases of 12 and 13.
# Section 18.5.1 (a deflate bomb) is judged against the largest message each server is
# configured to take (--max-message-size).
#
# Exit 77 (skip) when a server cannot be run (package missing) and the others passed.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
SEED=12
full=false
case "${1:-}" in
--full) full=true ;;
"") ;;
*) echo "usage: $0 [--full]" >&2; exit 2 ;;
esac

# The subset: sizes 1 (16 bytes: below ws's compression threshold), 11 (8 KiB in 256-byte
# frames) and, for section 12's payloads, 10 (128 KiB whole, beyond the 32 KiB window),
# for section 13's offers 6 (8 KiB whole, beyond a 9-bit window). Sizes 1, 10 and 15/18
# (128 KiB in 256-byte or 32 KiB frames) took 141 s against websockets and 156 s against
# ws with the sanitized binary (2026-12-05); these take about 50 s each.
selection() {
    if $full; then
        echo '12.*,13.*,18.*'
        return
    fi
    local j i sel=
    for j in 1 2 3 4 5; do for i in 1 10 11; do sel+="12.$j.$i,"; done; done
    for j in 1 2 3 4 5 6 7; do for i in 1 6 11; do sel+="13.$j.$i,"; done; done
    echo "${sel}18.*"
}
SEL=$(selection)
want_total=$("$WSSPEC" list --cases "$SEL" | grep -c .)

T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-deflate.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
skips=() failures=0

# start NAME COMMAND...: runs the server, waits for its "listening on PORT" line (never
# a sleep) and sets $port
start() {
    local name=$1 line fd
    shift
    mkfifo "$T/$name.fifo"
    "$@" >"$T/$name.fifo" 2>"$T/$name.err" &
    pids+=($!)
    exec {fd}<"$T/$name.fifo"
    if ! IFS= read -r -t 30 line <&"$fd"; then
        echo "FAIL: $name did not start"
        cat "$T/$name.err"
        return 1
    fi
    port=${line##* }
}

# judge NAME VERSION MAX_MESSAGE: runs the selection against 127.0.0.1:$port and
# compares with tests/interop/deflate-NAME-VERSION.expect
judge() {
    local name=$1 version=$2 max=$3 rc want_rc=0 t0=$SECONDS
    local expect=tests/interop/deflate-$name-$version.expect
    if [ ! -f "$expect" ]; then
        skips+=("$name $version: no expect file $expect")
        return 0
    fi
    "$WSSPEC" run "ws://127.0.0.1:$port/" --cases "$SEL" --max-message-size "$max" -j 2 \
        --seed "$SEED" --report-dir "$T/$name" -q >"$T/$name.run" 2>&1
    rc=$?
    echo "$name $version: $(tail -1 "$T/$name.run") in $((SECONDS - t0)) s"
    # the expect files put FAILED only on section 18's cases, which every run selects
    grep -q '^FAILED' "$expect" && want_rc=1
    if [ $rc != $want_rc ]; then
        cat "$T/$name.run"
        echo "FAIL: $name: exit $rc, want $want_rc"
        failures=$((failures + 1))
        return 0
    fi
    if ! $PY - "$T/$name/wsspec.json" "$want_total" <<'PY'; then
import json, sys
run = json.load(open(sys.argv[1]))
assert len(run["cases"]) == int(sys.argv[2]), (len(run["cases"]), sys.argv[2])
PY
        echo "FAIL: $name: the run does not hold the $want_total selected cases"
        failures=$((failures + 1))
        return 0
    fi
    $PY tests/interop/check_verdicts.py "$T/$name/wsspec.json" "$expect" >"$T/$name.check"
    rc=$?
    tail -1 "$T/$name.check"
    if [ $rc != 0 ]; then
        cat "$T/$name.check"
        echo "FAIL: $name: verdicts differ from $expect"
        failures=$((failures + 1))
    fi
}

if $PY -c 'import websockets' 2>/dev/null; then
    ver=$($PY -c 'import websockets; print(websockets.__version__)')
    start websockets $PY tests/interop/websockets_server.py 0 deflate || exit 1
    judge websockets "$ver" $((1 << 25))
else
    skips+=("python3-websockets not installed (apt-get install python3-websockets)")
fi

# the npm packages: the version installed in tests/interop/node_modules, nothing else
npm_version() { # package: its version, or nothing
    [ -f "tests/interop/node_modules/$1/package.json" ] || return 0
    (cd tests/interop && node -p "require('$1/package.json').version" 2>/dev/null)
}
if ! command -v node >/dev/null 2>&1; then
    skips+=("node not installed (apt-get install nodejs npm)")
else
    ver=$(npm_version ws)
    if [ -n "$ver" ]; then
        start ws node tests/interop/node_ws_server.js 0 deflate || exit 1
        judge ws "$ver" $((100 << 20)) # ws's default maxPayload
    else
        skips+=("ws not in tests/interop/node_modules (npm ci --prefix tests/interop)")
    fi
    ver=$(npm_version websocket)
    if [ -n "$ver" ]; then
        start websocket node tests/interop/node_websocket_server.js 0 || exit 1
        judge websocket "$ver" $((64 << 20)) # its maxReceivedMessageSize as served
    else
        skips+=("websocket not in tests/interop/node_modules (npm ci --prefix tests/interop)")
    fi
fi

[ $failures = 0 ] || exit 1
if [ ${#skips[@]} -gt 0 ]; then
    printf 'skip: %s\n' "${skips[@]}"
    exit 77
fi
exit 0

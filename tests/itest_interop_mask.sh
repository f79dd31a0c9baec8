#!/usr/bin/env bash
# itest_interop_mask.sh - section 15 (masking and payload length, cases/15-masking.wsc)
# against real third-party servers installable from Debian: python3-tornado,
# python3-aiohttp and libwebsockets' test server, each with its defaults. Their
# verdicts must be exactly the ones in tests/interop/mask-<server>-<version>.expect,
# Autobahn's and the RFC's: all three accept unmasked client frames (5.1), which 15.1
# flags; lws also streams a frame that declares 2^40 bytes instead of refusing it
# (15.4.4, 15.4.5). python3-websockets is checked on the whole catalogue, section 15
# included, by itest_interop_websockets.sh.
#
# lws serves its lws-mirror-protocol, which sends back as text what it receives, chunk
# by chunk: only the cases with text payloads written in one piece are run there (not
# 15.2.8, whose chops split UTF-8 characters that the mirror would send apart), one at
# a time (-j 1: the mirror sends to every client connected). A server that is not installed is skipped
# (exit 77 once the others ran); a version without an expect file too. Every wait has a
# deadline: a server prints its port within 30 s (lws: accepts within 10 s), each run
# is bounded by `timeout`, and a server is killed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
LWS_CASES=15.1.1,15.1.3,15.1.4,15.1.5,15.1.6,15.1.7,15.1.8,15.2.1,15.2.3,15.2.4,15.3.1,15.3.3,15.4.1,15.4.2,15.4.4,15.4.5
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-mask.XXXXXX")
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
[ -x "$WSSPEC" ] || { echo "FAIL: $WSSPEC is not built (make build/san/wsspec)"; exit 1; }
skipped=() failed=0

# check NAME VERSION [wsspec run options...]: the run on $port against the expect file
check() {
    local name=$1 ver=$2 expect=tests/interop/mask-$1-$2.expect
    shift 2
    if [ ! -f "$expect" ]; then
        skipped+=("$name $ver (no $expect)")
        return
    fi
    timeout --kill-after=5 120 "$WSSPEC" run "ws://127.0.0.1:$port/" --seed 15 \
        --report-dir "$T/$name" --format json -q "$@" >"$T/$name.out" 2>&1
    local rc=$?
    # servers that accept unmasked frames fail cases: exit 1 is the run's answer
    if [ $rc != 1 ]; then
        cat "$T/$name.out"
        echo "FAIL: $name $ver: wsspec run exit $rc, want 1 (failed cases)"
        failed=1
        return
    fi
    if $PY tests/interop/check_verdicts.py "$T/$name/wsspec.json" "$expect" >"$T/$name.check"; then
        echo "ok   $name $ver: $(tail -1 "$T/$name.check")"
    else
        cat "$T/$name.check"
        echo "FAIL: $name $ver: verdicts differ from $expect"
        failed=1
    fi
}

# a python server that prints "listening on PORT": start it, check, stop it
python_server() { # name module version-expression
    local name=$1 module=$2 ver
    if ! ver=$($PY -c "import $module; print($3)" 2>/dev/null); then
        skipped+=("$name (apt-get install python3-$name)")
        return
    fi
    mkfifo "$T/$name.fifo"
    $PY "tests/interop/${name}_server.py" 0 >"$T/$name.fifo" 2>"$T/$name.err" &
    spid=$!
    local fd line=
    exec {fd}<"$T/$name.fifo"
    if ! IFS= read -r -t 30 line <&"$fd" || [ "${line% *}" != "listening on" ]; then
        cat "$T/$name.err"
        echo "FAIL: $name server did not start: ${line:-no line}"
        failed=1
    else
        port=${line##* }
        check "$name" "$ver" --cases '15.*'
    fi
    exec {fd}<&-
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    spid=
}

python_server tornado tornado tornado.version
python_server aiohttp aiohttp aiohttp.__version__

LWS=$(command -v libwebsockets-test-server || true)
if [ -z "$LWS" ]; then
    skipped+=("lws (apt-get install libwebsockets-test-server)")
else
    ver=$(dpkg-query -W -f '${Version}' libwebsockets-test-server 2>/dev/null)
    ver=${ver%%-*}
    port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$LWS" --port="$port" >"$T/lws.log" 2>&1 &
    spid=$!
    up=0
    for _ in $(seq 100); do # ready when it accepts a connection: 100 tries of 0.1 s
        if $PY -c "import socket; socket.create_connection(('127.0.0.1',$port),0.1)" 2>/dev/null; then
            up=1
            break
        fi
        kill -0 "$spid" 2>/dev/null || break
        read -r -t 0.1 <> <(:) || true
    done
    if [ $up = 1 ]; then
        check lws "$ver" --subprotocol lws-mirror-protocol --cases "$LWS_CASES" -j 1
    else
        cat "$T/lws.log"
        echo "FAIL: libwebsockets-test-server did not accept connections"
        failed=1
    fi
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    spid=
fi

[ $failed = 0 ] || exit 1
if [ ${#skipped[@]} -gt 0 ]; then
    echo "skip: not installed or no expect file: ${skipped[*]}"
    exit 77
fi
exit 0

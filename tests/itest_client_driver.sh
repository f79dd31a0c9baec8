#!/usr/bin/env bash
# itest_client_driver.sh - the two fuzzing-server drivers, `wsspec client --fuzzingserver`
# and tests/interop/node_ws_client.js (npm's ws client), against a stand-in fuzzing
# server on npm's ws that speaks the URL protocol's subset a driver needs
# (tests/interop/node_url_server.js: 5 cases, every echo, Pong and Close code checked,
# a masked frame in the last answered with Close 1002 and the driver going on, every
# case run once before updateReports, the agent read back as given). The agent
# name holds '&', '=', '%', a blank and UTF-8, so its percent-encoding is proven too.
# wsspec client runs one case at a time, with -j 3 and with -j 8 (more slots than cases); the server accepts
# permessage-deflate, which both clients offer. Then getCaseCount answered with no
# number, and a port where nothing listens: exit 1. The end-to-end against `wsspec
# serve` and its whole catalogue is another test's.
# Exit 77 (skip) when node or ws (npm ci --prefix tests/interop) is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
if ! command -v node >/dev/null 2>&1; then
    echo "skip: node not installed (apt-get install nodejs npm)"
    exit 77
fi
if [ ! -f tests/interop/node_modules/ws/package.json ]; then
    echo "skip: ws not in tests/interop/node_modules (npm ci --prefix tests/interop)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-driver.XXXXXX")
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
AGENT='driver a&b=c %41 é'

n=0
drive() { # name want_summary_pattern command... (@URL@ stands for the server's URL)
    local name=$1 pattern=$2
    shift 2
    n=$((n + 1))
    mkfifo "$T/out.$n"
    node tests/interop/node_url_server.js "$AGENT" >"$T/out.$n" 2>"$T/server.err" &
    spid=$!
    exec {fd}<"$T/out.$n"
    IFS= read -r -t 30 line <&$fd || { cat "$T/server.err"; fail "$name: server did not start"; }
    local port=${line##* }
    local args=()
    for a in "$@"; do args+=("${a//@URL@/ws://127.0.0.1:$port}"); done
    "${args[@]}" >"$T/client.out" 2>"$T/client.err"
    local rc=$?
    local checks
    checks=$(timeout 60 cat <&$fd)
    wait $spid
    local src=$?
    spid=
    exec {fd}<&-
    cat "$T/client.out"
    [ $rc = 0 ] || { cat "$T/client.err"; echo "$checks"; fail "$name: exit $rc, want 0"; }
    grep -Eq "$pattern" "$T/client.out" || fail "$name: summary does not match /$pattern/"
    [ $src = 0 ] || { echo "$checks"; cat "$T/server.err"; fail "$name: the server's checks failed"; }
    echo "  $(grep -c '^PASS' <<<"$checks") checks of the server passed"
}

summary="^wsspec client: 5 cases from ws://127.0.0.1:[0-9]+ as agent '$AGENT': 4 closed cleanly, 1 failed by us "
drive "wsspec client" "$summary" "$WSSPEC" client --fuzzingserver @URL@ --agent "$AGENT"
drive "wsspec client -j 3" "$summary" "$WSSPEC" client --fuzzingserver @URL@ --agent "$AGENT" -j 3
drive "wsspec client -j 8" "$summary" "$WSSPEC" client --fuzzingserver @URL@ --agent "$AGENT" -j 8
drive "node ws client" '^node ws client: 5 cases run as agent "driver a&b=c %41 é"; reports updated$' \
    node tests/interop/node_ws_client.js @URL@ "$AGENT"

# a server whose getCaseCount is no number: exit 1, one line saying so, nothing run
mkfifo "$T/bad"
node tests/interop/node_url_server.js --bad-count >"$T/bad" 2>"$T/server.err" &
spid=$!
exec {fd}<"$T/bad"
IFS= read -r -t 30 line <&$fd || { cat "$T/server.err"; fail "bad count server did not start"; }
port=${line##* }
"$WSSPEC" client --fuzzingserver "ws://127.0.0.1:$port/" >"$T/bad.out" 2>&1
rc=$?
kill $spid 2>/dev/null
wait $spid
spid=
urls=$(timeout 10 cat <&$fd)
cat "$T/bad.out"
[ $rc = 1 ] || fail "getCaseCount without a number: exit $rc, want 1"
grep -q 'getCaseCount answered no case count' "$T/bad.out" || fail "no reason given"
grep -q "0 cases from .*reports not updated" "$T/bad.out" || fail "no summary line"
[ "$urls" = "/getCaseCount" ] || fail "requests after a bad getCaseCount: $urls"

# nothing listens: exit 1
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$WSSPEC" client --fuzzingserver "ws://127.0.0.1:$port" >"$T/refused.out" 2>&1
rc=$?
cat "$T/refused.out"
[ $rc = 1 ] && grep -q 'Connection refused' "$T/refused.out" || fail "closed port: exit $rc, want 1"
exit 0

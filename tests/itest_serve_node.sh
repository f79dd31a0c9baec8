#!/usr/bin/env bash
# itest_serve_node.sh - `wsspec serve` with two third-party library clients, each driven
# through the URL protocol by its driver script, and the exact set of cases each does
# not pass asserted, so that a change in wsspec's judgement (or in the client) shows:
#   - npm's ws client (tests/interop/node_ws_client.js; ws as package-lock.json pins it,
#     8.23.1) over every served case but sections 12 and 13 (12.1.1-12.1.3 and 13.1.1
#     of them run), section 19 included. Not OK, and nothing else: 9.3.1, 9.3.2, 9.4.1,
#     9.4.2 FAILED (ws's client limits a message to maxFragments = 16384 frames and
#     closes 1008 beyond it; these send 65,536 resp. 16,384 fragments plus the empty
#     final one, as Autobahn does); 6.4.1-6.4.4 NON-STRICT (ws checks a fragmented text
#     message's UTF-8 once it is whole: it fails the connection, 1007, but not fast); INFORMATIONAL only
#     where the case's judge is informational. docs/clients.md explains each.
#   - python3-websockets' client (Debian's 10.4, tests/interop/websockets_client.py,
#     permessage-deflate offered) over section 19, the client-only cases: every one OK.
# Each serve has --once and --timeout; synchronisation is on serve's first line.
# Exit 77 (skip) when node, ws (npm ci --prefix tests/interop) or python3-websockets is
# missing.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
if ! command -v node >/dev/null 2>&1; then
    echo "skip: node not installed (apt-get install nodejs npm)"
    exit 77
fi
if [ ! -f tests/interop/node_modules/ws/package.json ]; then
    echo "skip: ws not in tests/interop/node_modules (npm ci --prefix tests/interop)"
    exit 77
fi
if ! $PY -c 'import websockets' 2>/dev/null; then
    echo "skip: python3-websockets not installed (apt-get install python3-websockets)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-serve-node.XXXXXX")
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
WS_VERSION=$(node -p 'require("./tests/interop/node_modules/ws/package.json").version')

# serve NAME WANT_RC SERVE_ARGS... -- CLIENT... (@URL@ stands for serve's address):
# serve --once with the client; both exit statuses checked
serve() {
    local name=$1 want=$2
    shift 2
    local sargs=()
    while [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    mkfifo "$T/$name.fifo"
    "$WSSPEC" serve --listen 127.0.0.1:0 --once --timeout 280 --report-dir "$T/$name" \
        "${sargs[@]}" >"$T/$name.fifo" 2>"$T/$name.err" &
    spid=$!
    exec {fd}<"$T/$name.fifo"
    IFS= read -r -t 60 line <&$fd || { cat "$T/$name.err"; fail "$name: serve did not start"; }
    local url=${line##* }
    cat <&$fd >"$T/$name.out" &
    local args=() a
    for a in "$@"; do args+=("${a//@URL@/${url%/}}"); done
    timeout 300 "${args[@]}" >"$T/$name.client" 2>&1
    local crc=$?
    wait $spid
    local rc=$?
    spid=
    tail -1 "$T/$name.client"
    [ $crc = 0 ] || { cat "$T/$name.client"; fail "$name: client exit $crc, want 0"; }
    [ $rc = "$want" ] || { cat "$T/$name.out" "$T/$name.err"; fail "$name: serve exit $rc, want $want"; }
}

# verdicts NAME AGENT WANT_JSON: every served case reported, and exactly the expected
# verdicts (a JSON object case id -> [behavior, behaviorClose]) are not OK
verdicts() {
    $PY - "$T/$1" "$2" "$3" "$T/$1.want" <<'PY'
import json, sys
d, agent, expect, want = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.load(open(sys.argv[4]))
judge = {c["id"]: c["judge"] for c in want}
index = json.load(open(d + "/index.json"))
assert list(index) == [agent], list(index)
cases = index[agent]
assert sorted(cases) == sorted(judge), sorted(set(cases) ^ set(judge))
got = {}
for cid, r in cases.items():
    v = [r["behavior"], r["behaviorClose"]]
    if v == ["INFORMATIONAL", "INFORMATIONAL"] and judge[cid] == "informational":
        continue
    if v != ["OK", "OK"]:
        got[cid] = v
assert got == expect, "not OK: got %s, want %s" % (sorted(got.items()), sorted(expect.items()))
print("%s: %d cases, not OK exactly as expected: %s" % (agent, len(cases), sorted(got) or "none"))
PY
}

# ---- npm's ws client: every served case but most of 12 and 13
slow=$("$WSSPEC" list --role server --cases '12.*,13.*' --exclude '12.1.1,12.1.2,12.1.3,13.1.1' |
    awk '{print $1}' | paste -sd, -) || fail "wsspec list"
[ -n "$slow" ] || fail "no case of sections 12 and 13 served"
"$WSSPEC" list --role server --exclude "$slow" --json >"$T/node.want" || fail "wsspec list --json"
serve node 1 --exclude "$slow" -- node tests/interop/node_ws_client.js @URL@ "ws-$WS_VERSION"
grep -q "cases run as agent \"ws-$WS_VERSION\"; reports updated$" "$T/node.client" ||
    fail "node ws client did not run every case"
if [ "$WS_VERSION" = 8.23.1 ]; then
    verdicts node "ws-$WS_VERSION" '{
        "6.4.1": ["NON-STRICT", "OK"], "6.4.2": ["NON-STRICT", "OK"],
        "6.4.3": ["NON-STRICT", "OK"], "6.4.4": ["NON-STRICT", "OK"],
        "9.3.1": ["FAILED", "FAILED"], "9.3.2": ["FAILED", "FAILED"],
        "9.4.1": ["FAILED", "FAILED"], "9.4.2": ["FAILED", "FAILED"]}' || fail "ws verdicts"
    $PY - "$T/node/index.json" <<'PY' || fail "ws's close code in 9.3.1"
import json, sys
r = json.load(open(sys.argv[1]))["ws-8.23.1"]["9.3.1"]
assert r["remoteCloseCode"] == 1008, r
PY
else
    echo "note: ws $WS_VERSION, not the 8.23.1 whose verdicts are pinned here: verdicts not compared"
fi

# ---- python3-websockets' client: section 19, the client-only cases
"$WSSPEC" list --role server --cases '19.*' --json >"$T/py.want" || fail "wsspec list --json"
serve py 0 --cases '19.*' -- $PY tests/interop/websockets_client.py @URL@ websockets-10.4 --deflate
verdicts py websockets-10.4 '{}' || fail "websockets verdicts on section 19"
exit 0

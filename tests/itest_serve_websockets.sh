#!/usr/bin/env bash
# itest_serve_websockets.sh - `wsspec serve` with a real client under test: Debian's
# python3-websockets (10.4), driven by tests/interop/websockets_client.py exactly as
# Autobahn's documented client driver loop drives a client (getCaseCount, runCase for
# every case echoing each message, updateReports). Checks:
#   - --once: the run ends by itself, exit 0, the report has one column for the agent
#     with every served case, and known verdicts (1.1.1 OK, 2.10 OK, 5.1 OK);
#   - a client that breaks a rule (--bad-echo: text echoed with a byte more) FAILS the
#     text cases, passes the binary ones, exit 1;
#   - --baseline with --fail-on regression: the same agent fixed is two fixes, exit 0,
#     shown in summary.md and junit.xml too;
#   - getCaseStatus answers {"behavior": "OK"} for a case the agent ran, and refuses
#     (404) one it never ran; stopServer ends the server (exit 0);
#   - --timeout: the cases a client never ran are FAILED "not run before --timeout",
#     exit 1; a case still running then is FAILED "the client did not finish it within
#     --timeout";
#   - --listen that cannot be used (not HOST:PORT, a port in use) and an unwritable
#     report directory: exit 2 with one line;
#   - hostile connections: an endless request head is refused (431) after 8 KiB, a
#     head that never ends is dropped (408) - bounded - and an unknown path is 404;
#     a raw client that sends an unmasked frame in case 1.1.1 gets FAILED;
#   - two agents at once over IPv6 (two report columns), getCaseStatus waiting for a
#     case that is still running.
# Synchronisation is on the server's first line ("listening on ws://..."), never on a
# sleep. Exit 77 (skip) when python3-websockets is not installed.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
if ! $PY -c 'import websockets' 2>/dev/null; then
    echo "skip: python3-websockets not installed (apt-get install python3-websockets)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-serve.XXXXXX")
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
DRIVER=tests/interop/websockets_client.py
fail() { echo "FAIL: $*"; exit 1; }

# start_serve NAME ARGS...: wsspec serve in the background, its output in $T/NAME.out;
# sets spid and url (read from its first line).
start_serve() {
    local name=$1
    shift
    mkfifo "$T/$name.fifo"
    "$WSSPEC" serve --listen "${LISTEN:-127.0.0.1:0}" "$@" >"$T/$name.fifo" 2>"$T/$name.err" &
    spid=$!
    exec {fd}<"$T/$name.fifo"
    IFS= read -r -t 60 line <&$fd || { cat "$T/$name.err"; fail "$name: serve did not start"; }
    case $line in "wsspec serve: listening on ws://"*) ;; *) fail "$name: first line '$line'" ;; esac
    url=${line##* }
    url=${url%/}
    cat <&$fd >"$T/$name.out" &
}
# wait_serve: the server's exit status in rc
wait_serve() {
    wait $spid
    rc=$?
    spid=
}

# ---- the driver loop, --once: exit 0, one report column, known verdicts
start_serve once --once --cases '1.*,2.*,5.1,5.2' --report-dir "$T/once" --seed 3
timeout 120 $PY $DRIVER "$url" "websockets-10.4" --status 1 >"$T/once.client" 2>&1 ||
    { cat "$T/once.client"; fail "driver failed"; }
wait_serve
[ $rc = 0 ] || { cat "$T/once.out" "$T/once.err"; fail "--once: exit $rc, want 0"; }
grep -q '^status {"behavior": "OK"}$' "$T/once.client" || { cat "$T/once.client"; fail "getCaseStatus"; }
count=$(sed -n 's/^count //p' "$T/once.client")
[ "$count" -gt 20 ] || fail "getCaseCount answered '$count'"
$PY - "$T/once" "$count" <<'PY' || fail "the report"
import json, sys
d, count = sys.argv[1], int(sys.argv[2])
index = json.load(open(d + "/index.json"))
assert list(index) == ["websockets-10.4"], list(index)
cases = index["websockets-10.4"]
assert len(cases) == count, (len(cases), count)
for cid in ("1.1.1", "2.10", "5.1"):
    assert cases[cid]["behavior"] == "OK", (cid, cases[cid])
run = json.load(open(d + "/wsspec.json"))
assert [t["agent"] for t in run["targets"]] == ["websockets-10.4"], run["targets"]
assert len(run["cases"]) == count
case = json.load(open(d + "/websockets_10_4_case_1_1_1.json"))
assert case["behavior"] == "OK" and case["case"] == 1, case
PY
grep -q 'websockets-10.4' "$T/once/index.html" || fail "index.html has no column for the agent"
echo "--once: $count cases, exit 0, one report column, 1.1.1/2.10/5.1 OK"

# ---- a client that breaks a rule: FAILED, exit 1
start_serve bad --once --cases '1.1.1,1.1.2,1.2.1' --report-dir "$T/bad"
timeout 60 $PY $DRIVER "$url" "bad-echo" --bad-echo >"$T/bad.client" 2>&1 || fail "driver failed"
wait_serve
[ $rc = 1 ] || { cat "$T/bad.out"; fail "--bad-echo: exit $rc, want 1"; }
grep -q '^FAIL 1.1.1 ' "$T/bad.out" || { cat "$T/bad.out"; fail "no failure block for 1.1.1"; }
$PY - "$T/bad/index.json" <<'PY' || fail "bad-echo verdicts"
import json, sys
cases = json.load(open(sys.argv[1]))["bad-echo"]
assert cases["1.1.1"]["behavior"] == "FAILED", cases["1.1.1"]
assert cases["1.1.2"]["behavior"] == "FAILED", cases["1.1.2"]
assert cases["1.2.1"]["behavior"] == "OK", cases["1.2.1"]
PY
echo "--bad-echo: text cases FAILED, binary OK, exit 1"

# ---- --baseline: the same agent fixed (a right echo) - fixes, no regression, exit 0
start_serve base --once --cases '1.1.1,1.1.2,1.2.1' --report-dir "$T/base" --baseline "$T/bad" \
    --fail-on regression
timeout 60 $PY $DRIVER "$url" "bad-echo" >"$T/base.client" 2>&1 || fail "driver failed"
wait_serve
[ $rc = 0 ] || { cat "$T/base.out" "$T/base.err"; fail "--baseline: exit $rc, want 0"; }
$PY - "$T/base/baseline.json" <<'PY' || fail "baseline.json"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["counts"]["fixes"] == 2 and b["counts"]["regressions"] == 0, b["counts"]
assert sorted(f["id"] for f in b["fixes"]) == ["1.1.1", "1.1.2"], b["fixes"]
PY
# the rendered formats are written after the comparison, as wsspec run's: they show it
grep -q '^### Since the baseline' "$T/base/summary.md" || fail "summary.md has no baseline block"
grep -q 'baseline: fix, was' "$T/base/junit.xml" || fail "junit.xml does not show the fixes"
echo "--baseline: the fixed cases are recorded, --fail-on regression exit 0"

# ---- stopServer; getCaseStatus of a case never run is refused
start_serve stop --cases '1.1.1,1.1.2' --report-dir "$T/stop"
timeout 60 $PY $DRIVER "$url" "stopper" --only 1 --stop >"$T/stop.client" 2>&1 ||
    { cat "$T/stop.client"; fail "driver failed"; }
wait_serve
[ $rc = 0 ] || { cat "$T/stop.out" "$T/stop.err"; fail "stopServer: exit $rc, want 0"; }
echo "stopServer: the server ends, exit 0"

# ---- --timeout: the cases never run are FAILED, exit 1
start_serve tmo --cases '1.1.1,1.1.2,1.1.3' --timeout 3 --report-dir "$T/tmo"
timeout 60 $PY $DRIVER "$url" "slow" --only 1 >"$T/tmo.client" 2>&1 || fail "driver failed"
$PY - "$url" <<'PY' >"$T/tmo.status" || fail "getCaseStatus of a case never run"
import asyncio, sys, websockets
async def main():
    try:
        async with websockets.connect(sys.argv[1] + "/getCaseStatus?case=2&agent=slow"):
            print("accepted")
    except websockets.exceptions.InvalidStatusCode as e:
        print("refused %d" % e.status_code)
asyncio.run(main())
PY
grep -q '^refused 404$' "$T/tmo.status" || { cat "$T/tmo.status"; fail "getCaseStatus of a case never run: not 404"; }
wait_serve
[ $rc = 1 ] || { cat "$T/tmo.out" "$T/tmo.err"; fail "--timeout: exit $rc, want 1"; }
grep -q 'not run' "$T/tmo.err" || { cat "$T/tmo.err"; fail "--timeout: no line"; }
$PY - "$T/tmo/index.json" <<'PY' || fail "--timeout verdicts"
import json, sys
cases = json.load(open(sys.argv[1]))["slow"]
assert cases["1.1.1"]["behavior"] == "OK", cases["1.1.1"]
for cid in ("1.1.2", "1.1.3"):
    assert cases[cid]["behavior"] == "FAILED", cases[cid]
PY
echo "--timeout: 2 cases not run are FAILED, exit 1; getCaseStatus of one: 404"

# ---- --timeout while a case runs: a client that never echoes holds case 1.1.2 (its
# timers stretched 100 times, so only --timeout can end it): FAILED as not finished
start_serve cut --cases '1.1.2' --timeout 10 --timeout-scale 100 --report-dir "$T/cut"
timeout 60 $PY - "$url" <<'PY' || fail "a deaf client"
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1] + "/runCase?case=1&agent=deaf", open_timeout=30) as ws:
        await asyncio.wait_for(ws.wait_closed(), 50)
asyncio.run(main())
PY
wait_serve
[ $rc = 1 ] || { cat "$T/cut.out" "$T/cut.err"; fail "--timeout during a case: exit $rc, want 1"; }
grep -q '0 case(s) not run, 1 cut short' "$T/cut.err" || { cat "$T/cut.err"; fail "--timeout: no cut-short line"; }
$PY - "$T/cut/index.json" "$T/cut/deaf_case_1_1_2.json" <<'PY' || fail "--timeout during a case: verdict"
import json, sys
case = json.load(open(sys.argv[1]))["deaf"]["1.1.2"]
assert case["behavior"] == "FAILED", case
detail = json.load(open(sys.argv[2]))
assert detail["result"].startswith("the client did not finish it within --timeout"), detail["result"]
PY
echo "--timeout while a case runs: FAILED, 'the client did not finish it within --timeout'"

# ---- two agents at once over IPv6; getCaseStatus of a running case waits for its end
LISTEN='[::1]:0' start_serve two --cases '1.1.1,1.1.2,1.2.1' --timeout-scale 0.5 --report-dir "$T/two"
case $url in "ws://[::1]:"*) ;; *) fail "IPv6: listening on $url" ;; esac
timeout 60 $PY $DRIVER "$url" "agent one" >"$T/two.c1" 2>&1 &
c1=$!
timeout 60 $PY $DRIVER "$url" "agent two" >"$T/two.c2" 2>&1 || fail "driver two failed"
wait $c1 || fail "driver one failed"
$PY - "$url" <<'PY' >"$T/two.wait" || fail "getCaseStatus of a running case"
import asyncio, sys, websockets
async def silent_case(url):
    # the case's messages are never echoed: it runs until its timer fails it
    async with websockets.connect(url + "/runCase?case=1&agent=deaf", open_timeout=60) as ws:
        try:
            await asyncio.wait_for(ws.wait_closed(), 60)
        except asyncio.TimeoutError:
            pass
async def status(url):
    async with websockets.connect(url + "/getCaseStatus?case=1&agent=deaf", open_timeout=60) as ws:
        return await ws.recv()
async def main(url):
    case = asyncio.ensure_future(silent_case(url))
    # the status request must wait for the case: ask once the case is running
    for _ in range(600):
        await asyncio.sleep(0.01)
        if case.done():
            break
        try:
            answer = await status(url)
            break
        except websockets.exceptions.InvalidStatusCode as e:
            if e.status_code != 404:  # 404: the case has not started yet
                raise
    await case
    print(answer)
asyncio.run(main(sys.argv[1]))
PY
grep -q '^{"behavior": "FAILED"}$' "$T/two.wait" || { cat "$T/two.wait"; fail "getCaseStatus of a running case: not FAILED"; }
$PY - "$url" <<'PY' || fail "stopServer"
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1] + "/stopServer") as ws:
        await ws.wait_closed()
asyncio.run(main())
PY
wait_serve
[ $rc = 1 ] || { cat "$T/two.out"; fail "two agents and a deaf one: exit $rc, want 1"; }
$PY - "$T/two/index.json" <<'PY' || fail "two agents' report"
import json, sys
index = json.load(open(sys.argv[1]))
assert sorted(index) == ["agent one", "agent two", "deaf"], sorted(index)
for a in ("agent one", "agent two"):
    assert len(index[a]) == 3 and all(c["behavior"] == "OK" for c in index[a].values()), index[a]
assert index["deaf"]["1.1.1"]["behavior"] == "FAILED", index["deaf"]
PY
echo "IPv6, two agents at once (two report columns), getCaseStatus waits for a running case"

# ---- wsspec's own trouble: exit 2, one line
"$WSSPEC" serve --listen nonsense --report-dir "$T/x" >/dev/null 2>"$T/e1"
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$T/e1")" = 1 ] || { cat "$T/e1"; fail "--listen nonsense: exit $rc"; }
start_serve busy --report-dir "$T/busy"
port=${url##*:}
"$WSSPEC" serve --listen "127.0.0.1:$port" --report-dir "$T/y" >/dev/null 2>"$T/e2"
rc=$?
[ $rc = 2 ] && grep -q 'cannot listen' "$T/e2" && [ "$(wc -l <"$T/e2")" = 1 ] ||
    { cat "$T/e2"; fail "a port in use: exit $rc"; }
touch "$T/file"
"$WSSPEC" serve --listen 127.0.0.1:0 --report-dir "$T/file/sub" >/dev/null 2>"$T/e3"
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$T/e3")" = 1 ] || { cat "$T/e3"; fail "unwritable report dir: exit $rc"; }
echo "--listen nonsense, a port in use, an unwritable report dir: exit 2, one line"

# ---- hostile connections against the running server: bounded
$PY - "$port" <<'PY' || fail "hostile connections"
import socket, sys
port = int(sys.argv[1])
def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s
def read_all(s):
    data = b""
    while True:
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data
# an endless request head: wsspec ends the connection (a reset or a close: the sender
# gets an error long before 16 MiB; a server that kept reading would let it all in, one
# that stopped reading without closing would block it into the socket's timeout)
s = connect()
s.sendall(b"GET /getCaseCount HTTP/1.1\r\nX: ")
sent = 0
ended = False
try:
    while sent < 16 << 20:
        s.sendall(b"a" * 65536)
        sent += 65536
except (BrokenPipeError, ConnectionResetError):
    ended = True
assert ended, "wsspec read 16 MiB of request head"
# a head over the bound, then nothing more: refused with 431
s = connect()
s.sendall(b"GET /getCaseCount HTTP/1.1\r\nX: " + b"a" * 16384)
s.shutdown(socket.SHUT_WR)
answer = read_all(s)
assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
# a head that never ends: dropped with 408 (5 s times --timeout-scale)
s = connect()
s.sendall(b"GET /getCaseCount HTTP/1.1\r\n")
answer = read_all(s)
assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
assert answer.endswith(b"the request head did not arrive within 5 s\n"), answer[-80:]
# a client that sends an unmasked frame (RFC 6455 5.1: a client MUST mask): case 1.1.1
# runs, and its verdict is FAILED (checked in the report below)
s = connect()
s.sendall(b"GET /runCase?casetuple=1.1.1&agent=raw HTTP/1.1\r\nHost: x\r\n"
          b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
got = b""
while b"\r\n\r\n" not in got:
    chunk = s.recv(4096)
    assert chunk, got
    got += chunk
assert got.startswith(b"HTTP/1.1 101 "), got[:80]
s.sendall(b"\x81\x00")  # the empty text message echoed - unmasked
read_all(s)
# an unknown path (Autobahn's direct command mode): 404
s = connect()
s.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
answer = read_all(s)
assert answer.startswith(b"HTTP/1.1 404 "), answer[:80]
PY
kill -TERM $spid
wait_serve
[ $rc = 2 ] || { cat "$T/busy.err"; fail "SIGTERM: exit $rc, want 2 (interrupted)"; }
$PY - "$T/busy/index.json" <<'PY' || fail "an unmasked frame from the client"
import json, sys
case = json.load(open(sys.argv[1]))["raw"]["1.1.1"]
assert case["behavior"] == "FAILED", case
PY
echo "hostile: an endless head 431, a silent one 408, an unknown path 404, an unmasked frame FAILED; SIGTERM exit 2"
exit 0

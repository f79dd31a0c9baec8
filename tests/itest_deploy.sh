#!/usr/bin/env bash
# itest_deploy.sh - `wsspec run` against servers as they are deployed, not bare echo
# endpoints (wsspec issue 14):
#   1. behind authentication: build/itest_defect_server --require-header answers 401
#      (Authorization) or 403 (Origin) to any connection without them. Without -H the
#      run stops at once, exit 2, with the status and the first bytes of the body; with
#      -H and --origin the whole catalogue passes, and every case's request carries
#      them, each with its own key; a failure's replay line gives -H without its value
#   2. a server that speaks one subprotocol (--require-subprotocol): 400 without it;
#      with --subprotocol the whole catalogue passes and every 101 selects it
#   3. the report directory is created and written to before anything is sent: a
#      read-only parent, a parent that is a file, a directory that cannot be written -
#      each exit 2 with the system's reason, before the (unreachable) target is tried;
#      a run that sends nothing leaves no empty directory behind
#   4. --max-time against a server that goes silent after the handshake: the run ends
#      after about that long, every selected case reported FAILED (timed out: cut
#      short, or not started), the report written, exit 1
#   5. URLs: 8 KiB ones reach the server (a 7 KiB path runs, a longer one gets the
#      server's own 431), WS:// and an upper-case host are the same URL as ws://
#   6. wsspec echo -v names the client's address even when the client has already
#      reset the connection
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
SERVER=${DEFECT_SERVER:-$PWD/build/itest_defect_server}
PY=/usr/bin/python3
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-deploy.XXXXXX")
SPID=
cleanup() {
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    echo_cleanup
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"
[ -x "$SERVER" ] || fail "missing $SERVER: run 'make itest' first"

# A server in the background; SURL is its ws:// URL, from the one line it prints.
server_start() { # command...
    local fifo=$T/server.out line=
    rm -f "$fifo"
    mkfifo "$fifo"
    "$@" >"$fifo" 2>"$T/server.err" &
    SPID=$!
    local fd
    exec {fd}<"$fifo"
    IFS= read -r -t 10 line <&"$fd" || fail "server printed nothing within 10 s: $*"
    exec {fd}<&-
    case $line in
    "listening on "*) SURL="ws://${line#listening on }/" ;;
    *) fail "server said: $line" ;;
    esac
}
server_stop() {
    kill -TERM "$SPID" 2>/dev/null
    timeout 10 tail --pid="$SPID" -f /dev/null || kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=
}

# Every case of a whole-catalogue report passes. Autobahn's cases (sections 1-13: the
# request as wsspec always sends it): the request carrying each "Name: value" given,
# all keys different, responses carrying RESPONSE_HAS if set. The opening-handshake
# and negotiation cases (14 and up) change the request on purpose (a key, the
# subprotocols, the whole request): there, passing is what is checked.
check_report() { # dir, response line or "", request lines...
    $PY - "$WSSPEC" "$@" <<'PY'
import glob, json, os, subprocess, sys
wsspec, d, resp_has, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
total = len(subprocess.run([wsspec, "list", "--exclude", "12.*,13.*"], capture_output=True,
                           text=True).stdout.splitlines())
run = json.load(open(os.path.join(d, "wsspec.json")))
assert run["summary"]["total"] == total and run["summary"]["failed"] == 0, run["summary"]
keys, autobahn = set(), 0
files = glob.glob(os.path.join(d, "*_case_*.json"))
assert len(files) == total, len(files)
for f in files:
    c = json.load(open(f))
    lines = c["httpRequest"].split("\r\n")
    if int(c["id"].split(".")[0]) >= 14:
        continue
    autobahn += 1
    for w in want:
        assert w in lines, (f, w, lines)
    key = [l for l in lines if l.lower().startswith("sec-websocket-key:")]
    assert len(key) == 1, key
    keys.add(key[0])
    if resp_has:
        assert resp_has in c["httpResponse"].split("\r\n"), (f, c["httpResponse"])
assert len(keys) == autobahn, f"{len(keys)} different keys for {autobahn} connections"
print(f"  {total} cases OK; every request carries {want}, {autobahn} different keys in "
      f"Autobahn's sections" + (f"; every 101 there has {resp_has!r}" if resp_has else ""))
PY
}

# 1. behind authentication
server_start "$SERVER" --listen 127.0.0.1:0 --max-seconds 240 \
    --require-header 'Authorization: Bearer s3cret' --require-header 'Origin: https://app.example'
"$WSSPEC" run "$SURL" --report-dir "$T/noauth" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] || fail "no credentials: exit $rc, want 2"
[ "$(grep -c . "$T/err")" = 1 ] &&
    grep -q "^wsspec run: 127.0.0.1:[0-9]* refused the WebSocket handshake: got 401 Unauthorized: no valid credentials" "$T/err" ||
    fail "no credentials: want one line with the 401 and its body, got: $(cat "$T/err")"
[ ! -e "$T/noauth" ] || fail "no credentials: an empty report directory was left behind"
echo "no credentials: exit 2, $(cat "$T/err")"
"$WSSPEC" run "$SURL" -H 'Authorization: Bearer s3cret' --report-dir "$T/noorigin" \
    >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -q "got 403 Forbidden" "$T/err" || fail "no origin: $(cat "$T/err")"
# (the compression sections 12 and 13 - 11 GB of messages, minutes under the sanitizers -
# are left out: authentication is per connection, and section 18 has the same offers)
"$WSSPEC" run "$SURL" -H 'Authorization: Bearer s3cret' --origin https://app.example \
    --exclude '12.*,13.*' --report-dir "$T/auth" --seed 21 -q >"$T/auth.out" 2>&1
rc=$?
[ $rc = 0 ] || { tail -20 "$T/auth.out"; fail "with -H and --origin: exit $rc, want 0"; }
# the server only answers 101 when the header came; the report keeps its name, not its value
check_report "$T/auth" "" 'Authorization: <redacted>' 'Origin: https://app.example' ||
    fail "auth report"
grep -rl s3cret "$T/auth" && fail "the secret is in the report files above"
echo "behind authentication, -H and --origin: $(tail -1 "$T/auth.out"); no credential in the report"
server_stop
# a failure's replay line names what the connection sent, but no -H value (a secret)
server_start "$SERVER" --listen 127.0.0.1:0 --max-seconds 60 --defect pong-missing \
    --require-header 'Authorization: Bearer s3cret'
"$WSSPEC" run "$SURL" -H 'Authorization: Bearer s3cret' --origin https://app.example \
    --cases 2.1 --seed 5 --report-dir "$T/replay" -q >"$T/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "pong-missing behind authentication: exit $rc, want 1"
grep -qxF "  replay       wsspec run $SURL --cases 2.1 --seed 5 --origin https://app.example -H 'Authorization: <redacted>'" "$T/out" ||
    fail "replay line: $(grep replay "$T/out")"
grep -q s3cret "$T/out" && fail "the secret is in the output: $(grep s3cret "$T/out")"
echo "a failure's replay line: $(grep -o 'replay .*' "$T/out")"
server_stop

# 2. one subprotocol
server_start "$SERVER" --listen 127.0.0.1:0 --max-seconds 240 --require-subprotocol chat.v2
"$WSSPEC" run "$SURL" --report-dir "$T/noproto" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "got 400 Bad Request: this endpoint speaks one subprotocol" "$T/err" ||
    fail "no subprotocol: exit $rc: $(cat "$T/err")"
echo "no subprotocol: exit 2, $(cat "$T/err")"
"$WSSPEC" run "$SURL" --subprotocol chat.v1 --subprotocol chat.v2 --report-dir "$T/proto" \
    --exclude '12.*,13.*' --seed 22 -q >"$T/proto.out" 2>&1
rc=$?
[ $rc = 0 ] || { tail -20 "$T/proto.out"; fail "with --subprotocol: exit $rc, want 0"; }
check_report "$T/proto" "Sec-WebSocket-Protocol: chat.v2" \
    'Sec-WebSocket-Protocol: chat.v1, chat.v2' || fail "subprotocol report"
echo "one subprotocol, --subprotocol: $(tail -1 "$T/proto.out")"
server_stop

# 3. the report directory, before anything is sent (the target is unreachable, so any
#    other message means the order is wrong)
as_user=()
if [ "$(id -u)" = 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 755 "$T"
fi
report_dir_refused() { # what, directory, pattern
    "${as_user[@]}" "$WSSPEC" run ws://127.0.0.1:1/ --report-dir "$2" >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc = 2 ] || fail "$1: exit $rc, want 2"
    [ "$(grep -c . "$T/err")" = 1 ] && grep -q "^wsspec run: $3" "$T/err" ||
        fail "$1: want one line '$3', got: $(cat "$T/err")"
    [ ! -s "$T/out" ] || fail "$1: something ran: $(cat "$T/out")"
    echo "$1: $(cat "$T/err")"
}
mkdir -p "$T/ro"
chmod 555 "$T/ro"
report_dir_refused "read-only parent" "$T/ro/new/reports" \
    "cannot create the report directory '$T/ro/new/reports': creating '$T/ro/new': Permission denied"
report_dir_refused "existing directory not writable" "$T/ro" \
    "cannot write to the report directory '$T/ro': Permission denied"
touch "$T/file"
report_dir_refused "parent is a file" "$T/file/reports" \
    "cannot create the report directory '$T/file/reports': '$T/file' is not a directory"
"$WSSPEC" run ws://127.0.0.1:1/ --report-dir "$T/made/deep" >/dev/null 2>"$T/err"
[ $? = 2 ] && grep -q "target unreachable" "$T/err" || fail "unreachable: $(cat "$T/err")"
[ ! -e "$T/made" ] || fail "a run that sent nothing left $T/made behind"
echo "unreachable target: the report directory made for it is removed again"

# 4. --max-time against a server silent after the handshake: 9.1.x wait up to 100 s
#    for their echoes; -j 1 runs one, the others wait their turn
cat >"$T/silent.py" <<'PY'
import base64, hashlib, socket, threading, time
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
def serve(c):
    c.settimeout(120)
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            return
        req += d
    key = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n")
           if l.lower().startswith(b"sec-websocket-key:")][0]
    acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n")
    while c.recv(65536):  # silent from here on
        pass
ls.settimeout(1)
end = time.monotonic() + 120  # never outlives the test
while time.monotonic() < end:
    try:
        c, _ = ls.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
server_start "$PY" "$T/silent.py"
t0=$SECONDS
"$WSSPEC" run "$SURL" --cases 9.1.1,9.1.2,9.1.3 -j 1 --max-time 2 --report-dir "$T/mt" \
    >"$T/out" 2>"$T/err"
rc=$?
took=$((SECONDS - t0))
[ $rc = 1 ] || fail "--max-time: exit $rc, want 1 ($(cat "$T/err"))"
[ $took -lt 15 ] || fail "--max-time 2 took $took s"
grep -q "^wsspec run: --max-time 2 s reached: 1 case(s) cut short and 2 not started, reported FAILED (timed out)$" "$T/err" ||
    fail "--max-time: $(cat "$T/err")"
$PY - "$T/mt/wsspec.json" <<'PY' || fail "--max-time report"
import json, sys
cases = {c["id"]: c for c in json.load(open(sys.argv[1]))["cases"]}
assert sorted(cases) == ["9.1.1", "9.1.2", "9.1.3"], sorted(cases)
for cid, c in cases.items():
    assert c["behavior"] == "FAILED" and not c["passed"], (cid, c["behavior"])
    assert c["result"].startswith("Timed out: the run's --max-time of 2 s"), c["result"]
assert "ended the case" in cases["9.1.1"]["result"], cases["9.1.1"]["result"]
assert "before the case started" in cases["9.1.3"]["result"], cases["9.1.3"]["result"]
print("  9.1.1 cut short, 9.1.2 and 9.1.3 not started: all FAILED, timed out")
PY
echo "--max-time 2 against a silent server: exit 1 after $took s, $(cat "$T/err")"
server_stop

# 5. URLs: 8 KiB, scheme and host case
echo_start "$WSSPEC" -v --listen 127.0.0.1:0 || fail "echo did not start"
port=${ECHO_URL#ws://127.0.0.1:}
port=${port%/}
path=$(head -c 7000 /dev/zero | tr '\0' 'a')
"$WSSPEC" run "ws://127.0.0.1:$port/$path" --cases '1.1.*' --report-dir "$T/long" -q \
    >"$T/out" 2>"$T/err" || fail "7 KiB path: exit $? ($(cat "$T/err"))"
$PY - "$T/long" <<'PY' || fail "7 KiB path: not sent as given"
import glob, json, os, sys
files = glob.glob(os.path.join(sys.argv[1], "*_case_*.json"))
assert len(files) == 8, files
for f in files:
    c = json.load(open(f))
    assert c["behavior"] == "OK", (f, c["behavior"])
    assert c["httpRequest"].startswith("GET /" + "a" * 7000 + " HTTP/1.1\r\n"), f
PY
path=$(head -c 8200 /dev/zero | tr '\0' 'b')
"$WSSPEC" run "ws://127.0.0.1:$port/$path" --report-dir "$T/long2" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "refused the WebSocket handshake: got 431 Request Header Fields Too Large" "$T/err" ||
    fail "8 KiB path: want the server's 431, got exit $rc: $(cat "$T/err")"
echo "URLs: a 7 KiB path runs; an 8 KiB one reaches the server, which answers 431"
"$WSSPEC" run "WS://LocalHost:$port/" --cases 1.1.1 --report-dir "$T/case" -q >"$T/out" 2>"$T/err" ||
    fail "WS://LocalHost: exit $? ($(cat "$T/err"))"
$PY - "$T/case" <<'PY' || fail "WS://LocalHost report"
import glob, json, os, sys
f = glob.glob(os.path.join(sys.argv[1], "*_case_1_1_1.json"))[0]
req = json.load(open(f))["httpRequest"]
assert "\r\nHost: localhost:" in req, req
print("  WS://LocalHost:PORT/ runs as ws://localhost:PORT/")
PY

# 6. echo -v: a client that resets the connection is still named
$PY - "$port" >"$T/clients" <<'PY' || fail "echo -v clients"
import socket, struct, sys
port = int(sys.argv[1])
def rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
print(s.getsockname()[1])
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # half a request, then a reset
rst(s)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
print(s.getsockname()[1])
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
assert s.recv(1024).startswith(b"HTTP/1.1 101")
rst(s)  # an open connection reset
PY
echo_stop || fail "echo server exit status $ECHO_RC"
echo_sanitizer_report && fail "sanitizer report from the server"
for p in $(cat "$T/clients"); do
    grep -q "^wsspec echo: 127.0.0.1:$p: " "$ECHO_ERR" ||
        fail "echo -v does not name client port $p: $(grep -v listening "$ECHO_ERR")"
done
grep -q "^wsspec echo: ?:" "$ECHO_ERR" && fail "echo -v logged an unknown peer: $(cat "$ECHO_ERR")"
echo "echo -v names clients that reset: $(grep -c "^wsspec echo: 127" "$ECHO_ERR") lines"
echo "itest_deploy: all checks passed"

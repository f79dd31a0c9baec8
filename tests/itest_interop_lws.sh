#!/usr/bin/env bash
# itest_interop_lws.sh - section 2 (pings and pongs) against a real third-party server:
# libwebsockets' own test server (Debian's libwebsockets-test-server, lws 4.1.x), its
# lws-mirror-protocol. libwebsockets keeps one ping in flight by design, and says it fails
# 2.10 under Autobahn: ten pings in one write get one pong. It is the pong of the *first*
# ping, so the RFC's verdict fails it too: 5.5.3 lets a server answer only the most
# recent of several unanswered pings (2.10 is marked pongs-may-coalesce), not only the
# oldest. 2.11 sends the same ten pings in one-byte chops, one per pass of Autobahn's
# writer (harness/sendq.h); an lws that is scheduled promptly answers each ping before the
# next one is complete, and 2.11 passes. On a loaded machine lws is sometimes descheduled
# for milliseconds, reads several pings at once and answers some of them (seen: ~1 run in
# 10 under two CPU hogs), exactly as it would under Autobahn. So 2.11 is checked against
# its own wire log: Autobahn's verdict must be OK exactly when all ten pongs came back in
# order, the RFC's exactly when the pongs are a subsequence of the pings ending with the
# last one. 2.5 (a 126-byte
# ping): lws closes TCP without a Close frame - Autobahn's "or none", the RFC's 7.1.7
# SHOULD: NON-STRICT. Expected: 2.10 FAILED by both, 2.5 OK / RFC NON-STRICT, every
# other 2.x case OK/OK by both.
# Then the opening handshake (sections 14 and 16), the cases that end with the response
# (no echo: lws-mirror-protocol would mirror every echo to every connection of the run):
# lws answers a 101 to POST, to HTTP/1.0, to keys of the wrong length or alphabet, to two
# keys, to versions 12, 14, none, "13, 8", two and 013, to two Host lines, to whitespace
# before a colon and to a malformed extension offer; it computes the accept over the key
# with the blanks that follow it (14.5.7); it closes TCP without any response when Host,
# Connection or the key is missing, for Upgrade: h2c and for a subprotocol offer that is
# not a token; without Upgrade it serves its HTTP page (INFORMATIONAL). Each verdict
# names the RFC sentence it breaks; they are checked exactly.
# Exit 77 (skip) when the package is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
LWS=$(command -v libwebsockets-test-server || true)
if [ -z "$LWS" ]; then
    echo "skip: libwebsockets-test-server not installed (apt-get install libwebsockets-test-server)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-lws.XXXXXX")
pid=
cleanup() {
    local rc=$?
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LWS" --port="$port" >"$T/lws.log" 2>&1 &
pid=$!
# ready when it accepts a connection (bounded: 10 s)
for _ in $(seq 100); do
    if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.1)" 2>/dev/null; then
        break
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$T/lws.log"; echo "FAIL: lws test server exited"; exit 1; }
    read -r -t 0.1 <> <(:) || true
done
set +e
"$WSSPEC" run "ws://127.0.0.1:$port/" --subprotocol lws-mirror-protocol --cases '2.*' \
    --report-dir "$T/rep" -q --seed 3 >"$T/run.out" 2>&1
rc=$?
set -e
tail -1 "$T/run.out"
[ $rc = 1 ] || { cat "$T/run.out"; echo "FAIL: exit $rc, want 1 (2.10 fails)"; exit 1; }
/usr/bin/python3 - "$T/rep/wsspec.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
got = {c["id"]: (c["behavior"], c["behaviorClose"], c["rfcBehavior"], c["rfcBehaviorClose"])
       for c in run["cases"]}
want = {f"2.{i}": ("OK", "OK", "OK", "OK") for i in range(1, 12)}
want["2.10"] = ("FAILED", "OK", "FAILED", "OK")
want["2.5"] = ("OK", "OK", "NON-STRICT", "OK")
# 2.11: what lws sent decides (see the header); the verdicts must follow from the wire log
files = {c["id"]: c["reportfile"] for c in run["cases"]}
if "2.11" in files:
    import os
    case = json.load(open(os.path.join(os.path.dirname(sys.argv[1]), files["2.11"])))
    pings = [f"payload-{i}" for i in range(10)]
    if case.get("wirelogDropped"):
        print("FAIL: 2.11: wire log rows dropped, cannot check the pongs")
        sys.exit(1)
    pongs = [r[1][1] for r in case["wirelog"] if r[0] == "RF" and r[2] == 10]
    rest = iter(pings)
    subseq = all(p in rest for p in pongs)
    a = "OK" if pongs == pings else "FAILED"
    r = "OK" if pongs == pings or (pongs and subseq and pongs[-1] == pings[-1]) else "FAILED"
    want["2.11"] = (a, "OK", r, "OK")
    if a != "OK":
        print(f"note: 2.11: lws answered {len(pongs)} of 10 chopped pings this time ({pongs})")
bad = [f"{k}: got {got.get(k)}, want {v}" for k, v in sorted(want.items()) if got.get(k) != v]
if len(got) != 11 or bad:
    print("FAIL:", len(got), "cases;", "; ".join(bad))
    sys.exit(1)
print("libwebsockets test server: 2.10 FAILED by both (one pong, for the first ping), 2.5 "
      "RFC NON-STRICT (no Close before failing), the other 2.x OK")
PY
set +e
HS='14.1.1,14.1.2,14.1.3,14.2.1,14.2.2,14.3.1,14.3.2,14.4.1,14.4.2,14.5.1,14.5.2,14.5.3,14.5.4'
HS=$HS,'14.5.5,14.5.6,14.5.7,14.6.2,14.6.3,14.6.4,14.6.5,14.6.6,14.6.7,14.7.3,16.1.7,16.2.5'
"$WSSPEC" run "ws://127.0.0.1:$port/" --subprotocol lws-mirror-protocol --cases "$HS" \
    --report-dir "$T/hs" -q --seed 3 >"$T/hs.out" 2>&1
rc=$?
set -e
tail -1 "$T/hs.out"
[ $rc = 1 ] || { cat "$T/hs.out"; echo "FAIL: exit $rc, want 1"; exit 1; }
/usr/bin/python3 - "$T/hs/wsspec.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
got = {c["id"]: (c["behavior"], c["behaviorClose"], c["rfcBehavior"], c["rfcBehaviorClose"], c["broken"])
       for c in run["cases"]}
answered = "14.1.1 14.1.2 14.1.3 14.2.2 14.5.2 14.5.3 14.5.4 14.5.6 14.5.7 14.6.2 14.6.3 14.6.4 " \
           "14.6.5 14.6.6 14.6.7 14.7.3 16.2.5"       # a 101 that breaks a MUST
dropped = "14.2.1 14.3.2 14.4.1 14.4.2 14.5.1 14.5.5 16.1.7"  # TCP closed, no response
want = {i: ("FAILED", "OK") for i in answered.split()}
want.update({i: ("FAILED", "FAILED") for i in dropped.split()})
want["14.3.1"] = ("INFORMATIONAL", "OK")               # its HTTP page: RFC 9110 7.8 MAY
bad = [f"{k}: got {got.get(k)}, want {v}" for k, v in sorted(want.items())
       if not got.get(k) or got[k][:2] != v or got[k][2:4] != v]
if len(got) != len(want) or bad:
    print("FAIL:", len(got), "cases;", "; ".join(bad))
    sys.exit(1)
why = {"14.5.7": "accept", "14.2.1": "no response", "14.6.2": "4.2.2 MUST"}
for k, w in why.items():
    if w not in (got[k][4] or ""):
        print(f"FAIL: {k} does not name '{w}': {got[k][4]}")
        sys.exit(1)
print(f"libwebsockets test server, opening handshake: {len(answered.split())} 101s that break a "
      f"MUST, {len(dropped.split())} requests dropped without a response, 14.3.1 its HTTP page")
PY

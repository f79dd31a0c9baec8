#!/usr/bin/env bash
# tests/itest_load.sh - `wsspec load` (tests/run sets WSSPEC to the ASan+UBSan build)
# against `wsspec echo` and against build/itest_load_target, a server with one fault
# switched on, each fault reported with the right kind and count:
#  - wsspec echo: closed loop, pipelined text, open loop, soak, --compare, JSON and
#    HTML: exit 0, every message answered, counts exact, no progress line when stderr
#    is not a terminal; soak says when every connection is open; --server-pid gives the
#    server's CPU time (a forking server's children counted) and echoes per CPU-second;
#    --source binds the connections to 127.0.0.2-.4 in turn (/proc/net/tcp while held);
#  - wss:// against wsspec echo with a test CA (--cacert), and without it: tls errors;
#  - --corrupt 1000: 5000 echoes, exactly 5 echo_mismatch, exit 1;
#  - --stall-after 10: 3 connections, 3 stalls, 30 echoes, exit 1; in soak mode, after
#    10 Pongs, 3 stalls;
#  - --drop-after 10: 3 connections closed_by_peer, 30 echoes, exit 1; in soak mode the
#    same after 10 Pongs;
#  - --rsv-after 10: a frame with RSV2 is a protocol error on each connection, exit 1;
#  - --refuse: a 403 to the opening handshake is a handshake error, exit 1;
#  - a closed port: connect_refused for every connection, exit 1;
#  - --delay-ms 20: p50 at least 20 ms (strict: the delay is a floor) and below 2 s
#    (loose: the machine is shared), closed and open loop;
#  - the series' per-point histograms (p50/p99 over time) add up, hold no sample below
#    the injected delay, and are plotted for each run of --compare;
#  - --merge of two half runs against one run of the total: counts exact (the
#    histogram merge itself is exact in harness/tests/test_load_hist.c);
#  - usage errors and a descriptor limit too low for --connections: exit 2, one line;
#  - every option of harness/load_opts.def and every error kind is in README.md.
# Counts are asserted, never speed. Every server is stopped with a deadline.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
TARGET=$PWD/build/itest_load_target
PY=/usr/bin/python3
for f in "$WSSPEC" "$TARGET" "$PY"; do
    if [ ! -x "$f" ]; then
        echo "missing $f: run 'make all build/san/wsspec itest' first"
        exit 1
    fi
done
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-load.XXXXXX")
trap 'echo_cleanup; rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# load NAME WANT_RC ARGS...: run wsspec load (bounded), keep its output and JSON
load() {
    local name=$1 want=$2
    shift 2
    timeout --kill-after=5 120 "$WSSPEC" load "$@" --json "$T/$name.json" >"$T/$name.out" 2>"$T/$name.err"
    local rc=$?
    sed "s/^/    $name: /" "$T/$name.out"
    [ "$rc" = "$want" ] || fail "$name: exit $rc, wanted $want: $(cat "$T/$name.err")"
    if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/$name.err"; then
        fail "$name: sanitizer report"
        cat "$T/$name.err"
    fi
}

# check NAME PYTHON-EXPR...: each expression holds for r = the JSON of run NAME
check() {
    local name=$1
    shift
    $PY - "$T/$name.json" "$@" <<'PY' || fail "$name: JSON check"
import json, sys
r = json.load(open(sys.argv[1]))
e = r.get("errors", {})
for expr in sys.argv[2:]:
    if not eval(expr):
        print("  does not hold: %s" % expr)
        print("  errors %s, sent %s, echoed %s, latency %s" % (e, r.get("sent"), r.get("echoed"), r.get("latencyUs")))
        sys.exit(1)
PY
}
no_other_errors() { # the error kinds other than $1 are all 0
    echo "sum(v for k, v in e.items() if k != '$1') == 0"
}

echo "== against wsspec echo"
echo_start "$WSSPEC" --listen 127.0.0.1:0 || exit 1
load closed 0 "$ECHO_URL" -c 8 -n 4000 -q
[ ! -s "$T/closed.err" ] || fail "closed: stderr is not a terminal, yet: $(cat "$T/closed.err")"
check closed 'r["sent"] == 4000' 'r["echoed"] == 4000' 'r["opened"] == 8' 'r["lost"] == 0' \
    'sum(e.values()) == 0' 'r["latencyUs"]["count"] == 4000' \
    'sum(c for i, c in r["histogram"]["buckets"]) == 4000'
# each point of the series carries its own histogram (p50/p99 over time): its counts add
# up to the point's count, and the points' to the run's
check closed 'r["series"]["buckets"] == {"linear": 16, "sub": 8}' \
    'all(sum(c for i, c in p[4]) == p[0] for p in r["series"]["points"])' \
    'sum(p[0] for p in r["series"]["points"]) == 4000'
load text 0 "$ECHO_URL" -c 2 -n 200 -k 4 --text -s 70000 --ramp 2s
check text 'r["echoed"] == 200' 'r["bytesEchoed"] == 200 * 70000' 'sum(e.values()) == 0'
load open 0 "$ECHO_URL" -c 4 -r 400 -d 1
check open 'r["mode"] == "open"' 'r["echoed"] == r["sent"] > 0' 'sum(e.values()) == 0'
load soak 0 "$ECHO_URL" -c 20 --soak -d 2 -i 0.2
check soak 'r["mode"] == "soak"' 'r["opened"] == 20' 'r["lost"] == 0' 'r["echoed"] == r["sent"] >= 20' \
    'sum(e.values()) == 0'
grep -q "^load: soak: 20 of 20 connections open, holding" "$T/soak.out" ||
    fail "soak: no line saying every connection is open"
# --server-pid: the server's CPU over the run, and echoes per server-CPU-second
load cpu 0 "$ECHO_URL" -c 8 -d 1 -q --server-pid "$ECHO_PID"
check cpu 'r["serverCpu"]["pid"] == '"$ECHO_PID" '0 < r["serverCpu"]["seconds"] <= r["serverCpu"]["window"] * 64' \
    'abs(r["serverCpu"]["echoesPerCpuSecond"] * r["serverCpu"]["seconds"] - r["echoed"]) < 1' \
    'sum(e.values()) == 0'
grep -q "^load: server pid $ECHO_PID: .* echoes per server-CPU-second" "$T/cpu.out" ||
    fail "cpu: no server CPU line"
# --source: connections bound to 127.0.0.2-.4 in turn, seen in /proc/net/tcp while held
mkfifo "$T/source.fifo"
timeout 60 "$WSSPEC" load "$ECHO_URL" -c 6 --soak -d 30 -i 5 --source 127.0.0.2-127.0.0.4 \
    --json "$T/source.json" >"$T/source.fifo" 2>"$T/source.err" &
srcpid=$!
exec {srcfd}<"$T/source.fifo"
IFS= read -r -t 30 line <&"$srcfd" || line=
case $line in
*"6 of 6 connections open"*)
    port=${ECHO_URL##*:}
    port=${port%/}
    $PY - "$port" <<'PY' || fail "--source: the connections' local addresses are not 127.0.0.2-.4, two each"
import sys
port = int(sys.argv[1])
seen = {}
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    f = line.split()
    loc, rem, st = f[1], f[2], f[3]
    if st != "01" or int(rem.split(":")[1], 16) != port:
        continue  # established connections towards the server only
    a = bytes.fromhex(loc.split(":")[0])[::-1]  # little-endian on x86 and arm
    seen[".".join(map(str, a))] = seen.get(".".join(map(str, a)), 0) + 1
print("    source: local addresses %s" % sorted(seen.items()))
assert seen == {"127.0.0.2": 2, "127.0.0.3": 2, "127.0.0.4": 2}, seen
PY
    ;;
*) fail "--source: no all-open line: $line $(cat "$T/source.err")" ;;
esac
kill -INT $srcpid 2>/dev/null
wait $srcpid
rc=$?
exec {srcfd}<&-
[ $rc = 2 ] || fail "--source: interrupted run exit $rc, wanted 2"
load compare 0 "$ECHO_URL" -c 2 -n 300 --compare "$ECHO_URL" --html "$T/compare.html"
$PY - "$T/compare.json" <<'PY' || fail "compare: JSON check"
import json, sys
c = json.load(open(sys.argv[1]))["compare"]
assert len(c) == 2 and all(r["echoed"] == 300 for r in c), c
PY
grep -q "compare B/A" "$T/compare.out" || fail "compare: no ratios printed"
grep -q "<svg" "$T/compare.html" || fail "compare: no SVG in the HTML page"
[ "$(grep -c "Latency percentiles over time" "$T/compare.html")" = 2 ] ||
    fail "compare: no percentiles-over-time plot for each run"
! grep -q -i "<script\|src=\|href=" "$T/compare.html" || fail "compare: the HTML page loads or runs something"
# --server-pid counts a forking server's children (wsspec echo --workers: the parent only waits)
echo_stop || fail "wsspec echo: exit $ECHO_RC"
echo_start "$WSSPEC" --listen 127.0.0.1:0 --workers 2 || exit 1
load cpu_workers 0 "$ECHO_URL" -c 8 -d 1 -q --server-pid "$ECHO_PID"
check cpu_workers 'r["serverCpu"]["seconds"] > 0' 'sum(e.values()) == 0'
# --merge: two halves against one run of the total
load half1 0 "$ECHO_URL" -c 2 -n 1000 -q
load half2 0 "$ECHO_URL" -c 2 -n 1000 -q
load whole 0 "$ECHO_URL" -c 4 -n 2000 -q
timeout 60 "$WSSPEC" load --merge "$T/half1.json" "$T/half2.json" --json "$T/merged.json" \
    --html "$T/merged.html" >"$T/merged.out" 2>&1 || fail "merge: exit $?: $(cat "$T/merged.out")"
$PY - "$T/merged.json" "$T/whole.json" <<'PY' || fail "merge: not the single run's counts"
import json, sys
m, w = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("sent", "echoed", "bytesEchoed", "opened", "lost"):
    assert m[k] == w[k], (k, m[k], w[k])
assert m["settings"]["connections"] == w["settings"]["connections"] == 4
assert m["errors"] == w["errors"]
assert sum(c for i, c in m["histogram"]["buckets"]) == 2000 == m["latencyUs"]["count"]
assert m["merged"] == 2
PY
echo_stop || fail "wsspec echo: exit $ECHO_RC"
echo_sanitizer_report && fail "wsspec echo: sanitizer report"

echo "== wss://: verified against the test CA; without --cacert every connection is a tls error"
. tests/lib-tls-certs.sh
mkdir -p "$T/certs"
if ! command -v openssl >/dev/null || ! tls_make_certs "$T/certs"; then
    fail "cannot make test certificates (openssl)"
else
    echo_start "$WSSPEC" --listen 127.0.0.1:0 --tls-cert "$T/certs/srv.crt" \
        --tls-key "$T/certs/srv.key" || exit 1
    load tls 0 "$ECHO_URL" -c 4 -n 400 -s 2000 --cacert "$T/certs/ca.crt"
    check tls 'r["echoed"] == 400' 'sum(e.values()) == 0' 'r["url"].startswith("wss://")'
    load tls_untrusted 1 "$ECHO_URL" -c 2 -n 10
    check tls_untrusted 'e["tls"] == 2' "$(no_other_errors tls)" 'r["opened"] == 0' \
        '"certificate verify failed" in r["firstError"]'
    echo_stop || fail "wsspec echo (TLS): exit $ECHO_RC"
fi

echo "== a target that corrupts one echo in a thousand"
echo_start "$TARGET" --corrupt 1000 || exit 1
load corrupt 1 "$ECHO_URL" -c 2 -n 5000 --text -s 64
check corrupt 'e["echo_mismatch"] == 5' "$(no_other_errors echo_mismatch)" 'r["echoed"] == 5000' \
    'r["firstError"].startswith("echo_mismatch on connection")'
echo_stop || fail "target: exit $ECHO_RC"
# merging reports adds the errors and keeps exit 1
timeout 60 "$WSSPEC" load --merge "$T/corrupt.json" "$T/corrupt.json" --json "$T/m2.json" >/dev/null 2>&1
rc=$?
[ $rc = 1 ] || fail "merge of failing runs: exit $rc, wanted 1"
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["errors"]["echo_mismatch"] == 10' \
    "$T/m2.json" || fail "merge: errors not added"

echo "== a target that stalls after 10 echoes"
echo_start "$TARGET" --stall-after 10 || exit 1
load stall 1 "$ECHO_URL" -c 3 -n 300 --timeout 2
check stall 'e["stall"] == 3' "$(no_other_errors stall)" 'r["echoed"] == 30' 'r["lost"] == 3' \
    '"outstanding" in r["firstError"]'

echo "== soak: a target that stops answering Pings after 10"
load soak_stall 1 "$ECHO_URL" -c 3 --soak -d 30 -i 0.2 --timeout 2
check soak_stall 'e["stall"] == 3' "$(no_other_errors stall)" 'r["echoed"] == 30' 'r["lost"] == 3'
echo_stop || fail "target: exit $ECHO_RC"

echo "== a target that drops connections after 10 echoes"
echo_start "$TARGET" --drop-after 10 || exit 1
load drop 1 "$ECHO_URL" -c 3 -n 300
check drop 'e["closed_by_peer"] == 3' "$(no_other_errors closed_by_peer)" 'r["echoed"] == 30' \
    'r["lost"] == 3'
load soak_drop 1 "$ECHO_URL" -c 3 --soak -d 30 -i 0.2
check soak_drop 'e["closed_by_peer"] == 3' "$(no_other_errors closed_by_peer)" 'r["echoed"] == 30' \
    'r["lost"] == 3'
echo_stop || fail "target: exit $ECHO_RC"

echo "== a target that sets RSV2 on its 11th echo"
echo_start "$TARGET" --rsv-after 10 || exit 1
load rsv 1 "$ECHO_URL" -c 3 -n 300
check rsv 'e["protocol"] == 3' "$(no_other_errors protocol)" 'r["echoed"] == 30' 'r["lost"] == 3' \
    '"RSV" in r["firstError"] or "reserved" in r["firstError"].lower()'
echo_stop || fail "target: exit $ECHO_RC"

echo "== a target that refuses every opening handshake (403)"
echo_start "$TARGET" --refuse 1 || exit 1
load refuse 1 "$ECHO_URL" -c 3 -n 30
check refuse 'e["handshake"] == 3' "$(no_other_errors handshake)" 'r["opened"] == 0'
port=${ECHO_URL##*:}
port=${port%/}
echo_stop || fail "target: exit $ECHO_RC"

echo "== a closed port (the target's, now stopped)"
load refused 1 "ws://127.0.0.1:$port/" -c 3 -n 30
check refused 'e["connect_refused"] == 3' "$(no_other_errors connect_refused)" 'r["opened"] == 0'

echo "== a target that delays every echo by 20 ms"
echo_start "$TARGET" --delay-ms 20 || exit 1
load delay 0 "$ECHO_URL" -c 2 -n 40
check delay 'r["latencyUs"]["p50"] >= 20000' 'r["latencyUs"]["min"] >= 20000' \
    'r["latencyUs"]["p50"] < 2000000' 'r["echoed"] == 40'
# the series' buckets too hold no sample below the 20 ms delay (16 + 8 * (msb - 4) + sub:
# 20,000 us is in bucket 97, [18432, 20479])
check delay 'all(i >= 97 for p in r["series"]["points"] for i, c in p[4])' \
    'sum(c for p in r["series"]["points"] for i, c in p[4]) == 40'
load delay_open 0 "$ECHO_URL" -c 2 -r 100 -d 1
check delay_open 'r["latencyUs"]["p50"] >= 20000' 'r["latencyUs"]["p50"] < 2000000' \
    'r["echoed"] == r["sent"] > 0'
echo_stop || fail "target: exit $ECHO_RC"

echo "== wsspec's own trouble: exit 2, one line"
sh -c 'exit 0' &
gone=$! # a process id that was just released: nothing to read in /proc
wait $gone
for args in "--connections 0 ws://127.0.0.1:1/" "--rate 10 --pipeline 2 ws://127.0.0.1:1/" \
    "--bogus ws://127.0.0.1:1/" "--soak ws://127.0.0.1:1/" "http://127.0.0.1:1/" \
    "--merge $T/nonexistent.json" "--merge $T/closed.out" \
    "ws://127.0.0.1:1/ --compare ws://127.0.0.1:/" "--source 127.0.0.5-127.0.0.2 ws://127.0.0.1:1/" \
    "--source ::1 ws://127.0.0.1:1/" "--source 10.0.0.0-10.1.0.0 ws://127.0.0.1:1/" \
    "--server-pid $gone ws://127.0.0.1:1/" "--server-pid 1 --server-pid 1 ws://127.0.0.1:1/"; do
    # shellcheck disable=SC2086
    timeout 30 "$WSSPEC" load $args >"$T/usage.out" 2>&1
    rc=$?
    [ $rc = 2 ] || fail "wsspec load $args: exit $rc, wanted 2"
    [ "$(grep -c . "$T/usage.out")" = 1 ] || fail "wsspec load $args: not one line: $(cat "$T/usage.out")"
done
(
    ulimit -Sn 200 && ulimit -Hn 200 || exit 0
    timeout 30 "$WSSPEC" load ws://127.0.0.1:1/ -c 5000 -n 1 >"$T/fd.out" 2>&1
    rc=$?
    [ $rc = 2 ] && grep -q "hard limit" "$T/fd.out"
) || fail "descriptor limit: not exit 2 with a line naming the hard limit: $(cat "$T/fd.out")"

echo "== every option of harness/load_opts.def in --help and in README.md's Load section"
readme=$(sed -n '/^### Load:/,/^## /p' README.md)
help=$("$WSSPEC" load --help)
for opt in $(sed -n 's/^LOAD_OPT([A-Z_]*, "\([a-z-]*\)".*/\1/p' harness/load_opts.def); do
    grep -q -- "--$opt" <<<"$help" || fail "--$opt missing from wsspec load --help"
    [ "$opt" = help ] || grep -q -- "--$opt" <<<"$readme" || fail "--$opt missing from README.md"
done
for kind in $(sed -n 's/^LOAD_ERROR([A-Z_]*, "\([a-z_]*\)".*/\1/p' harness/load_errors.def); do
    grep -q -- "$kind" <<<"$readme" || fail "error kind $kind missing from README.md"
done

if [ $failures -gt 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all load checks passed"

#!/usr/bin/env bash
# itest_interop_websockets.sh - wsspec run against a real third-party server: Debian's
# python3-websockets (10.4 on bookworm), served the way that project's own compliance
# server is (max_size 2**25). Its verdicts must be exactly what the project publishes
# for Autobahn (tests/interop/websockets-10.4.expect): NON-STRICT in 3.2, 3.3, 4.1.3,
# 4.1.4, 4.2.3, 4.2.4, 5.15, 6.4.3, 6.4.4, INFORMATIONAL in 7.1.6, 7.13.1, 7.13.2, OK
# elsewhere; and in wsspec's own sections 14-16 what the expect file reasons out
# (a few RFC MUSTs of the opening handshake it does not keep: the run exits 1 for them).
# Served without compression here, it is UNIMPLEMENTED in sections 12 and 13 and in the
# cases of 18 that need permessage-deflate (itest_interop_deflate.sh serves it with).
# Exit 77 (skip) when the package is not installed.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
if ! $PY -c 'import websockets' 2>/dev/null; then
    echo "skip: python3-websockets not installed (apt-get install python3-websockets)"
    exit 77
fi
ver=$($PY -c 'import websockets; print(websockets.__version__)')
expect=tests/interop/websockets-$ver.expect
if [ ! -f "$expect" ]; then
    echo "skip: no published verdicts for websockets $ver ($expect)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-interop.XXXXXX")
mkfifo "$T/out"
$PY tests/interop/websockets_server.py 0 >"$T/out" 2>"$T/server.err" &
spid=$!
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$T"' EXIT
exec {fd}<"$T/out"
IFS= read -r -t 30 line <&$fd || { echo "FAIL: server did not start"; cat "$T/server.err"; exit 1; }
port=${line##* }
echo "python3-websockets $ver on 127.0.0.1:$port"
"$WSSPEC" run "ws://127.0.0.1:$port/" --report-dir "$T/rep" -q --seed 11 >"$T/run.out" 2>&1
rc=$?
tail -1 "$T/run.out"
# NON-STRICT passes; the cases the expect file says it fails make the run exit 1
want_rc=0
grep -q '^FAILED ' "$expect" && want_rc=1
[ $rc = $want_rc ] || { cat "$T/run.out"; echo "FAIL: exit $rc, want $want_rc"; exit 1; }
# Autobahn's verdicts as Autobahn's own report shape carries them (what scripts written for
# Autobahn read), then the run's exit status says the RFC's verdicts passed too
# 3.4, 4.1.5 and 4.2.5 write a valid message, then a bad frame in one-octet chops a pass of
# the writer apart (harness/script.c, "Pace"): OK when the server echoes the message before
# the bad frame's first octet reaches it, NON-STRICT when it fails the connection first.
# That is a race inside the server - under Autobahn as here - and on a loaded machine a
# Python server descheduled for a few milliseconds reads both at once (seen once in CI,
# 4.1.5). Such a case, and only such a case (NON-STRICT where OK is published), is run
# again on its own, up to three times: its published verdict must come out of one of them.
# Any other mismatch, or a race case that never gets its verdict, fails.
if ! $PY tests/interop/check_verdicts.py "$T/rep/index.json" "$expect" >"$T/check.out"; then
    cat "$T/check.out"
    race=$(sed -n 's/^MISMATCH \(3\.4\|4\.1\.5\|4\.2\.5\): got NON-STRICT\/OK, expected OK\/OK:.*/\1/p' \
        "$T/check.out" | paste -sd, -)
    [ -n "$race" ] && [ "$(grep -c '^MISMATCH ' "$T/check.out")" = "$(tr , '\n' <<<"$race" | grep -c .)" ] ||
        { echo "FAIL: verdicts differ from the published ones"; exit 1; }
    ok=false
    for try in 1 2 3; do
        "$WSSPEC" run "ws://127.0.0.1:$port/" --cases "$race" --report-dir "$T/race$try" -q \
            --seed 11 >/dev/null 2>&1
        if $PY tests/interop/check_verdicts.py "$T/race$try/index.json" "$expect" >"$T/race$try.out"; then
            echo "race cases $race: the published verdict on run $try of 3"
            ok=true
            break
        fi
    done
    $ok || { cat "$T/race3.out"; echo "FAIL: $race never got the published verdict in 3 runs"; exit 1; }
fi
$PY - "$T/rep/wsspec.json" "$("$WSSPEC" list | grep -c .)" <<'PY' || { echo "FAIL: the report does not hold the whole catalogue"; exit 1; }
import json, sys
run = json.load(open(sys.argv[1]))
assert len(run["cases"]) == run["summary"]["total"] == int(sys.argv[2]), (len(run["cases"]), run["summary"])
PY
# --strict turns NON-STRICT into failures: exit 1
"$WSSPEC" run "ws://127.0.0.1:$port/" --cases 3.2,1.1.1 --strict --report-dir "$T/strict" -q \
    >"$T/strict.out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$T/strict.out"; echo "FAIL: --strict with a NON-STRICT case: exit $rc, want 1"; exit 1; }
grep -q "^FAIL 3.2 " "$T/strict.out" || { echo "FAIL: no failure block for 3.2"; exit 1; }
grep -q "replay       wsspec run ws://127.0.0.1:$port/ --cases 3.2 --seed" "$T/strict.out" ||
    { echo "FAIL: no replay line"; exit 1; }
echo "--strict: NON-STRICT 3.2 fails the run (exit 1) with its failure block"
exit 0

#!/usr/bin/env bash
# itest_verdicts.sh - the two verdicts end to end, and the three ways to gate on them
# (--verdict both|autobahn|rfc), against build/itest_defect_server:
#   echo-after-close, case 3.2: the server fails the connection (Close 1002) and then
#     sends the echo. Autobahn counts it: OK/OK. RFC 6455 5.5.1 forbids a data frame
#     after a Close: the RFC's verdict is FAILED. both: exit 1, autobahn: 0, rfc: 1.
#   close-first-1012 and a case of our own that allows code 1012: the server closes at
#     once with 1012 (Service Restart, registered after RFC 6455). autobahn 0.10.9
#     refuses 1012: its client fails the connection first, the wrong side closed:
#     FAILED. The RFC's verdict takes it as the server's valid Close: OK/OK.
#     both: exit 1, autobahn: 1, rfc: 0.
# index.json (Autobahn's shape) carries Autobahn's verdict; wsspec.json both, the
# difference naming the rule, and `passed` by the mode.
set -u -o pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
SERVER=$PWD/build/itest_defect_server
PY=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$SERVER" ] || fail "$SERVER is not built (make itest)"
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-verdicts.XXXXXX")
spid=
cleanup() {
    local rc=$?
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

start() { # defect
    mkfifo "$T/out.$1"
    "$SERVER" --listen 127.0.0.1:0 --defect "$1" --max-seconds 120 >"$T/out.$1" 2>/dev/null &
    spid=$!
    local fd line
    exec {fd}<"$T/out.$1"
    IFS= read -r -t 10 line <&"$fd" || fail "defect server ($1) did not start"
    PORT=${line##*:}
}
stop() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; spid=; }

# run MODE WANT_EXIT CASES [more args]: one run, its exit status checked
run() {
    local mode=$1 want=$2 cases=$3
    shift 3
    local out rc
    out=$("$WSSPEC" run "ws://127.0.0.1:$PORT/" --cases "$cases" --seed 7 -q \
        --report-dir "$T/rep-$mode" ${mode:+--verdict "$mode"} "$@" 2>&1)
    rc=$?
    [ "$rc" = "$want" ] || fail "--verdict ${mode:-(default)} on $cases: exit $rc, want $want: $out"
}

# --- 1: Autobahn passes, the RFC fails -----------------------------------------------
start echo-after-close
run "" 1 3.2
run both 1 3.2
run autobahn 0 3.2
run rfc 1 3.2
stop
$PY - "$T/rep-autobahn" <<'PY' || exit 1
import json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
(agent, cases), = idx.items()
assert (cases["3.2"]["behavior"], cases["3.2"]["behaviorClose"]) == ("OK", "OK"), cases["3.2"]
run = json.load(open(os.path.join(d, "wsspec.json")))
c, = run["cases"]
assert (c["behavior"], c["behaviorClose"]) == ("OK", "OK"), c
assert (c["rfcBehavior"], c["rfcBehaviorClose"]) == ("FAILED", "OK"), c
assert "5.5.1" in c["difference"] and "DATA_AFTER_CLOSE" in c["difference"], c["difference"]
assert c["passed"] is True and run["options"]["verdict"] == "autobahn", (c["passed"], run["options"])
assert run["summary"]["failedAutobahn"] == 0 and run["summary"]["failedRfc"] == 1, run["summary"]
per = json.load(open(os.path.join(d, c["reportfile"])))
assert per["behavior"] == "OK" and per["rfcVerdict"]["behavior"] == "FAILED", per["rfcVerdict"]
assert per["difference"] == c["difference"]
print("echo after the server's Close: Autobahn OK/OK (index.json), RFC FAILED:", c["difference"])
PY
grep -q '"passed": false' "$T/rep-rfc/wsspec.json" || fail "--verdict rfc: the case should not pass"

# --- 2: Autobahn fails, the RFC passes -----------------------------------------------
mkdir "$T/cases"
cat >"$T/cases/restart.wsc" <<'WSC'
case 99.1
  title        The server may close first with 1012 (Service Restart).
  expectation  The server closes with 1012; nothing else is sent.
  rfc          7.4.2 MUST "Status codes in the range 1000-2999 are reserved for definition by this protocol, its future revisions, and extensions specified in a permanent and readily available public specification."
  kill-after   1
  expect OK
  close-rule   target 1012
end
WSC
start close-first-1012
run "" 1 99.1 --cases-dir "$T/cases"
run autobahn 1 99.1 --cases-dir "$T/cases"
run rfc 0 99.1 --cases-dir "$T/cases"
stop
$PY - "$T/rep-rfc" <<'PY' || exit 1
import json, os, sys
run = json.load(open(os.path.join(sys.argv[1], "wsspec.json")))
c, = run["cases"]
assert (c["behavior"], c["behaviorClose"]) == ("OK", "FAILED"), c
assert (c["rfcBehavior"], c["rfcBehaviorClose"]) == ("OK", "OK"), c
assert "1012" in c["difference"] and "autobahn 0.10.9" in c["difference"], c["difference"]
assert c["passed"] is True, c
print("Close 1012 first: Autobahn OK/FAILED, RFC OK/OK:", c["difference"])
PY
echo "itest_verdicts: both verdicts recorded, the three gating modes exit as they should"

#!/usr/bin/env bash
# itest_reports.sh - the CI side of `wsspec run` end to end, against two real servers:
# the reference endpoint (`wsspec echo`, passes everything) and python3-websockets
# (fails the cases it answers NON-STRICT once --strict is on). Both run sanitized /
# as shipped; everything is on loopback.
#
#   1. baseline diff of two real runs: echo (exit 0) then websockets --strict with
#      --baseline: exit 1, the regressions printed and in baseline.json, summary.md
#      and junit.xml; --fail-on regression: 1 with regressions, 0 when the failures are
#      the baseline's (a nightly with known failures), 1 again with --fail-on any; the
#      other direction lists the same cases as fixes; a baseline from before the RFC's
#      verdict (its rfc fields removed) is compared as Autobahn's verdict, said once
#   2. junit.xml read by a real XML parser (ElementTree, and xmllint when installed):
#      testsuites/testsuite/testcase counts, failure elements, the replay command
#   3. Autobahn's fuzzingclient.json with two servers (agent given / Server header),
#      cases, exclude-cases, exclude-agent-cases, outdir, an option and a key wsspec
#      ignores: the matrix in wsspec.json and index.json, the warning line, the
#      command line overriding the file
#   4. exit 2, one line saying why: missing and wrong baseline files, broken and missing
#      config files, a bad --fail-on
# Exit 77 (skip) when python3-websockets is not installed. xmllint (libxml2-utils) is
# optional outside CI; under CI=true its absence fails the test.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
if ! $PY -c 'import websockets' 2>/dev/null; then
    echo "skip: python3-websockets not installed (apt-get install python3-websockets)"
    exit 77
fi
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-reports.XXXXXX")
spid=
cleanup() {
    [ -n "$spid" ] && { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
    echo_cleanup
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# run NAME ARGS...: wsspec run with stdout/stderr in $T/NAME.out/.err; sets rc
run() {
    local name=$1; shift
    "$WSSPEC" run "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
}
want_rc() { # name, expected exit status, what it means
    [ "$rc" = "$2" ] || { cat "$T/$1.out" "$T/$1.err"; fail "$1: exit $rc, want $2 ($3)"; }
}

echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"
mkfifo "$T/py"
$PY tests/interop/websockets_server.py 0 >"$T/py" 2>"$T/py.err" &
spid=$!
exec {fd}<"$T/py"
IFS= read -r -t 30 line <&$fd || { cat "$T/py.err"; fail "websockets server did not start"; }
PYURL="ws://127.0.0.1:${line##* }/"
echo "echo at $ECHO_URL, python3-websockets at $PYURL"

# The quick sections. python3-websockets answers some cases of sections 3 and 4
# NON-STRICT (tests/interop/websockets-10.4.expect: 3.2, 3.3, 4.1.3, 4.1.4, 4.2.3,
# 4.2.4), which fail under --strict. Which ones exactly can shift with timing on a busy
# machine (3.4 and 4.2.5 send octet by octet), so the test reads the failing set from
# the run and checks every report against it, and the nightly step below runs only
# those cases: a case can then pass (a fix) but never regress.
CASES='1.*,2.*,3.*,4.*,5.1,5.2'
MAYFAIL='3.2 3.3 3.4 4.1.3 4.1.4 4.2.3 4.2.4 4.2.5'
failed_ids() { # wsspec.json -> the failing case ids, one line, numeric order
    $PY -c 'import json, sys
ids = [c["id"] for c in json.load(open(sys.argv[1]))["cases"] if not c["passed"]]
print(" ".join(sorted(ids, key=lambda i: [int(x) for x in i.split(".")])))' "$1"
}

# ---------------------------------------------------------------- 1. baseline diff
run a "$ECHO_URL" --cases "$CASES" --seed 5 --report-dir "$T/a" -q
want_rc a 0 "the reference endpoint passes every case"
[ ! -e "$T/a/baseline.json" ] || fail "baseline.json without --baseline"

run b "$PYURL" --cases "$CASES" --seed 5 --strict --report-dir "$T/b" -q --baseline "$T/a/wsspec.json"
want_rc b 1 "NON-STRICT cases fail under --strict"
FAILED=$(failed_ids "$T/b/wsspec.json")
NFAIL=$(echo $FAILED | wc -w)
echo "python3-websockets --strict: $NFAIL failing: $FAILED"
[ "$NFAIL" -ge 3 ] || fail "want at least 3 NON-STRICT failures, got '$FAILED'"
for id in $FAILED; do
    case " $MAYFAIL " in *" $id "*) ;; *) fail "unexpected failure $id" ;; esac
done
grep -q "^baseline $T/a/wsspec.json: $NFAIL regressions, 0 fixes, 0 changed, 0 added, 0 removed$" "$T/b.out" ||
    { cat "$T/b.out"; fail "no baseline block with $NFAIL regressions"; }
grep -q '(compared agent "Python/.* websockets/.*" with the baseline.s "127.0.0.1:[0-9]*")' "$T/b.out" ||
    fail "the agents' pairing is not printed"
for id in $FAILED; do
    grep -q "^  regression $id  *OK/OK -> NON-STRICT/OK " "$T/b.out" || fail "regression $id not printed"
done
$PY - "$T/b" "$FAILED" <<'PY' || fail "baseline.json / summary.md of the regression run"
import json, os, sys
d, want = sys.argv[1], sorted(sys.argv[2].split())
n = len(want)
bl = json.load(open(os.path.join(d, "baseline.json")))
got = sorted(e["id"] for e in bl["regressions"])
assert got == want, (got, want)
for e in bl["regressions"]:
    assert e["old"] == {"behavior": "OK", "behaviorClose": "OK", "rfcBehavior": "OK",
                        "rfcBehaviorClose": "OK", "passed": True}, e
    assert e["new"]["behavior"] == "NON-STRICT" and e["new"]["passed"] is False, e
assert bl["counts"] == {"regressions": n, "fixes": 0, "changed": 0, "added": 0, "removed": 0}
assert bl["verdict"] == "both" and bl["rfcAssumed"] == 0, (bl["verdict"], bl["rfcAssumed"])
assert bl["failOn"] == "any" and bl["pairedAgents"]["old"].startswith("127.0.0.1:")
run = json.load(open(os.path.join(d, "wsspec.json")))
assert bl["run"] == {"seed": run["seed"], "started": run["started"]}
md = open(os.path.join(d, "summary.md")).read()
first = md.splitlines()[0]
assert first == f"## wsspec: {n} of 46 cases failed (1 target; {n} regressions since the baseline)", first
assert "### Since the baseline" in md and f"**{n} regressions**" in md
for i in want:
    assert f"| **regression** | {i} |" in md, i
    assert f"--cases {i} --seed 5 --strict`" in md, i  # NON-STRICT fails only with it
assert "<" not in md
print("regressions: printed, in baseline.json and summary.md")
PY

run b2 "$PYURL" --cases "$CASES" --seed 5 --strict --report-dir "$T/b2" -q \
    --baseline "$T/a/wsspec.json" --fail-on regression
want_rc b2 1 "--fail-on regression with regressions"

# the nightly case: the failures are last night's, only a regression fails the job;
# the baseline given as the report directory; only last night's failing cases run
SEL=$(echo $FAILED | tr ' ' ,)
run c "$PYURL" --cases "$SEL" --seed 6 --strict --report-dir "$T/c" -q --baseline "$T/b" \
    --fail-on regression
want_rc c 0 "--fail-on regression, known failures only"
grep -q "^baseline $T/b: 0 regressions, [0-9]* fix\(es\)\?, 0 changed, 0 added, $((46 - NFAIL)) removed$" "$T/c.out" ||
    { cat "$T/c.out"; fail "baseline block of the nightly run"; }
CFAILED=$(failed_ids "$T/c/wsspec.json")
NC=$(echo $CFAILED | wc -w)
[ "$NC" -ge 1 ] || fail "the known failures all passed the second time: '$CFAILED'"
grep -q "^## wsspec: no regressions since the baseline ($NC of $NFAIL cases failed, all known; 1 target)$" \
    <<<"$(head -1 "$T/c/summary.md")" ||
    fail "summary.md verdict: $(head -1 "$T/c/summary.md")"
run c2 "$PYURL" --cases "$SEL" --seed 6 --strict --report-dir "$T/c2" -q --baseline "$T/b"
C2FAILED=$(failed_ids "$T/c2/wsspec.json")
[ -n "$C2FAILED" ] || fail "the known failures all passed the second time"
want_rc c2 1 "--fail-on any (the default) with known failures"

# the other direction: the same cases are fixes
run d "$ECHO_URL" --cases "$CASES" --seed 5 --strict --report-dir "$T/d" -q --baseline "$T/b/wsspec.json"
want_rc d 0 "everything passes again"
grep -q "^baseline $T/b/wsspec.json: 0 regressions, $NFAIL fixes, 0 changed, 0 added, 0 removed$" "$T/d.out" ||
    { cat "$T/d.out"; fail "no fixes"; }
for id in $FAILED; do
    grep -q "^  fix        $id  *NON-STRICT/OK -> OK/OK " "$T/d.out" || fail "fix $id not printed"
done
# a run into the same directory without --baseline leaves no stale comparison
run d2 "$ECHO_URL" --cases 1.1.1 --seed 5 --report-dir "$T/d" -q
want_rc d2 0 "one passing case"
[ ! -e "$T/d/baseline.json" ] || fail "stale baseline.json kept"
[ -s "$T/d/summary.md" ] || fail "no summary.md after the run without --baseline"
grep -q "Since the baseline" "$T/d/summary.md" && fail "stale baseline in summary.md"

# a baseline written before the RFC's verdict: no rfc fields; its Autobahn verdict
# stands for both, and the comparison says so once (here: no change at all)
$PY - "$T/b/wsspec.json" "$T/old.json" <<'PY' || fail "making an older baseline"
import json, sys
run = json.load(open(sys.argv[1]))
for c in run["cases"]:
    for k in ("rfcBehavior", "rfcBehaviorClose", "rfcBroken", "difference"):
        c.pop(k, None)
run["options"].pop("verdict", None)
json.dump(run, open(sys.argv[2], "w"))
PY
run e "$PYURL" --cases "$SEL" --seed 5 --strict --report-dir "$T/e" -q --baseline "$T/old.json" \
    --fail-on regression
want_rc e 0 "the same failures as the older baseline"
grep -c "no RFC 6455 verdict" "$T/e.out" | grep -qx 1 ||
    { cat "$T/e.out"; fail "the older baseline is not noted exactly once"; }
grep -q "^  (the baseline has no RFC 6455 verdict for 46 cases, written by an older wsspec: its Autobahn verdict stands for the RFC's)$" "$T/e.out" ||
    { cat "$T/e.out"; fail "the note on the older baseline"; }
grep -q "^The baseline has no RFC 6455 verdict for 46 cases (written by an older wsspec)" "$T/e/summary.md" ||
    fail "summary.md does not note the older baseline"
echo "baseline: regressions exit 1 (any and regression), known failures exit 0 with --fail-on regression, fixes listed, an older baseline noted once"

# ---------------------------------------------------------------- 2. JUnit
$PY - "$T/b" "$FAILED" <<'PY' || fail "junit.xml structure"
import json, os, re, sys, xml.etree.ElementTree as ET
d, want = sys.argv[1], sorted(sys.argv[2].split())
run = json.load(open(os.path.join(d, "wsspec.json")))
root = ET.parse(os.path.join(d, "junit.xml")).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1, len(suites)
s = suites[0]
assert s.get("name") == run["targets"][0]["agent"], s.get("name")
cases = s.findall("testcase")
assert len(cases) == len(run["cases"]) == int(s.get("tests")) == int(root.get("tests")) == 46
failed = [c for c in cases if c.find("failure") is not None]
assert len(failed) == int(s.get("failures")) == run["summary"]["failed"] == len(want)
assert sorted(c.get("name").split()[0] for c in failed) == want
for c in failed:
    f = c.find("failure")
    i = c.get("name").split()[0]
    agent = re.sub(r"[^A-Za-z0-9_-]", "_", s.get("name"))
    assert c.get("classname") == f"wsspec.{agent}.{i.split('.')[0]}", c.get("classname")
    assert f.get("type") == "NON-STRICT/OK", f.get("type")
    assert f.get("message").startswith("Autobahn and RFC 6455 NON-STRICT/OK: expected ["), f.get("message")
    assert "\nAutobahn:    behavior NON-STRICT (" in f.text and "\nRFC 6455:    behavior NON-STRICT; close OK\n" in f.text, f.text
    assert "requirement: RFC 6455 \u00a75.2 MUST" in f.text, f.text
    assert "baseline:    regression, was OK/OK" in f.text
    assert f"--cases {i} --seed 5 --strict\n" in f.text, f.text
props = {p.get("name"): p.get("value") for p in s.iter("property")}
assert props["seed"] == "5" and props["strict"] == "true" and props["url"] == run["targets"][0]["url"]
assert props["verdict"] == "both", props
print(f"junit.xml: 1 testsuite, {len(cases)} testcases, {len(failed)} failures")
PY
XMLLINT=${XMLLINT:-xmllint}
if command -v "$XMLLINT" >/dev/null 2>&1; then
    "$XMLLINT" --noout "$T/b/junit.xml" || fail "xmllint rejects junit.xml"
    echo "junit.xml: xmllint accepts it"
elif [ "${CI:-}" = true ]; then
    fail "xmllint not installed under CI=true (apt-get install libxml2-utils; .ci/deps does)"
else
    echo "note: xmllint not installed (apt-get install libxml2-utils): junit.xml read by ElementTree only"
fi

# ---------------------------------------------------------------- 3. fuzzingclient.json
cat >"$T/fuzzingclient.json" <<EOF
{
   "options": {"failByDrop": false, "autoPingInterval": 5},
   "outdir": "$T/fc",
   "webport": 8080,
   "servers": [
      {"agent": "wsspec-echo", "url": "$ECHO_URL", "options": {"version": 18}},
      {"url": "$PYURL", "origin": "http://127.0.0.1"}
   ],
   "cases": ["1.1.*", "2.*", "7.1.*"],
   "exclude-cases": ["2.10", "2.11"],
   "exclude-agent-cases": {"Python*": ["7.1.*"], "wsspec-e*": ["1.1.8"]}
}
EOF
run fc --config "$T/fuzzingclient.json" --seed 9 -j 8
want_rc fc 0 "both servers pass these cases"
[ "$(wc -l <"$T/fc.err")" = 1 ] || { cat "$T/fc.err"; fail "want one warning line"; }
grep -q "^wsspec run: warning: $T/fuzzingclient.json: ignored (wsspec has no equivalent): options autoPingInterval; keys webport$" "$T/fc.err" ||
    fail "warning line: $(cat "$T/fc.err")"
$PY - "$T/fc" <<'PY' || fail "fuzzingclient.json matrix"
import json, os, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
run = json.load(open(os.path.join(d, "wsspec.json")))
agents = [t["agent"] for t in run["targets"]]
assert agents[0] == "wsspec-echo" and agents[1].startswith("Python/") and "websockets/" in agents[1], agents
by = {a: sorted((c["id"] for c in run["cases"] if c["agent"] == a),
                key=lambda i: [int(x) for x in i.split(".")]) for a in agents}
sec1 = [f"1.1.{i}" for i in range(1, 9)]
sec2 = [f"2.{i}" for i in range(1, 10)]            # 2.10, 2.11 excluded for everyone
sec7 = [f"7.1.{i}" for i in range(1, 7)]
assert by["wsspec-echo"] == sec1[:-1] + sec2 + sec7, by["wsspec-echo"]   # minus 1.1.8
assert by[agents[1]] == sec1 + sec2, by[agents[1]]                       # minus 7.1.*
assert run["summary"]["failed"] == 0 and run["summary"]["total"] == 22 + 17
idx = json.load(open(os.path.join(d, "index.json")))
assert sorted(idx) == sorted(agents) and len(idx["wsspec-echo"]) == 22 and len(idx[agents[1]]) == 17
root = ET.parse(os.path.join(d, "junit.xml")).getroot()
suites = {s.get("name"): len(s.findall("testcase")) for s in root.findall("testsuite")}
assert suites == {"wsspec-echo": 22, agents[1]: 17}, suites
md = open(os.path.join(d, "summary.md")).read()
assert md.startswith("## wsspec: all 39 cases passed (2 targets)\n"), md[:80]
print(f"fuzzingclient.json: 2 agents {agents}, 22 + 17 cases as the exclusions say")
PY
# the command line wins over the file: cases and report directory
run fc2 --config "$T/fuzzingclient.json" --cases 1.1.1,7.1.1 --report-dir "$T/fc2" --seed 9
want_rc fc2 0 "two cases"
$PY - "$T/fc2" <<'PY' || fail "command line over config"
import json, os, sys
run = json.load(open(os.path.join(sys.argv[1], "wsspec.json")))
got = sorted((c["agent"].split("/")[0], c["id"]) for c in run["cases"])
assert got == [("Python", "1.1.1"), ("wsspec-echo", "1.1.1"), ("wsspec-echo", "7.1.1")], got
print("--cases and --report-dir override the file; exclude-agent-cases still applies")
PY

# ---------------------------------------------------------------- 4. exit 2
two() { # name, pattern the one stderr line must match, args...
    local name=$1 pat=$2; shift 2
    run "$name" "$@"
    want_rc "$name" 2 "$name"
    grep -q -- "$pat" "$T/$name.err" || { cat "$T/$name.err"; fail "$name: no line matching '$pat'"; }
    [ "$(wc -l <"$T/$name.err")" = 1 ] || { cat "$T/$name.err"; fail "$name: more than one line"; }
}
two nobase "^wsspec run: --baseline $T/none/wsspec.json: No such file or directory$" \
    "$ECHO_URL" --cases 1.1.1 --report-dir "$T/x" --baseline "$T/none/wsspec.json"
[ ! -e "$T/x" ] || fail "a run with an unreadable baseline started anyway"
two indexbase "not a wsspec.json: an index.json" \
    "$ECHO_URL" --cases 1.1.1 --report-dir "$T/x" --baseline "$T/a/index.json"
printf '{"servers": [{"url": "%s"}],\n "cases": ["1.1.1",]}\n' "$ECHO_URL" >"$T/bad.json"
two badconfig "^wsspec run: --config $T/bad.json: line 2, column" --config "$T/bad.json"
two noconfig "^wsspec run: --config $T/none.json: No such file or directory$" --config "$T/none.json"
printf '{"servers": [{"url": 9001}]}' >"$T/type.json"
two typeconfig "servers\[0\].url: expected a string, got a number" --config "$T/type.json"
run failon "$ECHO_URL" --fail-on sometimes
want_rc failon 2 "usage error"
grep -q -- "--fail-on takes 'any' or 'regression', not 'sometimes'" "$T/failon.err" || fail "--fail-on message"
echo "exit 2: missing baseline, index.json as baseline, bad JSON, missing config, wrong type, bad --fail-on"

kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=
exec {fd}<&-
echo_stop || fail "echo server exit status $ECHO_RC"
echo_sanitizer_report && fail "sanitizer report from the server"
exit 0

#!/usr/bin/env bash
# itest_report_honest.sh - reports never mislead (wsspec issue 14, item 5), end to end
# against the reference endpoint (`wsspec echo`, twice over ws:// and once over wss://;
# sanitized builds). One section per promise, each in its own subshell, and every section
# runs even after one failed: `WSSPEC=an-older-wsspec bash tests/itest_report_honest.sh`
# names each promise that binary breaks.
#   1. agents: two targets given one --agent, and a config whose two agents differ only
#      in case (one per-case file name), are two agents everywhere - wsspec.json's
#      targets, index.json, the per-case files, JUnit's suites and classnames, summary.md
#      - with one note line naming the renamed target; the config's exclude-agent-cases
#      still match the name as given
#   2. stale files: a run into the directory of an earlier one removes the earlier run's
#      files it does not write again - index.html and junit.xml under --format md,
#      baseline.json without --baseline, the per-case files of a target it does not
#      have, an index.html `wsspec report` rendered later - says so, and leaves a user's
#      files alone (notes.txt, my_case_1.json, and an index.html, junit.xml, summary.md
#      and baseline.json that wsspec did not write)
#   3. a run that stops: a second target that cannot be reached, and a SIGINT mid-run:
#      exit 2, and wsspec.json ("stopped": reason, message, per target the cases that
#      never ran - with the reported ones exactly the selection), summary.md (its first
#      line says INCOMPLETE, then the list), junit.xml (a first suite in error; the cases
#      that never ran skipped under the names a complete run gives them) and index.html
#      (a banner under the header with the list; checked in Chromium when installed) all
#      say so; `wsspec report DIR` renders the very same files again
#   4. replay: a failing case (a --cases-dir case made to fail against an echo) over
#      wss:// with --cacert, --origin, --subprotocol, -H (one a credential), --strict,
#      --verdict rfc and --timeout-scale: the failure block's replay line carries all of
#      them (the credential redacted, its value nowhere in the output or the reports),
#      junit.xml, summary.md and index.html give the same command, and that command,
#      pasted, runs the case again to the same verdict
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
CHROMIUM=${CHROMIUM:-chromium}
. tests/lib-tls-certs.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-honest.XXXXXX")
PIDS=() FDS=() ERRS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# serve VAR ARGS...: start `wsspec echo ARGS`, its URL into VAR (read from the one line
# it prints, with a deadline; its stdout stays open so it never writes into a closed pipe)
serve() {
    local var=$1 n=${#PIDS[@]} fd line
    shift
    mkfifo "$T/echo$n.out"
    "$WSSPEC" echo "$@" >"$T/echo$n.out" 2>"$T/echo$n.err" &
    PIDS+=($!)
    ERRS+=("$T/echo$n.err")
    exec {fd}<"$T/echo$n.out"
    FDS+=("$fd")
    IFS= read -r -t 30 line <&"$fd" || { cat "$T/echo$n.err"; return 1; }
    case $line in *"listening on "*) printf -v "$var" '%s' "${line##*listening on }" ;; *) return 1 ;; esac
}
# stop every server: SIGTERM, exit 0 within 20 s, no sanitizer report
stop_all() {
    local i rc=0
    for i in "${!PIDS[@]}"; do
        kill -TERM "${PIDS[$i]}" 2>/dev/null
        if ! timeout 20 tail --pid="${PIDS[$i]}" -s 0.05 -f /dev/null; then
            echo "echo server ${PIDS[$i]} did not stop"
            rc=1
        elif ! wait "${PIDS[$i]}"; then
            echo "echo server ${PIDS[$i]} exited $?"
            rc=1
        fi
        local fd=${FDS[$i]}
        exec {fd}<&-
        if grep -E -A30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "${ERRS[$i]}"; then
            rc=1
        fi
    done
    PIDS=()
    return $rc
}
# browse URL OUT: the DOM Chromium builds (fresh profile, nothing leaves the machine)
browse() {
    local prof; prof=$(mktemp -d "$T/profile.XXXXXX")
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" --dump-dom "$1" >"$2" 2>"$2.log"
    local rc=$?
    rm -rf "$prof"
    [ $rc = 0 ] || { tail -5 "$2.log"; fail "chromium exited $rc for $1"; }
}
have_chromium() { command -v "$CHROMIUM" >/dev/null 2>&1; }

serve U1 --listen 127.0.0.1:0 || fail "echo 1 did not start"
serve U2 --listen 127.0.0.1:0 || fail "echo 2 did not start"
tls_make_certs "$T" || fail "cannot make test certificates"
serve SURL --listen 127.0.0.1:0 --tls-cert "$T/srv.crt" --tls-key "$T/srv.key" ||
    fail "TLS echo did not start"
HP2=${U2#ws://}
HP2=${HP2%/}
echo "echo at $U1 and $U2, over TLS at $SURL"

# a case made to fail against an echo: it sends "hello" and wants "goodbye" back; one
# directory holds it as 99.1, another as 0.1 (it runs first with -j 1)
mkdir -p "$T/mine" "$T/first"
cat >"$T/mine/fail.wsc" <<'WSC'
case 99.1
  title        Send a text message and expect another one back (made to fail against an echo).
  expectation  Echo of "goodbye" (an echo sends "hello" back: FAILED).
  rfc          5.6 MUST "Data frames (e.g., non-control frames) are identified by opcodes where the most significant bit of the opcode is 0."
  close-after  0.2
  send message text "hello"
  expect OK message text "goodbye"
  close-rule   me 1000 clean
end
WSC
sed 's/^case 99.1$/case 0.1/' "$T/mine/fail.wsc" >"$T/first/first.wsc"

# ---------------------------------------------------------------- 1. agents
section_agents() {
    "$WSSPEC" run "$U1" "$U2" --agent srv --cases 1.1.1,2.1 --seed 3 --report-dir "$T/ag" -q \
        >"$T/ag.out" 2>"$T/ag.err"
    local rc=$?
    [ $rc = 0 ] || { cat "$T/ag.out" "$T/ag.err"; fail "one --agent, two targets: exit $rc"; }
    $PY - "$T/ag" 2 "srv" "srv ($HP2)" <<'PY' || fail "one --agent, two targets: the reports"
import json, os, sys, xml.etree.ElementTree as ET
d, per_agent, want = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
run = json.load(open(os.path.join(d, "wsspec.json")))
agents = [t["agent"] for t in run["targets"]]
assert agents == want, agents
idx = json.load(open(os.path.join(d, "index.json")))
assert sorted(idx) == sorted(agents), sorted(idx)
files = set()
for a in agents:
    assert len(idx[a]) == per_agent, (a, idx[a])
    for i, e in idx[a].items():
        per = json.load(open(os.path.join(d, e["reportfile"])))
        assert per["agent"] == a and per["id"] == i, (e["reportfile"], per["agent"], a)
        files.add(e["reportfile"])
assert len(files) == 2 * per_agent, files
assert len(run["cases"]) == 2 * per_agent == run["summary"]["total"]
root = ET.parse(os.path.join(d, "junit.xml")).getroot()
suites = [s.get("name") for s in root.findall("testsuite")]
assert suites == agents, suites
assert all(len(s.findall("testcase")) == per_agent for s in root.findall("testsuite"))
classes = {c.get("classname").split(".")[1] for c in root.iter("testcase")}
assert len(classes) == 2, classes
md = open(os.path.join(d, "summary.md")).read()
assert md.startswith(f"## wsspec: all {2 * per_agent} cases passed (2 targets)"), md[:80]
assert sum(line.startswith("### ") for line in md.splitlines()) == 2 + 1  # targets, Replay
print(f"  agents {agents}: {len(files)} per-case files, 2 suites, 2 matrix columns")
PY
    [ "$(grep -c . "$T/ag.err")" = 1 ] &&
        grep -qxF "wsspec run: note: $U2 is reported as agent \"srv ($HP2)\": \"srv\" would share its report files with target 1's \"srv\" ($U1)" "$T/ag.err" ||
        fail "want one note line naming the renamed target: $(cat "$T/ag.err")"
    # a config's agents that differ only in case share per-case file names (Autobahn's
    # normalisation): the second is renamed; its exclude-agent-cases still apply
    cat >"$T/fc.json" <<EOF
{"servers": [{"agent": "Echo", "url": "$U1"}, {"agent": "echo", "url": "$U2"}],
 "cases": ["1.1.1", "2.1"], "exclude-agent-cases": {"echo": ["2.1"]}, "outdir": "$T/fc"}
EOF
    "$WSSPEC" run --config "$T/fc.json" --seed 3 -q >"$T/fc.out" 2>"$T/fc.err"
    rc=$?
    [ $rc = 0 ] || { cat "$T/fc.out" "$T/fc.err"; fail "config agents Echo, echo: exit $rc"; }
    grep -qF "is reported as agent \"echo ($HP2)\": \"echo\" would share its report files with target 1's \"Echo\"" "$T/fc.err" ||
        fail "no note for the config's agents: $(cat "$T/fc.err")"
    $PY - "$T/fc" "$HP2" <<'PY' || fail "config agents Echo, echo: the reports"
import json, os, sys
d, hp = sys.argv[1], sys.argv[2]
run = json.load(open(os.path.join(d, "wsspec.json")))
agents = [t["agent"] for t in run["targets"]]
assert agents == ["Echo", f"echo ({hp})"], agents
idx = json.load(open(os.path.join(d, "index.json")))
assert sorted(idx["Echo"]) == ["1.1.1", "2.1"] and sorted(idx[agents[1]]) == ["1.1.1"], idx
for a in agents:
    for i, e in idx[a].items():
        per = json.load(open(os.path.join(d, e["reportfile"])))
        assert per["agent"] == a, (e["reportfile"], per["agent"], a)
print(f"  config agents {agents}: 3 distinct per-case files, 2.1 excluded for 'echo' as given")
PY
}

# ---------------------------------------------------------------- 2. stale files
section_stale() {
    local D=$T/st rc
    "$WSSPEC" run "$U1" --cases 1.1.1 --seed 4 --report-dir "$T/base" -q >/dev/null 2>&1 ||
        fail "the baseline run exited $?"
    "$WSSPEC" run "$U1" "$U2" --cases 1.1.1,1.1.2 --seed 4 --report-dir "$D" --baseline "$T/base" \
        -q >"$T/st1.out" 2>&1 || { cat "$T/st1.out"; fail "the earlier run exited $?"; }
    for f in index.html junit.xml summary.md baseline.json; do
        [ -s "$D/$f" ] || fail "the earlier run wrote no $f"
    done
    echo "my notes" >"$D/notes.txt"
    echo '{"mine": true}' >"$D/my_case_1.json"
    # the later run: one target, Markdown only, no baseline
    "$WSSPEC" run "$U1" --cases 1.1.1 --seed 5 --format md --report-dir "$D" -q >"$T/st2.out" 2>&1
    rc=$?
    [ $rc = 0 ] || { cat "$T/st2.out"; fail "the later run exited $rc"; }
    $PY - "$D" <<'PY' || fail "the directory after the later run"
import json, os, sys
d = sys.argv[1]
run = json.load(open(os.path.join(d, "wsspec.json")))
mine = {c["reportfile"] for c in run["cases"]}
want = {"index.json", "wsspec.json", "summary.md", "notes.txt", "my_case_1.json"} | mine
got = set(os.listdir(d))
assert got == want, (sorted(got - want), sorted(want - got))
assert open(os.path.join(d, "notes.txt")).read() == "my notes\n"
print(f"  --format md after a full run: {sorted(got)}")
PY
    for line in "report: removed 3 per-case files of an earlier run from $D" \
        "report: removed $D/index.html (an earlier run's)" \
        "report: removed $D/junit.xml (an earlier run's)" \
        "report: removed $D/baseline.json (an earlier run's)"; do
        grep -qxF "$line" "$T/st2.out" || { cat "$T/st2.out"; fail "no line '$line'"; }
    done
    # a page `wsspec report` rendered later is removed by the next run that renders none
    "$WSSPEC" report "$D" --format html >/dev/null || fail "wsspec report exited $?"
    "$WSSPEC" run "$U1" --cases 1.1.2 --seed 6 --format md --report-dir "$D" -q >"$T/st3.out" 2>&1 ||
        fail "the third run exited $?"
    [ ! -e "$D/index.html" ] || fail "index.html rendered by 'wsspec report' was kept"
    grep -qxF "report: removed 1 per-case file of an earlier run from $D" "$T/st3.out" ||
        { cat "$T/st3.out"; fail "1.1.1's per-case file not removed"; }
    # a user's files under the names wsspec writes, without its mark, stay as they are
    local U=$T/user
    mkdir -p "$U"
    printf '<!DOCTYPE html>\n<title>my page</title>\n' >"$U/index.html"
    printf '<?xml version="1.0"?>\n<testsuites name="mine"/>\n' >"$U/junit.xml"
    printf '# my summary\n' >"$U/summary.md"
    printf '{"schemaVersion": 1, "mine": {}}\n' >"$U/baseline.json"
    cp -r "$U" "$T/user.orig"
    "$WSSPEC" run "$U1" --cases 1.1.1 --seed 7 --format json --report-dir "$U" -q >"$T/st4.out" 2>&1 ||
        fail "the run into the user's directory exited $?"
    for f in index.html junit.xml summary.md baseline.json; do
        cmp -s "$U/$f" "$T/user.orig/$f" || fail "the user's $f was changed or removed"
    done
    grep -q "removed" "$T/st4.out" && fail "removed something of the user's: $(cat "$T/st4.out")"
    echo "  a user's index.html, junit.xml, summary.md, baseline.json kept"
}

# ---------------------------------------------------------------- 3. a run that stops
# check_stopped DIR REASON: wsspec.json, summary.md, junit.xml of a stopped run agree;
# the cases reported and the cases that never ran are the selection, once each
check_stopped() {
    $PY - "$1" "$2" "$3" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
d, reason, selection = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
run = json.load(open(os.path.join(d, "wsspec.json")))
st = run["stopped"]
assert st["reason"] == reason, st
nr = st["notRun"]
assert nr and all(t["cases"] for t in nr), nr
urls = [t["url"] for t in run["targets"]] + [t["url"] for t in nr if t["agent"] is None]
for t in nr:
    assert t["agent"] is None or t["agent"] in [x["agent"] for x in run["targets"]], t
for u in dict.fromkeys(urls):
    agent = next((x["agent"] for x in run["targets"] if x["url"] == u), None)
    ran = [c["id"] for c in run["cases"] if c["agent"] == agent] if agent else []
    never = [c["id"] for t in nr if t["url"] == u for c in t["cases"]]
    assert sorted(ran + never) == sorted(selection), (u, ran, never)
n_never = sum(len(t["cases"]) for t in nr)
total, failed = len(run["cases"]), sum(not c["passed"] for c in run["cases"])
md = open(os.path.join(d, "summary.md")).read().splitlines()
assert md[0].startswith("## wsspec: INCOMPLETE run ("), md[0]
assert md[0].endswith(f", {n_never} never ran ({len(run['targets'])} target{'s' if len(run['targets']) > 1 else ''})"), md[0]
assert md[2] == f"> **The run did not finish:** {st['message']}.  ", md[2]
for t in nr:
    who = t["agent"] if t["agent"] is not None else "not reached:"
    line = f"> - {who} `{t['url']}`: " + ", ".join(c["id"] for c in t["cases"])
    assert line in md, (line, md[:8])
root = ET.parse(os.path.join(d, "junit.xml")).getroot()
suites = root.findall("testsuite")
first = suites[0]
err = first.find("testcase/error")
assert first.get("name") == "wsspec run" and err is not None, first.get("name")
assert err.get("message") == st["message"] and err.get("type") == reason, err.attrib
assert root.get("errors") == "1" and int(root.get("skipped")) == n_never, root.attrib
assert int(root.get("tests")) == total + n_never + 1 and int(root.get("failures")) == failed
titles = {c["id"]: c["title"] for c in run["cases"]}
skipped = {}
for s in suites[1:]:
    props = {p.get("name"): p.get("value") for p in s.iter("property")}
    assert props["stopped"] == st["message"], props
    for c in s.findall("testcase"):
        if c.find("skipped") is not None:
            skipped.setdefault(props["url"], []).append(c.get("name"))
for t in nr:
    names = [c["id"] + " " + c["title"] for c in t["cases"]]
    assert skipped.get(t["url"]) == names, (skipped.get(t["url"]), names)
    for c in t["cases"]:  # the name a complete run gives the case
        assert titles.get(c["id"], c["title"]) == c["title"], c
print(f"  {reason}: {total} cases reported, {n_never} never ran: "
      + "; ".join(f"{t['agent'] or t['url']}: {','.join(c['id'] for c in t['cases'])}" for t in nr))
PY
}
# rerender DIR: `wsspec report DIR` renders the same three files
rerender() {
    local f
    for f in index.html junit.xml summary.md; do cp "$1/$f" "$T/rr.$f"; done
    "$WSSPEC" report "$1" >/dev/null || fail "wsspec report $1 exited $?"
    for f in index.html junit.xml summary.md; do
        cmp -s "$T/rr.$f" "$1/$f" || fail "wsspec report renders another $f than the run"
    done
}
section_stopped() {
    # a second target nothing listens on (the port was free a moment ago)
    local port rc
    port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local DEAD="ws://127.0.0.1:$port/"
    "$WSSPEC" run "$U1" "$DEAD" --cases 1.1.1,1.1.2,2.1 --seed 8 --report-dir "$T/dead" -q \
        >"$T/dead.out" 2>"$T/dead.err"
    rc=$?
    [ $rc = 2 ] || { cat "$T/dead.out" "$T/dead.err"; fail "unreachable second target: exit $rc"; }
    check_stopped "$T/dead" target 1.1.1,1.1.2,2.1 || fail "the reports of the run whose target 2 was unreachable"
    grep -qxF "wsspec run: run stopped; 3 finished cases reported, 3 never ran (listed in the reports)" \
        "$T/dead.err" || fail "the closing line: $(cat "$T/dead.err")"
    $PY - "$T/dead/wsspec.json" "$DEAD" <<'PY' || fail "stopped.message, notRun"
import json, sys
st = json.load(open(sys.argv[1]))["stopped"]
assert st["message"].startswith(sys.argv[2] + ": target unreachable: cannot connect to"), st["message"]
assert [t["agent"] for t in st["notRun"]] == [None], st["notRun"]
PY
    rerender "$T/dead"
    if have_chromium; then
        browse "file://$T/dead/index.html" "$T/dead.dom"
        $PY tests/interop/check_html_dom.py stopped "$T/dead.dom" "$T/dead/wsspec.json" ||
            fail "index.html of the stopped run (DOM in $T/dead.dom)"
        echo "  index.html: the banner under the header lists the cases that never ran"
    else
        echo "  note: $CHROMIUM not installed: index.html's banner not checked in a browser"
    fi

    # SIGINT while 6.4.x (a second or more each) run: 0.1 fails after 0.2 s and says so,
    # then the run is interrupted; every 6.4.x is in flight or not started yet
    mkfifo "$T/int.fifo"
    "$WSSPEC" run "$U1" --cases-dir "$T/first" --cases '0.1,6.4.*' -j 1 --seed 9 \
        --report-dir "$T/int" >"$T/int.fifo" 2>"$T/int.err" &
    local pid=$! fd line
    exec {fd}<"$T/int.fifo"
    while IFS= read -r -t 30 line <&$fd; do
        case $line in "FAIL 0.1 "*) break ;; esac
    done
    kill -INT $pid
    if ! timeout 20 tail --pid=$pid -f /dev/null; then
        kill -KILL $pid
        fail "interrupted run still running 20 s after SIGINT"
    fi
    wait $pid
    rc=$?
    cat <&$fd >/dev/null
    exec {fd}<&-
    [ $rc = 2 ] || fail "interrupted run: exit $rc, want 2 ($(cat "$T/int.err"))"
    check_stopped "$T/int" interrupted 0.1,6.4.1,6.4.2,6.4.3,6.4.4 || fail "the reports of the interrupted run"
    grep -q "^wsspec run: interrupted; [0-9]* finished cases reported, [1-9][0-9]* never ran (listed in the reports)$" \
        "$T/int.err" || fail "the closing line: $(cat "$T/int.err")"
    grep -q '"message": "interrupted by SIGINT"' "$T/int/wsspec.json" || fail "stopped.message"
    rerender "$T/int"
    if have_chromium; then
        browse "file://$T/int/index.html" "$T/int.dom"
        $PY tests/interop/check_html_dom.py stopped "$T/int.dom" "$T/int/wsspec.json" ||
            fail "index.html of the interrupted run (DOM in $T/int.dom)"
    fi
}

# ---------------------------------------------------------------- 4. replay
section_replay() {
    local rc line cmd
    "$WSSPEC" run "$SURL" --cases 99.1,1.1.1 --cases-dir "$T/mine" --cacert "$T/ca.crt" \
        --origin https://app.example --subprotocol chat -H 'X-Trace: a b' \
        -H 'Authorization: Bearer s3cret' --strict --verdict rfc --timeout-scale 1.5 --seed 10 \
        --report-dir "$T/rp" -q >"$T/rp.out" 2>&1
    rc=$?
    [ $rc = 1 ] || { cat "$T/rp.out"; fail "the failing case over wss://: exit $rc, want 1"; }
    line=$(grep '^  replay       ' "$T/rp.out") || fail "no replay line: $(cat "$T/rp.out")"
    cmd=${line#  replay       }
    # pasted: the same case, the same verdict
    eval "set -- $cmd"
    [ "$1" = wsspec ] || fail "the replay does not start with wsspec: $cmd"
    shift
    "$WSSPEC" "$@" --report-dir "$T/again" >"$T/again.out" 2>&1
    rc=$?
    [ $rc = 1 ] || { cat "$T/again.out"; fail "the pasted replay '$cmd': exit $rc, want 1"; }
    $PY - "$T/rp/wsspec.json" "$T/again/wsspec.json" <<'PY' || fail "the pasted replay's verdict"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
first = next(c for c in a["cases"] if c["id"] == "99.1")
(again,) = b["cases"]
keys = ("id", "behavior", "behaviorClose", "rfcBehavior", "rfcBehaviorClose", "broken", "passed")
assert {k: again[k] for k in keys} == {k: first[k] for k in keys}, (again, first)
assert b["seed"] == a["seed"] == "10", (a["seed"], b["seed"])
assert b["options"] == {**a["options"], "cases": "99.1", "jobs": b["options"]["jobs"]}, (a["options"], b["options"])
print(f"  pasted: 99.1 {again['behavior']}/{again['behaviorClose']} again, {again['broken']}")
PY
    local want="wsspec run $SURL --cases 99.1 --seed 10 --origin https://app.example --subprotocol chat -H 'X-Trace: a b' -H 'Authorization: <redacted>' --timeout-scale 1.5 --strict --verdict rfc --cases-dir $T/mine --cacert $T/ca.crt"
    [ "$cmd" = "$want" ] || fail "replay line: $cmd, want: $want"
    grep -rq s3cret "$T/rp.out" "$T/rp" && fail "the credential is in the output or the reports"
    $PY - "$T/rp" "$want" <<'PY' || fail "the replay command in junit.xml and summary.md"
import os, sys, xml.etree.ElementTree as ET
d, want = sys.argv[1], sys.argv[2]
root = ET.parse(os.path.join(d, "junit.xml")).getroot()
texts = [f.text for f in root.iter("failure")]
assert len(texts) == 1 and f"\nreplay:      {want}\n" in texts[0], texts
md = open(os.path.join(d, "summary.md")).read()
assert f"  - replay: `{want}`\n" in md, [l for l in md.splitlines() if "replay" in l]
print("  junit.xml and summary.md give the same replay command")
PY
    if have_chromium; then
        local agent
        agent=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["targets"][0]["agent"])' "$T/rp/wsspec.json")
        browse "file://$T/rp/index.html#case=99.1" "$T/rp.dom"
        $PY tests/interop/check_html_dom.py replay "$T/rp.dom" "$T/rp/wsspec.json" 99.1 "$agent" "$want" ||
            fail "the replay command in index.html (DOM in $T/rp.dom)"
        echo "  index.html's detail gives the same replay command"
    fi
}

failed=()
for s in agents stale stopped replay; do
    echo "$s:"
    (section_$s) || failed+=("$s")
done
stop_all || failed+=("echo servers")
[ ${#failed[@]} = 0 ] || { echo "FAIL: ${failed[*]}"; exit 1; }
echo "reports never mislead: agents, stale files, stopped runs, replay commands"
exit 0

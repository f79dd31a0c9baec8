#!/usr/bin/env bash
# itest_liveness.sh - the liveness checks of `wsspec run` (harness/tester.h, liveness.h)
# against build/itest_defect_server servers that end on case 1.1.3's 126-byte text:
#   - die-after-frame (the port then refuses), -j 1: 1.1.3 FAILED in both verdicts,
#     "target stopped answering after this case", 1.1.1-1.1.2 reported as they were,
#     1.1.4-1.1.8 not run; exit 1; wsspec.json stopped (target-died, message, notRun),
#     summary.md's INCOMPLETE heading, junit.xml's error suite and skipped cases, the
#     HTML page's record, the failure block and the stderr line
#   - the same at the default -j: exactly one case FAILED, and it is 1.1.3 or names
#     1.1.3 among the cases that ran at the same time (and says to rerun with -j 1);
#     every case it names is not run; no other case failed
#   - hang-after-frame (handshakes unanswered) and mute-after-frame (handshakes
#     answered, nothing echoed - 1.1.3 itself got its echo): 1.1.3 blamed, with what the
#     check saw, within the scaled deadlines
#   - --no-liveness restores the behaviour without checks: every case reported with its
#     own verdict, nothing stopped; a server that goes mute after 1.1.1 fails 1.1.1 with
#     checks and passes it without
#   - a server that never echoes fails the first check: the run goes on without checks
#     and says so once
#   - busy-503: a check refused with 503 once is asked again and passes; refused twice,
#     the case before it is blamed with both refusals in the reason
#   - die-after-refusal (answers 14.1.1's POST with its 4xx, then dies): a case that ends
#     with the response is checked too and blamed, at -j 1 and the default -j
# Every wait is bounded: the server prints its port within 10 s and ends by itself after
# --max-seconds; each wsspec run is bounded by `timeout`.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
SERVER=${DEFECT_SERVER:-$PWD/build/itest_defect_server}
PY=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "$WSSPEC is not built (make build/san/wsspec)"
[ -x "$SERVER" ] || fail "$SERVER is not built (make itest)"
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-liveness.XXXXXX")
SPID=
cleanup() {
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# server_start DEFECT [OPTIONS...]: sets PORT and SPID
server_start() {
    local fifo=$T/server.out line= fd
    rm -f "$fifo"
    mkfifo "$fifo"
    "$SERVER" --listen 127.0.0.1:0 --defect "$1" --max-seconds 120 "${@:2}" >"$fifo" \
        2>"$T/server.err" &
    SPID=$!
    exec {fd}<"$fifo"
    IFS= read -r -t 10 line <&"$fd" || fail "the $1 server did not start: $(cat "$T/server.err")"
    exec {fd}<&-
    PORT=${line##*:}
}

server_stop() {
    kill -TERM "$SPID" 2>/dev/null
    timeout 10 tail --pid="$SPID" -f /dev/null || kill -KILL "$SPID"
    wait "$SPID" 2>/dev/null
    SPID=
}

# run NAME WSSPEC-OPTIONS...: a run against the server; its output in $T/NAME.out and
# .err, its reports in $T/NAME/, its exit status in RC
run() {
    local name=$1
    shift
    timeout --kill-after=5 120 "$WSSPEC" run "ws://127.0.0.1:$PORT/" --seed 7 \
        --report-dir "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
    RC=$?
}

want_rc() { # name, status
    [ "$RC" = "$2" ] || fail "$1: exit $RC, want $2: $(tail -n 5 "$T/$1.out" "$T/$1.err")"
}

cat >"$T/check.py" <<'PY'
"""Checks one run's reports. usage:
  check.py exact DIR BLAMED OK_IDS NOT_RUN_IDS WHY
      BLAMED FAILED in both verdicts, "target stopped answering after this case" and WHY
      in broken; OK_IDS reported and passed; NOT_RUN_IDS in stopped.notRun; nothing
      else; the reports marked
  check.py batch DIR CULPRIT ALL_IDS
      one case FAILED (blamed): CULPRIT or named by it; the named ones not run; the
      others passed or not run; the reports marked
  check.py clean DIR N LIVENESS
      no stopped record, N cases reported, options.liveness as given (true/false)"""
import json, os, re, sys

def load(d):
    return json.load(open(os.path.join(d, "wsspec.json")))

def ids(csv):
    return [i for i in csv.split(",") if i]

def not_run(run):
    return [c["id"] for t in run["stopped"]["notRun"] for c in t["cases"]]

def marked(d, run):
    """the stopped record and every rendered report say the run is incomplete"""
    s = run["stopped"]
    assert s and s["reason"] == "target-died", s
    assert "target stopped answering after case " in s["message"], s["message"]
    md = open(os.path.join(d, "summary.md")).read()
    assert md.startswith("## wsspec: INCOMPLETE run (a target stopped answering)"), md[:200]
    junit = open(os.path.join(d, "junit.xml")).read()
    assert 'type="target-died"' in junit and "the run did not finish" in junit, junit[:600]
    skipped = junit.count('<skipped message="never ran: the run stopped first: ')
    assert skipped == len(not_run(run)), (skipped, not_run(run))
    html = open(os.path.join(d, "index.html")).read()
    assert "target-died" in html and "target stopped answering after case" in html

def blamed_case(run):
    bad = [c for c in run["cases"] if not c["passed"]]
    assert len(bad) == 1, [(c["id"], c["result"]) for c in bad]
    c = bad[0]
    for k in ("behavior", "behaviorClose", "rfcBehavior", "rfcBehaviorClose"):
        assert c[k] == "FAILED", (k, c)
    assert c["result"].startswith("target stopped answering after this case"), c["result"]
    assert c["resultClose"] == c["result"], c
    assert c["broken"].startswith("target stopped answering after this case: "), c["broken"]
    return c

def exact(d, blamed, ok, nr, why):
    run = load(d)
    marked(d, run)
    c = blamed_case(run)
    assert c["id"] == blamed and c["result"] == "target stopped answering after this case", c
    assert why in c["broken"], (why, c["broken"])
    assert why in run["stopped"]["message"], run["stopped"]["message"]
    assert sorted(x["id"] for x in run["cases"] if x["passed"]) == sorted(ids(ok)), run["cases"]
    assert not_run(run) == ids(nr), not_run(run)

def batch(d, culprit, every):
    run = load(d)
    marked(d, run)
    c = blamed_case(run)
    m = re.search(r"\(or after (?:one of )?(.*), which ran at the same time; rerun with -j 1 "
                  r"to tell which\)$", c["result"])
    named = m.group(1).split(", ") if m else []
    named = [n for n in named if not re.fullmatch(r"and \d+ more", n)]
    assert c["id"] == culprit or culprit in named, (culprit, c["result"])
    nr = not_run(run)
    assert set(named) <= set(nr), (named, nr)
    reported = [x["id"] for x in run["cases"]]
    assert sorted(reported + nr) == sorted(ids(every)), (reported, nr)
    assert culprit == c["id"] or culprit in nr, "the culprit is reported with its own verdict"
    assert c["id"] in run["stopped"]["message"], run["stopped"]["message"]

def clean(d, n, liveness):
    run = load(d)
    assert run["stopped"] is None, run["stopped"]
    assert len(run["cases"]) == int(n), len(run["cases"])
    assert run["options"]["liveness"] is (liveness == "true"), run["options"]

{"exact": exact, "batch": batch, "clean": clean}[sys.argv[1]](*sys.argv[2:])
PY
check() { # what it checks, check.py arguments...
    "$PY" "$T/check.py" "${@:2}" || fail "$1"
}

ALL=1.1.1,1.1.2,1.1.3,1.1.4,1.1.5,1.1.6,1.1.7,1.1.8
LATER=1.1.4,1.1.5,1.1.6,1.1.7,1.1.8

# 1. the port closes after 1.1.3: -j 1 blames exactly 1.1.3
server_start die-after-frame
run die1 --cases '1.1.*' -j 1
want_rc die1 1
check "die-after-frame -j 1" exact "$T/die1" 1.1.3 1.1.1,1.1.2 "$LATER" \
    "cannot connect to 127.0.0.1:$PORT"
grep -q "^FAIL 1.1.3 " "$T/die1.out" || fail "die1: no failure block for 1.1.3"
grep -q "target stopped answering after case 1.1.3: cannot connect to .*; 5 cases not run" \
    "$T/die1.err" || fail "die1: no line saying so: $(cat "$T/die1.err")"
grep -q "1 target stopped answering; 3 finished cases reported, 5 never ran" "$T/die1.err" ||
    fail "die1: no closing line: $(cat "$T/die1.err")"
server_stop
echo "die-after-frame -j 1: 1.1.3 FAILED, 1.1.4-1.1.8 not run, exit 1, reports marked"

# 2. the same at the default -j: one case blamed, 1.1.3 among it and the ones named
server_start die-after-frame
run dieN --cases '1.1.*'
want_rc dieN 1
check "die-after-frame, default -j" batch "$T/dieN" 1.1.3 "$ALL"
server_stop
echo "die-after-frame, default -j: $(grep -m1 -o 'target stopped answering after case [^:]*' \
    "$T/dieN.err")"

# 3. handshakes go unanswered after 1.1.3: the check's opening-handshake deadline (x0.2)
server_start hang-after-frame
run hang --cases '1.1.*' -j 1 --timeout-scale 0.2
want_rc hang 1
check "hang-after-frame" exact "$T/hang" 1.1.3 1.1.1,1.1.2 "$LATER" \
    "did not complete the opening handshake within 1.0 s"
server_stop
echo "hang-after-frame: 1.1.3 blamed after the check's handshake deadline"

# 4. handshakes answered, nothing echoed after 1.1.3 (whose own echo came): the check's
#    echo deadline (the default kill-after of 10 s, x0.2)
server_start mute-after-frame
run mute --cases '1.1.*' -j 1 --timeout-scale 0.2
want_rc mute 1
check "mute-after-frame" exact "$T/mute" 1.1.3 1.1.1,1.1.2 "$LATER" \
    "completed the opening handshake but echoed no message within 2.0 s"
server_stop
echo "mute-after-frame: a handshake without an echo fails the check; 1.1.3 blamed"

# 5. --no-liveness: no checks, every case with its own verdict, nothing stopped
server_start die-after-frame
run off --cases '1.1.*' -j 1 --no-liveness
want_rc off 1
check "--no-liveness" clean "$T/off" 8 false
grep -q "stopped answering" "$T/off/wsspec.json" "$T/off.err" &&
    fail "--no-liveness still blamed a case"
server_stop
server_start mute-after-frame --die-after-len 0
run mute0 --cases 1.1.1
want_rc mute0 1
check "mute after 1.1.1, checks on" exact "$T/mute0" 1.1.1 "" "" "echoed no message"
server_stop
server_start mute-after-frame --die-after-len 0
run mute0off --cases 1.1.1 --no-liveness
want_rc mute0off 0
check "mute after 1.1.1, --no-liveness" clean "$T/mute0off" 1 false
server_stop
echo "--no-liveness: every case judged on its own (exit as before), nothing stopped"

# 6. a server that never echoes what it is sent (text comes back as binary): the first
#    check fails, the run goes on without checks and says so
server_start retyped-echo
run noecho --cases 1.1.1,1.2.1 --timeout-scale 0.2
want_rc noecho 1
check "no echo from the start" clean "$T/noecho" 2 true
grep -q "failed the first liveness check (127.0.0.1:$PORT answered the \
message with something else than its echo): its cases ran without liveness checks" \
    "$T/noecho.err" || fail "noecho: no note: $(cat "$T/noecho.err")"
server_stop
echo "a target that never echoes: checks off after the first one, said once"

# 7. busy: the check after 1.1.1 (4th handshake) refused with 503 once, then twice
server_start busy-503
run busy1 --cases 1.1.1,1.1.2 -j 1
want_rc busy1 0
check "503 once" clean "$T/busy1" 2 true
server_stop
server_start busy-503 --busy-count 2
run busy2 --cases 1.1.1,1.1.2 -j 1
want_rc busy2 1
check "503 twice" exact "$T/busy2" 1.1.1 "" 1.1.2 \
    "got 503 Service Unavailable: busy, try again (and got 503 Service Unavailable 0.5 s before)"
server_stop
echo "503: asked again once after 0.5 s; refused twice, the case before it is blamed"

# 8. a case that ends with the response to its own request (section 14) gets its check
#    too: the server answers 14.1.1's POST with its 4xx and dies. -j 1 blames exactly
#    14.1.1 (whose own verdict, without checks, is OK: the check alone catches it); the
#    default -j blames it or names it; --no-liveness passes it
server_start die-after-refusal
run refusal1 --cases 1.1.1,1.1.2,14.1.1,14.1.2 -j 1
want_rc refusal1 1
check "die-after-refusal -j 1" exact "$T/refusal1" 14.1.1 1.1.1,1.1.2 14.1.2 \
    "cannot connect to 127.0.0.1:$PORT"
server_stop
server_start die-after-refusal
run refusalN --cases '1.1.*,14.1.1'
want_rc refusalN 1
check "die-after-refusal, default -j" batch "$T/refusalN" 14.1.1 "$ALL,14.1.1"
server_stop
server_start die-after-refusal
run refusaloff --cases 14.1.1 --no-liveness
want_rc refusaloff 0
check "die-after-refusal, --no-liveness" clean "$T/refusaloff" 1 false
server_stop
echo "die-after-refusal: 14.1.1 blamed at -j 1, $(grep -m1 -o \
    'target stopped answering after case [^:]*' "$T/refusalN.err") at the default -j"
exit 0

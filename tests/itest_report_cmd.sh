#!/usr/bin/env bash
# itest_report_cmd.sh - `wsspec run --format` and `wsspec report DIR` against the reference
# endpoint (sanitized builds):
#   - --format json writes only the JSON (and says so); the run prints one line per file
#   - `wsspec report DIR` renders HTML, JUnit and Markdown from that JSON, one line each
#   - the page it renders is byte for byte the one `wsspec run` renders (one code path);
#     and so are all three files of a run whose verdicts differ (a second target,
#     build/itest_defect_server --defect echo-after-close: Autobahn's OK, the RFC's
#     FAILED) compared with a baseline (DIR/baseline.json is rendered too)
#   - exit 2 with one line saying why: no directory, a missing directory, a directory
#     that is not a wsspec report, a damaged wsspec.json, an unknown --format (run and
#     report)
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
. tests/lib-echo-server.sh
SERVER=${DEFECT_SERVER:-$PWD/build/itest_defect_server}
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-report.XXXXXX")
DPID=
trap 'echo_cleanup; [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"
CASES=1.1.1,2.1,5.19,6.4.3,7.5.1

# 1. JSON only
"$WSSPEC" run "$ECHO_URL" --cases "$CASES" --format json --report-dir "$T/a" --seed 5 -q \
    >"$T/a.out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/a.out"; fail "json-only run exited $rc"; }
grep -q "^report: json   $T/a/wsspec.json" "$T/a.out" || fail "no 'report: json' line"
[ "$(grep -c '^report:' "$T/a.out")" = 1 ] || fail "more than the json line: $(grep '^report:' "$T/a.out")"
for f in index.html junit.xml summary.md; do
    [ -e "$T/a/$f" ] && fail "--format json wrote $f"
done
echo "--format json: only the JSON files"

# 2. render them afterwards
"$WSSPEC" report "$T/a" >"$T/r.out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/r.out"; fail "wsspec report exited $rc"; }
for pair in "html   $T/a/index.html" "junit  $T/a/junit.xml" "md     $T/a/summary.md"; do
    grep -qx "report: $pair" "$T/r.out" || { cat "$T/r.out"; fail "no line 'report: $pair'"; }
    [ -s "${pair##* }" ] || fail "${pair##* } missing or empty"
done
left=$(find "$T/a" -name '*.tmp')
[ -z "$left" ] || fail "a temporary file was left behind: $left"
echo "wsspec report DIR: index.html, junit.xml, summary.md rendered from the JSON"

# 3. one code path: the run's page equals the re-rendered one
"$WSSPEC" run "$ECHO_URL" --cases "$CASES" --format html --report-dir "$T/b" --seed 5 -q \
    >"$T/b.out" 2>&1 || fail "html run exited $?"
grep -qx "report: html   $T/b/index.html" "$T/b.out" || { cat "$T/b.out"; fail "no 'report: html' line"; }
[ -e "$T/b/junit.xml" ] && fail "--format html wrote junit.xml"
cp "$T/b/index.html" "$T/run.html"
"$WSSPEC" report "$T/b" --format html >/dev/null || fail "re-render exited $?"
cmp -s "$T/run.html" "$T/b/index.html" || fail "the re-rendered page differs from the run's"
out=$("$WSSPEC" report "$T/b" --format json); rc=$?
[ $rc = 0 ] && [ "$out" = "report: nothing to render (json is the input: $T/b/wsspec.json)" ] ||
    fail "--format json: exit $rc, '$out'"
echo "the run's page and the re-rendered page are identical"

# 3b. both verdicts, with a baseline: every rendered file the same after a re-render
[ -x "$SERVER" ] || fail "$SERVER is not built (make itest)"
mkfifo "$T/defect.out"
"$SERVER" --listen 127.0.0.1:0 --defect echo-after-close --max-seconds 60 >"$T/defect.out" 2>"$T/defect.err" &
DPID=$!
exec {dfd}<"$T/defect.out"
IFS= read -r -t 10 line <&$dfd || fail "the defect server printed nothing: $(cat "$T/defect.err")"
DEFECT_URL="ws://${line##*listening on }/"
"$WSSPEC" run "$ECHO_URL" "$DEFECT_URL" --cases 1.1.1,3.2,5.15 --report-dir "$T/v" --seed 5 -q \
    --baseline "$T/a" >"$T/v.out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$T/v.out"; fail "the run with the defect server exited $rc, want 1"; }
grep -q "they differ in 2 cases" "$T/v/summary.md" || fail "summary.md does not count the 2 differing cases"
grep -q 'type="RFC 6455 FAILED/OK"' "$T/v/junit.xml" || fail "junit.xml has no failure by the RFC's verdict"
for f in index.html junit.xml summary.md; do cp "$T/v/$f" "$T/v.$f"; done
"$WSSPEC" report "$T/v" >/dev/null || fail "re-render exited $?"
for f in index.html junit.xml summary.md; do
    cmp -s "$T/v.$f" "$T/v/$f" || fail "the re-rendered $f differs from the run's"
done
kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
exec {dfd}<&-
echo "two verdicts and a baseline: index.html, junit.xml, summary.md re-rendered identical"

# 4. exit 2 with one line saying why
expect2() { # expected-text command...
    local want=$1; shift
    local out; out=$("$@" 2>&1); local rc=$?
    [ $rc = 2 ] || fail "'$*': exit $rc, want 2 ($out)"
    grep -qF -- "$want" <<<"$out" || fail "'$*': no '$want' in: $out"
}
mkdir -p "$T/empty" "$T/bad"
echo '{"cases": [' >"$T/bad/wsspec.json"
expect2 "no report directory given" "$WSSPEC" report
expect2 "$T/missing: no such directory" "$WSSPEC" report "$T/missing"
expect2 "$T/empty is not a wsspec report: it has no wsspec.json" "$WSSPEC" report "$T/empty"
expect2 "$T/bad is not a wsspec report: $T/bad/wsspec.json: line" "$WSSPEC" report "$T/bad"
expect2 "unknown format 'pdf'" "$WSSPEC" report "$T/a" --format html,pdf
expect2 "unknown format 'pdf'" "$WSSPEC" run "$ECHO_URL" --format pdf
expect2 "needs a value" "$WSSPEC" report "$T/a" --format
echo "exit 2: no directory, missing, not a report, damaged wsspec.json, unknown --format"

echo_stop || fail "echo server exit status $ECHO_RC"
echo_sanitizer_report && fail "sanitizer report from the server"
exit 0

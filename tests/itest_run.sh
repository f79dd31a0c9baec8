#!/usr/bin/env bash
# itest_run.sh - `wsspec run` end to end against the reference endpoint, both built with
# ASan+UBSan:
#   - the whole catalogue (every case `wsspec list` lists): exit 0, every verdict as expected
#     (tests/interop/echo.expect), reports parse, index.json has Autobahn's shape
#   - -j 1 gives the same verdicts as the default concurrency
#   - the same --seed sends the same bytes (the TO rows of a case's wire log)
#   - exit 2: unreachable target (one line saying why), bad usage, unknown case pattern
#   - SIGINT mid-run: exit 2, the cases finished so far are in the report
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-run.XXXXXX")
trap 'echo_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"
URL=$ECHO_URL

# 1. the whole catalogue
N=$("$WSSPEC" list --exclude '12.*,13.*' | grep -c .)
"$WSSPEC" run "$URL" --exclude '12.*,13.*' --report-dir "$T/all" --seed 42 -q >"$T/all.out" 2>&1
rc=$?
tail -1 "$T/all.out"
[ $rc = 0 ] || { cat "$T/all.out"; fail "run against wsspec echo exited $rc, want 0"; }
$PY tests/interop/check_verdicts.py "$T/all/wsspec.json" tests/interop/echo.expect ||
    fail "verdicts differ from tests/interop/echo.expect"
$PY - "$T/all" "$N" <<'PY' || fail "report shape"
import json, sys, os
d, n = sys.argv[1], int(sys.argv[2])
idx = json.load(open(os.path.join(d, "index.json")))
assert len(idx) == 1, idx.keys()
agent, cases = next(iter(idx.items()))
assert len(cases) == n, (len(cases), n)
for cid, c in cases.items():
    assert set(c) == {"behavior", "behaviorClose", "duration", "remoteCloseCode", "reportfile"}, c
    per = json.load(open(os.path.join(d, c["reportfile"])))
    assert per["id"] == cid and per["behavior"] == c["behavior"]
run = json.load(open(os.path.join(d, "wsspec.json")))
assert run["summary"]["total"] == n and run["summary"]["failed"] == 0, run["summary"]
assert str(run["seed"]) == "42"
print(f"report: {n} per-case files, index.json and wsspec.json consistent")
PY

# same_verdicts WSSPEC_JSON LABEL: every case of that run has the verdicts of the whole
# catalogue's run (1.)
same_verdicts() {
    $PY - "$T/all/wsspec.json" "$1" "$2" <<'PY'
import json, sys
a = {c["id"]: (c["behavior"], c["behaviorClose"]) for c in json.load(open(sys.argv[1]))["cases"]}
b = {c["id"]: (c["behavior"], c["behaviorClose"]) for c in json.load(open(sys.argv[2]))["cases"]}
assert b and b.keys() <= a.keys(), sorted(b.keys() - a.keys())
diff = [k for k in b if a[k] != b[k]]
assert not diff, diff
print(f"{sys.argv[3]}: {len(b)} verdicts equal to the whole catalogue's run")
PY
}

# 2. -j 1 gives the same verdicts (sections 1-5 and 7: the quick ones)
"$WSSPEC" run "$URL" --cases '1.*,2.*,3.*,4.*,5.*,7.*' -j 1 --report-dir "$T/j1" --seed 42 -q \
    >"$T/j1.out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/j1.out"; fail "-j 1 run exited $rc"; }
same_verdicts "$T/j1/wsspec.json" "-j 1" || fail "verdicts depend on -j"

# 2b. the default echo moves bytes with io_uring batches where the kernel allows it (--io
#     auto); the same catalogue against `--io epoll` (a recv and a send per connection)
#     gives the same verdicts
ECHO_MAIN_PID=$ECHO_PID ECHO_MAIN_FD=$ECHO_FD ECHO_MAIN_ERR=$ECHO_ERR
echo_start "$WSSPEC" --listen 127.0.0.1:0 --io epoll || fail "echo --io epoll did not start"
"$WSSPEC" run "$ECHO_URL" --exclude '12.*,13.*' --report-dir "$T/epoll" --seed 42 -q \
    >"$T/epoll.out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/epoll.out"; fail "run against wsspec echo --io epoll exited $rc"; }
same_verdicts "$T/epoll/wsspec.json" "--io epoll" || fail "verdicts depend on --io"
echo_stop || fail "echo --io epoll exit status $ECHO_RC"
echo_sanitizer_report && fail "sanitizer report from echo --io epoll"
ECHO_PID=$ECHO_MAIN_PID ECHO_FD=$ECHO_MAIN_FD ECHO_ERR=$ECHO_MAIN_ERR

# 3. the same seed sends the same bytes
for n in 1 2; do
    "$WSSPEC" run "$URL" --cases 6.4.3,5.19,9.1.1 --report-dir "$T/seed$n" --seed 7 -q \
        >/dev/null 2>&1 || fail "seed run $n exited $?"
done
# (what the peer generates: the request with its key, every frame with its mask key;
# whether the last Close reply reaches the wire before the server drops TCP is timing)
$PY - "$T/seed1" "$T/seed2" <<'PY' || fail "same seed, different bytes"
import json, sys, glob, os
def sent(p):
    d = json.load(open(p))
    return d["httpRequest"], [r for r in d["wirelog"] if r[0] == "TF"]
files = sorted(glob.glob(os.path.join(sys.argv[1], "*_case_*.json")))
assert len(files) == 3, files
for f in files:
    a, b = sent(f), sent(os.path.join(sys.argv[2], os.path.basename(f)))
    assert a == b, f
    assert len(a[1]) > 0
print("--seed 7 twice: identical request (key) and frames (mask keys, payloads)")
PY

# 4. exit 2 with one line saying why
out=$("$WSSPEC" run ws://127.0.0.1:1/ --report-dir "$T/none" 2>&1); rc=$?
[ $rc = 2 ] || fail "unreachable target: exit $rc, want 2"
grep -q "target unreachable: cannot connect to 127.0.0.1:1" <<<"$out" || fail "no reason: $out"
"$WSSPEC" run >/dev/null 2>&1; [ $? = 2 ] || fail "no URL: want exit 2"
"$WSSPEC" run "$URL" -j 0 >/dev/null 2>&1; [ $? = 2 ] || fail "-j 0: want exit 2"
"$WSSPEC" run http://x/ >/dev/null 2>&1; [ $? = 2 ] || fail "http URL: want exit 2"
"$WSSPEC" run "$URL" --cases '99.*' >/dev/null 2>&1; [ $? = 2 ] || fail "no case selected: want exit 2"
echo "exit 2: unreachable target, usage errors, empty selection"

# 5. SIGINT: finished cases are written, exit 2 (6.4.x wait a second each, so the run is
#    interrupted while they are in flight; the fifo says when the first case finished)
mkfifo "$T/prog"
"$WSSPEC" run "$URL" --cases '1.*,6.4.*' -j 1 --report-dir "$T/int" --seed 1 >"$T/prog" 2>"$T/int.err" &
pid=$!
exec {fd}<"$T/prog"
while IFS= read -r -t 30 line <&$fd; do
    case $line in target*) break ;; esac
done
# the 16 cases of section 1 take milliseconds, 6.4.1-6.4.4 a second each: one second
# after the run started, some cases are done and 6.4.x are in flight (stdout is line
# buffered, so "target" arrives when the run starts, not at its end)
read -r -t 1 line <&$fd
kill -INT $pid
# a run that ignores SIGINT must not hang the test until tests/run's time bound
if ! timeout 20 tail --pid=$pid -f /dev/null; then
    kill -KILL $pid
    fail "interrupted run still running 20 s after SIGINT"
fi
wait $pid; rc=$?
exec {fd}<&-
[ $rc = 2 ] || fail "interrupted run: exit $rc, want 2"
$PY - "$T/int/wsspec.json" <<'PY' || fail "interrupted report"
import json, sys
run = json.load(open(sys.argv[1]))
n = len(run["cases"])
assert 0 < n < 20, n
print(f"SIGINT: exit 2, {n} finished cases reported")
PY
# 6. a user's own case file, run without recompiling; a broken one is named by lint
mkdir -p "$T/mine" "$T/broken"
cat >"$T/mine/my.wsc" <<'WSC'
case 100.1
  title        Send a text message in 3 fragments of 4 bytes and a ping in between.
  expectation  Echo of the whole message after the pong.
  rfc          5.4 MUST "Control frames (see Section 5.5) MAY be injected in the middle of a fragmented message."
  close-after  1
  send message text fragment=4 "abcdefghij"
  send frame ping "p"
  expect OK message text "abcdefghij", pong "p"
  close-rule   me 1000 clean
end
WSC
out=$("$WSSPEC" list --cases-dir "$T/mine" --cases '100.*' 2>&1); rc=$?
[ $rc = 0 ] || fail "list --cases-dir: exit $rc: $out"
grep -q '^100.1 ' <<<"$out" || fail "list --cases-dir does not list 100.1: $out"
"$WSSPEC" run "$URL" --cases-dir "$T/mine" --cases 100.1 --report-dir "$T/mine-rep" -q \
    >"$T/mine.out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/mine.out"; fail "own case: exit $rc"; }
grep -q '"100.1"' "$T/mine-rep/index.json" || fail "own case missing from index.json"
printf 'case 100.2\n  title t\n  sned frame text "x"\nend\n' >"$T/broken/bad.wsc"
out=$("$WSSPEC" lint "$T/broken/bad.wsc" 2>&1); rc=$?
[ $rc = 1 ] || fail "lint of a broken file: exit $rc, want 1"
grep -q "bad.wsc:3: " <<<"$out" || fail "lint did not name file and line: $out"
"$WSSPEC" run "$URL" --cases-dir "$T/broken" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "run with a broken case file: exit $rc, want 2"
echo "--cases-dir: own case runs (OK), broken file named at file:line, run refuses it (exit 2)"

echo_stop || fail "echo server exit status $ECHO_RC"
echo_sanitizer_report && fail "sanitizer report from the server"
exit 0

#!/usr/bin/env bash
# itest_loop.sh - wsspec's own trouble is never the target's fault: when the machine
# running wsspec is the problem, the run says so in one line and exits 2 instead of
# failing cases. The trouble is made on purpose with an LD_PRELOAD shim
# (tests/shim_fail.c -> build/shim_fail.so) and with ulimit:
#   - no epoll_pwait2 (ENOSYS: kernels before 5.11, some sandboxes): the run works,
#     with the same verdicts against wsspec echo as always, says so once, asks the
#     kernel once, and waits instead of spinning (epoll_wait calls counted)
#   - the wait failing otherwise from the start: exit 2, one line, nothing sent (no
#     report directory made); failing mid-run: exit 2, one line, the cases finished so
#     far reported
#   - socket() running out of descriptors mid-run: the same
#   - ulimit -n too low for -j: exit 2 before anything is sent, naming ulimit -n and
#     the -j that fits; a low soft limit under a high hard one is raised, and the run
#     works
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
SHIM=${SHIM:-$PWD/build/shim_fail.so}
PY=/usr/bin/python3
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-loop.XXXXXX")
trap 'echo_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"
[ -f "$SHIM" ] || fail "missing $SHIM: run 'make itest' first"
# ASan wants to be first in the list of libraries; the shim only wraps three calls
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"
URL=$ECHO_URL

shimmed() { # SHIM_FAIL value, then wsspec arguments
    local spec=$1
    shift
    SHIM_FAIL=$spec SHIM_COUNT=$T/count SHIM_CALLS=$T/calls LD_PRELOAD=$SHIM "$WSSPEC" "$@"
}

# (sections 12 and 13 - 11 GB of compressed messages, minutes under the sanitizers - are
# itest_deflate.sh's and make run's; section 18 stays)
# 1. no epoll_pwait2: the whole catalogue, the same verdicts, one note, one question
rm -f "$T/count"
shimmed epoll_pwait2:ENOSYS run "$URL" --exclude '12.*,13.*' --report-dir "$T/enosys" --seed 42 -q \
    >"$T/enosys.out" 2>"$T/enosys.err"
rc=$?
[ $rc = 0 ] || { cat "$T/enosys.err"; tail -5 "$T/enosys.out"; fail "ENOSYS: exit $rc, want 0"; }
$PY tests/interop/check_verdicts.py "$T/enosys/wsspec.json" tests/interop/echo.expect ||
    fail "ENOSYS: verdicts differ from tests/interop/echo.expect"
[ "$(grep -c . "$T/enosys.err")" = 1 ] && grep -q "no epoll_pwait2" "$T/enosys.err" ||
    fail "ENOSYS: want one note on stderr, got: $(cat "$T/enosys.err")"
[ "$(wc -l <"$T/count")" = 1 ] || fail "epoll_pwait2 asked $(wc -l <"$T/count") times, want once"
echo "no epoll_pwait2: the same verdicts as against any echo run, $(cat "$T/enosys.err")"

# ... and the millisecond loop waits: six cases that mostly wait (about 6 s at -j 1)
# take a few dozen epoll_wait calls; a loop that spins makes millions
shimmed epoll_pwait2:ENOSYS run "$URL" --cases '5.19,5.20,6.4.*' -j 1 --report-dir "$T/w" \
    -q >/dev/null 2>&1 || fail "ENOSYS, waiting cases: exit $?"
waits=$(awk '$1 == "epoll_wait" {print $2}' "$T/calls")
[ -n "$waits" ] && [ "$waits" -gt 0 ] && [ "$waits" -lt 5000 ] ||
    fail "ENOSYS: $waits epoll_wait calls for six waiting cases (a busy loop?)"
echo "no epoll_pwait2: six waiting cases, $waits epoll_wait calls"

# 2. the wait fails from the start: one line, exit 2, nothing sent or made
shimmed epoll_pwait2:EINVAL run "$URL" --report-dir "$T/einval" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] || fail "failing wait: exit $rc, want 2"
[ "$(grep -c . "$T/err")" = 1 ] &&
    grep -q "^wsspec run: cannot wait for network events on this machine: epoll_pwait2: Invalid argument" "$T/err" ||
    fail "failing wait: want one line, got: $(cat "$T/err")"
[ ! -e "$T/einval" ] || fail "failing wait: a report directory was left behind"
echo "the wait fails at once: exit 2, $(cat "$T/err")"

# 3. mid-run (after 300 waits): one line why, exit 2, the finished cases reported
stopped_midway() { # what, SHIM_FAIL value, the pattern of the reason
    local what=$1 spec=$2 pat=$3
    shimmed "$spec" run "$URL" --report-dir "$T/mid" --seed 3 -q >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc = 2 ] || fail "$what: exit $rc, want 2 ($(cat "$T/err"))"
    grep -q "^wsspec run: stopped by trouble on this machine, not the target's: $pat" "$T/err" ||
        fail "$what: no reason: $(cat "$T/err")"
    grep -q "^wsspec run: run stopped; [0-9]* finished cases reported" "$T/err" ||
        fail "$what: no closing line: $(cat "$T/err")"
    [ "$(grep -c . "$T/err")" = 2 ] || fail "$what: want two lines on stderr: $(cat "$T/err")"
    $PY - "$T/mid/wsspec.json" "$("$WSSPEC" list | grep -c .)" <<'PY' || fail "$what: report of the finished cases"
import json, sys
run = json.load(open(sys.argv[1]))
n = len(run["cases"])
assert 0 < n < int(sys.argv[2]), n
assert all(c["behavior"] in ("OK", "INFORMATIONAL") for c in run["cases"]), "a finished case was failed"
print(f"  {n} finished cases reported, all OK")
PY
    echo "$what: exit 2, $(head -1 "$T/err")"
    rm -rf "$T/mid"
}
stopped_midway "the wait fails mid-run" epoll_pwait2:EINVAL:300 "epoll_pwait2: Invalid argument"
stopped_midway "no file descriptors mid-run" socket:EMFILE:40 \
    "socket: Too many open files (raise the limit with ulimit -n, or lower -j)"

# 4. ulimit -n below what -j needs: exit 2 before anything is sent
(
    ulimit -n 64
    exec "$WSSPEC" run "$URL" -j 200 --report-dir "$T/fds"
) >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] || fail "ulimit -n 64, -j 200: exit $rc, want 2"
[ "$(grep -c . "$T/err")" = 1 ] &&
    grep -q "^wsspec run: -j 200 needs [0-9]* file descriptors .* the limit is 64: raise it (ulimit -n [0-9]*) or lower -j to [0-9]*$" "$T/err" ||
    fail "ulimit -n 64: want one line naming ulimit -n, got: $(cat "$T/err")"
[ ! -e "$T/fds" ] || fail "ulimit -n 64: something ran (report directory made)"
echo "ulimit -n 64, -j 200: exit 2, $(cat "$T/err")"
# a soft limit below a hard one that is enough is raised: the same run works
hard=$(ulimit -H -n)
if [ "$hard" = unlimited ] || [ "$hard" -ge 512 ]; then
    (
        ulimit -S -n 64
        exec "$WSSPEC" run "$URL" -j 200 --cases '1.*,2.*' --report-dir "$T/soft" -q
    ) >"$T/out" 2>"$T/err" || fail "soft limit 64 under hard $hard, -j 200: exit $? ($(cat "$T/err"))"
    echo "soft limit 64 under hard limit $hard, -j 200: raised, $(tail -1 "$T/out")"
fi

echo_stop || fail "echo server exit status $ECHO_RC"
echo_sanitizer_report && fail "sanitizer report from the server"
echo "itest_loop: all checks passed"

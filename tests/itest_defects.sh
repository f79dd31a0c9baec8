#!/usr/bin/env bash
# itest_defects.sh - wsspec's verdicts on *broken* servers. build/itest_defect_server
# is an echo server with planted defects (one switch per rule the catalogue judges);
# for each block of tests/defects/verdicts.txt this starts it with that defect, runs
# `wsspec run` (the sanitized build, $WSSPEC) on the block's cases with a fixed seed
# (and the block's run= options: the policies the hardening probes are judged against),
# and tests/defects/check_defects.py compares every case's behavior/behaviorClose in
# wsspec.json with Autobahn's verdict written there. A mismatch names defect, case,
# expected and got; a row marked xfail (a known tester bug) that passes is an XPASS
# and fails too. The first block is the server without defects on the whole catalogue
# (of sections 12 and 13, a representative 32 of 216: all of them take 550 s): the
# fixture must get the reference endpoint's verdicts before it proves anything.
#
# Builds nothing (make test builds build/itest_*; DEFECT_SERVER=... tries another
# build of the server). Blocks marked alone=yes (the whole catalogue, with section 9's
# 16 MiB echoes) run on their own; the others DEFECT_JOBS (default 6) at a time: their
# cases mostly wait on the tester's timers (killAfter 1 s), which are part of the
# verdicts and are not scaled. Every wait has a deadline: the server
# prints its port within 10 s, stops on SIGTERM within 10 s, and exits by itself after
# --max-seconds; each wsspec run is bounded by `timeout`.
set -u -o pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
SERVER=${DEFECT_SERVER:-$PWD/build/itest_defect_server}
DATA=tests/defects/verdicts.txt
CHECK=tests/defects/check_defects.py
PY=/usr/bin/python3
JOBS=${DEFECT_JOBS:-6}
SEED=13

fail() { echo "FAIL: $*"; exit 1; }
[ -x "$SERVER" ] || fail "$SERVER is not built (make itest)"
[ -x "$WSSPEC" ] || fail "$WSSPEC is not built (make build/san/wsspec)"
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-defects.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# One block: server up (its port from the "listening on" line), wsspec run, server
# down. Everything the checker needs is left in $T/NAME.
run_block() { # key name cases "wsspec run options" [server options...]
    local key=$1 name=$2 cases=$3 runopts=$4
    shift 4
    local d=$T/$key fd line= spid
    mkdir -p "$d"
    mkfifo "$d/out"
    "$SERVER" --listen 127.0.0.1:0 --defect "$name" --max-seconds 240 "$@" \
        >"$d/out" 2>"$d/server.err" &
    spid=$!
    exec {fd}<"$d/out"
    if ! IFS= read -r -t 10 line <&"$fd" || [ "${line%%:*}" != "listening on 127.0.0.1" ]; then
        echo "server did not start: ${line:-no line}" >"$d/run.out"
        echo 99 >"$d/rc"
        kill -KILL "$spid" 2>/dev/null
        wait "$spid" 2>/dev/null
        echo killed >"$d/server.rc"
        return
    fi
    # shellcheck disable=SC2086 # run options are words
    timeout --kill-after=5 200 "$WSSPEC" run "ws://127.0.0.1:${line##*:}/" --cases "$cases" \
        --seed "$SEED" --report-dir "$d/rep" --format json -q $runopts >"$d/run.out" 2>&1
    echo $? >"$d/rc"
    kill -TERM "$spid"
    if timeout 10 tail --pid="$spid" -f /dev/null; then
        wait "$spid"
        echo $? >"$d/server.rc"
    else
        kill -KILL "$spid"
        wait "$spid"
        echo "did not stop on SIGTERM" >"$d/server.rc"
    fi
    exec {fd}<&-
}

plan=$("$PY" "$CHECK" plan "$DATA") || { echo "$plan"; fail "cannot read $DATA"; }
# every defect the server offers has verdicts
offered=$("$SERVER" --list) || fail "$SERVER --list: exit $?"
missing=$(comm -23 <(cut -d' ' -f1 <<<"$offered" | sort) <(cut -f2 <<<"$plan" | tr , '\n' | sort -u))
[ -z "$missing" ] || fail "defects without a block in $DATA:" $missing
t0=$SECONDS
while IFS=$'\t' read -r key name cases alone args runopts; do
    [ "$args" = - ] && args=
    [ "$runopts" = - ] && runopts=
    limit=$JOBS
    [ "$alone" = alone ] && limit=1
    while [ "$(jobs -rp | wc -l)" -ge "$limit" ]; do
        wait -n
    done
    # shellcheck disable=SC2086 # server options are words
    run_block "$key" "$name" "$cases" "$runopts" $args &
    PIDS+=($!)
    [ "$alone" = alone ] && wait
done <<<"$plan"
# meanwhile: the server ends by itself, so it can never outlive a test
(
    timeout 10 "$SERVER" --listen 127.0.0.1:0 --max-seconds 1 >/dev/null 2>&1
    echo $? >"$T/lifetime.rc"
) &
wait
rc=$(cat "$T/lifetime.rc")
[ "$rc" = 3 ] || fail "server with --max-seconds 1: exit $rc, want 3 (ended by itself)"
echo "$(wc -l <<<"$plan") server runs in $((SECONDS - t0)) s; --max-seconds 1 ends the server"
"$PY" "$CHECK" check "$DATA" "$T" || fail "wsspec's verdicts differ from $DATA"
exit 0

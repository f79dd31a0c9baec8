#!/usr/bin/env bash
# itest_liveness_load.sh - no false liveness failure under load: five runs of the whole
# catalogue (default settings, liveness checks on) against python3-websockets - a slow
# target next to wsspec echo - while two CPU hogs (`yes`) compete for the cores. A run
# may get other verdicts than the published ones here (cases that wait 1 s for an answer
# are timing-sensitive on a starved machine: itest_interop_websockets.sh checks the
# verdicts on a quiet one); what must not happen is a check that takes the slow target
# for a dead one: every run completes (wsspec.json "stopped" is null), every case `wsspec list`
# lists is reported, none says the target stopped answering, and the exit status is 0 or 1.
# Exit 77 (skip) when python3-websockets is not installed. Every run is bounded by
# `timeout`; the hogs and the server are killed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
RUNS=${LIVENESS_LOAD_RUNS:-5}
if ! $PY -c 'import websockets' 2>/dev/null; then
    echo "skip: python3-websockets not installed (apt-get install python3-websockets)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-liveload.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

N=$("$WSSPEC" list | grep -c .)
mkfifo "$T/out"
$PY tests/interop/websockets_server.py 0 >"$T/out" 2>"$T/server.err" &
PIDS+=($!)
exec {fd}<"$T/out"
IFS= read -r -t 30 line <&"$fd" || fail "server did not start: $(cat "$T/server.err")"
port=${line##* }
for _ in 1 2; do
    yes >/dev/null &
    PIDS+=($!)
done
for i in $(seq "$RUNS"); do
    timeout --kill-after=5 240 "$WSSPEC" run "ws://127.0.0.1:$port/" -q --seed "$i" \
        --report-dir "$T/rep$i" >"$T/run$i.out" 2>&1
    rc=$?
    [ $rc = 0 ] || [ $rc = 1 ] || fail "run $i: exit $rc: $(tail -n 5 "$T/run$i.out")"
    ! grep -q "stopped answering\|failed the first liveness check" "$T/run$i.out" ||
        fail "run $i: a false liveness failure: $(grep "stopped answering\|liveness" "$T/run$i.out")"
    $PY - "$T/rep$i/wsspec.json" "$N" <<'PY' || fail "run $i: the report is not complete"
import json, sys
run = json.load(open(sys.argv[1]))
assert run["stopped"] is None, run["stopped"]
assert len(run["cases"]) == int(sys.argv[2]), (len(run["cases"]), sys.argv[2])
assert run["options"]["liveness"] is True
assert not [c["id"] for c in run["cases"] if "stopped answering" in c["result"]]
PY
    echo "run $i under two CPU hogs: $(tail -n 1 "$T/run$i.out")"
done
exit 0

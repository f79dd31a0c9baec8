#!/usr/bin/env bash
# itest_serve_client.sh - the end to end of issue 15 with wsspec on both sides: `wsspec
# serve --once` and the reference client `wsspec client --fuzzingserver URL --agent
# wsspec -j 2` (two cases at once), over every case serve serves except the slow
# permessage-deflate sections 12 and 13, of which a subset runs (12.1.1-12.1.3, 13.1.1:
# an agreed deflate in both directions, and 13's server_no_context_takeover answer).
# Section 19 (the client-only cases: bad 101s, other statuses, a response one byte at a
# time, frames pipelined behind the 101, a masked frame, a server that never answers,
# deflate parameters never allowed) is in it. Checks:
#   - the client exits 0 (no case timed out, none unreachable) and serve --once ends by
#     itself with exit 0;
#   - the report lists exactly the cases `wsspec list --role server` selects, one agent
#     "wsspec", and every verdict (Autobahn's and the RFC's) is OK, or INFORMATIONAL for
#     the cases whose judge is informational (the catalogue says which) - nothing else:
#     no NON-STRICT, no FAILED, no UNIMPLEMENTED;
#   - every case of section 19 is there and OK.
# Synchronisation is on serve's first line (its listen address, port 0), never a sleep;
# serve --timeout and timeout(1) bound everything.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-serve-client.XXXXXX")
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 12 and 13 are 198 cases of large compressed messages: a subset of them here
subset='12.1.1,12.1.2,12.1.3,13.1.1'
slow=$("$WSSPEC" list --role server --cases '12.*,13.*' --exclude "$subset" | awk '{print $1}' |
    paste -sd, -) || fail "wsspec list"
[ -n "$slow" ] || fail "no case of sections 12 and 13 served"
"$WSSPEC" list --role server --exclude "$slow" --json >"$T/want.json" || fail "wsspec list --json"

mkfifo "$T/serve.fifo"
"$WSSPEC" serve --listen 127.0.0.1:0 --once --timeout 240 --exclude "$slow" \
    --report-dir "$T/rep" >"$T/serve.fifo" 2>"$T/serve.err" &
spid=$!
exec {fd}<"$T/serve.fifo"
IFS= read -r -t 60 line <&$fd || { cat "$T/serve.err"; fail "serve did not start"; }
case $line in "wsspec serve: listening on ws://127.0.0.1:"*) ;; *) fail "first line '$line'" ;; esac
url=${line##* }
cat <&$fd >"$T/serve.out" &
timeout 260 "$WSSPEC" client --fuzzingserver "${url%/}" --agent wsspec -j 2 >"$T/client.out" 2>&1
crc=$?
wait $spid
rc=$?
spid=
cat "$T/client.out"
tail -3 "$T/serve.out"
[ $crc = 0 ] || fail "wsspec client: exit $crc, want 0"
grep -q ', 0 timed out, 0 unreachable; reports updated$' "$T/client.out" ||
    fail "wsspec client: a case timed out or was unreachable"
[ $rc = 0 ] || { cat "$T/serve.out" "$T/serve.err"; fail "wsspec serve --once: exit $rc, want 0"; }

$PY - "$T/rep" "$T/want.json" <<'PY' || fail "the report"
import json, sys
d, want = sys.argv[1], json.load(open(sys.argv[2]))
judge = {c["id"]: c["judge"] for c in want}
index = json.load(open(d + "/index.json"))
assert list(index) == ["wsspec"], list(index)
cases = index["wsspec"]
assert sorted(cases) == sorted(judge), sorted(set(cases) ^ set(judge))
bad = []
for cid, r in cases.items():
    allowed = {"OK", "INFORMATIONAL"} if judge[cid] == "informational" else {"OK"}
    for key in ("behavior", "behaviorClose"):
        if r[key] not in allowed:
            bad.append("%s %s %s" % (cid, key, r[key]))
assert not bad, bad
client_only = [cid for cid in judge if cid.startswith("19.")]
assert len(client_only) >= 20, client_only
assert all(cases[cid]["behavior"] == "OK" for cid in client_only)
assert all(cid in cases for cid in "12.1.1 12.1.2 12.1.3 13.1.1".split())
run = json.load(open(d + "/wsspec.json"))
assert len(run["cases"]) == len(judge), len(run["cases"])
informational = sum(1 for r in cases.values() if r["behavior"] == "INFORMATIONAL")
print("%d cases, %d of section 19, %d informational, the rest OK"
      % (len(cases), len(client_only), informational))
PY
echo "wsspec serve --once + wsspec client -j 2: exit 0 both, every case as the catalogue expects"
exit 0

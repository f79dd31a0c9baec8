#!/usr/bin/env bash
# itest_hardening.sh - the hardening probes (section 17) and their declared policies
# against the reference endpoint, both built with ASan+UBSan:
#   - `wsspec echo` with its limits (--max-message 64K --idle-timeout 1
#     --handshake-timeout 1 --allowed-origin http://localhost) passes every probe when
#     wsspec run is told the same (--max-message-size 65536 --idle-timeout 1
#     --handshake-timeout 1 --forbidden-origin http://evil.example): 17.1.2, 17.1.3,
#     17.2.1, 17.2.2, 17.3.1 and 17.4.1 OK/OK, 17.1.1 INFORMATIONAL with its observed
#     line (the largest message echoed, Close 1009); every result and per-case file
#     carries `observed` and `policy`
#   - the same endpoint without declarations: every probe INFORMATIONAL, the result
#     naming the option, exit 0; section 17 alone takes its survey time, measured
#   - a declaration the endpoint does not meet (--max-message-size 65535): exit 1, and
#     the failure block names the policy and what was observed; its replay command
#     carries the declaration
#   - the same endpoint without --allowed-origin serves any Origin: 17.4.1 FAILED with
#     --forbidden-origin (exit 1), INFORMATIONAL without (the observed line says 101)
#   - bad values of the policy options are usage errors (exit 2, one line); --help
#     lists them under "Declared policies"
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-harden.XXXXXX")
trap 'echo_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"

echo_start "$WSSPEC" --listen 127.0.0.1:0 --max-message 64K --idle-timeout 1 \
    --handshake-timeout 1 --allowed-origin http://localhost ||
    fail "echo did not start"
URL=$ECHO_URL

# 1. declared as the endpoint enforces them: every probe passes
"$WSSPEC" run "$URL" --cases '17.*' --max-message-size 65536 --idle-timeout 1 --seed 5 \
    --handshake-timeout 1 --forbidden-origin http://evil.example \
    --report-dir "$T/decl" --format json -q >"$T/decl.out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/decl.out"; fail "declared run against wsspec echo exited $rc, want 0"; }
$PY - "$T/decl" <<'PY' || fail "declared run: verdicts or reports"
import json, os, sys
d = sys.argv[1]
run = json.load(open(os.path.join(d, "wsspec.json")))
got = {c["id"]: c for c in run["cases"]}
assert sorted(got) == ["17.1.1", "17.1.2", "17.1.3", "17.2.1", "17.2.2", "17.3.1", "17.4.1"], \
    sorted(got)
names = {"17.2.2": ("handshake-timeout", "1"), "17.3.1": ("idle-timeout", "1"),
         "17.4.1": ("forbidden-origin", "http://evil.example")}
for cid, c in got.items():
    want = "INFORMATIONAL" if cid == "17.1.1" else "OK"
    for k in ("behavior", "behaviorClose", "rfcBehavior", "rfcBehaviorClose"):
        assert c[k] == want, (cid, k, c[k], c["result"], c["broken"], c["observed"])
    per = json.load(open(os.path.join(d, c["reportfile"])))
    assert per["observed"] == c["observed"] and c["observed"], (cid, c["observed"])
    assert per["policy"] == c["policy"], cid
    if cid == "17.1.1":
        assert c["policy"] is None
        assert "(the largest 65536 bytes); then Close 1009" in c["observed"], c["observed"]
    else:
        name, value = names.get(cid, ("max-message-size", "65536"))
        assert c["policy"] == {"declared": True, "name": name, "option": "--" + name,
                               "value": value}, c["policy"]
assert "then Close 1009" in got["17.1.3"]["observed"], got["17.1.3"]["observed"]
assert "then Close 1009" in got["17.2.1"]["observed"], got["17.2.1"]["observed"]
assert "then Close 1001" in got["17.3.1"]["observed"], got["17.3.1"]["observed"]
# the endpoint drops the drip after its 1 s (not wsspec's 1.5 s), and refuses evil.example
assert "closed the connection 1." in got["17.2.2"]["observed"], got["17.2.2"]["observed"]
assert "refused the opening handshake: 403 Forbidden" in got["17.4.1"]["observed"], \
    got["17.4.1"]["observed"]
print("declared: 17.1.2, 17.1.3, 17.2.1, 17.2.2, 17.3.1, 17.4.1 OK; 17.1.1:", got["17.1.1"]["observed"])
PY

# 2. nothing declared: recorded, not judged; how long section 17 takes by default
"$WSSPEC" run "$URL" --cases '17.*' --seed 5 --report-dir "$T/undecl" --format json -q \
    >"$T/undecl.out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/undecl.out"; fail "undeclared run exited $rc, want 0"; }
$PY - "$T/undecl" <<'PY' || fail "undeclared run: verdicts"
import json, os, sys
run = json.load(open(os.path.join(sys.argv[1], "wsspec.json")))
for c in run["cases"]:
    assert c["behavior"] == c["behaviorClose"] == "INFORMATIONAL", (c["id"], c["result"])
    if c["policy"]:
        assert not c["policy"]["declared"], c
        opt = c["policy"]["option"]
        assert f"wsspec run {opt} " in c["result"], c["result"]
        assert c["broken"] is None and c["rfcBroken"] is None, c
assert len(run["cases"]) == 7, len(run["cases"])
print(f"undeclared: 7 INFORMATIONAL; section 17 took {run['wallMs'] / 1000:.2f} s")
PY

# 3. a declaration the endpoint does not meet: its limit is 65536, not 65535
"$WSSPEC" run "$URL" --cases 17.1.3 --max-message-size 65535 --seed 5 --report-dir "$T/bad" \
    --format json >"$T/bad.out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$T/bad.out"; fail "a declaration not met: exit $rc, want 1"; }
grep -q "^FAIL 17.1.3 " "$T/bad.out" || fail "no failure block: $(cat "$T/bad.out")"
grep -q "^  policy       --max-message-size 65535, as declared" "$T/bad.out" ||
    fail "the failure block does not name the declared policy: $(cat "$T/bad.out")"
grep -q "^  observed     sent 1 message (the largest 65536 bytes)" "$T/bad.out" ||
    fail "the failure block does not say what was observed: $(cat "$T/bad.out")"
grep -q "judged against --max-message-size 65535, as declared" "$T/bad.out" ||
    fail "broken does not name the declaration: $(cat "$T/bad.out")"
grep -q "^  replay  .*--cases 17.1.3 --seed 5 .*--max-message-size 65535" "$T/bad.out" ||
    fail "the replay command lacks the declaration: $(grep replay "$T/bad.out")"
echo "not met: exit 1; the failure block names --max-message-size 65535 and what was observed"
echo_stop || fail "echo exit status $ECHO_RC"

# 4. an endpoint that serves any Origin (wsspec echo without --allowed-origin)
echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"
"$WSSPEC" run "$ECHO_URL" --cases 17.4.1 --forbidden-origin http://evil.example --seed 5 \
    --report-dir "$T/any" --format json >"$T/any.out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$T/any.out"; fail "any Origin, declared: exit $rc, want 1"; }
grep -q "the declared policy: status 4xx, got 101 Switching Protocols; judged against --forbidden-origin http://evil.example, as declared" "$T/any.out" ||
    fail "the failure block does not say what broke: $(cat "$T/any.out")"
"$WSSPEC" run "$ECHO_URL" --cases 17.4.1 --seed 5 --report-dir "$T/any2" --format json -q \
    >"$T/any2.out" 2>&1 || fail "any Origin, undeclared: exit $?, want 0"
$PY - "$T/any2" <<'PY' || fail "any Origin, undeclared: verdict"
import json, os, sys
c = json.load(open(os.path.join(sys.argv[1], "wsspec.json")))["cases"][0]
assert c["behavior"] == "INFORMATIONAL", c
assert c["observed"] == "accepted the opening handshake: 101 Switching Protocols", c["observed"]
PY
echo "any Origin: FAILED with --forbidden-origin (exit 1), INFORMATIONAL without (accepted: 101)"
echo_stop || fail "echo exit status $ECHO_RC"

# 5. usage
for bad in "--max-message-size 0" "--max-message-size 64K" "--max-message-size 4294967297" \
    "--idle-timeout 0" "--idle-timeout -1" "--idle-timeout 1e3" "--idle-timeout 3601" \
    "--handshake-timeout 0" "--forbidden-origin a\"b"; do
    # shellcheck disable=SC2086 # the option and its value are two words
    "$WSSPEC" run ws://127.0.0.1:9/ $bad >"$T/u.out" 2>"$T/u.err"
    rc=$?
    [ $rc = 2 ] || fail "'$bad': exit $rc, want 2"
    [ "$(wc -l <"$T/u.err")" = 1 ] && grep -q "^wsspec run: ${bad%% *} needs " "$T/u.err" ||
        fail "'$bad': want one line saying what is needed, got: $(cat "$T/u.err")"
done
"$WSSPEC" run --help >"$T/help" || fail "--help"
grep -q "^Declared policies: the hardening probes (section 17)" "$T/help" ||
    fail "--help has no 'Declared policies' group"
echo "usage: bad policy values are exit 2 with one line; --help lists the policies"
exit 0

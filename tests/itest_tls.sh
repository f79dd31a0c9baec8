#!/usr/bin/env bash
# itest_tls.sh - wss:// end to end, the peer and the echo endpoint both built with
# ASan+UBSan, certificates made now (tests/lib-tls-certs.sh):
#   - `wsspec echo --tls-cert/--tls-key`: bad files and mismatched key are exit 2 with
#     one line; it prints "listening on wss://"
#   - the whole catalogue over wss:// with --cacert: exit 0 and the same verdicts as
#     over ws:// (tests/interop/echo.expect); the TLS session is in the wire log
#   - by name (wss://localhost): hostname verification and SNI
#   - verification failures end the run before any case, exit 2 with OpenSSL's reason:
#     no --cacert (unknown issuer), a certificate for another name (IP address /
#     hostname mismatch); --insecure runs anyway and warns
#   - SNI is sent for names and not for IP literals: `openssl s_server` serves a
#     certificate for another name unless SNI says "localhost"
#   - client certificates: echo --tls-client-ca requires one; the run passes with
#     --cert/--key, and without (or with one from another CA) is exit 2 with the reason
#   - build/itest_tls_probe: TLS echo with close_notify, a plaintext client rejected
#     with a FIN, clients stalled mid-handshake dropped at the handshake timeout, and
#     50 TLS connections held at once still echoing
# Exit 0 pass, 77 skip (no openssl command), else fail.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PROBE=$PWD/build/itest_tls_probe
PY=/usr/bin/python3
HS_TIMEOUT=2
. tests/lib-echo-server.sh
. tests/lib-tls-certs.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-tls.XXXXXX")
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    echo_cleanup
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    if [ -n "${ECHO_ERR:-}" ] && [ -s "$ECHO_ERR" ]; then
        echo "-- server stderr:"
        tail -20 "$ECHO_ERR" | sed 's/^/    /'
    fi
    exit 1
}

command -v openssl >/dev/null 2>&1 || { echo "skip: no openssl command-line tool"; exit 77; }
for f in "$WSSPEC" "$PROBE"; do
    [ -x "$f" ] || fail "missing $f: run 'make all build/san/wsspec itest' first"
done
tls_make_certs "$T" || fail "cannot make test certificates"
C=$T

# Stop the echo server; its exit status and sanitizer report are checked.
stop_echo() {
    echo_stop || fail "echo server exit status $ECHO_RC after SIGTERM (want 0)"
    echo_sanitizer_report && fail "sanitizer report from the echo server"
    return 0
}

# A run that must end with exit 2 and one line naming the reason.
expect_exit2() { # what pattern run-args...
    local what=$1 pattern=$2
    shift 2
    local out rc
    out=$("$WSSPEC" run "$@" --report-dir "$T/none" -q 2>&1 >/dev/null)
    rc=$?
    [ $rc = 2 ] || fail "$what: exit $rc, want 2 ($out)"
    grep -qi -- "$pattern" <<<"$out" || fail "$what: no '$pattern' in: $out"
    grep -q "ERROR: AddressSanitizer\|runtime error" <<<"$out" && fail "$what: sanitizer report"
    echo "exit 2, $what: $(grep -m1 -i -- "$pattern" <<<"$out")"
}

# 1. echo's TLS options
out=$("$WSSPEC" echo --tls-cert "$C/srv.crt" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "go together" <<<"$out" || fail "--tls-cert alone: exit $rc: $out"
out=$("$WSSPEC" echo --tls-cert "$C/nope.crt" --tls-key "$C/srv.key" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "nope.crt.*No such file" <<<"$out" || fail "missing cert: exit $rc: $out"
[ "$(wc -l <<<"$out")" = 1 ] || fail "missing cert: want one line, got: $out"
out=$("$WSSPEC" echo --tls-cert "$C/srv.crt" --tls-key "$C/other.key" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "does not match" <<<"$out" || fail "mismatched key: exit $rc: $out"
out=$("$WSSPEC" echo --tls-cert "$C/srv.ext" --tls-key "$C/srv.key" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "cannot load a PEM certificate" <<<"$out" || fail "not PEM: exit $rc: $out"
echo "echo: bad TLS files are exit 2 with one line"

# 2. the whole catalogue over wss://, verified against the test CA
echo_start "$WSSPEC" --listen 127.0.0.1:0 --tls-cert "$C/srv.crt" --tls-key "$C/srv.key" \
    --handshake-timeout "$HS_TIMEOUT" --verbose || fail "TLS echo did not start"
case $ECHO_URL in wss://127.0.0.1:*) ;; *) fail "echo printed '$ECHO_URL', want wss://" ;; esac
URL=$ECHO_URL
PORT=${URL##*:}
PORT=${PORT%/}
"$WSSPEC" run "$URL" --cacert "$C/ca.crt" --exclude '12.*,13.*' --report-dir "$T/all" --seed 42 -q >"$T/all.out" 2>&1
rc=$?
tail -1 "$T/all.out"
[ $rc = 0 ] || { cat "$T/all.out"; fail "wss:// run against the TLS echo exited $rc, want 0"; }
$PY tests/interop/check_verdicts.py "$T/all/wsspec.json" tests/interop/echo.expect ||
    fail "wss:// verdicts differ from the ws:// ones (tests/interop/echo.expect)"
$PY - "$T/all" "$("$WSSPEC" list --exclude '12.*,13.*' | grep -c .)" <<'PY' || fail "report of the wss:// run"
import json, sys, os, glob
run, n = json.load(open(os.path.join(sys.argv[1], "wsspec.json"))), int(sys.argv[2])
assert run["summary"]["total"] == n and run["summary"]["failed"] == 0, (run["summary"], n)
f = sorted(glob.glob(os.path.join(sys.argv[1], "*_case_1_1_1.json")))[0]
notes = [r for r in json.load(open(f))["wirelog"] if "TLSv1." in json.dumps(r)]
assert notes, "no TLS session in the wire log of 1.1.1"
print(f"wss:// report: {n} cases, 0 failed; wire log names the TLS session:", json.dumps(notes[0])[:80])
PY

# 3. by name: SNI and hostname verification against DNS:localhost
"$WSSPEC" run "wss://localhost:$PORT/" --cacert "$C/ca.crt" --cases '1.*,2.*,7.1.*' \
    --report-dir "$T/name" -q >"$T/name.out" 2>&1 || { cat "$T/name.out"; fail "wss://localhost run"; }
echo "wss://localhost: $(tail -1 "$T/name.out")"

# 4. verification failures: exit 2 before any case, with the reason
expect_exit2 "no --cacert" "certificate verify failed" "$URL"
expect_exit2 "--cacert of another CA" "certificate verify failed" "$URL" --cacert "$C/cca.crt"
expect_exit2 "unreadable --cacert" "nope.pem.*No such file" "$URL" --cacert "$C/nope.pem"
expect_exit2 "--key without --cert" "--key needs --cert" "$URL" --key "$C/cli.key"

# 5. the plaintext and stalled clients, close_notify, many connections at once
"$PROBE" "$URL" --cacert "$C/ca.crt" --handshake-timeout "$HS_TIMEOUT" || fail "itest_tls_probe"
# (its VmRSS line is left out: the memory of an ASan build says nothing; tests/bench-echo
# measures it with the optimised build)
"$PROBE" "$URL" --cacert "$C/ca.crt" --idle 50 --pid "$ECHO_PID" >"$T/idle.out" 2>&1
rc=$?
grep -v VmRSS "$T/idle.out"
[ $rc = 0 ] || fail "itest_tls_probe --idle: exit $rc, want 0"
grep -q "^idle TLS: a sample of [1-9][0-9]* held connections still echoes$" "$T/idle.out" ||
    fail "itest_tls_probe --idle: no line saying the held connections still echo"
stop_echo

# 6. a certificate for another name
echo_start "$WSSPEC" --listen 127.0.0.1:0 --tls-cert "$C/other.crt" --tls-key "$C/other.key" ||
    fail "echo (other.example) did not start"
OPORT=${ECHO_URL##*:}
OPORT=${OPORT%/}
expect_exit2 "certificate for other.example, URL by IP" "IP address mismatch" \
    "wss://127.0.0.1:$OPORT/" --cacert "$C/ca.crt"
expect_exit2 "certificate for other.example, URL by name" "hostname mismatch" \
    "wss://localhost:$OPORT/" --cacert "$C/ca.crt"
out=$("$WSSPEC" run "wss://localhost:$OPORT/" --insecure --cases '1.1.*' --report-dir "$T/insecure" \
    -q 2>&1); rc=$?
[ $rc = 0 ] || fail "--insecure: exit $rc: $out"
grep -q "warning: --insecure" <<<"$out" || fail "--insecure printed no warning: $out"
echo "--insecure: runs ($(tail -1 <<<"$out")), and warns"
stop_echo

# 7. SNI: s_server answers with other.crt unless SNI names localhost (then srv.crt). It
#    does not speak WebSocket: getting as far as the opening handshake proves the
#    certificate verified, i.e. SNI was sent.
mkfifo "$T/s_in" "$T/s_out"
exec {s_in}<>"$T/s_in"
openssl s_server -accept 127.0.0.1:0 -cert "$C/other.crt" -key "$C/other.key" \
    -cert2 "$C/srv.crt" -key2 "$C/srv.key" -servername localhost <"$T/s_in" >"$T/s_out" 2>&1 &
SPID=$!
exec {s_out}<"$T/s_out"
SPORT=
while IFS= read -r -t 10 line <&$s_out; do
    case $line in ACCEPT*) SPORT=${line##*:}; break ;; esac
done
[ -n "$SPORT" ] || fail "openssl s_server did not start"
cat <&$s_out >/dev/null &
expect_exit2 "SNI localhost: TLS verified, then no 101 from s_server" \
    "did not complete the opening handshake" "wss://localhost:$SPORT/" --cacert "$C/ca.crt" \
    --timeout-scale 0.2
expect_exit2 "no SNI for an IP literal: s_server's default certificate" "IP address mismatch" \
    "wss://127.0.0.1:$SPORT/" --cacert "$C/ca.crt" --timeout-scale 0.2
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
SPID=
exec {s_in}<&- {s_out}<&-

# 8. client certificates: required by echo --tls-client-ca
echo_start "$WSSPEC" --listen 127.0.0.1:0 --tls-cert "$C/srv.crt" --tls-key "$C/srv.key" \
    --tls-client-ca "$C/cca.crt" --verbose || fail "echo with --tls-client-ca did not start"
"$WSSPEC" run "$ECHO_URL" --cacert "$C/ca.crt" --cert "$C/cli.crt" --key "$C/cli.key" \
    --cases '1.*,2.*,5.*' --report-dir "$T/mtls" -q >"$T/mtls.out" 2>&1 ||
    { cat "$T/mtls.out"; fail "run with a client certificate"; }
echo "client certificate sent and accepted: $(tail -1 "$T/mtls.out")"
expect_exit2 "no client certificate" "certificate required" "$ECHO_URL" --cacert "$C/ca.crt"
expect_exit2 "client certificate from another CA" "unknown ca" "$ECHO_URL" --cacert "$C/ca.crt" \
    --cert "$C/srv.crt" --key "$C/srv.key"
grep -q "tls handshake failed (peer did not return a certificate" "$ECHO_ERR" ||
    fail "echo did not log the missing client certificate"
stop_echo
echo "itest_tls: all checks passed"
exit 0

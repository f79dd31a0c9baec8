#!/usr/bin/env bash
# itest_serve_tls.sh - `wsspec serve` over wss:// (--tls-cert/--tls-key, or a
# fuzzingserver.json with a wss:// url), with certificates made here
# (tests/lib-tls-certs.sh: a test CA, srv.crt for 127.0.0.1 and localhost). Checks:
#   - misuse is exit 2 with one line, before anything listens: --tls-key without
#     --tls-cert, a --tls-cert that does not exist, a file that is not a certificate, a
#     key of another certificate; a config whose key file is missing names "key";
#   - the reference client `wsspec client --fuzzingserver wss://... --cacert ca.crt -j 2`
#     over sections 1, 2, 5, 7 and 19 (19: the client-only cases, bad 101s and the like,
#     judged over TLS as over TCP): exactly the cases `wsspec list --role server`
#     selects, every verdict OK or INFORMATIONAL where the catalogue's judge says so,
#     both exits 0, and the report's URL is wss://;
#   - failures, on one server with its head deadline scaled to 2.5 s
#     (--timeout-scale 0.5): a plaintext HTTP client on the wss port is closed at once
#     (well before the deadline), a client that connects and never sends a ClientHello
#     is closed at the deadline, and while it is still held a TLS client is answered
#     (ALPN http/1.1 selected; the page at GET /, 200; an unknown path, 404, both over
#     TLS) and `wsspec client` without --cacert (the test CA untrusted) fails its
#     handshake - none of these is a case, each is one "wss:" line of serve's output;
#     then python3-websockets' client (tests/interop/websockets_client.py --cafile) runs
#     five cases over wss://, every verdict asserted OK, and --once ends the server;
#   - a fuzzingserver.json with a wss:// url and key and cert relative to the current
#     directory (as Autobahn opens them): served over wss://, the reference client
#     passes its cases;
#   - headless Chromium (where installed; required under CI=true) loads the page over
#     https:// and runs 1.1.*, 2.* and 19.* through its own WebSocket API over wss://:
#     every verdict OK.
# Synchronisation is on serve's first line (its address, port 0) and on the probes'
# own reads with deadlines, never on a sleep; every server has --timeout and timeout(1).
# Exit 77 (skip) when python3-websockets or the openssl command is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
ROOT=$PWD
if ! $PY -c 'import websockets' 2>/dev/null; then
    echo "skip: python3-websockets not installed (apt-get install python3-websockets)"
    exit 77
fi
command -v openssl >/dev/null || { echo "skip: no openssl command"; exit 77; }
# shellcheck source=tests/lib-tls-certs.sh
. tests/lib-tls-certs.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-serve-tls.XXXXXX")
spid= cpid=
trap '[ -n "$cpid" ] && kill $cpid 2>/dev/null; [ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
C=$T/certs
mkdir "$C"
tls_make_certs "$C" || fail "cannot make test certificates"

# start_serve NAME ARGS...: wsspec serve in the background (bounded by timeout(1) and,
# in ARGS, --timeout), its output in $T/NAME.out; sets spid and url (wss://..., no
# trailing slash) from its first line.
start_serve() {
    local name=$1
    shift
    mkfifo "$T/$name.fifo"
    timeout 300 "$WSSPEC" serve "$@" >"$T/$name.fifo" 2>"$T/$name.err" &
    spid=$!
    exec {fd}<"$T/$name.fifo"
    IFS= read -r -t 60 line <&$fd || { cat "$T/$name.err"; fail "$name: serve did not start"; }
    case $line in "wsspec serve: listening on wss://127.0.0.1:"*) ;; *) fail "$name: first line '$line'" ;; esac
    url=${line##* }
    url=${url%/}
    cat <&$fd >"$T/$name.out" &
}
wait_serve() { # the server's exit status in rc
    wait $spid
    rc=$?
    spid=
}

# ---- 1. misuse: exit 2, one line, nothing listens
expect_exit2() { # what, pattern of the one stderr line, args...
    local what=$1 pat=$2
    shift 2
    timeout 30 "$WSSPEC" serve --listen 127.0.0.1:0 --report-dir "$T/never" "$@" >"$T/x.out" 2>"$T/x.err"
    local r=$?
    [ $r = 2 ] || fail "$what: exit $r, want 2: $(cat "$T/x.out" "$T/x.err")"
    [ ! -s "$T/x.out" ] || fail "$what: wrote to stdout (listened?): $(cat "$T/x.out")"
    [ "$(wc -l <"$T/x.err")" = 1 ] || fail "$what: not one line: $(cat "$T/x.err")"
    grep -q -- "$pat" "$T/x.err" || fail "$what: '$(cat "$T/x.err")' lacks '$pat'"
    [ ! -e "$T/never" ] || fail "$what: the report directory was made"
    echo "$what: exit 2, $(cat "$T/x.err")"
}
expect_exit2 "--tls-key alone" "^wsspec serve: --tls-key needs --tls-cert" --tls-key "$C/srv.key"
expect_exit2 "missing --tls-cert" "^wsspec serve: --tls-cert '$C/nope.crt': No such file or directory$" \
    --tls-cert "$C/nope.crt" --tls-key "$C/srv.key"
expect_exit2 "a key as --tls-cert" "^wsspec serve: --tls-cert '$C/srv.key': cannot load a PEM certificate" \
    --tls-cert "$C/srv.key" --tls-key "$C/srv.key"
expect_exit2 "another certificate's key" \
    "^wsspec serve: --tls-key '$C/other.key' does not match the certificate in --tls-cert '$C/srv.crt'$" \
    --tls-cert "$C/srv.crt" --tls-key "$C/other.key"
printf '{"url": "wss://127.0.0.1:0", "key": "missing.key", "cert": "srv.crt"}\n' >"$C/bad.json"
(cd "$C" && expect_exit2 "config with a missing key file" \
    "^wsspec serve: --config bad.json: \"key\" 'missing.key': No such file or directory$" \
    --config bad.json) || exit 1

# ---- 2. the reference client over wss://, sections 1, 2, 5, 7 and 19
sel='1.*,2.*,5.*,7.*,19.*'
"$WSSPEC" list --role server --cases "$sel" --json >"$T/want.json" || fail "wsspec list --json"
t0=$SECONDS
start_serve ref --listen 127.0.0.1:0 --tls-cert "$C/srv.crt" --tls-key "$C/srv.key" --once \
    --timeout 240 --cases "$sel" --report-dir "$T/ref"
timeout 260 "$WSSPEC" client --fuzzingserver "$url" --cacert "$C/ca.crt" --agent wsspec -j 2 \
    >"$T/client.out" 2>&1
crc=$?
wait_serve
tail -2 "$T/client.out"
[ $crc = 0 ] || { cat "$T/client.out"; fail "wsspec client: exit $crc, want 0"; }
grep -q ', 0 timed out, 0 unreachable; reports updated$' "$T/client.out" ||
    fail "wsspec client: a case timed out or was unreachable"
[ $rc = 0 ] || { cat "$T/ref.out" "$T/ref.err"; fail "wsspec serve --once: exit $rc, want 0"; }
! grep -q '^wss: ' "$T/ref.out" || fail "a connection failed its TLS handshake: $(grep '^wss: ' "$T/ref.out")"
$PY - "$T/ref" "$T/want.json" <<'PY' || fail "the report of the reference client"
import json, sys
d, want = sys.argv[1], json.load(open(sys.argv[2]))
judge = {c["id"]: c["judge"] for c in want}
sections = sorted({cid.split(".")[0] for cid in judge}, key=int)
assert sections == ["1", "2", "5", "7", "19"], sections
index = json.load(open(d + "/index.json"))
assert list(index) == ["wsspec"], list(index)
cases = index["wsspec"]
assert sorted(cases) == sorted(judge), sorted(set(cases) ^ set(judge))
bad, informational = [], 0
for cid, r in cases.items():
    allowed = {"OK", "INFORMATIONAL"} if judge[cid] == "informational" else {"OK"}
    for key in ("behavior", "behaviorClose"):
        if r[key] not in allowed:
            bad.append("%s %s %s" % (cid, key, r[key]))
    informational += r["behavior"] == "INFORMATIONAL"
assert not bad, bad
client_only = [cid for cid in judge if cid.startswith("19.")]
assert len(client_only) >= 20, client_only
assert all(cases[cid]["behavior"] == "OK" for cid in client_only)
run = json.load(open(d + "/wsspec.json"))
assert len(run["cases"]) == len(judge), (len(run["cases"]), len(judge))
urls = {t["url"] for t in run["targets"]}
assert len(urls) == 1 and urls.pop().startswith("wss://127.0.0.1:"), run["targets"]
print("%d cases over wss:// (%d of section 19), %d informational, the rest OK"
      % (len(cases), len(client_only), informational))
PY
echo "reference client over wss://: exit 0 both, $((SECONDS - t0)) s"

# ---- 3. failures that are no case, and a client under test after them
five='1.1.1,1.2.1,2.10,5.1,7.1.1'
start_serve fail --listen 127.0.0.1:0 --tls-cert "$C/srv.crt" --tls-key "$C/srv.key" --once \
    --timeout 120 --timeout-scale 0.5 --cases "$five" --report-dir "$T/fail"
port=${url##*:}
$PY - "$port" "$C/ca.crt" >"$T/probe.out" 2>&1 <<'PY' || { cat "$T/probe.out"; fail "the probes"; }
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]

def closed_within(s, limit):
    """Seconds until the server closes s (EOF or reset); fails after limit."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            if s.recv(4096) == b"":
                break
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            break
    else:
        raise AssertionError("still open after %.1f s" % limit)
    return time.monotonic() - t0

# a client that connects and never sends its ClientHello: held until the deadline
silent = socket.create_connection(("127.0.0.1", port), timeout=5)
t_silent = time.monotonic()
# a plaintext client on the wss port: closed at once, no answer in plain HTTP
plain = socket.create_connection(("127.0.0.1", port), timeout=5)
plain.sendall(b"GET /getCaseCount HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
dt = closed_within(plain, 2.0)
print("plaintext client closed after %.2f s" % dt)
# while the silent one is held, TLS clients are served
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
def https_get(path):
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.selected_alpn_protocol() == "http/1.1", s.selected_alpn_protocol()
            assert s.version() in ("TLSv1.2", "TLSv1.3"), s.version()
            s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except (ssl.SSLEOFError, ConnectionResetError):
                    break
                if not chunk:
                    break
                data += chunk
    assert time.monotonic() - t0 < 2.0, "a TLS client waited %.1f s" % (time.monotonic() - t0)
    return data.split(b"\r\n", 1)[0].decode(), data
status, page = https_get(b"/")
assert status == "HTTP/1.1 200 OK", status
assert b"<script" in page, page[:200]
assert b'location.protocol === "https:" ? "wss://"' in page, page  # the page, opened over https
status, _ = https_get(b"/nosuchcommand")
assert status == "HTTP/1.1 404 Not Found", status
print("over TLS while a silent client is held: GET / 200 (%d bytes), /nosuchcommand 404" % len(page))
closed_within(silent, 6.0)
dt = time.monotonic() - t_silent  # from its connect
assert 2.0 <= dt <= 5.0, "the silent client was closed after %.2f s (deadline 2.5 s)" % dt
print("silent client closed after %.2f s (deadline 2.5 s)" % dt)
PY
cat "$T/probe.out"
# a TLS client that does not trust the certificate: its handshake fails, no case
timeout 30 "$WSSPEC" client --fuzzingserver "$url" --agent untrusting >"$T/untrusting.out" 2>&1 &&
    fail "wsspec client without --cacert: exit 0: $(cat "$T/untrusting.out")"
# then the client under test
timeout 120 $PY tests/interop/websockets_client.py "$url" websockets --cafile "$C/ca.crt" \
    --status 1 >"$T/py.out" 2>&1 || { cat "$T/py.out"; fail "python3-websockets driver over wss://"; }
wait_serve
[ $rc = 0 ] || { cat "$T/fail.out" "$T/fail.err"; fail "serve: exit $rc, want 0"; }
grep -q '^status {"behavior": "OK"}$' "$T/py.out" || { cat "$T/py.out"; fail "getCaseStatus over wss://"; }
grep '^wss: ' "$T/fail.out" >"$T/wss.lines"
cat "$T/wss.lines"
grep -q '^wss: a connection closed before its request: TLS handshake failed: http request$' "$T/wss.lines" ||
    fail "no line for the plaintext client"
grep -q '^wss: a connection closed before its request: the TLS handshake did not finish within 2.5 s$' \
    "$T/wss.lines" || fail "no line for the silent client"
grep -q '^wss: a connection closed before its request: TLS handshake failed: .*\(unknown ca\|certificate unknown\|bad certificate\)' \
    "$T/wss.lines" || fail "no line for the client that does not trust the certificate"
$PY - "$T/fail" "$five" <<'PY' || fail "the report of python3-websockets over wss://"
import json, sys
d, five = sys.argv[1], sys.argv[2].split(",")
index = json.load(open(d + "/index.json"))
assert list(index) == ["websockets"], list(index)  # no case for the probes
cases = index["websockets"]
assert sorted(cases) == sorted(five), sorted(cases)
bad = ["%s %s/%s" % (c, r["behavior"], r["behaviorClose"]) for c, r in cases.items()
       if (r["behavior"], r["behaviorClose"]) != ("OK", "OK")]
assert not bad, bad
print("python3-websockets over wss://: %d cases, every verdict OK" % len(cases))
PY

# ---- 4. fuzzingserver.json with a wss:// url, key and cert relative to the directory
cat >"$C/fuzzingserver.json" <<'JSON'
{"url": "wss://127.0.0.1:0", "key": "srv.key", "cert": "srv.crt", "outdir": "rep",
 "cases": ["1.1.*", "19.1.*"]}
JSON
cd "$C" || fail "cd $C"
start_serve cfg --config fuzzingserver.json --once --timeout 120
cd "$ROOT" || fail "cd back"
timeout 130 "$WSSPEC" client --fuzzingserver "$url" --cacert "$C/ca.crt" --agent cfg \
    >"$T/cfg.client" 2>&1 || { cat "$T/cfg.client"; fail "wsspec client against the config's server"; }
wait_serve
[ $rc = 0 ] || { cat "$T/cfg.out" "$T/cfg.err"; fail "serve --config: exit $rc, want 0"; }
want=$("$WSSPEC" list --role server --cases '1.1.*,19.1.*' | grep -c .)
got=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cfg"]))' "$C/rep/index.json") ||
    fail "no report in the config's outdir"
[ "$got" = "$want" ] && [ "$want" -gt 8 ] || fail "config run: $got cases reported, want $want"
tail -1 "$T/cfg.out"
echo "fuzzingserver.json with wss:// and relative key/cert: $got cases over TLS, exit 0"

# ---- 5. a browser over TLS: headless Chromium opens the page at https://.../ and runs
# the cases through its own WebSocket API over wss:// (the page picks wss:// when it was
# loaded over https://). The test CA is not in Chromium's store: the browser is told to
# accept any certificate (--ignore-certificate-errors), which is what this part is not
# about - the TLS path of serve is. 1.1.*, 2.* and 19.*: cases Chromium 156 passes over
# ws:// (tests/itest_serve_chromium.sh), so every verdict must be OK here too.
CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && fail "chromium not installed (apt-get install chromium): part 5 cannot run under CI=true"
    echo "part 5 skipped: chromium not installed (apt-get install chromium)"
    exit 0
fi
sel='1.1.*,2.*,19.*'
start_serve browser --listen 127.0.0.1:0 --tls-cert "$C/srv.crt" --tls-key "$C/srv.key" --once \
    --timeout 120 --cases "$sel" --report-dir "$T/browser"
prof=$(mktemp -d "$T/profile.XXXXXX")
timeout 140 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --ignore-certificate-errors --user-data-dir="$prof" --enable-logging=stderr --v=0 \
    "${url/wss:/https:}/?agent=chromium" >/dev/null 2>"$T/chromium.log" &
cpid=$!
wait_serve
kill $cpid 2>/dev/null
wait $cpid 2>/dev/null
cpid=
[ $rc = 0 ] || {
    cat "$T/browser.out" "$T/browser.err"
    grep -a ':CONSOLE' "$T/chromium.log"
    fail "serve with chromium over wss://: exit $rc, want 0"
}
want=$("$WSSPEC" list --role server --cases "$sel" | grep -c .)
$PY - "$T/browser" "$want" <<'PY' || fail "the report of chromium over wss://"
import json, sys
d, want = sys.argv[1], int(sys.argv[2])
index = json.load(open(d + "/index.json"))
assert list(index) == ["chromium"], list(index)
cases = index["chromium"]
assert len(cases) == want and want > 40, (len(cases), want)
bad = ["%s %s/%s" % (c, r["behavior"], r["behaviorClose"]) for c, r in cases.items()
       if (r["behavior"], r["behaviorClose"]) != ("OK", "OK")]
assert not bad, bad
run = json.load(open(d + "/wsspec.json"))
urls = {t["url"] for t in run["targets"]}
assert len(urls) == 1 and urls.pop().startswith("wss://127.0.0.1:"), run["targets"]
print("chromium over wss://: %d cases, every verdict OK" % len(cases))
PY
exit 0

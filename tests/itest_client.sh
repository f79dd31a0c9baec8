#!/usr/bin/env bash
# itest_client.sh - `wsspec client`, the reference client, against real servers on
# loopback (tests/interop/client_check_server.py):
#  - python3-websockets (Debian's package) sends text, binary with every byte value,
#    empty messages, a fragmented message, 300 kB, NULs, a Ping, then Close 4001; every
#    echo, the Pong and the echoed Close code are checked by the server, with
#    permessage-deflate offered and agreed (compressed both ways) and with --no-deflate;
#    the client exits 0;
#  - failure proofs, each server breaking one rule, the client must fail the connection
#    (exit 1) with the right answer and echo nothing: a wrong Sec-WebSocket-Accept (TCP
#    closed, not a byte sent; the same for permessage-deflate answered to --no-deflate
#    and a subprotocol never offered), a masked frame pipelined behind the 101 (Close
#    1002), invalid UTF-8 after a valid message (its echo, then Close 1007), a message
#    over --max-message-size (Close 1009);
#  - 200,000 empty messages, every one echoed, then Close 1000 echoed, with the smallest
#    --max-message-size (1: control frames are still read);
#  - deadlines: a server that never answers the request (--handshake-timeout: exit 1,
#    TCP closed), one that keeps TCP open after the closing handshake (--close-timeout:
#    the client closes it, exit 0);
#  - wss:// against `wsspec echo --tls-cert` (the TLS handshake, the certificate checked
#    against --cacert; the idle deadline closes it with Close 1001: exit 1), and a
#    certificate it cannot verify (exit 1, OpenSSL's reason);
#  - usage errors and a port where nothing listens.
# Exit 77 (skip) when python3-websockets is not installed.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
if ! $PY -c 'import websockets' 2>/dev/null; then
    echo "skip: python3-websockets not installed (apt-get install python3-websockets)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-client.XXXXXX")
spid=
. tests/lib-echo-server.sh
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; echo_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# server MODE, then the client with ARGS (URL: ws://127.0.0.1:PORT + PATH); checks the
# client's exit status, a pattern of its line, and that the server's checks all passed
n=0
against() { # mode path want_rc line_pattern [client options...]
    local mode=$1 path=$2 want_rc=$3 pattern=$4
    shift 4
    n=$((n + 1))
    mkfifo "$T/out.$n"
    $PY tests/interop/client_check_server.py "$mode" >"$T/out.$n" 2>"$T/server.err" &
    spid=$!
    exec {fd}<"$T/out.$n"
    IFS= read -r -t 30 line <&$fd || { cat "$T/server.err"; fail "$mode: server did not start"; }
    local port=${line##* }
    "$WSSPEC" client "ws://127.0.0.1:$port$path" "$@" >"$T/client.out" 2>"$T/client.err"
    local rc=$?
    local checks
    checks=$(timeout 30 cat <&$fd)
    wait $spid
    local src=$?
    spid=
    exec {fd}<&-
    cat "$T/client.out"
    [ $rc = "$want_rc" ] || { cat "$T/client.err"; echo "$checks"; fail "$mode: client exit $rc, want $want_rc"; }
    grep -Eq "$pattern" "$T/client.out" || fail "$mode: client line does not match /$pattern/"
    [ -s "$T/client.err" ] && { cat "$T/client.err"; fail "$mode: client wrote to stderr"; }
    [ $src = 0 ] || { echo "$checks"; cat "$T/server.err"; fail "$mode: the server's checks failed"; }
    grep -q '^PASS' <<<"$checks" || fail "$mode: the server checked nothing"
    echo "  $(grep -c '^PASS' <<<"$checks") checks of the server passed"
}

export WANT_DEFLATE=1
against echo "/echo/path?x=1" 0 'closed cleanly \(Close 4001 received, 4001 sent\), 7 messages echoed'
WANT_DEFLATE=0 against echo "/echo/path?x=1" 0 'closed cleanly \(Close 4001 received, 4001 sent\)' --no-deflate
against bad-accept / 1 'opening handshake failed: RESPONSE_ACCEPT'
against bad-extension / 1 'opening handshake failed: RESPONSE_EXTENSION' --no-deflate
against bad-protocol / 1 'opening handshake failed: RESPONSE_PROTOCOL'
against many / 0 'closed cleanly \(Close 1000 received, 1000 sent\), 200000 messages echoed$' \
    --max-message-size 1
against silent / 1 'TIMEOUT: no opening handshake within the handshake timeout' \
    --handshake-timeout 0.3
against lingering / 0 'closed cleanly \(Close 1000 received, 1000 sent\), 0 messages echoed; the server did not close TCP, we did' \
    --close-timeout 0.3
against masked / 1 'failed the connection: MASK_UNEXPECTED .* -> Close 1002'
against bad-utf8 / 1 'failed the connection: TEXT_INVALID_UTF8 .* -> Close 1007'
against too-big / 1 'failed the connection: FRAME_TOO_BIG .* -> Close 1009' --max-message-size 1000

# wss:// against the reference endpoint
if command -v openssl >/dev/null; then
    . tests/lib-tls-certs.sh
    tls_make_certs "$T" || fail "cannot make test certificates"
    echo_start "$WSSPEC" --listen 127.0.0.1:0 --tls-cert "$T/srv.crt" --tls-key "$T/srv.key" ||
        fail "wsspec echo --tls-cert did not start"
    "$WSSPEC" client "$ECHO_URL" --cacert "$T/ca.crt" --idle-timeout 0.2 >"$T/tls.out" 2>&1
    rc=$?
    cat "$T/tls.out"
    [ $rc = 1 ] || fail "wss://: exit $rc, want 1 (idle deadline)"
    grep -q 'TIMEOUT: idle for 200 ms: sent Close 1001' "$T/tls.out" || fail "wss://: no idle close"
    "$WSSPEC" client "$ECHO_URL" --cacert "$T/cca.crt" >"$T/tls2.out" 2>&1
    rc=$?
    cat "$T/tls2.out"
    [ $rc = 1 ] || fail "wss:// with the wrong CA: exit $rc, want 1"
    grep -q 'UNREACHABLE: TLS handshake failed: .*certificate verify failed' "$T/tls2.out" ||
        fail "wss:// with the wrong CA: no verification failure"
    echo_stop || fail "wsspec echo did not stop cleanly"
else
    echo "note: openssl command missing: wss:// not tested here (itest_tls needs it too)"
fi

# nothing listens: exit 1; usage errors: exit 2, one line
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WSSPEC" client "ws://127.0.0.1:$port/" >"$T/refused.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'UNREACHABLE: connect: Connection refused' "$T/refused.out" ||
    { cat "$T/refused.out"; fail "closed port: exit $rc, want 1 with the reason"; }
usage() { # want_pattern args...
    local want=$1
    shift
    "$WSSPEC" client "$@" >"$T/usage.out" 2>&1
    local rc=$?
    [ $rc = 2 ] && [ "$(wc -l <"$T/usage.out")" = 1 ] && grep -q -e "$want" "$T/usage.out" ||
        { cat "$T/usage.out"; fail "wsspec client $*: exit $rc, want 2 and one line /$want/"; }
}
usage 'no URL given'
usage "unsupported scheme 'http'" http://127.0.0.1:1/
usage 'unknown option' ws://127.0.0.1:1/ --bogus
usage 'given more than once' ws://127.0.0.1:1/ --no-deflate --no-deflate
usage 'go with --fuzzingserver' ws://127.0.0.1:1/ --agent x
usage '--jobs' --fuzzingserver ws://127.0.0.1:1/ -j 0
usage '--agent: .*empty' --fuzzingserver ws://127.0.0.1:1/ --agent ''
usage '--agent: .*control' --fuzzingserver ws://127.0.0.1:1/ --agent "$(printf 'a\tb')"
usage '--max-message-size' ws://127.0.0.1:1/ --max-message-size 2G
usage 'has no query' --fuzzingserver 'ws://127.0.0.1:1/x?y=1'
"$WSSPEC" client --help | grep -q -- '--fuzzingserver' || fail "--help does not list --fuzzingserver"
echo "usage errors: exit 2 with one line"
exit 0

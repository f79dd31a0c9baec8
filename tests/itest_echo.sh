#!/usr/bin/env bash
# tests/itest_echo.sh - the echo endpoint against the raw-socket probe, over IPv4 and
# (if the machine has it) IPv6 loopback, under ASan+UBSan.
#
# For each address: start "$WSSPEC echo" (tests/run sets WSSPEC to build/san/wsspec)
# with short handshake/close timeouts, run build/itest_echo_probe against the address it
# prints, hold one connection open across SIGTERM (it must get Close 1001), and check
# the server exits 0 in time with no sanitizer report. Exit 0 pass, else fail.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PROBE=$PWD/build/itest_echo_probe
HS_TIMEOUT=1
CLOSE_TIMEOUT=2
. tests/lib-echo-server.sh
trap echo_cleanup EXIT

for f in "$WSSPEC" "$PROBE"; do
    if [ ! -x "$f" ]; then
        echo "missing $f: run 'make all build/san/wsspec itest' first"
        exit 1
    fi
done

failures=0

# One address: probe, shutdown with an open connection, exit status, sanitizer report.
check_address() { # listen-address label [echo options...]
    local listen=$1 label=$2
    shift 2
    echo "== $label: $WSSPEC echo --listen $listen $*"
    if ! echo_start "$WSSPEC" --listen "$listen" --handshake-timeout "$HS_TIMEOUT" \
        --close-timeout "$CLOSE_TIMEOUT" --verbose "$@"; then
        failures=$((failures + 1))
        return
    fi
    echo "server: $ECHO_URL"
    local ok=1
    "$PROBE" "$ECHO_URL" --handshake-timeout "$HS_TIMEOUT" --close-timeout "$CLOSE_TIMEOUT" || ok=0

    # shutdown: the probe holds a connection and says so; then the server is signalled
    local fifo=$ECHO_TMP/hold.$label
    mkfifo "$fifo"
    "$PROBE" "$ECHO_URL" --expect-shutdown >"$fifo" &
    local holder=$! line= fd
    exec {fd}<"$fifo"
    if IFS= read -r -t 10 line <&"$fd" && [ "$line" = "holding an open connection" ]; then
        echo_stop || { echo "FAIL $label: server exit status $ECHO_RC after SIGTERM (want 0)"; ok=0; }
        IFS= read -r -t 10 line <&"$fd" || line="FAIL shutdown: the probe printed no verdict"
        echo "$line"
        case $line in PASS*) ;; *) ok=0 ;; esac
    else
        echo "FAIL $label: the shutdown probe did not get an open connection: $line"
        ok=0
        echo_stop
    fi
    exec {fd}<&-
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null

    if echo_sanitizer_report >/dev/null; then
        echo "FAIL $label: sanitizer report from the server:"
        echo_sanitizer_report
        ok=0
    fi
    if [ $ok = 0 ]; then
        failures=$((failures + 1))
        echo "-- server stderr ($label):"
        sed 's/^/    /' "$ECHO_ERR" | tail -40
    fi
}

# Both ways of moving bytes (--io): recv/send per connection, and io_uring batches where
# the kernel allows them (then also the default, which the IPv6 run takes). A kernel or
# sandbox that refuses io_uring is said here, and the default is epoll there.
check_address 127.0.0.1:0 ipv4-epoll --io epoll
if echo_start "$WSSPEC" --listen 127.0.0.1:0 --io uring 2>/dev/null; then
    echo_stop || { echo "FAIL: --io uring: server exit status $ECHO_RC after SIGTERM"; failures=1; }
    check_address 127.0.0.1:0 ipv4-uring --io uring
else
    wait "$ECHO_PID"
    st=$?
    echo "note: io_uring refused here: $(head -1 "$ECHO_ERR") (exit $st); epoll only"
    ECHO_PID=
fi

# --io: a mode it does not know, and uring with TLS (OpenSSL moves TLS bytes): exit 2, a line
out=$("$WSSPEC" echo --io bogus 2>&1 </dev/null)
st=$?
[ $st = 2 ] && grep -q "'bogus' is not auto, epoll or uring" <<<"$out" ||
    { echo "FAIL: --io bogus: exit $st: $out"; failures=$((failures + 1)); }
out=$("$WSSPEC" echo --io uring --tls-cert x.crt --tls-key x.key 2>&1 </dev/null)
st=$?
[ $st = 2 ] && grep -q "io uring is for plain ws://" <<<"$out" ||
    { echo "FAIL: --io uring with TLS: exit $st: $out"; failures=$((failures + 1)); }

# IPv6 only where the loopback has ::1 (containers are sometimes built without it).
if [ -r /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
    check_address '[::1]:0' ipv6
else
    echo "note: no IPv6 loopback (::1) here; the IPv6 run is skipped"
fi

if [ $failures -gt 0 ]; then
    echo "itest_echo: $failures address(es) failed"
    exit 1
fi
echo "itest_echo: all checks passed"

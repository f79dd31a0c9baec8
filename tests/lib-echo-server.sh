# tests/lib-echo-server.sh - sourced (not run) by the scripts that need a running
# `wsspec echo`: start it, learn its address from the one line it prints, stop it with
# a deadline. Nothing here sleeps: the start waits for the "listening on" line (read -t)
# and the stop for the process to exit (timeout + tail --pid).
#
#   echo_start BIN ARGS...   start "BIN echo ARGS..."; sets ECHO_PID, ECHO_URL (ws:// or
#                            wss://... with --tls-cert),
#                            ECHO_ERR (its stderr, a file); returns 1 if no line came
#   echo_stop                SIGTERM, wait up to ECHO_STOP_S (20) s; sets ECHO_RC
#                            (exit status, or "timeout"); returns 1 unless it exited 0
#   echo_sanitizer_report    prints the sanitizer report in ECHO_ERR, returns 0 if any
#   echo_cleanup             kills a server still running (for trap ... EXIT); returns 0

ECHO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-echo.XXXXXX")
ECHO_PID= ECHO_URL= ECHO_ERR= ECHO_RC= ECHO_FD= ECHO_N=0
ECHO_START_S=${ECHO_START_S:-30}
ECHO_STOP_S=${ECHO_STOP_S:-20}

echo_start() {
    local bin=$1; shift
    ECHO_N=$((ECHO_N + 1))
    local fifo=$ECHO_TMP/out.$ECHO_N
    ECHO_ERR=$ECHO_TMP/err.$ECHO_N
    ECHO_URL= ECHO_RC=
    mkfifo "$fifo" || return 1
    "$bin" echo "$@" >"$fifo" 2>"$ECHO_ERR" &
    ECHO_PID=$!
    # opening the read end waits for the server's shell to open the write end, which
    # happens right after the fork, before exec
    exec {ECHO_FD}<"$fifo"
    rm -f "$fifo"
    local line=
    if ! IFS= read -r -t "$ECHO_START_S" line <&"$ECHO_FD"; then
        echo "echo server printed no 'listening on' line within ${ECHO_START_S}s" >&2
        sed 's/^/    server: /' "$ECHO_ERR" >&2
        return 1
    fi
    case $line in
    *"listening on ws://"* | *"listening on wss://"*) ECHO_URL=${line##*listening on } ;;
    *) echo "unexpected first line from the server: $line" >&2; return 1 ;;
    esac
}

echo_stop() {
    [ -n "$ECHO_PID" ] || return 1
    local pid=$ECHO_PID
    kill -TERM "$pid" 2>/dev/null
    if ! timeout "$ECHO_STOP_S" tail --pid="$pid" -s 0.05 -f /dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        ECHO_RC=timeout
    else
        wait "$pid"
        ECHO_RC=$?
    fi
    ECHO_PID=
    [ -n "$ECHO_FD" ] && exec {ECHO_FD}<&-
    ECHO_FD=
    [ "$ECHO_RC" = 0 ]
}

echo_sanitizer_report() {
    grep -E -A30 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|UndefinedBehaviorSanitizer' \
        "$ECHO_ERR" 2>/dev/null
}

echo_cleanup() {
    # (statuses of the killed server are ignored: an EXIT trap under set -e must not
    # replace the script's exit status with the server's 137)
    if [ -n "$ECHO_PID" ]; then
        kill -KILL "$ECHO_PID" 2>/dev/null || :
        wait "$ECHO_PID" 2>/dev/null || :
    fi
    if [ -n "$ECHO_FD" ]; then
        exec {ECHO_FD}<&-
    fi
    ECHO_PID= ECHO_FD=
    rm -rf "$ECHO_TMP"
}

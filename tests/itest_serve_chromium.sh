#!/usr/bin/env bash
# itest_serve_chromium.sh - `wsspec serve` with a browser as the client under test: a
# plain HTTP GET of "/" (no Upgrade) is answered with wsspec's page (serve_page.c), whose
# script runs every served case through the browser's own WebSocket API with the URL
# protocol (getCaseCount, runCase echoing each message, updateReports). Headless
# Chromium (Debian package `chromium`; skipped with exit 77 when it is not installed)
# opens the page; `wsspec serve --once` ends by itself once the browser asked for
# updateReports. Checks: the page is served (200, text/html, the driver loop in it); the
# run ends with exit 0 (sections 1-5 and 7.1 pass in Chromium); the report has one
# column, "chromium", with exactly the served cases, and 1.1.1, 2.10, 5.1 OK. A --timeout
# bounds it all: a browser that never runs the page gives exit 1, not a hang.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    echo "skip: chromium not installed (apt-get install chromium)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-serve-chromium.XXXXXX")
spid= cpid=
cleanup() {
    [ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkfifo "$T/serve.fifo"
"$WSSPEC" serve --listen 127.0.0.1:0 --once --timeout 240 --cases '1.*,2.*,3.*,4.*,5.*,7.1.*' \
    --report-dir "$T/rep" >"$T/serve.fifo" 2>"$T/serve.err" &
spid=$!
exec {fd}<"$T/serve.fifo"
IFS= read -r -t 60 line <&$fd || { cat "$T/serve.err"; fail "serve did not start"; }
url=${line##* }
http=${url/ws:/http:}
cat <&$fd >"$T/serve.out" &

# the page, as a plain GET
$PY - "$http" <<'PY' || fail "the page"
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as r:
    assert r.status == 200, r.status
    assert r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
    body = r.read().decode()
for word in ("/getCaseCount", "/runCase?case=", "/updateReports?agent=", "new WebSocket"):
    assert word in body, word
PY

prof=$(mktemp -d "$T/profile.XXXXXX")
timeout 260 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --enable-logging=stderr --v=0 "${http}?agent=chromium" \
    >/dev/null 2>"$T/chromium.log" &
cpid=$!
wait $spid
rc=$?
spid=
kill $cpid 2>/dev/null
wait $cpid 2>/dev/null
cpid=
if [ $rc != 0 ]; then
    cat "$T/serve.out" "$T/serve.err"
    grep -a ':CONSOLE' "$T/chromium.log"
    fail "serve with chromium: exit $rc, want 0"
fi
count=$(sed -n 's/^wsspec [^:]*: \([0-9]*\) cases to serve.*/\1/p' "$T/serve.out")
$PY - "$T/rep" "$count" <<'PY' || fail "the report"
import json, sys
d, count = sys.argv[1], int(sys.argv[2])
index = json.load(open(d + "/index.json"))
assert list(index) == ["chromium"], list(index)
cases = index["chromium"]
assert len(cases) == count, (len(cases), count)
for cid in ("1.1.1", "2.10", "5.1"):
    assert cases[cid]["behavior"] == "OK", (cid, cases[cid])
PY
echo "chromium ran $count cases through wsspec's page: exit 0, one report column"
exit 0

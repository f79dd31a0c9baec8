#!/usr/bin/env bash
# itest_serve_chromium.sh - `wsspec serve` with a browser as the client under test: a
# plain HTTP GET of "/" (no Upgrade) is answered with wsspec's page (serve_page.c), whose
# script runs every served case through the browser's own WebSocket API with the URL
# protocol (getCaseCount, runCase echoing each message, updateReports). Headless
# Chromium (Debian package `chromium`; skipped with exit 77 when it is not installed)
# opens the page; `wsspec serve --once` ends by itself once the browser asked for
# updateReports. Served: every case of sections 1-7, 9, 10, 15, 17 and 19 that serve
# runs (335; the rest of the catalogue but the compression sections 12 and 13).
# Checks: the page is served (200, text/html, the driver loop in it); the report has one
# column, "chromium", with exactly the served cases, 1.1.1, 2.10, 5.1 and every case of
# section 19 OK; and, for the Chromium whose verdicts are pinned here (156), exactly
# the cases docs/clients.md explains are not OK: NON-STRICT 3.2, 3.3, 4.1.3, 4.1.4,
# 4.2.3, 4.2.4, 5.15 (it fails the connection before the page echoes), FAILED with
# WRONG CODE 7.9.2, 7.9.3, 7.9.6-7.9.9 (it echoes close codes RFC 6455 7.4 forbids),
# and OK with WRONG CODE the 75 cases of section 6 that send invalid UTF-8 (it closes
# with 1002, not 1007) - so serve exits 1. Another Chromium gets a note instead of the
# pinned set. A --timeout bounds it all: a browser that never runs the page gives
# exit 1 with cases "not run", not a hang.
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
"$WSSPEC" serve --listen 127.0.0.1:0 --once --timeout 240 --cases '1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,15.*,17.*,19.*' \
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
if [ $rc != 0 ] && [ $rc != 1 ]; then
    cat "$T/serve.out" "$T/serve.err"
    grep -a ':CONSOLE' "$T/chromium.log"
    fail "serve with chromium: exit $rc, want 1 (the cases Chromium fails) or 0"
fi
if grep -q 'not run' "$T/serve.out"; then
    cat "$T/serve.out"
    grep -a ':CONSOLE' "$T/chromium.log"
    fail "the page did not run every case"
fi
count=$(sed -n 's/^wsspec [^:]*: \([0-9]*\) cases to serve.*/\1/p' "$T/serve.out")
major=$("$CHROMIUM" --version 2>/dev/null | sed -n 's/^Chromium \([0-9]*\)\..*/\1/p')
$PY - "$T/rep" "$count" "$major" "$rc" <<'PY' || fail "the report"
import json, sys
d, count, major, rc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
index = json.load(open(d + "/index.json"))
assert list(index) == ["chromium"], list(index)
cases = index["chromium"]
assert len(cases) == count, (len(cases), count)
for cid in ("1.1.1", "2.10", "5.1") + tuple(c for c in cases if c.startswith("19.")):
    assert cases[cid]["behavior"] == "OK", (cid, cases[cid])
assert sum(c.startswith("19.") for c in cases) == 25, "section 19 not served whole"
got = {c: [r["behavior"], r["behaviorClose"]] for c, r in cases.items()
       if r["behavior"] != "INFORMATIONAL" and [r["behavior"], r["behaviorClose"]] != ["OK", "OK"]}
if major != "156":
    print("note: Chromium %s, not the 156 whose verdicts are pinned here: %d not OK, "
          "not compared" % (major or "?", len(got)))
    sys.exit(0)
want = {c: ["NON-STRICT", "OK"] for c in ("3.2", "3.3", "4.1.3", "4.1.4", "4.2.3", "4.2.4", "5.15")}
want.update({c: ["FAILED", "WRONG CODE"] for c in ("7.9.2", "7.9.3", "7.9.6", "7.9.7", "7.9.8", "7.9.9")})
utf8 = sorted(c for c, v in got.items() if c not in want and c.startswith("6.") and v == ["OK", "WRONG CODE"])
want.update({c: ["OK", "WRONG CODE"] for c in utf8})
assert got == want, "not OK: got %s, want %s" % (sorted(got.items()), sorted(want.items()))
assert len(utf8) == 75, ("section 6 WRONG CODE", len(utf8))
for c in utf8:
    assert cases[c]["remoteCloseCode"] == 1002, (c, cases[c])
assert rc == 1, "serve exit %d with failing cases" % rc
print("chromium %s: %d cases, not OK exactly as docs/clients.md explains" % (major, len(cases)))
PY
echo "chromium ran $count cases through wsspec's page, one report column"
exit 0

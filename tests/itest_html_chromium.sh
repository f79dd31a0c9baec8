#!/usr/bin/env bash
# itest_html_chromium.sh - the HTML report in a real browser (headless Chromium, Debian
# package `chromium`; skipped with exit 77 when it is not installed - .ci/deps installs
# it as an optional package when run as root).
#
# One `wsspec run` with two targets: the reference endpoint (a passing column) and a
# hostile server (tests/interop/hostile_html.py) whose Server header, other headers and
# close reasons are script/markup injections, and which fails some cases. Chromium
# loads index.html from disk and dumps the DOM it built; tests/interop/check_html_dom.py
# checks:
#   - the counts shown equal wsspec.json's (overall, per target, red cells, cases shown,
#     cases whose two verdicts differ); every cell whose verdicts differ, and no other,
#     has the mark with the RFC's verdict and the rule in its title
#   - index.html#filter=differ shows exactly the cases whose verdicts differ
#   - index.html#case=6.3.1&agent=... opens the detail of a failing case with its
#     requirements, both verdicts (they agree), expected next to observed, the broken
#     line, the flags, the server's strings as text and the wire log with wsspec.json's
#     times; #case=2.1 the same for a case only the RFC's verdict fails (the hostile
#     server masks its pong): both verdicts side by side and the rule that differs
#   - no injection ran: title not 'pwned', no element with id xss-ran, no img/svg, only
#     the report's own scripts - and a control page proves the check sees an injection
#   - the browser's console shows no script error and no Content-Security-Policy refusal
#     (the control page logs a line, which must arrive: the console is really read)
# Screenshots of the page and of the detail view are kept in the test's directory
# (printed at the end) for a person to look at.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    echo "skip: chromium not installed (apt-get install chromium)"
    exit 77
fi
. tests/lib-echo-server.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-html.XXXXXX")
HOSTILE_PID=
cleanup() {
    echo_cleanup
    [ -n "$HOSTILE_PID" ] && kill "$HOSTILE_PID" 2>/dev/null && wait "$HOSTILE_PID" 2>/dev/null
    # keep the screenshots (and the report they show); drop the browser profiles
    rm -rf "$T"/profile.* "$T"/*.log
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# chromium FILE-URL OUT [--screenshot]: the DOM after load (or a screenshot), and the
# page's console in OUT.console. A fresh profile each time; nothing leaves the machine
# (no sync, no component updates, no background networking; the page itself forbids
# every fetch).
browse() {
    local url=$1 out=$2 shot=${3:-}
    local prof; prof=$(mktemp -d "$T/profile.XXXXXX")
    local args=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir="$prof" --enable-logging=stderr --v=0)
    if [ -n "$shot" ]; then
        timeout 90 "$CHROMIUM" "${args[@]}" --screenshot="$out" --window-size=1400,1000 "$url" \
            >/dev/null 2>"$out.log"
    else
        timeout 90 "$CHROMIUM" "${args[@]}" --dump-dom "$url" >"$out" 2>"$out.log"
    fi
    local rc=$?
    rm -rf "$prof"
    [ $rc = 0 ] || { tail -20 "$out.log"; fail "chromium exited $rc for $url"; }
    grep -a ':CONSOLE' "$out.log" >"$out.console"
}
# the report page logs nothing: no script error, no refused (injected) script or style
quiet_console() {
    [ -s "$1.console" ] && { cat "$1.console"; fail "console messages on $2"; }
    return 0
}

# the two targets
echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"
REF=$ECHO_URL
mkfifo "$T/hostile.out"
$PY tests/interop/hostile_html.py >"$T/hostile.out" 2>"$T/hostile.err" &
HOSTILE_PID=$!
exec {hfd}<"$T/hostile.out"
IFS= read -r -t 20 line <&$hfd || fail "hostile server printed nothing: $(cat "$T/hostile.err")"
HOSTILE=${line##*listening on }
case $HOSTILE in ws://*) ;; *) fail "unexpected line from the hostile server: $line" ;; esac

# 6.3.1 and 6.4.3 (invalid UTF-8 echoed back), 5.1 (fragmented ping answered), 7.5.1
# (close code 1000 for a bad reason) fail on the hostile server; the rest pass there
# too - by Autobahn's verdict: 2.1 (a masked pong) fails the RFC's, 4.1.1 (no Close
# before TCP closes) is NON-STRICT by it
CASES=1.1.1,1.1.2,2.1,2.10,3.1,4.1.1,5.1,5.3,5.6,6.1.1,6.3.1,6.4.3,7.1.1,7.5.1,7.7.1,9.1.1
"$WSSPEC" run "$REF" "$HOSTILE" --cases "$CASES" --report-dir "$T/report" --seed 11 \
    --timeout-scale 0.5 -q >"$T/run.out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$T/run.out"; fail "run exited $rc, want 1 (the hostile target fails cases)"; }
grep -qx "report: html   $T/report/index.html" "$T/run.out" || { cat "$T/run.out"; fail "no 'report: html' line"; }
AGENT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][1]["agent"])' "$T/report/wsspec.json")
case $AGENT in *"<script>"*) ;; *) fail "the hostile Server header is not the agent name: $AGENT" ;; esac
AGENT_Q=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$AGENT")
PAGE="file://$T/report/index.html"

# the page: counts, no injection
browse "$PAGE" "$T/page.dom"
$PY tests/interop/check_html_dom.py page "$T/page.dom" "$T/report/wsspec.json" ||
    fail "the page (DOM in $T/page.dom)"
quiet_console "$T/page.dom" "the page"
echo "page: counts equal wsspec.json's, 2 target columns, no injected markup or script ran"

# the detail of a failing case, opened from the URL
browse "$PAGE#case=6.3.1&agent=$AGENT_Q" "$T/detail.dom"
$PY tests/interop/check_html_dom.py detail "$T/detail.dom" "$T/report/wsspec.json" 6.3.1 "$AGENT" ||
    fail "the detail view (DOM in $T/detail.dom)"
quiet_console "$T/detail.dom" "the detail view"
echo "detail 6.3.1: requirements, both verdicts, expected next to observed, broken line, flags, handshake, wire log"

# a case whose verdicts differ: the matrix filter from the URL, and its detail
browse "$PAGE#filter=differ" "$T/differ.dom"
$PY tests/interop/check_html_dom.py differ "$T/differ.dom" "$T/report/wsspec.json" ||
    fail "the 'verdicts differ' filter (DOM in $T/differ.dom)"
quiet_console "$T/differ.dom" "the filtered page"
browse "$PAGE#case=2.1&agent=$AGENT_Q" "$T/detail-2.1.dom"
$PY tests/interop/check_html_dom.py detail "$T/detail-2.1.dom" "$T/report/wsspec.json" 2.1 "$AGENT" ||
    fail "the detail view of 2.1 (DOM in $T/detail-2.1.dom)"
quiet_console "$T/detail-2.1.dom" "the detail view of 2.1"
echo "verdicts differ: #filter=differ shows those cases only; detail 2.1 has both verdicts and the rule"

# the control: the same strings put into a page as markup DO run, so the checks above
# would have seen a renderer that did that; and a console message it logs is seen, so
# quiet_console would have seen a script error
$PY - "$T/control.html" "$AGENT" <<'PY'
import json, sys
open(sys.argv[1], "w").write("<!DOCTYPE html><title>control</title><div id=app></div><script>"
    "console.error('wsspec control: console seen');"
    "document.getElementById('app').innerHTML = " + json.dumps(sys.argv[2]).replace("<", "\\u003c") +
    ";</script>")
PY
browse "file://$T/control.html" "$T/control.dom"
$PY tests/interop/check_html_dom.py injected "$T/control.dom" ||
    fail "the control page: the checks cannot see an injection"
grep -q "wsspec control: console seen" "$T/control.dom.console" ||
    fail "the control page's console message did not arrive: the console checks see nothing"
echo "control: the same strings as markup do inject, its console message is seen (the checks can fail)"

# screenshots for people
browse "$PAGE" "$T/page.png" --screenshot
browse "$PAGE#case=6.3.1&agent=$AGENT_Q" "$T/detail.png" --screenshot
browse "$PAGE#case=2.1&agent=$AGENT_Q" "$T/detail-2.1.png" --screenshot
quiet_console "$T/page.png" "the page (screenshot)"
quiet_console "$T/detail.png" "the detail view (screenshot)"
quiet_console "$T/detail-2.1.png" "the detail view of 2.1 (screenshot)"
[ -s "$T/page.png" ] && [ -s "$T/detail.png" ] && [ -s "$T/detail-2.1.png" ] || fail "no screenshot"
echo "screenshots: $T/page.png $T/detail.png $T/detail-2.1.png"

echo_stop || fail "echo server exit status $ECHO_RC"
echo_sanitizer_report && fail "sanitizer report from the server"
exit 0

#!/usr/bin/env bash
# itest_action.sh - the CI one-liners run as written: action.yml's steps (extracted with
# python3-yaml and run by tests/action_runner.py as GitHub's runner would) and the
# GitLab template's script (ci/wsspec.gitlab-ci.yml), against `wsspec echo` on loopback:
#   - a passing selection: the action ends with status 0, its output status is 0, the
#     job summary holds summary.md, the report folder exists for the artifact upload
#   - a failing case (--cases-dir with a blank in its name: the args are split as a
#     command line) ends with 1; an unreachable target with 2 and a summary that says so
#   - args are never run by a shell: '$(touch FILE)' stays a literal agent name
#   - the GitLab script: 0 and 1 likewise, summary.md at the end of the log, and its
#     artifacts keep the report folder and junit.xml
# The action builds build/wsspec (make -C the repository: `make test` has built it, so
# that is a no-op) and runs that plain binary. Exit 77 (skip) without python3-yaml - an
# error under CI=true (tests/run); .ci/deps installs it.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-action.XXXXXX")
. tests/lib-echo-server.sh
trap 'echo_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
if ! $PY -c 'import yaml' 2>/dev/null; then
    echo "skip: python3-yaml not installed (apt-get install python3-yaml)"
    exit 77
fi
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"
echo_start "$WSSPEC" --listen 127.0.0.1:0 || fail "echo did not start"

# a case that fails against any echo server, in a folder whose name has a blank
mkdir -p "$T/my cases"
cat >"$T/my cases/fail.wsc" <<'WSC'
case 100.1
  title        An echo that must differ (fails against any echo server)
  expectation  The target echoes "y" for "x".
  rfc          5.6 MUST "Data frames carry application-layer data."
  send frame text "x"
  expect OK message text "y"
  close-rule   me 1000 clean
end
WSC

action() { # name input=value...: run action.yml's steps in $T/ws/name; $T/name.json
    local n=$1; shift
    mkdir -p "$T/ws/$n"
    (cd "$T/ws/$n" && $PY "$SRC/tests/action_runner.py" "$SRC/action.yml" "$T/$n.json" "$@") >"$T/$n.log" 2>&1
    local rc=$?
    [ $rc = 0 ] || fail "action_runner ($n): exit $rc: $(tail -20 "$T/$n.log")"
}
field() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$T/$1.json" "$2"; }

# 1. GitHub: passes
action pass url="$ECHO_URL" args="--cases '1.1.*,2.1' -q --agent 'echo under test'"
[ "$(field pass status)" = 0 ] || fail "passing run: the action ends with $(field pass status): $(tail -20 "$T/pass.log")"
[ "$(field pass "outputs['status']")" = 0 ] || fail "passing run: output status $(field pass "outputs['status']")"
[ "$(field pass failed)" = False ] || fail "passing run: a step failed: $(tail -20 "$T/pass.log")"
cmp -s <(field pass summary) <(cat "$T/ws/pass/wsspec-report/summary.md"; echo) ||
    fail "the job summary is not summary.md: $(field pass summary | head -5)"
grep -q "echo under test" "$T/ws/pass/wsspec-report/summary.md" || fail "--agent 'echo under test' was not one argument"
[ "$(field pass "uploaded[0]['exists']")" = True ] && [ "$(field pass "uploaded[0]['path']")" = wsspec-report ] ||
    fail "the artifact step would not upload the report: $(field pass uploaded)"
echo "action, passing selection: status 0, summary.md in the job summary, report uploaded"

# 2. GitHub: a failing case, and an unreachable target
action failing url="$ECHO_URL" args="--cases-dir '$T/my cases' --cases 100.1" report-dir=out/rep
[ "$(field failing status)" = 1 ] && [ "$(field failing "outputs['status']")" = 1 ] ||
    fail "failing case: the action ends with $(field failing status): $(tail -20 "$T/failing.log")"
[ -s "$T/ws/failing/out/rep/junit.xml" ] || fail "report-dir input not honoured"
field failing summary | grep 100.1 >/dev/null || fail "the summary does not name 100.1"
action down url="ws://127.0.0.1:1/" args="--cases 1.1.1"
[ "$(field down status)" = 2 ] || fail "unreachable target: the action ends with $(field down status)"
grep -q "wrote no summary.md" <<<"$(field down summary)" || fail "unreachable: summary $(field down summary)"
echo "action: a failing case ends with 1, an unreachable target with 2"

# 3. GitHub: no shell expansion of args
action inject url="$ECHO_URL" args="--cases 1.1.1 --agent '\$(touch $T/pwned)'"
[ ! -e "$T/pwned" ] || fail "args were run by a shell"
[ "$(field inject status)" = 0 ] || fail "inject: status $(field inject status): $(tail -10 "$T/inject.log")"
grep -qF '$(touch' "$T/ws/inject/wsspec-report/summary.md" || fail "the literal agent name is not in the report"
action badquote url="$ECHO_URL" args="--cases '1.1.1"
[ "$(field badquote status)" = 2 ] || fail "unbalanced quote: status $(field badquote status)"
echo "action: args are split like a command line and never expanded; an unbalanced quote is 2"

# 4. GitLab
$PY - ci/wsspec.gitlab-ci.yml "$T/gitlab.sh" <<'PY' || fail "ci/wsspec.gitlab-ci.yml: no .wsspec job with a script, artifacts and junit"
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))[".wsspec"]
assert job["artifacts"]["when"] == "always"
assert "$WSSPEC_REPORT_DIR/" in job["artifacts"]["paths"]
assert job["artifacts"]["reports"]["junit"] == "$WSSPEC_REPORT_DIR/junit.xml"
open(sys.argv[2], "w").write("\n".join(job["script"]) + "\n")
PY
gitlab() { # name URL ARGS: the script in $T/gl/name, as GitLab runs it (bash -eo pipefail)
    mkdir -p "$T/gl/$1"
    (cd "$T/gl/$1" && env WSSPEC_DIR="$SRC" WSSPEC_URL="$2" WSSPEC_ARGS="$3" WSSPEC_GIT= \
        WSSPEC_REF=main WSSPEC_REPORT_DIR=wsspec-report CI_PROJECT_DIR="$T/gl/$1" \
        bash --noprofile --norc -eo pipefail "$T/gitlab.sh") >"$T/gl-$1.log" 2>&1
}
gitlab pass "$ECHO_URL" "--cases '1.1.*' -q"
rc=$?
[ $rc = 0 ] || fail "GitLab, passing: exit $rc: $(tail -10 "$T/gl-pass.log")"
[ -s "$T/gl/pass/wsspec-report/junit.xml" ] || fail "GitLab: no junit.xml"
tail -3 "$T/gl-pass.log" | grep "exit status 0" >/dev/null || fail "GitLab: the log does not end with the status"
grep -qFf <(head -1 "$T/gl/pass/wsspec-report/summary.md") "$T/gl-pass.log" || fail "GitLab: summary.md not in the log"
gitlab failing "$ECHO_URL" "--cases-dir '$T/my cases' --cases 100.1"
rc=$?
[ $rc = 1 ] || fail "GitLab, failing case: exit $rc: $(tail -10 "$T/gl-failing.log")"
echo "GitLab template: 0 and 1 as wsspec says, summary.md in the log, junit.xml for the test report"
echo_stop || fail "echo exit status $ECHO_RC"

#!/usr/bin/env bash
# itest_run_options.sh - `wsspec run`'s options are one table, harness/run_opts.def:
#   - `wsspec run --help` lists exactly the table's options, with their short forms,
#     arguments and "(repeatable)" as the table says (it is generated from it), and
#     `wsspec help run` is the same text
#   - README.md's `wsspec run` synopsis names exactly the table's options, and every
#     `wsspec run ...` command line in README.md and docs/*.md uses only table options
#   - usage errors are exit 2 with one line on stderr saying what is wrong, and nothing
#     runs: a missing argument, an unknown option, a non-repeatable option given twice
#     (in either spelling), a repeatable one beyond its bound, bad values, no URL
#   - options that cannot make a valid opening request are usage errors too: CR/LF in
#     -H or --origin, -H naming a header wsspec sends itself, a subprotocol that is not
#     a token or is given twice; so is an empty --cases (not "every case")
#   - a repeatable option up to its bound is accepted (the run gets as far as the target)
#   - --seed is decimal (010 is ten); --insecure with only ws:// targets warns of nothing
#   - list and lint: an empty --cases and a selection that matches nothing are exit 2,
#     and so is lint of a folder without case files (it checked nothing)
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-opts.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"

# 1. --help and the docs against the table
"$WSSPEC" run --help >"$T/help" 2>"$T/help.err" || fail "wsspec run --help: exit $?"
[ ! -s "$T/help.err" ] || fail "wsspec run --help wrote to stderr: $(cat "$T/help.err")"
"$WSSPEC" help run >"$T/help2" 2>&1 || fail "wsspec help run: exit $?"
cmp -s "$T/help" "$T/help2" || fail "'wsspec help run' differs from 'wsspec run --help'"
$PY - harness/run_opts.def "$T/help" README.md docs/*.md <<'PY' || fail "options table, --help and docs disagree"
import re, sys
deff, helpf, readme, docs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

# the table: RUN_OPT(NAME, "long", 'c' or 0, "ARG" or NULL, max, GROUP, ... at line start
row = re.compile(r'^RUN_OPT\(\w+, "([a-z][a-z-]*)", (?:\'(.)\'|0), (NULL|"[^"]*"), (\w+),', re.M)
table = {m[1]: {"short": m[2] or None, "arg": None if m[3] == "NULL" else m[3].strip('"'),
                "repeat": m[4] != "1"} for m in row.finditer(open(deff).read())}
assert len(table) >= 20, f"only {len(table)} rows read from {deff}: the pattern is out of date"
short = {v["short"]: k for k, v in table.items() if v["short"]}
bad = []

# --help: one line per option "  [-c, ]--long[ ARG]  help", "(repeatable)" where it repeats
helptext = open(helpf).read()
listed = {}
for line in helptext.splitlines():
    m = re.match(r"  (?:-(.), )?--([a-z][a-z-]*)(?: (\S+(?: \S+)?))?(?:  +|$)", line)
    if m:
        listed[m[2]] = (m[1], m[3])
for name, o in table.items():
    if name not in listed:
        bad.append(f"--{name} is in the table but not in --help")
    elif listed[name] != (o["short"], o["arg"]):
        bad.append(f"--{name}: --help shows {listed[name]}, the table {(o['short'], o['arg'])}")
bad += [f"--{n} is in --help but not in the table" for n in listed if n not in table]
paragraphs = re.split(r"\n(?=  -)", helptext)
for name, o in table.items():
    p = next((p for p in paragraphs if re.match(rf"  (?:-., )?--{name}\b", p)), "")
    if o["repeat"] != ("(repeatable)" in p):
        bad.append(f"--{name}: '(repeatable)' in --help does not match the table")

def options(text):
    """the options a piece of command line names, as long names ('-j' counts as --jobs)"""
    found = set()
    for m in re.finditer(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])", text):
        t = m[1]
        found.add(t[2:] if t.startswith("--") else short.get(t[1:], t))
    return found

def flag(n):
    return n if n.startswith("-") else "--" + n

# README.md's synopsis: from "`wsspec run URL..." to "`wsspec run --help` has every option"
rd = open(readme).read()
m = re.search(r"^`wsspec run URL\.\.\.(.*?)`wsspec run --help` has every option", rd, re.M | re.S)
if not m:
    bad.append("README.md: no synopsis paragraph starting with `wsspec run URL...`")
else:
    syn = options(m[1]) | {"help"}
    bad += [f"--{n} is in the table but not in README.md's synopsis" for n in table if n not in syn]
    bad += [f"{flag(n)} is in README.md's synopsis but not in the table" for n in syn if n not in table]

# every `wsspec run` command line in README.md and docs/ (with its continuation lines)
ncmd = 0
for f in [readme] + docs:
    lines = open(f).read().splitlines()
    for i, line in enumerate(lines):
        if not re.search(r"wsspec run\b", line):
            continue
        cmd = line[line.index("wsspec run"):]
        j = i
        while cmd.rstrip().endswith("\\") and j + 1 < len(lines):
            j += 1
            cmd = cmd.rstrip()[:-1] + " " + lines[j]
        cmd = cmd.split("#")[0].split("`")[0]   # up to a comment or the end of the code span
        ncmd += 1
        bad += [f"{f}:{i + 1}: `wsspec run` with {flag(n)}, which is not in the table"
                for n in options(cmd) if n not in table]
assert ncmd >= 10, f"only {ncmd} `wsspec run` command lines found in the docs"

for b in bad:
    print(b)
if bad:
    sys.exit(1)
print(f"table: {len(table)} options; --help lists exactly them; README.md's synopsis names "
      f"exactly them; {ncmd} `wsspec run` command lines in README.md and docs/ use only them")
PY

# 2. usage errors: exit 2, one line on stderr matching the pattern, nothing on stdout, and
#    nothing ran (no report directory in the working directory)
usage() { # what, pattern, args...
    local what=$1 pat=$2
    shift 2
    mkdir "$T/cwd"
    (cd "$T/cwd" && exec "$WSSPEC" run "$@") >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc = 2 ] || fail "$what: exit $rc, want 2 ($(cat "$T/err"))"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$what: want one line on stderr, got: $(cat "$T/err")"
    grep -q -- "^wsspec run: $pat" "$T/err" || fail "$what: no '$pat' in: $(cat "$T/err")"
    [ ! -s "$T/out" ] || fail "$what: printed on stdout: $(cat "$T/out")"
    [ -z "$(ls -A "$T/cwd")" ] || fail "$what: something ran, it left $(ls -A "$T/cwd")"
    rm -rf "$T/cwd"
    echo "exit 2, $what: $(cat "$T/err")"
}
URL=ws://127.0.0.1:1/
usage "missing argument" "option --cases needs a value" "$URL" --cases
usage "missing argument, short form" "option -j needs a value" "$URL" -j
usage "unknown option" "unknown option '--frobnicate'" "$URL" --frobnicate
usage "unknown short option" "unknown option '-x'" "$URL" -x
usage "--opt=value is not a form wsspec takes" "unknown option '--seed=1'" "$URL" --seed=1
usage "non-repeatable option twice" "option --cases given more than once" \
    "$URL" --cases '1.*' --cases '2.*'
usage "a switch twice" "option --strict given more than once" "$URL" --strict --strict
usage "short and long spelling of one option" "option --jobs given more than once" \
    "$URL" -j 2 --jobs 3
subs=()
for i in $(seq 17); do subs+=(--subprotocol "p$i"); done
usage "repeatable option beyond its bound" "option --subprotocol given more than 16 times" \
    "$URL" "${subs[@]}"
usage "bad -j" "-j needs a number from 1 to 1024, not '0'" "$URL" -j 0
usage "bad --seed" "--seed needs a non-negative integer, not '-1'" "$URL" --seed -1
usage "bad --timeout-scale" "--timeout-scale needs a number > 0" "$URL" --timeout-scale 0
usage "bad --fail-on" "--fail-on takes 'any' or 'regression', not 'sometimes'" "$URL" --fail-on sometimes
usage "bad --format" "--format: unknown format 'pdf'" "$URL" --format pdf
usage "bad header" "-H needs 'Name: value'" "$URL" -H nocolon
usage "header name with a blank" "-H needs 'Name: value' .* not 'X-A : b'" "$URL" -H 'X-A : b'
usage "CRLF in -H" "-H 'X-A: ...': the value holds a CR (line break)" "$URL" -H $'X-A: b\r\nX-B: c'
usage "-H Host" "-H 'Host: ...': wsspec sends the URL's host\\[:port\\]" "$URL" -H 'Host: evil'
usage "-H Sec-WebSocket-Key" "-H 'sec-websocket-key: ...': wsspec sends a fresh key" \
    "$URL" -H 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ=='
usage "-H Sec-WebSocket-Protocol" "-H 'Sec-WebSocket-Protocol: ...': use --subprotocol" \
    "$URL" -H 'Sec-WebSocket-Protocol: chat'
usage "CRLF in --origin" "--origin holds a CR (line break)" "$URL" --origin $'http://a\r\nX: y'
usage "--subprotocol not a token" "--subprotocol 'a b' is not a token" "$URL" --subprotocol 'a b'
usage "--subprotocol twice" "--subprotocol 'chat' given twice" \
    "$URL" --subprotocol chat --subprotocol chat
usage "empty --cases" "--cases needs at least one id or pattern" "$URL" --cases ''
usage "bad --max-time" "--max-time needs seconds > 0, not '0'" "$URL" --max-time 0
usage "no URL" "no target URL given" --strict
urls=()
for i in $(seq 17); do urls+=("ws://127.0.0.1:$i/"); done
usage "too many targets" "too many targets (at most 16)" "${urls[@]}"

# 3. a repeatable option up to its bound is accepted: the run gets to the target
subs=()
for i in $(seq 16); do subs+=(--subprotocol "p$i"); done
"$WSSPEC" run "$URL" "${subs[@]}" -H 'A: 1' -H 'B: 2' --report-dir "$T/r" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "target unreachable" "$T/err" ||
    fail "16 --subprotocol and two -H: exit $rc, want the target unreachable: $(cat "$T/err")"
echo "16 --subprotocol and two -H are accepted (the run gets to the unreachable target)"

# 4. --seed is decimal; --insecure warns only where there is TLS
"$WSSPEC" run "$URL" --seed 010 --insecure --report-dir "$T/r" >"$T/out" 2>"$T/err"
grep -q "seed 10$" "$T/out" || fail "--seed 010 is not ten: $(cat "$T/out")"
[ "$(grep -c . "$T/err")" = 1 ] && grep -q "target unreachable" "$T/err" ||
    fail "--insecure with ws:// only: want the one unreachable line, got: $(cat "$T/err")"
echo "--seed 010 is seed 10; --insecure with a ws:// target prints no TLS warning"

# 5. list and lint
"$WSSPEC" list --cases '' >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -q "^wsspec list: --cases needs at least one id or pattern" "$T/err" ||
    fail "list --cases '': $(cat "$T/err")"
"$WSSPEC" list --cases '99.*' >"$T/out" 2>"$T/err"
[ $? = 2 ] && [ ! -s "$T/out" ] && grep -q "^wsspec list: no case matches --cases '99.\*'" "$T/err" ||
    fail "list of nothing: $(cat "$T/err")"
# the cases that test a client (role server, section 19) are wsspec serve's
"$WSSPEC" list --cases '19.*' >"$T/out" 2>"$T/err"
[ $? = 2 ] && [ ! -s "$T/out" ] && grep -q "^wsspec list: the cases matching --cases '19.\*' run only as the server" "$T/err" ||
    fail "list of client tests as wsspec run's: $(cat "$T/err")"
"$WSSPEC" list --role server --cases '19.1.1,7.9.4,14.1.1' >"$T/out" 2>"$T/err" ||
    fail "list --role server: $(cat "$T/err")"
[ "$(awk '{ print $1 }' "$T/out" | tr '\n' ' ')" = "7.9.4 19.1.1 " ] &&
    grep -q "^19.1.1 *\[client test\] " "$T/out" || fail "list --role server: $(cat "$T/out")"
"$WSSPEC" run "$URL" --cases '19.*' --report-dir "$T/r" >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -q "test a client (role server): wsspec serve runs them" "$T/err" ||
    fail "run of client tests: $(cat "$T/err")"
echo "section 19 is listed with --role server only, and wsspec run refuses it: $(cat "$T/err")"
mkdir "$T/empty"
"$WSSPEC" lint "$T/empty" >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -q "nothing was checked" "$T/err" || fail "lint of an empty folder: $(cat "$T/err")"
echo "list: empty --cases and no match are exit 2; lint of an empty folder: exit 2, $(cat "$T/err")"
echo "itest_run_options: all checks passed"

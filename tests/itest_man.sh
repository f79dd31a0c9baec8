#!/usr/bin/env bash
# itest_man.sh - the man pages are generated from the tables --help prints (wsspec man,
# echo/cli_doc.c), so they cannot disagree with it; this checks that they do not:
#   - `wsspec man --list` names wsspec.1, wsspec-cases.5 and a page for every subcommand
#     `wsspec complete` lists except help; wsspec(1) names every subcommand
#   - for each subcommand page: the options of `wsspec CMD --help` are exactly the
#     options of wsspec-CMD(1), and exactly what `wsspec complete CMD` offers
#   - every option of the list, lint, report and version tables is taken by the parser
#     (their parsers are hand-written; run's and echo's look options up in the table,
#     and echo's refuses misuse: a value for a switch, an option twice, ...)
#   - wsspec-cases(5) lists every directive `wsspec lint --help` lists
#   - groff -ww -man renders every page without a warning, and so does `man -l`
# Exit 77 (skip) without groff - an error under CI=true (tests/run); .ci/deps installs
# groff-base and man-db.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-man.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"
if ! command -v groff >/dev/null 2>&1 || ! command -v man >/dev/null 2>&1; then
    echo "skip: groff or man not installed (apt-get install groff-base man-db)"
    exit 77
fi

# 1. the pages there are
"$WSSPEC" man --list >"$T/list" || fail "wsspec man --list: exit $?"
"$WSSPEC" complete >"$T/cmds" || fail "wsspec complete: exit $?"
grep -qx wsspec.1 "$T/list" || fail "no wsspec.1 in: $(tr '\n' ' ' <"$T/list")"
grep -qx wsspec-cases.5 "$T/list" || fail "no wsspec-cases.5"
[ "$(grep -c . "$T/cmds")" -ge 6 ] || fail "wsspec complete lists too few subcommands"
while read -r c; do
    [ "$c" = help ] && continue
    grep -qx "wsspec-$c.1" "$T/list" || fail "subcommand $c has no man page (its row in main.c has no doc)"
done <"$T/cmds"
while read -r p; do
    n=${p%.*}
    "$WSSPEC" man --date 2026-01-01 "${n#wsspec-}" >"$T/$p" 2>"$T/err" || fail "wsspec man ${n#wsspec-}: exit $?: $(cat "$T/err")"
    [ -s "$T/$p" ] && [ ! -s "$T/err" ] || fail "wsspec man ${n#wsspec-}: empty, or wrote to stderr"
done <"$T/list"
"$WSSPEC" man nosuchpage >/dev/null 2>&1 && fail "wsspec man nosuchpage: exit 0"

# 2. rendering: no warning from groff -ww or man
while read -r p; do
    LC_ALL=C.UTF-8 groff -ww -z -man -Tutf8 "$T/$p" 2>"$T/groff.err"
    [ ! -s "$T/groff.err" ] || fail "groff -ww -man $p warns: $(head -5 "$T/groff.err")"
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$T/$p" >"$T/$p.txt" 2>"$T/man.err"
    [ ! -s "$T/man.err" ] || fail "man -l $p warns: $(head -5 "$T/man.err")"
    grep -q "SYNOPSIS\|DESCRIPTION" "$T/$p.txt" || fail "man -l $p renders no section"
done <"$T/list"
# the check itself can fail: a page with an unknown macro is reported
printf '.TH X 1\n.XX y\n' >"$T/bad.1"
[ -n "$(groff -ww -z -man "$T/bad.1" 2>&1)" ] || fail "groff -ww does not report an unknown macro"
echo "$(grep -c . "$T/list") pages render without warnings (groff -ww, man -l)"

# 3. options: --help, the man page and `wsspec complete` name the same ones
help_opts() { # the "--long" of every option line of --help
    sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}--\([a-z][a-z0-9-]*\).*/--\2/p' | sort -u
}
man_opts() { # the "--long" of the tag line after every .TP of an OPTIONS section
    awk '/^\.SH /{opt = ($2 == "OPTIONS")} opt && tp {print; tp = 0} /^\.TP/{tp = 1}' |
        sed -n 's/.*\\fB\\-\\-\([a-z0-9\\-]*\)\\fR.*/--\1/p' | sed 's/\\-/-/g' | sort -u
}
n_opts=0
while read -r c; do
    [ "$c" = help ] && continue
    "$WSSPEC" "$c" --help 2>&1 | help_opts >"$T/h.$c"
    man_opts <"$T/wsspec-$c.1" >"$T/m.$c"
    "$WSSPEC" complete "$c" | tr ' ' '\n' | grep '^--' | sort -u >"$T/c.$c"
    [ -s "$T/h.$c" ] || fail "wsspec $c --help lists no option"
    diff "$T/h.$c" "$T/m.$c" >"$T/d" || fail "wsspec $c --help (<) and wsspec-$c(1) (>) differ: $(cat "$T/d")"
    diff "$T/h.$c" "$T/c.$c" >"$T/d" || fail "wsspec $c --help (<) and wsspec complete $c (>) differ: $(cat "$T/d")"
    n_opts=$((n_opts + $(grep -c . "$T/h.$c")))
done <"$T/cmds"
[ "$(grep -c . "$T/h.run")" -ge 25 ] || fail "only $(grep -c . "$T/h.run") options read from run --help"
grep -qx -- --tls-client-ca "$T/m.echo" || fail "wsspec-echo(1) lacks --tls-client-ca"
echo "$n_opts options: --help, the man pages and the completion agree"

# 4. the doc-only tables name options their parsers take
for c in list lint report version; do
    while read -r line; do
        read -ra f <<<"$line"
        o=${f[-1]}; [[ $o == --* ]] || o=${f[-2]}
        [ "$o" = --help ] && continue
        args=("$o"); [[ ${f[-1]} != -* ]] && args+=(1.1.1)
        "$WSSPEC" "$c" "${args[@]}" >/dev/null 2>"$T/err"
        grep -qi "unknown option" "$T/err" && fail "wsspec $c ${args[*]}: the parser does not take an option its --help lists"
    done < <("$WSSPEC" complete "$c")
done
"$WSSPEC" list --nosuch >/dev/null 2>"$T/err"; grep -qi "unknown option" "$T/err" ||
    fail "list --nosuch is not an unknown option: $(cat "$T/err")"
echo "list, lint, report, version take every option their tables list"
# echo's parser is its table: "--opt=VALUE" or "--opt VALUE", a switch takes no value, a
# non-repeatable option once; each mistake is exit 2 with one line, before listening
for bad in "--listen=nonsense" "--no-deflate=1" "--listen 127.0.0.1:0 --listen 127.0.0.1:0" \
    "--nosuch" "--tls-key"; do
    # shellcheck disable=SC2086
    timeout 10 "$WSSPEC" echo $bad >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ] ||
        fail "wsspec echo $bad: exit $rc, want 2 and one line: $(cat "$T/out" "$T/err")"
done
echo "echo: --opt=VALUE misuse, a switch with a value, an option twice, unknown, no value: exit 2"

# 5. wsspec(1) names every subcommand; wsspec-cases(5) every directive lint knows
starts_line() { # FILE TEXT: a line of FILE begins with TEXT
    P=$2 awk 'index($0, ENVIRON["P"]) == 1 {f = 1} END {exit !f}' "$1"
}
while read -r c; do
    starts_line "$T/wsspec.1" "\\fB$c\\fR" || fail "wsspec(1) does not list $c"
done <"$T/cmds"
"$WSSPEC" lint --help | sed -n '/^Directives/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' >"$T/dirs"
[ "$(grep -c . "$T/dirs")" -ge 15 ] || fail "only $(grep -c . "$T/dirs") directives read from lint --help"
while read -r d; do
    starts_line "$T/wsspec-cases.5" "\\fB${d//-/\\-}\\fR" || fail "wsspec-cases(5) does not list directive $d"
done <"$T/dirs"
echo "wsspec(1) lists $(grep -c . "$T/cmds") subcommands; wsspec-cases(5) $(grep -c . "$T/dirs") directives"

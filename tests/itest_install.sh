#!/usr/bin/env bash
# itest_install.sh - `make install DESTDIR=... PREFIX=...` gives a wsspec that runs from
# any folder, and `make uninstall` takes back exactly what it put there:
#   - installed: the binary, the whole catalogue with its README, a man page for wsspec,
#     every subcommand and the case format, bash and zsh completions, the docs
#   - the installed binary, run from a folder holding an unrelated cases/, finds its
#     installed catalogue (`wsspec version` says "installed"), lists every case, and
#     runs a short selection against the installed `wsspec echo` (exit 0, reports written)
#   - man -M renders the installed wsspec-run(1) with its options
#   - uninstall with the same DESTDIR and PREFIX leaves no file and no wsspec folder
# The plain build is installed (build/wsspec, as `make install` does); `make test` has
# built it.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-install.XXXXXX")
. tests/lib-echo-server.sh
trap 'echo_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
D=$T/root P=/usr/local
unset WSSPEC_CASES

# 1. install
make --no-print-directory -C "$SRC" install DESTDIR="$D" PREFIX="$P" >"$T/make.log" 2>&1 ||
    fail "make install: $(tail -5 "$T/make.log")"
BIN=$D$P/bin/wsspec
[ -x "$BIN" ] || fail "no $BIN"
want_cases=$(ls cases/*.wsc | wc -l)
have_cases=$(ls "$D$P"/share/wsspec/cases/*.wsc 2>/dev/null | wc -l)
[ "$have_cases" = "$want_cases" ] || fail "$have_cases case files installed, want $want_cases"
for f in share/wsspec/cases/README.md share/man/man1/wsspec.1 share/man/man1/wsspec-run.1 \
    share/man/man1/wsspec-echo.1 share/man/man1/wsspec-list.1 share/man/man5/wsspec-cases.5 \
    share/bash-completion/completions/wsspec share/zsh/site-functions/_wsspec \
    share/doc/wsspec/README.md share/doc/wsspec/docs/ci.md share/doc/wsspec/reports/README.md; do
    [ -s "$D$P/$f" ] || fail "not installed: $P/$f"
done
n_pages=$(ls "$D$P"/share/man/man1 | wc -l)
[ "$n_pages" = "$("$BIN" man --list | grep -c '\.1$')" ] || fail "$n_pages pages in man1, the binary lists $("$BIN" man --list | grep -c '\.1$')"
n_files=$(find "$D" -type f | wc -l)
echo "installed $n_files files under $P: binary, $have_cases case files, $n_pages+1 man pages, completions, docs"

# 2. from another folder, with a decoy cases/ there
mkdir -p "$T/elsewhere/cases"
printf 'case 100.1\n  title DECOY\nend\n' >"$T/elsewhere/cases/decoy.wsc"
cd "$T/elsewhere" || fail "cd"
ver=$("$BIN" version) || fail "installed wsspec version: exit $?"
grep -qx "catalogue $D$P/share/wsspec/cases (installed)" <<<"$ver" || fail "version: $ver"
n=$("$BIN" list | grep -c .) || fail "installed wsspec list: exit $?"
all=$(WSSPEC_CASES="$SRC/cases" "$BIN" list | grep -c .)
[ "$n" = "$all" ] && [ "$n" -gt 300 ] || fail "installed wsspec lists $n cases, the source tree $all"
"$BIN" list | grep -q DECOY && fail "the installed wsspec read the working directory's cases/"
echo_start "$BIN" --listen 127.0.0.1:0 || fail "installed wsspec echo did not start"
"$BIN" run "$ECHO_URL" --cases '1.1.*,2.1' --report-dir "$T/elsewhere/rep" -q >"$T/run.out" 2>&1
rc=$?
[ $rc = 0 ] || fail "installed wsspec run against echo: exit $rc: $(tail -5 "$T/run.out")"
[ -s "$T/elsewhere/rep/index.html" ] && [ -s "$T/elsewhere/rep/wsspec.json" ] || fail "no reports written"
echo_stop || fail "echo exit $ECHO_RC"
echo "from $T/elsewhere: $n cases listed, 1.1.* and 2.1 run against the installed echo: exit 0"
cd "$SRC" || fail "cd"

# 3. the installed man page
if command -v man >/dev/null 2>&1; then
    MANWIDTH=100 man -M "$D$P/share/man" wsspec-run >"$T/man.txt" 2>"$T/man.err" ||
        fail "man -M ... wsspec-run: exit $?: $(cat "$T/man.err")"
    for o in --cases --cases-dir --max-time --forbidden-origin; do
        grep -q -- "$o" "$T/man.txt" || fail "installed wsspec-run(1) lacks $o"
    done
    echo "man -M $P/share/man wsspec-run renders the options"
fi

# 4. uninstall
make --no-print-directory -C "$SRC" uninstall DESTDIR="$D" PREFIX="$P" >"$T/make.log" 2>&1 ||
    fail "make uninstall: $(tail -5 "$T/make.log")"
left=$(find "$D" -type f)
[ -z "$left" ] || fail "make uninstall left: $(head -5 <<<"$left")"
left=$(find "$D" -name '*wsspec*')
[ -z "$left" ] || fail "make uninstall left: $(head -5 <<<"$left")"
echo "make uninstall removed all $n_files files and the wsspec folders"

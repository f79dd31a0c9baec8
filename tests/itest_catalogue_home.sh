#!/usr/bin/env bash
# itest_catalogue_home.sh - the built-in catalogue is found wherever wsspec runs, and
# never taken from the working directory (harness/case_lint.c, case_default_dir):
#   - a copy of the binary, run from a folder holding an unrelated cases/, lists the
#     cases of the source tree it was built from (compiled-in path) and none of
#     the folder's; `wsspec version` names the directory and how it was found
#   - the folder's cases/ is read when asked for by name (--cases-dir cases)
#   - an installed layout (PREFIX/bin/wsspec, PREFIX/share/wsspec/cases) uses its own
#     catalogue, wherever PREFIX was moved to
#   - $WSSPEC_CASES still overrides everything
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
SRC=$PWD
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-home.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"
unset WSSPEC_CASES

# an unrelated cases/ in the working directory: one case that must never show up
mkdir -p "$T/bin" "$T/work/cases"
cat >"$T/work/cases/decoy.wsc" <<'WSC'
case 100.1
  title        DECOY from the working directory
  expectation  Echo.
  rfc          5.6 MUST "Data frames carry application-layer data."
  send frame text "x"
  expect OK message text "x"
  close-rule   me 1000 clean
end
WSC
cp "$WSSPEC" "$T/bin/wsspec"

# 1. the copied binary, run elsewhere: the source tree's catalogue, not ./cases
out=$(cd "$T/work" && "$T/bin/wsspec" list 2>&1); rc=$?
[ $rc = 0 ] || fail "copied binary: list exit $rc: $(head -3 <<<"$out")"
n=$(grep -c . <<<"$out")
all=$(WSSPEC_CASES="$SRC/cases" "$WSSPEC" list | grep -c .)
[ "$all" -gt 300 ] || fail "the source tree's catalogue lists $all cases"
[ "$n" = "$all" ] || fail "copied binary lists $n cases, want $all: $(head -3 <<<"$out")"
grep -q DECOY <<<"$out" && fail "copied binary took the working directory's cases/"
ver=$(cd "$T/work" && "$T/bin/wsspec" version) || fail "version: exit $?"
grep -qx "catalogue $SRC/cases (built in)" <<<"$ver" || fail "version does not say where: $ver"
echo "copied binary in a folder with a decoy cases/: $n cases; $(tail -1 <<<"$ver")"

# 2. the folder's cases/ when asked for by name
out=$(cd "$T/work" && "$T/bin/wsspec" list --cases-dir cases --cases '100.*' 2>&1) ||
    fail "--cases-dir cases: exit $?: $out"
grep -q '^100.1 .*DECOY' <<<"$out" || fail "--cases-dir cases did not read ./cases: $out"
echo "--cases-dir cases reads the working directory's catalogue when asked"

# 3. an installed layout, moved: PREFIX/share/wsspec/cases wins (a two-file catalogue)
P=$T/moved-prefix
mkdir -p "$P/bin" "$P/share/wsspec/cases"
cp "$WSSPEC" "$P/bin/wsspec"
cp cases/01-framing.wsc cases/02-pings.wsc "$P/share/wsspec/cases/"
want=$(WSSPEC_CASES="$P/share/wsspec/cases" "$WSSPEC" list | grep -c .)
out=$(cd "$T/work" && "$P/bin/wsspec" list 2>&1) || fail "installed: exit $?: $out"
n=$(grep -c . <<<"$out")
[ "$n" = "$want" ] && [ "$n" -lt "$all" ] || fail "installed binary lists $n cases, want $want"
ver=$("$P/bin/wsspec" version)
grep -qx "catalogue $P/share/wsspec/cases (installed)" <<<"$ver" ||
    fail "installed: version says: $(tail -1 <<<"$ver")"
echo "installed layout: its own catalogue ($n cases); $(tail -1 <<<"$ver")"

# 4. $WSSPEC_CASES overrides, and says so
ver=$(WSSPEC_CASES="$T/work/cases" "$T/bin/wsspec" version)
grep -qx "catalogue $T/work/cases (\$WSSPEC_CASES)" <<<"$ver" ||
    fail "WSSPEC_CASES: version says: $(tail -1 <<<"$ver")"
out=$(WSSPEC_CASES="$T/work/cases" "$T/bin/wsspec" list) || fail "WSSPEC_CASES list: exit $?"
[ "$out" = "100.1     DECOY from the working directory" ] || fail "WSSPEC_CASES list: $out"
echo "\$WSSPEC_CASES overrides the lookup"
echo "itest_catalogue_home: all checks passed"

#!/usr/bin/env bash
# itest_deb.sh - the Debian package (debian/, `make deb`): dpkg-buildpackage -us -uc -b
# builds wsspec_*.deb in a copy under build/deb/ with the distribution's build deps,
# and the package is what it should be:
#   - it holds the binary, the catalogue, the man pages, the completions and the
#     copyright file, and depends on the OpenSSL, zlib and jansson libraries it links
#   - lintian reports no error (warnings are printed, not fatal)
#   - unpacked into a scratch root (dpkg -x), its wsspec finds its own catalogue there,
#     lists every case, and its man page renders without warnings
#   - the source tree is left as it was (git status)
# Exit 77 (skip) without dpkg-buildpackage, debhelper, fakeroot or lintian - an error
# under CI=true (tests/run); .ci/deps installs them.
# time-bound: 600
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-deb.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
for tool in dpkg-buildpackage dh fakeroot lintian; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "skip: $tool not installed (apt-get install dpkg-dev debhelper fakeroot lintian)"
        exit 77
    fi
done
unset WSSPEC_CASES
before=$(git status --porcelain 2>/dev/null)

# 1. build
make --no-print-directory deb >"$T/build.log" 2>&1 || fail "make deb: $(tail -20 "$T/build.log")"
debs=(build/deb/wsspec_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || fail "make deb made ${#debs[@]} packages: ${debs[*]}"
DEB=${debs[0]}
after=$(git status --porcelain 2>/dev/null)
[ "$before" = "$after" ] || fail "make deb changed the source tree: $(diff <(echo "$before") <(echo "$after"))"
echo "built $DEB ($(stat -c %s "$DEB") bytes); the source tree is unchanged"

# 2. contents and dependencies
dpkg-deb -c "$DEB" | awk '{print $6}' >"$T/files"
for f in ./usr/bin/wsspec ./usr/share/wsspec/cases/01-framing.wsc ./usr/share/wsspec/cases/README.md \
    ./usr/share/man/man1/wsspec.1.gz ./usr/share/man/man1/wsspec-run.1.gz \
    ./usr/share/man/man1/wsspec-echo.1.gz ./usr/share/man/man5/wsspec-cases.5.gz \
    ./usr/share/bash-completion/completions/wsspec ./usr/share/zsh/site-functions/_wsspec \
    ./usr/share/doc/wsspec/copyright; do
    grep -qx -- "$f" "$T/files" || fail "the package lacks $f"
done
n_wsc=$(grep -c '^\./usr/share/wsspec/cases/.*\.wsc$' "$T/files")
[ "$n_wsc" = "$(ls cases/*.wsc | wc -l)" ] || fail "the package holds $n_wsc case files"
deps=$(dpkg-deb -f "$DEB" Depends)
for lib in libssl libjansson zlib1g libc6; do
    grep -q "$lib" <<<"$deps" || fail "Depends lacks $lib: $deps"
done
echo "contents: binary, $n_wsc case files, man pages, completions, copyright; Depends: $deps"

# 3. lintian: no error
lintian --tag-display-limit 0 "$DEB" >"$T/lintian" 2>&1
grep -v 'running with root privileges' "$T/lintian" | sed 's/^/    lintian: /'
grep -q '^E: ' "$T/lintian" && fail "lintian reports errors"
echo "lintian: no errors ($(grep -c '^W: ' "$T/lintian") warnings)"

# 4. unpacked: it runs and finds its catalogue
R=$T/root
dpkg -x "$DEB" "$R" || fail "dpkg -x"
mkdir -p "$T/elsewhere" && cd "$T/elsewhere" || fail "cd"
ver=$("$R/usr/bin/wsspec" version) || fail "the packaged wsspec version: exit $?"
grep -qx "catalogue $R/usr/share/wsspec/cases (installed)" <<<"$ver" || fail "version: $ver"
n=$("$R/usr/bin/wsspec" list | grep -c .)
all=$(WSSPEC_CASES="$SRC/cases" "$R/usr/bin/wsspec" list | grep -c .)
[ "$n" = "$all" ] && [ "$n" -gt 300 ] || fail "the packaged wsspec lists $n cases, want $all"
"$R/usr/bin/wsspec" lint >/dev/null || fail "the packaged catalogue does not lint"
cd "$SRC" || fail "cd"
if command -v man >/dev/null 2>&1; then
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$R/usr/share/man/man1/wsspec-run.1.gz" >"$T/man" 2>"$T/man.err"
    [ ! -s "$T/man.err" ] && grep -q -- --cases-dir "$T/man" || fail "wsspec-run.1.gz: $(head -3 "$T/man.err")"
fi
echo "unpacked: wsspec runs, finds its catalogue ($n cases), its man page renders"

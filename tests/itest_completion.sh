#!/usr/bin/env bash
# itest_completion.sh - the shell completions (completions/) complete what the binary
# says, never a list of their own:
#   - bash: completions/wsspec.bash sourced, COMP_WORDS/COMP_CWORD set as bash sets
#     them, _wsspec called: the subcommands; `wsspec run --ca` -> --cases, --cases-dir,
#     --cacert; `--cases 6.4.` -> case ids 6.4.x and nothing else; a comma list keeps
#     its head; `--verdict` -> its three values; echo's and list's options
#   - zsh (when installed): completions/_wsspec parses (zsh -n) and, run with the
#     completion builtins replaced by recorders (compadd, compset, _files), offers the
#     same for the same words
# Exit 77 (skip) without zsh - an error under CI=true (tests/run); .ci/deps installs it.
set -uo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/san/wsspec}
T=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-compl.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$WSSPEC" ] || fail "missing $WSSPEC: run 'make all build/san/wsspec' first"
SRC=$PWD
# the case ids of 6.4, as `wsspec list` has them: what --cases 6.4. must offer
"$WSSPEC" list --cases '6.4.*' | awk '{print $1}' | sort >"$T/ids64"
[ "$(grep -c . "$T/ids64")" -ge 2 ] || fail "wsspec list --cases '6.4.*' lists too few cases"

# 1. bash
cat >"$T/bash.sh" <<'SH'
source "$SRC/completions/wsspec.bash"
c() { # words...: the completions _wsspec offers for the last word, one per line
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _wsspec
    printf '%s\n' "${COMPREPLY[@]}" | sort
}
SH
bashc() { SRC=$SRC bash -c "source '$T/bash.sh'; c \"\$@\"" c "$WSSPEC" "$@"; }
out=$(bashc "") || fail "bash: _wsspec failed"
for w in run list lint echo report version; do grep -qx "$w" <<<"$out" || fail "bash: no subcommand $w in: $out"; done
grep -qx man <<<"$out" && fail "bash: the hidden man subcommand is offered"
out=$(bashc run --ca)
[ "$out" = "$(printf -- '--cacert\n--cases\n--cases-dir')" ] || fail "bash: 'run --ca' offers: $out"
out=$(bashc run --cases 6.4.)
diff <(grep -v '\*' <<<"$out") "$T/ids64" >/dev/null || fail "bash: '--cases 6.4.' offers: $(tr '\n' ' ' <<<"$out")"
out=$(bashc run --cases 1.1.1,6.4.)
grep -qx "1.1.1,$(head -1 "$T/ids64")" <<<"$out" || fail "bash: a comma list loses its head: $out"
out=$(bashc run --exclude 6.)
grep -qx '6.4.\*' <<<"$out" || fail "bash: no section pattern 6.4.* for '--exclude 6.': $(head -3 <<<"$out")"
out=$(bashc run --verdict "")
[ "$out" = "$(printf 'autobahn\nboth\nrfc')" ] || fail "bash: '--verdict' offers: $out"
out=$(bashc echo --tls-c)
[ "$out" = "$(printf -- '--tls-cert\n--tls-client-ca')" ] || fail "bash: 'echo --tls-c' offers: $out"
out=$(bashc list --j)
[ "$out" = "--json" ] || fail "bash: 'list --j' offers: $out"
echo "bash: subcommands, run --ca -> --cacert --cases --cases-dir, case ids and patterns, values"

# 2. zsh
if ! command -v zsh >/dev/null 2>&1; then
    echo "skip: zsh not installed (apt-get install zsh); bash passed"
    exit 77
fi
zsh -n completions/_wsspec || fail "zsh -n completions/_wsspec"
cat >"$T/zsh.zsh" <<'ZSH'
# the completion builtins, recording: compadd offers what matches PREFIX as zsh's would
typeset -ga OFFERED
compset() { [[ $1 == -P && $PREFIX == *,* ]] && { IPREFIX=${PREFIX%,*},; PREFIX=${PREFIX##*,}; }; return 0 }
compadd() {
    local -a a; local arr=
    while (( $# )); do
        case $1 in
        -a) arr=$2; shift 2 ;;
        -S|-P|-p|-J|-X) shift 2 ;;
        -Q) shift ;;
        --) shift; a+=("$@"); break ;;
        *) a+=("$1"); shift ;;
        esac
    done
    [[ -n $arr ]] && a+=("${(@P)arr}")
    local m
    for m in $a; do [[ $m == ${PREFIX}* ]] && OFFERED+=("$IPREFIX$m"); done
}
_files() { OFFERED+=(FILES) }
words=(wsspec); CURRENT=1; PREFIX=; source $SRC/completions/_wsspec
c() { OFFERED=(); IPREFIX=; words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}; _wsspec; print -rl -- ${(o)OFFERED} }
c "$@"
ZSH
zshc() { SRC=$SRC zsh -f "$T/zsh.zsh" "$WSSPEC" "$@"; }
out=$(zshc "")
for w in run list lint echo report version; do grep -qx "$w" <<<"$out" || fail "zsh: no subcommand $w in: $out"; done
out=$(zshc run --ca)
[ "$out" = "$(printf -- '--cacert\n--cases\n--cases-dir')" ] || fail "zsh: 'run --ca' offers: $out"
out=$(zshc run --cases 6.4.)
diff <(grep -v '\*' <<<"$out") "$T/ids64" >/dev/null || fail "zsh: '--cases 6.4.' offers: $(tr '\n' ' ' <<<"$out")"
out=$(zshc run --cases 1.1.1,6.4.)
grep -qx "1.1.1,$(head -1 "$T/ids64")" <<<"$out" || fail "zsh: a comma list loses its head: $(head -3 <<<"$out")"
out=$(zshc run --verdict "")
[ "$out" = "$(printf 'autobahn\nboth\nrfc')" ] || fail "zsh: '--verdict' offers: $out"
echo "zsh: subcommands, run --ca -> --cacert --cases --cases-dir, case ids, values"
